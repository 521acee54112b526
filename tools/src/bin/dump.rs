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
//!
//! `dump URL --merge-modules SPEC_DIR [--only FAMILY]...`: the module specs
//! instead. The argument docs of module commands are authored by hand in
//! `SPEC_DIR/{json,search,timeseries,bloom,vectorset}.json`; this merges the
//! live `COMMAND INFO` into them and rewrites them, or, when the authored
//! arguments disagree with the server (a command missing on either side,
//! the arity, the key positions), names every such command and writes
//! nothing. `--only` limits it to some families. A container the server
//! registers without subcommands (`FT.CONFIG`, `FT.CURSOR`) may carry
//! authored ones; each gets the container's live `COMMAND INFO` and an
//! arity from its own arguments (the rule is in `respec_tools::modules`).

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{Map, Value};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut url, mut out, mut modules) = (None, None, false);
    let (mut merge_dir, mut only) = (None::<PathBuf>, Vec::new());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--modules-only" => modules = true,
            "--core-only" => modules = false,
            "--merge-modules" => match it.next() {
                Some(dir) => merge_dir = Some(PathBuf::from(dir)),
                None => return usage(),
            },
            "--only" => match it.next() {
                Some(f) => only.push(f.clone()),
                None => return usage(),
            },
            _ if url.is_none() => url = Some(a.clone()),
            _ if out.is_none() => out = Some(a.clone()),
            _ => return usage(),
        }
    }
    let Some(url) = url else {
        return usage();
    };
    if let Some(dir) = merge_dir {
        if out.is_some() {
            return usage();
        }
        return merge_modules(&url, &dir, &only);
    }
    let Some(out) = out else {
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

fn merge_modules(url: &str, dir: &std::path::Path, only: &[String]) -> ExitCode {
    for o in only {
        if !respec_tools::modules::FAMILIES.iter().any(|f| f.name == o) {
            eprintln!("dump: unknown family `{o}` for --only");
            return usage();
        }
    }
    let report = match respec_tools::modules::check_all(url, dir, only) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("dump: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !report.problems.is_empty() {
        eprintln!("dump: the module specs disagree with the server at {url}; nothing written:");
        for p in &report.problems {
            eprintln!("  {p}");
        }
        return ExitCode::FAILURE;
    }
    for (family, path, merged) in &report.merged {
        let text = respec_tools::dump::to_pretty_sorted(&Value::Object(merged.clone()));
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("dump: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!(
            "dump: merged the live COMMAND INFO of {} `{}` commands into {}",
            merged.len(),
            family.name,
            path.display()
        );
    }
    ExitCode::SUCCESS
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: dump redis://HOST:PORT OUT.json [--core-only | --modules-only]\n       \
         dump redis://HOST:PORT --merge-modules SPEC_DIR [--only FAMILY]..."
    );
    ExitCode::from(2)
}
