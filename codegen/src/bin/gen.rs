//! `gen [--valkey] [--modules] [DIR]`: writes the generated command layer
//! into `DIR` (default `generated/`), so that a spec or generator change
//! can be reviewed as a diff of readable Rust. `--modules` adds the five
//! module families (Redis only), as the cargo features do.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut flavor = respec_codegen::Flavor::Both;
    let mut dir = None;
    let mut modules = false;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--valkey" => flavor = respec_codegen::Flavor::Valkey,
            "--redis" => flavor = respec_codegen::Flavor::Redis,
            "--both" => flavor = respec_codegen::Flavor::Both,
            "--modules" => modules = true,
            _ if dir.is_none() && !a.starts_with('-') => dir = Some(PathBuf::from(a)),
            _ => {
                eprintln!("usage: gen [--redis | --valkey] [--modules] [DIR]");
                return ExitCode::from(2);
            }
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = dir.unwrap_or_else(|| root.join("generated"));
    let spec_dir = root.join("commands-spec");
    let families: &[&str] = if modules && flavor != respec_codegen::Flavor::Valkey {
        respec_codegen::MODULES
    } else {
        &[]
    };
    let result = respec_codegen::load_core(&spec_dir, flavor).and_then(|spec| {
        let module_spec = respec_codegen::load_modules(&spec_dir, families)?;
        let replies = if families.is_empty() {
            respec_codegen::load_replies(&spec_dir, flavor)?
        } else {
            respec_codegen::load_replies_with_modules(&spec_dir, flavor)?
        };
        let generic = respec_codegen::check_replies(&spec, &replies, flavor)?;
        let total = respec_codegen::callable(&spec).len();
        eprintln!(
            "gen: {generic} of {total} commands declared as the generic reply on purpose ({:.1}%)",
            100.0 * generic as f64 / total as f64
        );
        let files = respec_codegen::generate_with_modules(&spec, &module_spec, &replies, flavor)?;
        respec_codegen::write_all(&files, &dir).map(|()| files.len())
    });
    match result {
        Ok(n) => {
            eprintln!("gen: wrote {n} files to {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen: {e}");
            ExitCode::FAILURE
        }
    }
}
