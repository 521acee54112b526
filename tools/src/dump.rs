//! Reading `COMMAND DOCS` and `COMMAND INFO` from a live server.

use respec::{Cmd, Frame};
use serde_json::{Map, Value};

/// Connects to `url` and returns the merged specs, keyed by command name.
/// With `modules`, only module commands; otherwise only core commands.
pub fn dump(url: &str, modules: bool) -> Result<Value, String> {
    let client = respec::blocking::Client::open(url).map_err(|e| e.to_string())?;
    let docs = client
        .execute(&Cmd::from_args(["COMMAND", "DOCS"]).unwrap())
        .map_err(|e| e.to_string())?;
    let info = client
        .execute(&Cmd::from_args(["COMMAND", "INFO"]).unwrap())
        .map_err(|e| e.to_string())?;
    let mut docs = match to_json(docs) {
        Value::Object(m) => lowercase_names(m),
        other => return Err(format!("COMMAND DOCS: expected a map, got {other}")),
    };
    let infos = match info {
        Frame::Array(items) => items,
        other => {
            return Err(format!(
                "COMMAND INFO: expected an array, got a {}",
                other.kind()
            ))
        }
    };
    for item in infos {
        merge_info(&mut docs, item)?;
    }
    let kept: Map<String, Value> = docs
        .into_iter()
        // Module commands say `group: module`, or (built-in modules such as
        // vector sets) have no docs at all, only COMMAND INFO.
        .filter(|(_, v)| {
            let group = v.get("group").and_then(Value::as_str);
            matches!(group, None | Some("module")) == modules
        })
        .collect();
    Ok(Value::Object(kept))
}

/// Command names in lower case, as `COMMAND INFO` gives them (module
/// commands come upper-cased from `COMMAND DOCS`).
fn lowercase_names(docs: Map<String, Value>) -> Map<String, Value> {
    docs.into_iter()
        .map(|(name, mut v)| {
            if let Some(Value::Object(subs)) = v.get_mut("subcommands") {
                let lowered = lowercase_names(std::mem::take(subs));
                *subs = lowered;
            }
            (name.to_lowercase(), v)
        })
        .collect()
}

/// Merges one `COMMAND INFO` entry (and its subcommands) into the docs.
fn merge_info(docs: &mut Map<String, Value>, info: Frame) -> Result<(), String> {
    let Frame::Array(fields) = info else {
        return Ok(()); // a null entry for an unknown name
    };
    if fields.len() < 10 {
        return Err(format!("COMMAND INFO entry with {} fields", fields.len()));
    }
    let mut it = fields.into_iter();
    let name = match to_json(it.next().unwrap()) {
        Value::String(s) => s.to_lowercase(),
        other => return Err(format!("COMMAND INFO name {other}")),
    };
    let arity = to_json(it.next().unwrap());
    let flags = to_json(it.next().unwrap());
    let first = to_json(it.next().unwrap());
    let last = to_json(it.next().unwrap());
    let step = to_json(it.next().unwrap());
    let acl = to_json(it.next().unwrap());
    let tips = to_json(it.next().unwrap());
    let key_specs = to_json(it.next().unwrap());
    let subcommands = it.next().unwrap();

    // A subcommand's name is `container|sub`; its docs are nested.
    let entry = match name.split_once('|') {
        None => docs
            .entry(name.clone())
            .or_insert_with(|| Value::Object(Map::new())),
        Some((container, _)) => {
            let parent = docs
                .entry(container.to_string())
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .ok_or("container is not an object")?;
            parent
                .entry("subcommands")
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .ok_or("subcommands is not an object")?
                .entry(name.clone())
                .or_insert_with(|| Value::Object(Map::new()))
        }
    };
    let obj = entry.as_object_mut().ok_or("docs entry is not an object")?;
    obj.insert("arity".into(), arity);
    obj.insert("flags".into(), flags);
    obj.insert("first_key".into(), first);
    obj.insert("last_key".into(), last);
    obj.insert("step".into(), step);
    obj.insert("acl_categories".into(), acl);
    obj.insert("tips".into(), tips);
    obj.insert("key_specs".into(), key_specs);
    if let Frame::Array(subs) = subcommands {
        for sub in subs {
            merge_info(docs, sub)?;
        }
    }
    Ok(())
}

/// A reply as JSON: maps (and RESP2 flat key/value arrays where the docs
/// use them) become objects, strings stay strings.
pub fn to_json(frame: Frame) -> Value {
    match frame {
        Frame::SimpleString(b)
        | Frame::BulkString(b)
        | Frame::BigNumber(b)
        | Frame::Error(b)
        | Frame::BulkError(b) => Value::String(String::from_utf8_lossy(&b).into_owned()),
        Frame::VerbatimString { text, .. } => {
            Value::String(String::from_utf8_lossy(&text).into_owned())
        }
        Frame::Integer(i) => Value::from(i),
        Frame::Double(d) => serde_json::Number::from_f64(d).map_or(Value::Null, Value::Number),
        Frame::Boolean(b) => Value::Bool(b),
        Frame::Null => Value::Null,
        Frame::Map(pairs) => {
            let mut m = Map::new();
            for (k, v) in pairs {
                let key = match to_json(k) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                m.insert(key, to_json(v));
            }
            Value::Object(m)
        }
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            Value::Array(items.into_iter().map(to_json).collect())
        }
        Frame::Attribute { data, .. } => to_json(*data),
    }
}

/// JSON with every object's keys sorted, two-space indented, newline-ended.
pub fn to_pretty_sorted(v: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<_> = m.keys().collect();
                keys.sort();
                let mut out = Map::new();
                for k in keys {
                    out.insert(k.clone(), sort(&m[k]));
                }
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    let mut s = serde_json::to_string_pretty(&sort(v)).expect("JSON values serialize");
    s.push('\n');
    s
}
