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
const REDIS: &[Fixup] = &[(
    "zincrby_increment_is_a_double",
    zincrby_increment_is_a_double,
)];
const VALKEY: &[Fixup] = &[(
    "zincrby_increment_is_a_double",
    zincrby_increment_is_a_double,
)];

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
