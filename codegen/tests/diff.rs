//! The spec diff on the committed spec sets.

use std::path::Path;

fn load(p: &str) -> respec_codegen::spec::SpecFile {
    respec_codegen::spec::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../commands-spec")
            .join(p),
    )
    .unwrap()
}

#[test]
fn redis_7_0_to_8_2_lists_the_new_hash_field_expiry_commands() {
    let report = respec_codegen::diff::report(
        "7.0",
        &load("redis-7.0/core.json"),
        "8.2",
        &load("redis/core.json"),
    );
    let added = report.split("## Removed").next().unwrap();
    for cmd in [
        "HEXPIRE (since 7.4.0)",
        "HGETEX (since 8.0.0)",
        "CLIENT SETINFO (since 7.2.0)",
    ] {
        assert!(added.contains(cmd), "{cmd} missing from:\n{added}");
    }
    assert!(report.contains("## Removed commands (0)"), "{report}");
    // An argument added to an existing command.
    let changed = report.split("## Changed").nth(1).unwrap();
    assert!(changed.contains("- BITCOUNT\n"), "{changed}");
    assert!(changed.contains("`range.unit.bit`"), "{changed}");
}

#[test]
fn redis_to_valkey_shows_both_directions() {
    let report = respec_codegen::diff::report(
        "redis",
        &load("redis/core.json"),
        "valkey",
        &load("valkey/core.json"),
    );
    let added = report.split("## Removed").next().unwrap();
    let removed = report
        .split("## Removed")
        .nth(1)
        .unwrap()
        .split("## Changed")
        .next()
        .unwrap();
    // Valkey-only and Redis-only commands.
    assert!(added.contains("- COMMANDLOG GET"), "{added}");
    assert!(removed.contains("- XACKDEL"), "{removed}");
}
