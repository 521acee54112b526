//! The argument shapes of the whole generated API, checked as text: no
//! method or constructor of a generated command takes a positional tuple
//! or an `Option` (required blocks are spread into parameters, optional
//! blocks get named builders), and every choice of tokens offered by
//! several commands is one shared type.

use std::path::Path;

use respec_codegen::{emit, load_core, load_replies, Flavor};

fn generated(flavor: Flavor) -> Vec<respec_codegen::GeneratedFile> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../commands-spec");
    let spec = load_core(&dir, flavor).unwrap();
    let replies = load_replies(&dir, flavor).unwrap();
    respec_codegen::generate(&spec, &replies, flavor).unwrap()
}

/// The parameter lists of every `pub fn` of the generated command types.
fn signatures(files: &[respec_codegen::GeneratedFile]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in files {
        let text = &f.source;
        let mut rest = text.as_str();
        while let Some(at) = rest.find("pub fn ") {
            rest = &rest[at + 7..];
            let name: String = rest
                .chars()
                .take_while(|c| *c != '(' && *c != '<')
                .collect();
            let open = rest.find('(').unwrap();
            // Up to the matching parenthesis.
            let mut depth = 0;
            let mut end = open;
            for (i, c) in rest[open..].char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            end = open + i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            out.push((
                format!("{}::{name}", f.name),
                rest[open + 1..end].to_string(),
            ));
        }
    }
    out
}

#[test]
fn no_method_takes_a_positional_tuple_or_an_option() {
    for flavor in [Flavor::Redis, Flavor::Valkey, Flavor::Both] {
        let files = generated(flavor);
        let mut bad = Vec::new();
        for (name, params) in signatures(&files) {
            let flat: String = params.split_whitespace().collect::<Vec<_>>().join(" ");
            // Pairs of a repeated block (`HSET key field value ...`) are the
            // items of an iterator: `[("f", "v")]` reads as what it is.
            let without_items = flat.replace("Item = (", "Item = [");
            if without_items.contains("Option<") || without_items.contains(": (") {
                bad.push(format!("{name}({flat})"));
            }
        }
        assert!(
            bad.is_empty(),
            "{flavor:?}: {} methods take a tuple or an Option:\n{}",
            bad.len(),
            bad.join("\n")
        );
    }
}

#[test]
fn a_choice_of_tokens_is_one_type_whatever_the_command() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../commands-spec");
    let spec = load_core(&dir, Flavor::Redis).unwrap();
    let shared = emit::shared_enums(&respec_codegen::callable(&spec));
    let name = |tokens: &str| shared.by_tokens.get(tokens).map(|(n, _)| n.as_str());
    assert_eq!(name("M|KM|FT|MI"), Some("GeoUnit"));
    assert_eq!(name("SUM|MIN|MAX"), Some("Aggregate"));
    assert_eq!(name("LEFT|RIGHT"), Some("Side"));
    assert_eq!(name("BEFORE|AFTER"), Some("InsertPosition"));
    assert_eq!(name("ASC|DESC"), Some("Order"));
    // FLUSHALL's ASYNC|SYNC (with a `since` on each choice) and SCRIPT
    // FLUSH's are the same type, with the later `since` of each.
    let (n, rep) = &shared.by_tokens["ASYNC|SYNC"];
    assert_eq!(n, "FlushType");
    assert_eq!(rep.arguments[1].since.as_deref(), Some("6.2.0"));
    // Every named exception still names a token set of the specs.
    for (tokens, want) in respec_codegen::naming::SHARED_ENUM_NAMES {
        assert_eq!(name(tokens), Some(*want), "{tokens} is in no spec any more");
    }
    // No command-scoped enum is left for a shared token set.
    let files = respec_codegen::generate(
        &spec,
        &load_replies(&dir, Flavor::Redis).unwrap(),
        Flavor::Redis,
    )
    .unwrap();
    for f in files.iter().filter(|f| f.name != "types.rs") {
        for bad in [
            "pub enum GeosearchByCircleUnit",
            "pub enum LmoveWherefrom",
            "pub enum ZinterAggregate",
        ] {
            assert!(!f.source.contains(bad), "{} still has {bad}", f.name);
        }
    }
    let types = files.iter().find(|f| f.name == "types.rs").unwrap();
    assert!(types.source.contains("pub enum GeoUnit"));
}
