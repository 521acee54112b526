//! Names: spec names to Rust identifiers, by one visible set of rules.
//!
//! - Commands: `client|kill` -> `ClientKill` (type) and `client_kill`
//!   (method and function).
//! - Arguments: `unix-time-seconds` -> `unix_time_seconds`.
//! - A name that is a Rust keyword gets a trailing underscore (`type_`,
//!   `move_`), never a raw identifier.
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
    "required_version",
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

/// The method name for a token or argument: the token when it is a word
/// (`EX` -> `ex`), otherwise the argument's name.
pub fn method_name(token: Option<&str>, arg_name: &str) -> String {
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

/// The group's module name (`sorted-set` -> `sorted_set`).
pub fn group_module(group: &str) -> String {
    snake(group)
}
