//! The reply table against the committed specs: every command has an
//! entry, every condition names a real argument, and at most 5% of the
//! commands are declared as the generic value.

use std::path::Path;

use respec_codegen::{callable, check_replies, load_core, load_replies, Flavor};

fn check(flavor: Flavor) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../commands-spec");
    let spec = load_core(&dir, flavor).unwrap();
    let table = load_replies(&dir, flavor).unwrap();
    let generic = check_replies(&spec, &table, flavor).unwrap_or_else(|e| panic!("{e}"));
    let total = callable(&spec).len();
    println!("{flavor:?}: {generic} of {total} commands generic on purpose");
    assert!(
        generic * 100 <= total * 5,
        "{generic} of {total} is over 5%"
    );
    // Every generic entry says why.
    for cmd in callable(&spec) {
        let e = &table.entries[&cmd.server_name()];
        if e.default == respec_codegen::replies::ReplyType::Frame {
            assert!(
                e.generic_reason.is_some(),
                "{} is generic without a reason",
                cmd.server_name()
            );
        }
    }
}

#[test]
fn redis_table_is_complete() {
    check(Flavor::Redis);
}

#[test]
fn valkey_table_is_complete() {
    check(Flavor::Valkey);
}
