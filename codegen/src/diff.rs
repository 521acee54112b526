//! Comparing two spec sets: commands and arguments added, removed and
//! changed, as a readable report.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::spec::{ArgDoc, CommandDoc, SpecFile};

/// Every callable command by its server name (`CLIENT KILL`).
fn commands(spec: &SpecFile) -> BTreeMap<String, &CommandDoc> {
    crate::callable(spec)
        .into_iter()
        .map(|c| (c.server_name(), c.doc))
        .collect()
}

/// Every argument by its path (`expiration.keepttl`), with a short
/// description of its shape.
fn args(doc: &CommandDoc) -> BTreeMap<String, String> {
    fn walk(args: &[ArgDoc], prefix: &str, out: &mut BTreeMap<String, String>) {
        for a in args {
            let path = if prefix.is_empty() {
                a.name.clone()
            } else {
                format!("{prefix}.{}", a.name)
            };
            let mut shape = a.ty.clone();
            if let Some(t) = &a.token {
                shape.push_str(&format!(" token {t}"));
            }
            for f in &a.flags {
                shape.push_str(&format!(" {f}"));
            }
            if let Some(s) = &a.since {
                shape.push_str(&format!(" since {s}"));
            }
            out.insert(path.clone(), shape);
            walk(&a.arguments, &path, out);
        }
    }
    let mut out = BTreeMap::new();
    walk(&doc.arguments, "", &mut out);
    out
}

/// The commands of `new` that `table` declares no reply type for, each as
/// a reply-table line to start from (see [`crate::suggested_reply_line`]).
pub fn undeclared(new: &SpecFile, table: &crate::replies::ReplyTable) -> Vec<String> {
    commands(new)
        .keys()
        .filter(|name| !table.entries.contains_key(*name))
        .map(|name| crate::suggested_reply_line(name))
        .collect()
}

/// The section of the report that lists the reply types to declare in
/// `file` before the crate builds again.
pub fn undeclared_section(
    new: &SpecFile,
    table: &crate::replies::ReplyTable,
    file: &str,
) -> String {
    let lines = undeclared(new, table);
    let mut out = String::new();
    let _ = writeln!(out, "\n## Reply types to declare ({})\n", lines.len());
    if !lines.is_empty() {
        let _ = writeln!(
            out,
            "Add to {file} (replacing each `frame` with the command's reply type):\n"
        );
        for l in lines {
            let _ = writeln!(out, "    {l}");
        }
    }
    out
}

/// The report of what changed from `old` to `new`.
pub fn report(old_name: &str, old: &SpecFile, new_name: &str, new: &SpecFile) -> String {
    let (a, b) = (commands(old), commands(new));
    let (ka, kb): (BTreeSet<_>, BTreeSet<_>) = (a.keys().collect(), b.keys().collect());
    let mut out = String::new();
    let _ = writeln!(out, "# {old_name} -> {new_name}\n");
    let _ = writeln!(out, "{} commands -> {} commands\n", a.len(), b.len());
    let added: Vec<_> = kb.difference(&ka).collect();
    let removed: Vec<_> = ka.difference(&kb).collect();
    let _ = writeln!(out, "## Added commands ({})\n", added.len());
    for name in &added {
        let d = b[**name];
        let _ = writeln!(
            out,
            "- {name} (since {}): {}",
            d.since.as_deref().unwrap_or("?"),
            d.summary.as_deref().unwrap_or("")
        );
    }
    let _ = writeln!(out, "\n## Removed commands ({})\n", removed.len());
    for name in &removed {
        let _ = writeln!(out, "- {name}");
    }
    let mut changed = Vec::new();
    for name in ka.intersection(&kb) {
        let (da, db) = (a[*name], b[*name]);
        let (aa, ab) = (args(da), args(db));
        let mut lines = Vec::new();
        for (p, shape) in &ab {
            match aa.get(p) {
                None => lines.push(format!("  - added argument `{p}`: {shape}")),
                Some(old) if old != shape => {
                    lines.push(format!("  - changed argument `{p}`: {old} -> {shape}"))
                }
                _ => {}
            }
        }
        for p in aa.keys().filter(|p| !ab.contains_key(*p)) {
            lines.push(format!("  - removed argument `{p}`"));
        }
        if da.arity != db.arity {
            lines.push(format!("  - arity {} -> {}", da.arity, db.arity));
        }
        let (fa, fb): (BTreeSet<_>, BTreeSet<_>) =
            (da.flags.iter().collect(), db.flags.iter().collect());
        for f in fb.difference(&fa) {
            lines.push(format!("  - flag `{f}` added"));
        }
        for f in fa.difference(&fb) {
            lines.push(format!("  - flag `{f}` removed"));
        }
        if da.doc_flags.contains(&"deprecated".to_string())
            != db.doc_flags.contains(&"deprecated".to_string())
        {
            lines.push(format!(
                "  - deprecated: {}",
                db.doc_flags.contains(&"deprecated".to_string())
            ));
        }
        if !lines.is_empty() {
            changed.push(format!("- {name}\n{}", lines.join("\n")));
        }
    }
    let _ = writeln!(out, "\n## Changed commands ({})\n", changed.len());
    for c in changed {
        let _ = writeln!(out, "{c}");
    }
    out
}
