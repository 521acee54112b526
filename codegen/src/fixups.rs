//! Corrections of quirks in the servers' own specs.
//!
//! Each fix-up is one named function with the reason beside it. A fix-up
//! whose target no longer exists fails the build, so that an obsolete
//! correction is removed instead of silently rotting. The dumped spec files
//! themselves are never edited.

use crate::spec::{ArgDoc, SpecFile};
use crate::Flavor;

/// A fix-up: its name and the function that applies it.
type Fixup = (&'static str, fn(&mut SpecFile) -> Result<(), String>);

/// The fix-ups of each flavor. A new one is a function here, named after
/// the quirk, that finds its target with [`arg_mut`] (which fails when the
/// target is gone).
const REDIS: &[Fixup] = &[
    (
        "zincrby_increment_is_a_double",
        zincrby_increment_is_a_double,
    ),
    ("weights_are_doubles", weights_are_doubles),
    ("score_ranges_are_bounds", score_ranges_are_bounds),
    (
        "bitfield_offsets_take_the_hash_form",
        bitfield_offsets_take_the_hash_form,
    ),
    ("debug_takes_arguments", debug_takes_arguments),
];
const VALKEY: &[Fixup] = REDIS;

/// Changes the type of the argument at `path` of `cmd` from `from` to
/// `to`, failing when it is no longer `from` (the spec was fixed).
fn retype(
    spec: &mut SpecFile,
    cmd: &str,
    path: &[&str],
    from: &str,
    to: &str,
) -> Result<(), String> {
    let arg = arg_mut(spec, cmd, path)?;
    if arg.ty != from {
        return Err(format!(
            "`{cmd}` `{}` is typed `{}` now, not `{from}`; the fix-up is obsolete",
            path.join("."),
            arg.ty
        ));
    }
    arg.ty = to.into();
    Ok(())
}

/// `WEIGHTS weight...` of ZINTER, ZUNION, ZINTERSTORE and ZUNIONSTORE: the
/// spec types the weights as integers, but the server multiplies scores by
/// doubles (`WEIGHTS 0.5 2`).
fn weights_are_doubles(spec: &mut SpecFile) -> Result<(), String> {
    for cmd in ["zinter", "zunion", "zinterstore", "zunionstore"] {
        retype(spec, cmd, &["weight"], "integer", "double")?;
    }
    Ok(())
}

/// The `min`/`max` of ZCOUNT, ZRANGEBYSCORE, ZREVRANGEBYSCORE and
/// ZREMRANGEBYSCORE: the spec says `double`, but the server also takes an
/// exclusive bound (`(5`) and the infinities (`-inf`, `+inf`), which a
/// double cannot express. They become `score-bound`: the generator's
/// `ScoreBound`, which a plain number converts into.
fn score_ranges_are_bounds(spec: &mut SpecFile) -> Result<(), String> {
    for cmd in [
        "zcount",
        "zrangebyscore",
        "zrevrangebyscore",
        "zremrangebyscore",
    ] {
        for end in ["min", "max"] {
            retype(spec, cmd, &[end], "double", "score-bound")?;
        }
    }
    Ok(())
}

/// BITFIELD's and BITFIELD_RO's `offset`: the spec says `integer`, but the
/// server also takes `#N` (the N-th field of the encoding's width), which
/// an integer cannot express. As a string it takes both (`5` and `"#2"`).
fn bitfield_offsets_take_the_hash_form(spec: &mut SpecFile) -> Result<(), String> {
    retype(
        spec,
        "bitfield",
        &["operation", "get-block", "offset"],
        "integer",
        "string",
    )?;
    for op in ["set-block", "incrby-block"] {
        retype(
            spec,
            "bitfield",
            &["operation", "write", "write-operation", op, "offset"],
            "integer",
            "string",
        )?;
    }
    retype(
        spec,
        "bitfield_ro",
        &["get-block", "offset"],
        "integer",
        "string",
    )
}

/// DEBUG: the spec lists no arguments (its subcommands are undocumented),
/// so the method could only send a bare `DEBUG`, which the server refuses.
/// It takes a subcommand and its arguments (`DEBUG SLEEP 0`).
fn debug_takes_arguments(spec: &mut SpecFile) -> Result<(), String> {
    let doc = spec.get_mut("debug").ok_or("command `debug` is gone")?;
    if !doc.arguments.is_empty() || !doc.subcommands.is_empty() {
        return Err(
            "DEBUG has arguments or subcommands in the spec now; the fix-up is obsolete".into(),
        );
    }
    doc.arguments = vec![
        ArgDoc {
            name: "subcommand".into(),
            ty: "string".into(),
            summary: Some("The DEBUG subcommand (`SLEEP`, `OBJECT`, `PROTOCOL`, ...).".into()),
            ..ArgDoc::default()
        },
        ArgDoc {
            name: "argument".into(),
            ty: "string".into(),
            flags: vec!["optional".into(), "multiple".into()],
            summary: Some("The subcommand's arguments.".into()),
            ..ArgDoc::default()
        },
    ];
    Ok(())
}

/// `ZINCRBY key increment member`: the spec types `increment` as an
/// integer, but the server parses it as a double (`ZINCRBY k 1.5 m` works,
/// like the scores of ZADD); as an integer the method could not add 1.5.
fn zincrby_increment_is_a_double(spec: &mut SpecFile) -> Result<(), String> {
    let arg = arg_mut(spec, "zincrby", &["increment"])?;
    if arg.ty != "integer" {
        return Err(format!(
            "`increment` is typed `{}` now; the fix-up is obsolete",
            arg.ty
        ));
    }
    arg.ty = "double".into();
    Ok(())
}

/// Applies every fix-up that concerns `flavor`.
pub fn apply(spec: &mut SpecFile, flavor: Flavor) -> Result<(), String> {
    let fixes = match flavor {
        Flavor::Redis => REDIS,
        Flavor::Valkey => VALKEY,
        // The merged set is built from the two, each fixed on its own.
        Flavor::Both => &[],
    };
    for (name, fix) in fixes {
        fix(spec).map_err(|e| format!("fix-up `{name}` no longer applies: {e}"))?;
    }
    Ok(())
}

/// The argument at `path` (`["expiration", "keepttl"]`) of command `cmd`,
/// or an error naming what is missing.
pub fn arg_mut<'a>(
    spec: &'a mut SpecFile,
    cmd: &str,
    path: &[&str],
) -> Result<&'a mut ArgDoc, String> {
    let doc = match cmd.split_once('|') {
        None => spec.get_mut(cmd),
        Some((c, _)) => spec.get_mut(c).and_then(|d| d.subcommands.get_mut(cmd)),
    }
    .ok_or_else(|| format!("command `{cmd}` is gone"))?;
    let mut args = &mut doc.arguments;
    let mut found: Option<&mut ArgDoc> = None;
    for (i, p) in path.iter().enumerate() {
        let a = args
            .iter_mut()
            .find(|a| a.name == *p)
            .ok_or_else(|| format!("`{cmd}` has no argument `{}`", path[..=i].join(".")))?;
        if i + 1 == path.len() {
            found = Some(a);
            break;
        }
        args = &mut a.arguments;
    }
    found.ok_or_else(|| format!("empty path for `{cmd}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_target_is_an_error_naming_it() {
        let spec: SpecFile = serde_json::from_str(
            r#"{"set": {"arguments": [{"name": "expiration", "type": "oneof", "arguments": [{"name": "keepttl", "type": "pure-token"}]}]}}"#,
        )
        .unwrap();
        let mut spec = spec;
        assert!(arg_mut(&mut spec, "set", &["expiration", "keepttl"]).is_ok());
        let e = arg_mut(&mut spec, "set", &["expiration", "gone"]).unwrap_err();
        assert!(e.contains("expiration.gone"), "{e}");
        let e = arg_mut(&mut spec, "nope", &["x"]).unwrap_err();
        assert!(e.contains("`nope` is gone"), "{e}");
    }
}
