//! The word-count rule (`"counts"` in the authored specs), on small
//! commands made up for the purpose: what the encoder writes, and the
//! build error where a count cannot be derived.

use respec_codegen::emit::{self, Cmd};
use respec_codegen::replies::ReplyTable;
use respec_codegen::spec::CommandDoc;

/// The generated source of a made-up command `X.CMD` with `args` (JSON).
fn render(args: &str) -> String {
    let doc: CommandDoc =
        serde_json::from_str(&format!(r#"{{"arity": -1, "arguments": {args}}}"#)).unwrap();
    let table = ReplyTable::parse("X.CMD: ok\n", "test").unwrap();
    let entry = &table.entries["X.CMD"];
    let cmd = Cmd {
        key: "x.cmd".into(),
        doc: &doc,
    };
    let mut m = emit::Module::new("test");
    let (items, method, free, _) = emit::command(&mut m, &cmd, entry);
    let enums = &m.items;
    let file: syn::File = syn::parse2(quote::quote! { #items #method #free #(#enums)* }).unwrap();
    prettyplease::unparse(&file)
}

/// `src` with every run of whitespace made one space.
fn flat(src: &str) -> String {
    src.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A vector-like block: `ATTRS count TYPE type DIM dim [EF ef]`, the count
/// of every later word.
const REST: &str = r#"[
    {"name": "key", "type": "key", "key_spec_index": 0},
    {"name": "attrs", "type": "oneof", "arguments": [
        {"name": "hnsw", "type": "block", "arguments": [
            {"name": "hnsw", "type": "pure-token", "token": "HNSW"},
            {"name": "count", "type": "integer", "counts": "rest"},
            {"name": "type", "type": "string", "token": "TYPE"},
            {"name": "dim", "type": "integer", "token": "DIM"},
            {"name": "ef", "type": "integer", "token": "EF", "flags": ["optional"]}
        ]},
        {"name": "none", "type": "pure-token", "token": "NONE"}
    ]}
]"#;

#[test]
fn a_count_of_the_rest_wraps_every_later_word() {
    let src = render(REST);
    // No field for the count: the variant holds the values, each with its
    // own line of docs.
    assert!(
        flat(&src).contains(
            "Hnsw { ///`TYPE type` type_: Value, ///`DIM dim` dim: i64, ///`[EF ef]` ef: Option<i64>, }"
        ),
        "{src}"
    );
    // The token, then the counted words: TYPE, DIM and the optional EF.
    let at = src
        .find(r#"w.token("HNSW");"#)
        .expect("the token is written");
    let rest = &src[at..];
    let counted = rest.find("w.counted(|w| {").expect("a counted writer");
    let ty = rest.find(r#"w.token("TYPE");"#).unwrap();
    let dim = rest.find(r#"w.token("DIM");"#).unwrap();
    let ef = rest.find(r#"w.token("EF");"#).unwrap();
    assert!(counted < ty && ty < dim && dim < ef, "{src}");
}

#[test]
fn a_count_of_the_next_argument_before_pairs() {
    let src = render(
        r#"[
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "params", "type": "block", "token": "PARAMS", "flags": ["optional"], "arguments": [
            {"name": "nargs", "type": "integer", "counts": "next"},
            {"name": "pair", "type": "block", "flags": ["multiple"], "arguments": [
                {"name": "name", "type": "string"},
                {"name": "value", "type": "string"}
            ]}
        ]}
    ]"#,
    );
    assert!(
        flat(&src).contains(
            "pub fn params( mut self, pair: impl IntoIterator<Item = (impl ToArg, impl ToArg)>, )"
        ),
        "{src}"
    );
    let counted = src.find("w.counted(|w| {").expect("a counted writer");
    let each = src.find("for item in").unwrap();
    assert!(src.find(r#"w.token("PARAMS");"#).unwrap() < counted && counted < each);
}

#[test]
#[should_panic(expected = "a count of the rest of a block")]
fn a_count_of_the_rest_split_into_builders_fails_the_build() {
    // The block has an optional part: it is split into builders, and a
    // count of the rest cannot wrap words written by several of them.
    render(
        r#"[
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "opts", "type": "block", "token": "OPTS", "flags": ["optional"], "arguments": [
            {"name": "count", "type": "integer", "counts": "rest"},
            {"name": "a", "type": "string"},
            {"name": "b", "type": "string", "token": "B", "flags": ["optional"]}
        ]}
    ]"#,
    );
}
