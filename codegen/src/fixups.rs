//! Corrections of quirks in the servers' own specs.
//!
//! Each fix-up is one named function with the reason beside it. A fix-up
//! whose target no longer exists fails the build, so that an obsolete
//! correction is removed instead of silently rotting. The dumped spec files
//! themselves are never edited.

use crate::spec::{ArgDoc, SpecFile};
use crate::Flavor;

/// Applies every fix-up that concerns `flavor`.
pub fn apply(spec: &mut SpecFile, flavor: Flavor) -> Result<(), String> {
    let _ = flavor;
    let fixes: &[(&str, fn(&mut SpecFile) -> Result<(), String>)] = &[];
    for (name, fix) in fixes {
        fix(spec).map_err(|e| format!("fix-up `{name}` no longer applies: {e}"))?;
    }
    Ok(())
}

/// The argument at `path` (`["expiration", "keepttl"]`) of command `cmd`,
/// or an error naming what is missing.
pub fn arg_mut<'a>(spec: &'a mut SpecFile, cmd: &str, path: &[&str]) -> Result<&'a mut ArgDoc, String> {
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
