//! Names: spec names to Rust identifiers, by one visible set of rules.
//!
//! - Commands: `client|kill` -> `ClientKill` (type) and `client_kill`
//!   (method and function).
//! - Command groups: a trait `<Group>Commands` named after the group's
//!   words (`sorted-set` -> `SortedSetCommands`); a group the spec spells
//!   as one word made of two is split by [`GROUP_WORDS`] (`timeseries` ->
//!   `TimeSeriesCommands`, `vectorset` -> `VectorSetCommands`).
//! - Arguments: `unix-time-seconds` -> `unix_time_seconds`.
//! - A name that is a Rust keyword gets a trailing underscore (`type_`,
//!   `move_`), never a raw identifier.
//! - A `-block` suffix of a spec name is dropped (`count-block` -> `count`);
//!   a choice that repeats its parent's name drops it (`from`'s
//!   `fromlonlat` -> `Lonlat`); symbol tokens get words (`~` -> `approx`,
//!   `=` -> `exact`).
//! - Builder methods of one command that would clash are told apart by
//!   prefixing the name of the argument they belong to (`condition_nx`);
//!   names the generated types use themselves (`new`, `reply`, `run`, ...)
//!   get an `_arg` suffix.

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Method names the generated types define themselves.
pub const RESERVED_METHODS: &[&str] = &[
    "new",
    "with_executor",
    "reply",
    "run",
    "into_future",
    "keys",
    "encode",
    "name",
    "check",
    "clone",
    "fmt",
    "requires",
    "is_blocking",
    "args",
];

/// Splits a spec name into lower-case words.
fn words(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_lowercase())
        .collect()
}

/// `unix-time-seconds` -> `unix_time_seconds` (keywords escaped).
pub fn snake(name: &str) -> String {
    let mut s = words(name).join("_");
    if s.is_empty() {
        s = "arg".into();
    }
    if s.as_bytes()[0].is_ascii_digit() {
        s.insert(0, '_');
    }
    if KEYWORDS.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

/// `client|kill` -> `ClientKill`.
pub fn pascal(name: &str) -> String {
    let mut s: String = words(name)
        .iter()
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect();
    if s.is_empty() || s.as_bytes()[0].is_ascii_digit() {
        s.insert(0, 'V');
    }
    if s == "Self" {
        s.push('_');
    }
    s
}

/// Names of the Rust prelude a command type must not take (a glob import
/// of the commands would shadow them).
const PRELUDE: &[&str] = &[
    "Copy", "Debug", "Clone", "Default", "Drop", "Eq", "Hash", "Ord", "Send", "Sized", "Sync",
    "Unpin", "Fn", "Option", "Result", "Some", "None", "Ok", "Err", "Box", "String", "Vec", "From",
    "Into", "Iterator", "Extend", "ToString", "ToOwned",
];

/// The type name of a command: `client|kill` -> `ClientKill`; a name of the
/// Rust prelude gets a `Command` suffix (`COPY` -> `CopyCommand`).
pub fn type_name(key: &str) -> String {
    let name = pascal(key);
    if PRELUDE.contains(&name.as_str()) {
        name + "Command"
    } else {
        name
    }
}

/// Tokens that are symbols, and the word their builder is named by.
const SYMBOL_WORDS: &[(&str, &str)] = &[("~", "approx"), ("=", "exact")];

/// The method name for a token or argument: the token when it is a word
/// (`EX` -> `ex`), a word for a symbol token (`~` -> `approx`, `=` ->
/// `exact`), otherwise the argument's name.
pub fn method_name(token: Option<&str>, arg_name: &str) -> String {
    if let Some((_, word)) = SYMBOL_WORDS.iter().find(|(t, _)| Some(*t) == token) {
        return (*word).to_string();
    }
    match token {
        Some(t)
            if t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                && !t.is_empty() =>
        {
            snake(t)
        }
        _ => snake(arg_name),
    }
}

/// Group names the specs write as one word that reads as two, and the
/// words they are named by in Rust types (the module keeps the spec's
/// spelling: `respec::commands::timeseries`).
pub const GROUP_WORDS: &[(&str, &str)] =
    &[("timeseries", "time-series"), ("vectorset", "vector-set")];

/// The trait of a command group: `sorted-set` -> `SortedSetCommands`,
/// `timeseries` -> `TimeSeriesCommands` (see [`GROUP_WORDS`]).
pub fn group_trait(group: &str) -> String {
    let words = GROUP_WORDS
        .iter()
        .find(|(g, _)| *g == group)
        .map_or(group, |(_, w)| *w);
    pascal(words) + "Commands"
}

/// The group's module name (`sorted-set` -> `sorted_set`).
pub fn group_module(group: &str) -> String {
    snake(group)
}

/// An argument's name as a word for Rust names: a `-block` suffix (the
/// specs' name for a group of arguments) is dropped (`count-block` ->
/// `count`, `overflow-block` -> `overflow`).
pub fn arg_word(name: &str) -> String {
    match name.strip_suffix("-block") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => name.to_string(),
    }
}

/// The enum variant of choice `choice` of `oneof`: its name as a word,
/// without the choice's name as a prefix when it repeats it (`from`'s
/// `fromlonlat` -> `Lonlat`).
pub fn variant_name(oneof: &str, choice: &str) -> String {
    let parent = words(&arg_word(oneof)).join("");
    let word = arg_word(choice);
    let joined = words(&word).join("");
    if !parent.is_empty() && joined.len() > parent.len() && joined.starts_with(&parent) {
        pascal(&joined[parent.len()..])
    } else {
        pascal(&word)
    }
}

/// Names of the shared enums of token choices whose spec names disagree or
/// clash, by token set (the tokens of each choice, `|` between choices).
/// Every other token set is named after the one argument name all its uses
/// share (`ASC|DESC`, always `order`, is `Order`). A test checks that each
/// entry still names a token set of the Redis specs.
pub const SHARED_ENUM_NAMES: &[(&str, &str)] = &[
    ("M|KM|FT|MI", "GeoUnit"),
    ("BYTE|BIT", "BitUnit"),
    ("NX|XX", "Condition"),
    ("NX|XX|GT|LT", "ExpireCondition"),
    ("FNX|FXX", "FieldCondition"),
    ("KEEPREF|DELREF|ACKED", "RefPolicy"),
    ("LEFT|RIGHT", "Side"),
    ("MIN|MAX", "MinMax"),
    ("ON|OFF", "OnOff"),
    ("YES|NO", "YesNo"),
    ("ON|OFF|SKIP", "ReplyMode"),
    ("BYSCORE|BYLEX", "SortBy"),
    ("AND|OR|XOR|NOT|DIFF|DIFF1|ANDOR|ONE", "BitOperation"),
    ("FORCE|TAKEOVER", "FailoverMode"),
    ("FLUSH|APPEND|REPLACE", "RestorePolicy"),
    ("BEFORE|AFTER", "InsertPosition"),
    ("YES|SYNC|NO", "DebugMode"),
    ("WRITE|ALL", "PauseMode"),
    ("=|~", "TrimOperator"),
];

/// `HostPort` -> `host_port` (keywords escaped): a constructor named after
/// its enum variant.
pub fn snake_of_pascal(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    snake(&out)
}
