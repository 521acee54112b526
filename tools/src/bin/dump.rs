//! `dump URL OUT.json [--modules-only | --core-only]`: writes a live
//! server's command specs.
//!
//! The file holds `COMMAND DOCS` with each command's `COMMAND INFO` merged
//! in (arity, flags, first/last key and step, ACL categories, tips, key
//! specs), subcommands nested under their container, as sorted, indented
//! JSON so a new server version shows up as a readable diff.
//!
//! `--core-only` (the default) leaves out module commands (group `module`);
//! `--modules-only` keeps only them.

use std::process::ExitCode;

use serde_json::Map;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut url, mut out, mut modules) = (None, None, false);
    for a in &args {
        match a.as_str() {
            "--modules-only" => modules = true,
            "--core-only" => modules = false,
            _ if url.is_none() => url = Some(a.clone()),
            _ if out.is_none() => out = Some(a.clone()),
            _ => return usage(),
        }
    }
    let (Some(url), Some(out)) = (url, out) else {
        return usage();
    };
    match respec_tools::dump::dump(&url, modules) {
        Ok(spec) => {
            let text = respec_tools::dump::to_pretty_sorted(&spec);
            if let Err(e) = std::fs::write(&out, text) {
                eprintln!("dump: cannot write {out}: {e}");
                return ExitCode::FAILURE;
            }
            eprintln!(
                "dump: wrote {} commands to {out}",
                spec.as_object().map_or(0, Map::len)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dump: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: dump redis://HOST:PORT OUT.json [--core-only | --modules-only]");
    ExitCode::from(2)
}
