//! The spec files' shape: `COMMAND DOCS` with `COMMAND INFO` merged in, as
//! the `dump` tool writes them.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One command (or subcommand) as the server describes it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct CommandDoc {
    /// One line on what it does.
    pub summary: Option<String>,
    /// The version that introduced it.
    pub since: Option<String>,
    /// Its group (`string`, `sorted-set`, ...).
    pub group: Option<String>,
    /// Time complexity.
    pub complexity: Option<String>,
    /// `deprecated`, `syscmd`.
    pub doc_flags: Vec<String>,
    /// When it was deprecated.
    pub deprecated_since: Option<String>,
    /// What replaces it.
    pub replaced_by: Option<String>,
    /// `(version, change)` pairs.
    pub history: Vec<(String, String)>,
    /// The argument tree.
    pub arguments: Vec<ArgDoc>,
    /// Subcommands, keyed `container|sub`.
    pub subcommands: BTreeMap<String, CommandDoc>,
    /// Arity (negative: at least).
    pub arity: i64,
    /// Command flags.
    pub flags: Vec<String>,
    /// ACL categories.
    pub acl_categories: Vec<String>,
    /// Request/response policy tips.
    pub tips: Vec<String>,
    /// Key specs.
    pub key_specs: Vec<KeySpecDoc>,
    /// Which servers have it, since when (set when the Redis and Valkey
    /// specs are merged; not in the files).
    #[serde(skip)]
    pub servers: Servers,
}

/// One argument (possibly a `oneof` or `block` with children).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct ArgDoc {
    /// Its name.
    pub name: String,
    /// `key`, `string`, `integer`, `double`, `pattern`, `unix-time`,
    /// `pure-token`, `oneof`, `block`.
    #[serde(rename = "type")]
    pub ty: String,
    /// The keyword before it.
    pub token: Option<String>,
    /// Short description.
    pub summary: Option<String>,
    /// The version that introduced it.
    pub since: Option<String>,
    /// `optional`, `multiple`, `multiple_token`.
    pub flags: Vec<String>,
    /// When it was deprecated.
    pub deprecated_since: Option<String>,
    /// How the docs show it.
    pub display_text: Option<String>,
    /// Which key spec it belongs to.
    pub key_spec_index: Option<usize>,
    /// Children of a `oneof` or `block`.
    pub arguments: Vec<ArgDoc>,
    /// Not a server field; set in the authored module specs only. On an
    /// integer that tells the server how many arguments follow: `"next"`
    /// (the words the next argument writes: `PARAMS nargs name value ...`)
    /// or `"rest"` (the words of every later argument of its block: a
    /// Search vector field's `count TYPE t DIM d ...`). The encoder writes
    /// the count; the caller never gives it (see [`crate::emit`]).
    pub counts: Option<String>,
    /// Not a server field; set in the authored module specs only. The
    /// hand-written Rust type (a path below the crate root, such as
    /// `commands::schema::Schema`) that stands for the argument whole, its
    /// repeats included (except an optional one whose token repeats,
    /// given one value per builder call, as FT.AGGREGATE's `REDUCE`): it
    /// implements `WriteArgs`, and the generated parameter takes anything
    /// that converts into it.
    pub written_as: Option<String>,
    /// Not a server field; goes with `written_as`: a Rust expression of a
    /// value of that type the server accepts, with `::respec::` paths
    /// (the generated samples send it; the rustdoc examples show it).
    pub written_sample: Option<String>,
    /// Which servers have it, since when (set when the Redis and Valkey
    /// specs are merged; not in the files).
    #[serde(skip)]
    pub servers: Servers,
}

/// Whether one server has a command or argument.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Has {
    /// It has it (since the version given, if any; else as long as the
    /// command, or any version).
    #[default]
    Yes,
    /// Since this version.
    Since(String),
    /// It does not.
    No,
}

/// Which of the servers the specs come from have a command or argument.
/// The default (both, any version) is what a spec file read alone means:
/// its own `since` fields say the rest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Servers {
    /// Redis.
    pub redis: Has,
    /// Valkey.
    pub valkey: Has,
    /// Set once the specs are merged: the `since` fields then say nothing
    /// on their own, these do.
    pub merged: bool,
}

impl ArgDoc {
    /// Whether the argument may be left out.
    pub fn optional(&self) -> bool {
        self.flags.iter().any(|f| f == "optional")
    }
    /// Whether the argument repeats.
    pub fn multiple(&self) -> bool {
        self.flags.iter().any(|f| f == "multiple")
    }
    /// Whether the token repeats before each element.
    pub fn multiple_token(&self) -> bool {
        self.flags.iter().any(|f| f == "multiple_token")
    }
    /// Whether the argument is an integer counting the words the next
    /// argument writes (`counts: "next"`), or every later one of its block
    /// (`counts: "rest"`): `Some(true)` for the rest.
    pub fn counts_words(&self) -> Option<bool> {
        match self.counts.as_deref() {
            Some("rest") => Some(true),
            Some(_) => Some(false),
            None => None,
        }
    }
}

/// A key spec as `COMMAND INFO` gives it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct KeySpecDoc {
    /// Where the search begins.
    pub begin_search: SearchDoc,
    /// How keys are found.
    pub find_keys: SearchDoc,
    /// Key-spec flags.
    pub flags: Vec<String>,
}

/// `{type, spec}` of a key-spec part.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct SearchDoc {
    /// `index`, `keyword`, `range`, `keynum`, `unknown`.
    #[serde(rename = "type")]
    pub ty: String,
    /// The numbers and keyword of the part.
    pub spec: BTreeMap<String, serde_json::Value>,
}

/// A spec file: commands by lower-case name.
pub type SpecFile = BTreeMap<String, CommandDoc>;

/// Reads a spec file.
pub fn load(path: &std::path::Path) -> Result<SpecFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// `"6.2.0"` -> `(6, 2, 0)`.
pub fn parse_version(v: &str) -> Option<(u16, u16, u16)> {
    let mut it = v.split('.').map(|p| p.parse::<u16>().ok());
    Some((
        it.next()??,
        it.next().flatten().unwrap_or(0),
        it.next().flatten().unwrap_or(0),
    ))
}
