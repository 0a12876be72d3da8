//! Minimal argument parsing: positional arguments and `--flag [value]` options.
use crate::Failure;
use std::collections::BTreeMap;

pub struct Args {
    pub positional: Vec<String>,
    pub options: BTreeMap<String, Option<String>>,
}

/// Parses `argv` given which options take a value and which are plain switches.
pub fn parse(argv: &[String], valued: &[&str], switches: &[&str]) -> Result<Args, Failure> {
    let mut positional = Vec::new();
    let mut options = BTreeMap::new();
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        if let Some(name) = a.strip_prefix("--") {
            let (name, inline) = match name.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (name, None),
            };
            if valued.contains(&name) {
                let v = match inline {
                    Some(v) => v,
                    None => it.next().cloned().ok_or_else(|| Failure::input(format!("--{name} needs a value")))?,
                };
                options.insert(name.to_string(), Some(v));
            } else if switches.contains(&name) {
                options.insert(name.to_string(), None);
            } else {
                return Err(Failure::input(format!("unknown option --{name}")));
            }
        } else if a == "-o" && valued.contains(&"o") {
            let v = it.next().cloned().ok_or_else(|| Failure::input("-o needs a file name"))?;
            options.insert("o".into(), Some(v));
        } else {
            positional.push(a.clone());
        }
    }
    Ok(Args { positional, options })
}

impl Args {
    pub fn flag(&self, name: &str) -> bool {
        self.options.contains_key(name)
    }
    pub fn value(&self, name: &str) -> Option<&str> {
        self.options.get(name).and_then(|v| v.as_deref())
    }
    pub fn number(&self, name: &str) -> Result<Option<u64>, Failure> {
        match self.value(name) {
            None => Ok(None),
            Some(s) => {
                let parsed = match s.strip_prefix("0x") {
                    Some(h) => u64::from_str_radix(h, 16),
                    None => s.parse(),
                };
                parsed.map(Some).map_err(|_| Failure::input(format!("--{name}: `{s}` is not a number")))
            }
        }
    }
    pub fn one_file(&self, what: &str) -> Result<&str, Failure> {
        match self.positional.as_slice() {
            [f] => Ok(f),
            [] => Err(Failure::input(format!("missing {what}"))),
            _ => Err(Failure::input(format!("expected one {what}, got {}", self.positional.len()))),
        }
    }
}
