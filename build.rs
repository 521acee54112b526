//! Generates the typed command layer from `commands-spec/` into `OUT_DIR`.
//!
//! The command set is Redis's and Valkey's specs merged: every command of
//! either server, each command and argument knowing which servers have it
//! since which version, checked at run time against the server a
//! connection met. `RESPEC_SERVER=redis` or `RESPEC_SERVER=valkey` in the
//! build's environment generates from one server's specs alone (the tools
//! compare them that way); users never need it.
//!
//! The cargo features `json`, `search`, `timeseries`, `bloom` and
//! `vectorset` add the commands of those module families (from
//! `commands-spec/redis/<family>.json`, replies in
//! `commands-spec/replies/modules.replies`). They are Redis modules: with
//! the Valkey specs alone they add nothing.

use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("commands");
    println!("cargo:rerun-if-env-changed=RESPEC_SERVER");
    println!("cargo::rustc-check-cfg=cfg(respec_valkey)");
    println!("cargo::rustc-check-cfg=cfg(docsrs)");
    // One command set for Redis and Valkey (each command and argument
    // knows which servers have it); RESPEC_SERVER=redis or valkey builds
    // from one server's specs alone, for comparing.
    let flavor = match std::env::var("RESPEC_SERVER").as_deref() {
        Err(_) | Ok("") | Ok("both") => respec_codegen::Flavor::Both,
        Ok("redis") => respec_codegen::Flavor::Redis,
        Ok("valkey") => {
            println!("cargo:rustc-cfg=respec_valkey");
            respec_codegen::Flavor::Valkey
        }
        Ok(other) => panic!("RESPEC_SERVER={other}: expected `redis`, `valkey` or `both`"),
    };
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=commands-spec");
    rerun_for_dir(&root.join("commands-spec"));
    let spec_dir = root.join("commands-spec");
    // The module families whose cargo feature is on (cargo sets
    // CARGO_FEATURE_<NAME> for the build script).
    let families: Vec<&str> = respec_codegen::MODULES
        .iter()
        .copied()
        .filter(|f| std::env::var_os(format!("CARGO_FEATURE_{}", f.to_ascii_uppercase())).is_some())
        .filter(|_| flavor != respec_codegen::Flavor::Valkey)
        .collect();
    let result = respec_codegen::load_core(&spec_dir, flavor).and_then(|spec| {
        let modules = respec_codegen::load_modules(&spec_dir, &families)?;
        let replies = if families.is_empty() {
            respec_codegen::load_replies(&spec_dir, flavor)?
        } else {
            respec_codegen::load_replies_with_modules(&spec_dir, flavor)?
        };
        let files = respec_codegen::generate_with_modules(&spec, &modules, &replies, flavor)?;
        respec_codegen::write_all(&files, &out)
    });
    if let Err(problems) = result {
        // One clear message per problem (a command of a new spec without
        // a declared reply names the file and a line to add), no panic.
        for line in problems.lines() {
            println!("cargo::error={line}");
        }
    }
}

fn rerun_for_dir(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                rerun_for_dir(&p);
            } else {
                println!("cargo:rerun-if-changed={}", p.display());
            }
        }
    }
}
