//! `diff OLD.json NEW.json [--replies redis|valkey]`: which commands and
//! arguments were added, removed or changed between two spec files (for
//! release notes and for reviewing a server upgrade). With `--replies`,
//! also which commands of NEW have no reply type declared in the project's
//! reply table yet, each with a line to start from. Needs only the spec
//! files: it runs before the crate builds.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use respec_codegen::Flavor;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (files, flavor) = match args.as_slice() {
        [old, new] => ([old, new], None),
        [old, new, flag, f] if flag == "--replies" => match f.as_str() {
            "redis" => ([old, new], Some(Flavor::Redis)),
            "valkey" => ([old, new], Some(Flavor::Valkey)),
            _ => return usage(),
        },
        _ => return usage(),
    };
    let [old, new] = files;
    let load = |p: &str| respec_codegen::spec::load(Path::new(p));
    match (load(old), load(new)) {
        (Ok(a), Ok(b)) => {
            print!("{}", respec_codegen::diff::report(old, &a, new, &b));
            if let Some(flavor) = flavor {
                let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../commands-spec");
                match respec_codegen::load_replies(&dir, flavor) {
                    Ok(table) => print!(
                        "{}",
                        respec_codegen::diff::undeclared_section(
                            &b,
                            &table,
                            respec_codegen::replies_file(flavor)
                        )
                    ),
                    Err(e) => {
                        eprintln!("diff: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            ExitCode::SUCCESS
        }
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("diff: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: diff OLD.json NEW.json [--replies redis|valkey]");
    ExitCode::from(2)
}
