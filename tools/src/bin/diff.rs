//! `diff OLD.json NEW.json`: which commands and arguments were added,
//! removed or changed between two spec files (for release notes and for
//! reviewing a server upgrade).

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [old, new] = args.as_slice() else {
        eprintln!("usage: diff OLD.json NEW.json");
        return ExitCode::from(2);
    };
    let load = |p: &str| respec_codegen::spec::load(Path::new(p));
    match (load(old), load(new)) {
        (Ok(a), Ok(b)) => {
            print!("{}", respec_tools::diff::report(old, &a, new, &b));
            ExitCode::SUCCESS
        }
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("diff: {e}");
            ExitCode::FAILURE
        }
    }
}
