//! Generates the typed command layer from `commands-spec/` into `OUT_DIR`.
//!
//! `RESPEC_SERVER=valkey` in the environment of the build picks the Valkey
//! specs; the default (or `RESPEC_SERVER=redis`) is Redis. It is a build
//! setting rather than a cargo feature because it replaces the command set
//! instead of adding to it.

use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("commands");
    println!("cargo:rerun-if-env-changed=RESPEC_SERVER");
    println!("cargo::rustc-check-cfg=cfg(respec_valkey)");
    println!("cargo::rustc-check-cfg=cfg(docsrs)");
    let flavor = match std::env::var("RESPEC_SERVER").as_deref() {
        Err(_) | Ok("") | Ok("redis") => respec_codegen::Flavor::Redis,
        Ok("valkey") => {
            println!("cargo:rustc-cfg=respec_valkey");
            respec_codegen::Flavor::Valkey
        }
        Ok(other) => panic!("RESPEC_SERVER={other}: expected `redis` or `valkey`"),
    };
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=commands-spec");
    rerun_for_dir(&root.join("commands-spec"));
    let spec_dir = root.join("commands-spec");
    let result = respec_codegen::load_core(&spec_dir, flavor).and_then(|spec| {
        let replies = respec_codegen::load_replies(&spec_dir, flavor)?;
        let files = respec_codegen::generate(&spec, &replies, flavor)?;
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
