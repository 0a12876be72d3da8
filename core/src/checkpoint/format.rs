//! The checkpoint formats' shared parts: the one format version constant, the error type (one line,
//! naming the field, never echoing raw control bytes), v1's JSON envelope and FNV checksum (read
//! only, for files written before v2), and the base64 encoding of bytes inside JSON records.
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

pub const FORMAT_NAME: &str = "nestscope-checkpoint";
/// The one format version constant: what this build writes. Fixtures of every version live in
/// `core/tests/data/checkpoint/v<N>/` and must keep loading (v1 JSON is converted on load).
pub const FORMAT_VERSION: u32 = 2;
/// Largest RAM a checkpoint may declare (the machine's own limit, `--mem`).
pub const MAX_MEM_MIB: u64 = 4096;
/// Largest v1 (JSON) file read: base64 makes every page 5.5 KB, so this is about 190 MiB of pages.
pub const MAX_V1_BYTES: usize = 256 << 20;

/// Longest message text (a parser's message may quote input).
const MAX_MESSAGE_CHARS: usize = 300;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckpointError {
    NotJson(String),
    NotACheckpoint,
    UnsupportedVersion { found: u32 },
    ChecksumMismatch { stored: String, computed: String },
    /// The file ends before `what` does.
    Truncated { what: String, have: u64, need: u64 },
    /// A value that is out of range or inconsistent, with the field it is in.
    Field { field: String, why: String },
    TooLarge { bytes: u64, max: u64 },
    Invalid(String),
}

/// `s` made safe for a one-line message: control characters and non-ASCII escaped, at most 40
/// characters shown.
pub fn quote(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == 40 {
            out.push('…');
            break;
        }
        if c.is_ascii_graphic() || c == ' ' {
            out.push(c);
        } else {
            out.extend(c.escape_default());
        }
    }
    format!("`{out}`")
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            CheckpointError::NotJson(e) => format!("not JSON ({e})"),
            CheckpointError::NotACheckpoint => format!("not a {FORMAT_NAME} file"),
            CheckpointError::UnsupportedVersion { found } => {
                format!("format version {found} is not supported (this build reads 1..={FORMAT_VERSION})")
            }
            CheckpointError::ChecksumMismatch { stored, computed } => format!(
                "checksum mismatch (stored {}, content hashes to {computed}); the file is corrupt or was edited",
                quote(stored)
            ),
            CheckpointError::Truncated { what, have, need } => format!("truncated: the {what} needs {need} bytes, the file has {have}"),
            CheckpointError::Field { field, why } => format!("{field}: {why}"),
            CheckpointError::TooLarge { bytes, max } => format!("the file is {bytes} bytes, more than the {max} bytes a checkpoint may have"),
            CheckpointError::Invalid(why) => why.clone(),
        };
        // Whatever a message quotes, it stays one line of printable text.
        let mut line: String = text.chars().take(MAX_MESSAGE_CHARS).map(|c| if c.is_control() { ' ' } else { c }).collect();
        if text.chars().nth(MAX_MESSAGE_CHARS).is_some() {
            line.push('…');
        }
        write!(f, "invalid checkpoint: {line}")
    }
}

impl std::error::Error for CheckpointError {}

/// Bytes inside a JSON record: base64 (RFC 4648, standard alphabet, padded).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use base64::Engine;
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        use base64::Engine;
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        base64::engine::general_purpose::STANDARD.decode(s.as_bytes()).map(Bytes).map_err(|_| serde::de::Error::custom("bad base64 data"))
    }
}

/// The outer document.
#[derive(Serialize, Deserialize)]
pub struct Envelope {
    pub format: String,
    pub version: u32,
    /// `fnv1a64:<16 hex digits>` of the canonical JSON text of `state`.
    pub checksum: String,
    pub state: serde_json::Value,
}

/// FNV-1a 64 (v1's checksum, kept to read v1 files) — detects accidental corruption and hand edits (not a security measure).
pub fn fnv1a64(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

pub fn checksum_of(state: &serde_json::Value) -> String {
    format!("fnv1a64:{:016x}", fnv1a64(state.to_string().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn bytes_are_rfc4648_base64_in_json() {
        // RFC 4648 §10 test vectors.
        for (raw, enc) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foob", "Zm9vYg=="), ("foobar", "Zm9vYmFy")] {
            assert_eq!(serde_json::to_string(&Bytes(raw.into())).unwrap(), format!("\"{enc}\""));
            assert_eq!(serde_json::from_str::<Bytes>(&format!("\"{enc}\"")).unwrap().0, raw.as_bytes());
        }
        for bad in ["\"Zm9\"", "\"Z!9v\"", "\"Zg=v\""] {
            assert!(serde_json::from_str::<Bytes>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn messages_stay_one_line_without_control_bytes() {
        let e = CheckpointError::ChecksumMismatch { stored: "fnv\nsecond\x1b[31m".into(), computed: "x".into() };
        let t = e.to_string();
        assert!(!t.chars().any(|c| c.is_control()), "{t:?}");
        assert!(t.contains("fnv\\nsecond\\u{1b}[31m"), "{t}");
        assert!(quote(&"a".repeat(1000)).len() < 50);
    }

    #[test]
    fn fnv1a64_reference_values() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }
}
