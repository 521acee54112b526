//! One command set for Redis and Valkey: the two servers' specs merged, each
//! command and argument knowing which servers have it and since which
//! version (see [`Servers`]). The generated code carries both requirements
//! and the executors check the one of the server the connection met.
//!
//! Commands are matched by name; arguments by name among their siblings,
//! when type, token and flags agree. An argument only one server has is
//! kept at its place among the siblings; one that both servers have under
//! the same name but in different shapes is taken from Redis for Redis and
//! from Valkey for Valkey, under a `-valkey` suffix.

use crate::spec::{ArgDoc, CommandDoc, Has, Servers, SpecFile};

fn has(since: &Option<String>) -> Has {
    match since {
        Some(v) => Has::Since(v.clone()),
        None => Has::Yes,
    }
}

/// On both servers, each since its own version.
fn on_both(redis: &Option<String>, valkey: &Option<String>) -> Servers {
    Servers {
        redis: has(redis),
        valkey: has(valkey),
        merged: true,
    }
}

/// On Redis only (`redis`) or on Valkey only, since `since`.
fn on_one(redis: bool, since: &Option<String>) -> Servers {
    let (on, off) = (has(since), Has::No);
    let (redis, valkey) = if redis { (on, off) } else { (off, on) };
    Servers {
        redis,
        valkey,
        merged: true,
    }
}

/// Marks a whole tree (a command or argument and everything below it) as
/// present on one server only.
fn only(args: &mut [ArgDoc], redis: bool) {
    for a in args {
        a.servers = on_one(redis, &a.since);
        only(&mut a.arguments, redis);
    }
}

/// Whether two same-named arguments are one: same type, token and flags
/// (whether one server marks it optional and the other does not, Redis's
/// flags are kept: the call then suits both).
fn same_shape(a: &ArgDoc, b: &ArgDoc) -> bool {
    let flags = |x: &ArgDoc| -> Vec<String> {
        x.flags
            .iter()
            .filter(|f| *f != "optional")
            .cloned()
            .collect()
    };
    a.ty == b.ty && a.token == b.token && flags(a) == flags(b)
}

/// The names of the values and tokens below (and of) an argument.
fn leaves<'a>(a: &'a ArgDoc, out: &mut Vec<&'a str>) {
    if a.arguments.is_empty() {
        out.push(&a.name);
    }
    for c in &a.arguments {
        leaves(c, out);
    }
}

/// Whether Valkey's argument `v` only regroups what Redis lists among the
/// siblings already (BITCOUNT's `[end [BYTE | BIT]]`, nested in Valkey's
/// spec and flat in Redis's): the call is the same, Redis's shape is kept.
fn restates(v: &ArgDoc, redis: &[ArgDoc]) -> bool {
    let mut mine = Vec::new();
    leaves(v, &mut mine);
    let mut theirs = Vec::new();
    for r in redis {
        leaves(r, &mut theirs);
    }
    !mine.is_empty() && mine.iter().all(|m| theirs.contains(m))
}

/// Merges sibling argument lists.
fn merge_args(redis: &[ArgDoc], valkey: &[ArgDoc]) -> Vec<ArgDoc> {
    let mut out: Vec<ArgDoc> = Vec::new();
    let mut used = vec![false; valkey.len()];
    for r in redis {
        match valkey.iter().position(|v| v.name == r.name) {
            Some(i) if same_shape(r, &valkey[i]) => {
                used[i] = true;
                let v = &valkey[i];
                let mut m = r.clone();
                m.servers = on_both(&r.since, &v.since);
                m.arguments = merge_args(&r.arguments, &v.arguments);
                out.push(m);
            }
            _ => {
                let mut m = r.clone();
                only(std::slice::from_mut(&mut m), true);
                out.push(m);
            }
        }
    }
    // Valkey's own arguments, each after the argument it follows there. A
    // required one is left out: Redis's shape of the call is the one the
    // methods take (the two name the same words differently in places,
    // HEXPIREAT's `FIELDS numfields field...` for one), and a second
    // required parameter would be wrong for both.
    for (i, v) in valkey.iter().enumerate() {
        if used[i] || !v.optional() || restates(v, redis) {
            continue;
        }
        let mut m = v.clone();
        if out.iter().any(|o| o.name == m.name) {
            m.name = format!("{}-valkey", m.name);
        }
        only(std::slice::from_mut(&mut m), false);
        let at = match i.checked_sub(1).map(|p| &valkey[p].name) {
            Some(prev) => out
                .iter()
                .rposition(|o| o.name == *prev || o.name == format!("{prev}-valkey"))
                .map_or(out.len(), |p| p + 1),
            None => 0,
        };
        out.insert(at, m);
    }
    out
}

fn merge_command(r: &CommandDoc, v: &CommandDoc) -> CommandDoc {
    let mut m = r.clone();
    m.servers = on_both(&r.since, &v.since);
    m.arguments = merge_args(&r.arguments, &v.arguments);
    m.subcommands = merge_specs(&r.subcommands, &v.subcommands);
    m
}

fn only_command(d: &CommandDoc, redis: bool) -> CommandDoc {
    let mut m = d.clone();
    m.servers = on_one(redis, &d.since);
    only(&mut m.arguments, redis);
    m.subcommands = d
        .subcommands
        .iter()
        .map(|(k, s)| (k.clone(), only_command(s, redis)))
        .collect();
    m
}

/// Merges the Redis and Valkey spec sets into one.
pub fn merge_specs(redis: &SpecFile, valkey: &SpecFile) -> SpecFile {
    let mut out = SpecFile::new();
    for (name, r) in redis {
        let m = match valkey.get(name) {
            Some(v) => merge_command(r, v),
            None => only_command(r, true),
        };
        out.insert(name.clone(), m);
    }
    for (name, v) in valkey {
        if !redis.contains_key(name) {
            out.insert(name.clone(), only_command(v, false));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_real_specs_merge_into_one_set() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../commands-spec");
        let m = crate::load_core(&dir, crate::Flavor::Both).unwrap();
        let redis = crate::load_core(&dir, crate::Flavor::Redis).unwrap();
        let valkey = crate::load_core(&dir, crate::Flavor::Valkey).unwrap();
        let names = |s: &SpecFile| -> std::collections::BTreeSet<String> {
            crate::callable(s).iter().map(|c| c.key.clone()).collect()
        };
        let all = names(&m);
        assert!(names(&redis).is_subset(&all) && names(&valkey).is_subset(&all));
        assert_eq!(all.len(), names(&redis).union(&names(&valkey)).count());
        let find = |k: &str| crate::find(&m, k).unwrap();
        assert_eq!(find("xackdel").servers.valkey, Has::No);
        assert_eq!(find("delifeq").servers.redis, Has::No);
        assert_eq!(find("commandlog|get").servers.redis, Has::No);
        assert_eq!(find("get").servers.redis, Has::Since("1.0.0".into()));
        assert_eq!(find("get").servers.valkey, Has::Since("1.0.0".into()));
        // Where the two shape a required argument differently, the methods
        // take Redis's shape: HEXPIREAT has one timestamp and one field list.
        let required: Vec<&str> = find("hexpireat")
            .arguments
            .iter()
            .filter(|a| !a.optional())
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(required, ["key", "unix-time-seconds", "fields"]);
        // Valkey's optional extras are kept, marked as Valkey's.
        let zscan = find("zscan");
        let noscores = zscan
            .arguments
            .iter()
            .find(|a| a.name == "noscores")
            .unwrap();
        assert_eq!(noscores.servers.redis, Has::No);
    }

    use super::*;

    fn spec(json: &str) -> SpecFile {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn arguments_of_one_server_keep_their_place() {
        let r = spec(
            r#"{"set": {"since": "1.0.0", "arguments": [
                {"name": "key", "type": "key"},
                {"name": "nx", "type": "pure-token", "token": "NX", "flags": ["optional"]},
                {"name": "keepref", "type": "pure-token", "token": "KEEPREF", "flags": ["optional"], "since": "8.2.0"}
            ]}, "xackdel": {"since": "8.2.0"}}"#,
        );
        let v = spec(
            r#"{"set": {"since": "1.0.0", "arguments": [
                {"name": "key", "type": "key"},
                {"name": "ifeq", "type": "string", "token": "IFEQ", "flags": ["optional"], "since": "8.1.0"},
                {"name": "nx", "type": "pure-token", "token": "NX", "flags": ["optional"]}
            ]}, "delifeq": {"since": "9.0.0"}}"#,
        );
        let m = merge_specs(&r, &v);
        let names: Vec<&str> = m["set"].arguments.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["key", "ifeq", "nx", "keepref"]);
        let ifeq = &m["set"].arguments[1];
        assert_eq!(ifeq.servers.redis, Has::No);
        assert_eq!(ifeq.servers.valkey, Has::Since("8.1.0".into()));
        let keepref = &m["set"].arguments[3];
        assert_eq!(keepref.servers.redis, Has::Since("8.2.0".into()));
        assert_eq!(keepref.servers.valkey, Has::No);
        assert_eq!(m["xackdel"].servers.valkey, Has::No);
        assert_eq!(m["delifeq"].servers.redis, Has::No);
        assert_eq!(m["delifeq"].servers.valkey, Has::Since("9.0.0".into()));
    }
}
