//! Golden tests: the generated source of a few representative commands,
//! compared with the expected text in `tests/golden/`. After an intended
//! change of the generator, `BLESS=1 cargo test -p respec-codegen --test
//! golden` rewrites the files; review them as a diff.

use std::path::Path;

fn check(key: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = respec_codegen::load_core(
        &root.join("../commands-spec"),
        respec_codegen::Flavor::Redis,
    )
    .unwrap();
    let got = respec_codegen::render_one(&spec, key).unwrap();
    let file = root
        .join("tests/golden")
        .join(format!("{}.rs", key.replace('|', "_")));
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&file, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{}: {e} (run with BLESS=1 to create it)", file.display()));
    if got != want {
        let first = got
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "generated `{key}` differs from {} from line {}:\n  got:  {:?}\n  want: {:?}\n(run with BLESS=1 after reviewing)",
            file.display(),
            first + 1,
            got.lines().nth(first),
            want.lines().nth(first)
        );
    }
}

#[test]
fn set() {
    check("set");
}

#[test]
fn zadd() {
    check("zadd");
}

#[test]
fn xadd() {
    check("xadd");
}

#[test]
fn client_kill() {
    check("client|kill");
}

#[test]
fn xreadgroup() {
    check("xreadgroup");
}

#[test]
fn xtrim() {
    check("xtrim");
}

#[test]
fn geosearch() {
    check("geosearch");
}

#[test]
fn bitfield() {
    check("bitfield");
}

#[test]
fn hrandfield() {
    check("hrandfield");
}

#[test]
fn xpending() {
    check("xpending");
}

#[test]
fn zrangebyscore() {
    check("zrangebyscore");
}

#[test]
fn lmove() {
    check("lmove");
}

#[test]
fn bitpos() {
    check("bitpos");
}

/// A module command, from the authored spec of `family` (markers applied).
fn check_module(family: &str, key: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = respec_codegen::load_modules(&root.join("../commands-spec"), &[family]).unwrap();
    let got = respec_codegen::render_one(&spec, key).unwrap();
    let file = root
        .join("tests/golden")
        .join(format!("{}.rs", key.replace(['|', '.'], "_")));
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&file, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{}: {e} (run with BLESS=1 to create it)", file.display()));
    assert!(
        got == want,
        "generated `{key}` differs from {} (run with BLESS=1 after reviewing)",
        file.display()
    );
}

/// Word counts (`counts: "next"`): GROUPBY's and REDUCE's `nargs` inside
/// a repeated block, SORTBY's before a list split into builders, LOAD's
/// inside a choice, PARAMS' before name/value pairs.
#[test]
fn ft_aggregate() {
    check_module("search", "ft.aggregate");
}

/// A hand-written argument type (`written_as`: the schema) and word
/// counts before a list (`PREFIX`, `STOPWORDS`).
#[test]
fn ft_create() {
    check_module("search", "ft.create");
}
