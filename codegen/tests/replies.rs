//! The reply table against the committed specs: every command has an
//! entry, every condition names a real argument, and at most 5% of the
//! commands are declared as the generic value.

use std::path::Path;

use respec_codegen::replies::Category;
use respec_codegen::{
    callable, check_replies, load_core, load_modules, load_replies, load_replies_with_modules,
    Flavor, MODULES,
};

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

/// The README's sentence on how the commands' default replies divide.
fn counts_sentence(flavor: Flavor) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../commands-spec");
    let spec = load_core(&dir, flavor).unwrap();
    let table = load_replies(&dir, flavor).unwrap();
    let names: Vec<String> = callable(&spec).iter().map(|c| c.server_name()).collect();
    sentence(&table, &names)
}

/// The README's sentence on how the commands of a module family divide.
fn module_counts_sentence(family: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../commands-spec");
    let spec = load_modules(&dir, &[family]).unwrap();
    let table = load_replies_with_modules(&dir, Flavor::Redis).unwrap();
    let names: Vec<String> = callable(&spec).iter().map(|c| c.server_name()).collect();
    format!("`{family}`: {}", sentence(&table, &names))
}

fn sentence(table: &respec_codegen::replies::ReplyTable, names: &[String]) -> String {
    let counts = table.counts(names.iter().map(String::as_str));
    let n = |c: Category| counts.get(&c).copied().unwrap_or(0);
    let total: usize = counts.values().sum();
    assert_eq!(total, names.len(), "every command is counted once");
    let generic = n(Category::Generic);
    assert!(
        generic * 100 < total * 5,
        "{generic} of {total} commands read as the generic frame: 5% or more"
    );
    let pct = |k: usize| format!("{:.1}%", 100.0 * k as f64 / total as f64);
    format!(
        "Of the {total} commands, {} ({}) answer a scalar, {} ({}) a container of \
         scalars, {} ({}) a named record (or a container of them), and {} ({}) the \
         generic frame",
        n(Category::Scalar),
        pct(n(Category::Scalar)),
        n(Category::Container),
        pct(n(Category::Container)),
        n(Category::Record),
        pct(n(Category::Record)),
        generic,
        pct(generic),
    )
}

/// The README reports the counts of the committed tables.
#[test]
fn readme_reports_the_reply_counts() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    for flavor in [Flavor::Redis, Flavor::Valkey] {
        let sentence = counts_sentence(flavor);
        println!("{flavor:?}: {sentence}");
        assert!(
            readme.contains(&sentence),
            "README.md should say, for {flavor:?}: {sentence}"
        );
    }
    let missing: Vec<String> = MODULES
        .iter()
        .map(|f| module_counts_sentence(f))
        .inspect(|s| println!("{s}"))
        .filter(|s| !readme.contains(s))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md should say, for the module families:\n{}",
        missing.join("\n")
    );
}

/// Each module family's commands, with the module table on top of the
/// core's: every command has an entry, under 5% generic, each with a
/// reason; the module table declares no command of the core.
#[test]
fn module_tables_are_complete() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../commands-spec");
    let table = load_replies_with_modules(&dir, Flavor::Redis).unwrap();
    let all = load_modules(&dir, MODULES).unwrap();
    for family in MODULES {
        let spec = load_modules(&dir, &[family]).unwrap();
        let generic = check_replies(&spec, &table, Flavor::Redis).unwrap_or_else(|e| panic!("{e}"));
        let total = callable(&spec).len();
        println!("{family}: {generic} of {total} commands generic on purpose");
        assert!(total > 0, "{family}: no commands");
        assert!(
            generic * 100 < total * 5,
            "{family}: {generic} of {total} is 5% or more"
        );
    }
    // No entry of the module table is left without its command.
    let names: std::collections::BTreeSet<String> =
        callable(&all).iter().map(|c| c.server_name()).collect();
    let text = std::fs::read_to_string(dir.join("replies/modules.replies")).unwrap();
    let modules = respec_codegen::replies::ReplyTable::parse(&text, "modules.replies").unwrap();
    let stale: Vec<_> = modules
        .entries
        .keys()
        .filter(|n| !names.contains(*n))
        .collect();
    assert!(
        stale.is_empty(),
        "entries with no module command: {stale:?}"
    );
}

#[test]
fn redis_table_is_complete() {
    check(Flavor::Redis);
}

#[test]
fn valkey_table_is_complete() {
    check(Flavor::Valkey);
}
