//! Minimal argument parsing: positional arguments and `--flag [value]` options. Each option at
//! most once; a switch takes no value (`--json=0` is refused, not read as `--json`).
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
            if options.contains_key(name) {
                return Err(Failure::input(format!("--{} is given twice", safe(name))));
            }
            if valued.contains(&name) {
                let v = match inline {
                    Some(v) => v,
                    None => it.next().cloned().ok_or_else(|| Failure::input(format!("--{name} needs a value")))?,
                };
                options.insert(name.to_string(), Some(v));
            } else if switches.contains(&name) {
                if inline.is_some() {
                    return Err(Failure::input(format!("--{name} is a switch and takes no value (write --{name} alone)")));
                }
                options.insert(name.to_string(), None);
            } else {
                return Err(Failure::input(format!("unknown option --{}", safe(name))));
            }
        } else if a == "-o" && valued.contains(&"o") {
            if options.contains_key("o") {
                return Err(Failure::input("-o is given twice"));
            }
            let v = it.next().cloned().ok_or_else(|| Failure::input("-o needs a file name"))?;
            options.insert("o".into(), Some(v));
        } else {
            positional.push(a.clone());
        }
    }
    Ok(Args { positional, options })
}

/// `s` for a one-line message: control characters escaped, at most 60 characters.
pub fn safe(s: &str) -> String {
    let mut out: String = s.chars().take(60).flat_map(|c| if c.is_control() { c.escape_default().collect::<Vec<_>>() } else { vec![c] }).collect();
    if s.chars().nth(60).is_some() {
        out.push('…');
    }
    out
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
                parsed.map(Some).map_err(|_| Failure::input(format!("--{name}: `{}` is not a number", safe(s))))
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
