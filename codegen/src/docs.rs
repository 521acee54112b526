//! Rustdoc from the spec: sanitized so spec prose never becomes a broken
//! link, stray HTML or a doctest.

use crate::emit::Cmd;
use crate::spec::ArgDoc;
use proc_macro2::TokenStream;
use quote::quote;

/// Spec prose made safe for rustdoc: brackets and angle brackets outside
/// code spans are escaped, bare URLs wrapped.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut in_code = false;
    for c in text.chars() {
        if c == '`' {
            in_code = !in_code;
            out.push(c);
            continue;
        }
        if in_code {
            out.push(c);
            continue;
        }
        match c {
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '*' => out.push_str("\\*"),
            '_' => out.push_str("\\_"),
            _ => out.push(c),
        }
    }
    if in_code {
        out.push('`');
    }
    // Wrap bare URLs so rustdoc does not warn about them.
    let mut wrapped = String::with_capacity(out.len());
    for (i, word) in out.split(' ').enumerate() {
        if i > 0 {
            wrapped.push(' ');
        }
        if word.starts_with("http://") || word.starts_with("https://") {
            let w = word.trim_end_matches(['.', ',', ')']);
            wrapped.push('<');
            wrapped.push_str(&w.replace("\\_", "_"));
            wrapped.push('>');
            wrapped.push_str(&word[w.len()..]);
        } else {
            wrapped.push_str(word);
        }
    }
    wrapped
}

/// The server syntax of an argument, as the docs print it.
pub fn syntax(arg: &ArgDoc) -> String {
    let mut s = match arg.ty.as_str() {
        "pure-token" => arg.token.clone().unwrap_or_else(|| arg.name.clone()),
        "oneof" => {
            let parts: Vec<String> = arg.arguments.iter().map(syntax).collect();
            let inner = parts.join(" | ");
            let inner = if arg.optional() {
                inner
            } else {
                format!("<{inner}>")
            };
            match &arg.token {
                Some(t) => format!("{t} {inner}"),
                None => inner,
            }
        }
        "block" => {
            let parts: Vec<String> = arg.arguments.iter().map(syntax).collect();
            match &arg.token {
                Some(t) => format!("{t} {}", parts.join(" ")),
                None => parts.join(" "),
            }
        }
        _ => {
            let v = arg.display_text.clone().unwrap_or_else(|| arg.name.clone());
            match &arg.token {
                Some(t) => format!("{t} {v}"),
                None => v,
            }
        }
    };
    if arg.multiple() {
        s = format!("{s} [{s} ...]");
    }
    if arg.optional() {
        s = format!("[{s}]");
    }
    s
}

/// One line on an argument for a builder or enum variant.
pub fn arg_line(arg: &ArgDoc) -> String {
    let mut s = format!("`{}`", syntax(arg));
    if let Some(summary) = &arg.summary {
        s.push_str(": ");
        s.push_str(&clean(summary));
    }
    if let Some(since) = &arg.since {
        s.push_str(&format!(" (since {since})"));
    }
    if let Some(dep) = &arg.deprecated_since {
        s.push_str(&format!(" (deprecated since {dep})"));
    }
    // Counts the encoder derives (`counts` in the authored specs).
    let derived: Vec<&str> = arg
        .arguments
        .iter()
        .filter(|c| c.counts.is_some())
        .map(|c| c.name.as_str())
        .collect();
    if !derived.is_empty() {
        s.push_str(&format!(
            " (`{}` is written for you, from what you pass)",
            derived.join("`, `")
        ));
    }
    s
}

/// The rustdoc of a command's type.
pub fn command_doc(cmd: &Cmd<'_>) -> String {
    let d = cmd.doc;
    let mut s = String::new();
    s.push_str(&clean(
        d.summary.as_deref().unwrap_or("(no summary in the spec)"),
    ));
    s.push_str("\n\n```text\n");
    s.push_str(&cmd.server_name());
    for a in &d.arguments {
        s.push(' ');
        s.push_str(&syntax(a));
    }
    s.push_str("\n```\n\n");
    if let Some(v) = &d.since {
        s.push_str(&format!("- **Since:** {v}\n"));
    }
    if let Some(g) = &d.group {
        s.push_str(&format!("- **Group:** {g}\n"));
    }
    if let Some(c) = &d.complexity {
        s.push_str(&format!("- **Complexity:** {}\n", clean(c)));
    }
    if !d.acl_categories.is_empty() {
        let cats: Vec<String> = d.acl_categories.iter().map(|c| format!("`{c}`")).collect();
        s.push_str(&format!("- **ACL categories:** {}\n", cats.join(", ")));
    }
    if !d.flags.is_empty() {
        let flags: Vec<String> = d.flags.iter().map(|c| format!("`{c}`")).collect();
        s.push_str(&format!("- **Flags:** {}\n", flags.join(", ")));
    }
    if !d.tips.is_empty() {
        let tips: Vec<String> = d.tips.iter().map(|c| format!("`{c}`")).collect();
        s.push_str(&format!("- **Tips:** {}\n", tips.join(", ")));
    }
    if let Some(r) = &d.replaced_by {
        s.push_str(&format!("- **Deprecated**, replaced by {}\n", clean(r)));
    }
    if !d.arguments.is_empty() {
        s.push_str("\n# Arguments\n\n");
        for a in &d.arguments {
            let kind = if a.optional() { "optional" } else { "required" };
            let ty = if a.ty == "written" { "typed" } else { &a.ty };
            s.push_str(&format!("- {} ({ty}, {kind})\n", arg_line(a)));
        }
    }
    if !d.history.is_empty() {
        s.push_str("\n# History\n\n");
        for (v, change) in &d.history {
            s.push_str(&format!("- {v}: {}\n", clean(change)));
        }
    }
    s
}

/// `#[deprecated]` when the spec deprecates the command.
pub fn deprecation(cmd: &Cmd<'_>) -> TokenStream {
    let d = cmd.doc;
    if !d.doc_flags.iter().any(|f| f == "deprecated") {
        return quote!();
    }
    let since = d.deprecated_since.clone().unwrap_or_default();
    let note = match &d.replaced_by {
        Some(r) => format!("replaced by {}", r.replace('`', "")),
        None => "deprecated by the server".to_string(),
    };
    quote!(#[deprecated(since = #since, note = #note)])
}
