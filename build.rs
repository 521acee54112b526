//! Generates the typed command layer from `commands-spec/` into `OUT_DIR`.
//!
//! The `valkey` feature picks the Valkey specs; the default is Redis.

use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("commands");
    let flavor = if std::env::var_os("CARGO_FEATURE_VALKEY").is_some() {
        respec_codegen::Flavor::Valkey
    } else {
        respec_codegen::Flavor::Redis
    };
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=commands-spec");
    rerun_for_dir(&root.join("commands-spec"));
    let spec_dir = root.join("commands-spec");
    let spec = respec_codegen::load_core(&spec_dir, flavor).unwrap_or_else(|e| panic!("{e}"));
    let files = respec_codegen::generate(&spec, flavor).unwrap_or_else(|e| panic!("{e}"));
    respec_codegen::write_all(&files, &out).unwrap_or_else(|e| panic!("{e}"));
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
