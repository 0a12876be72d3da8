//! The checkpoint envelope: format name, version, checksum, and the encodings it uses (base64 for
//! bytes). Errors name what is wrong so the CLI and the UI can say it in one line.
use serde::{Deserialize, Serialize};
use std::fmt;

pub const FORMAT_NAME: &str = "nestscope-checkpoint";
/// The one format version constant. Fixtures of every version live in
/// `core/tests/data/checkpoint/v<N>/` and must keep loading.
///
/// - 1: the first format.
/// - 2: events may carry their detail as data (`detail_data`) besides its text.
pub const FORMAT_VERSION: u32 = 2;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckpointError {
    NotJson(String),
    NotACheckpoint,
    UnsupportedVersion { found: u32 },
    ChecksumMismatch { stored: String, computed: String },
    Invalid(String),
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointError::NotJson(e) => write!(f, "invalid checkpoint: not JSON ({e})"),
            CheckpointError::NotACheckpoint => write!(f, "invalid checkpoint: not a {FORMAT_NAME} document"),
            CheckpointError::UnsupportedVersion { found } => {
                write!(f, "invalid checkpoint: format version {found} is not supported (this build reads 1..={FORMAT_VERSION})")
            }
            CheckpointError::ChecksumMismatch { stored, computed } => {
                write!(f, "invalid checkpoint: checksum mismatch (stored {stored}, content hashes to {computed}); the file is corrupt or was edited")
            }
            CheckpointError::Invalid(why) => write!(f, "invalid checkpoint: {why}"),
        }
    }
}

impl std::error::Error for CheckpointError {}

/// The outer document.
#[derive(Serialize, Deserialize)]
pub struct Envelope {
    pub format: String,
    pub version: u32,
    /// `fnv1a64:<16 hex digits>` of the canonical JSON text of `state`.
    pub checksum: String,
    pub state: serde_json::Value,
}

/// FNV-1a 64 — detects accidental corruption and hand edits (not a security measure).
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

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn base64_decode(s: &str) -> Result<Vec<u8>, CheckpointError> {
    let bad = || CheckpointError::Invalid("bad base64 data".into());
    let s = s.as_bytes();
    if !s.len().is_multiple_of(4) {
        return Err(bad());
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    for chunk in s.chunks(4) {
        let mut n = 0u32;
        let mut pad = 0;
        for (i, &c) in chunk.iter().enumerate() {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                b'=' if i >= 2 => {
                    pad += 1;
                    0
                }
                _ => return Err(bad()),
            };
            if pad > 0 && c != b'=' {
                return Err(bad());
            }
            n = n << 6 | v as u32;
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        // RFC 4648 §10 test vectors.
        for (raw, enc) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")] {
            assert_eq!(base64_encode(raw.as_bytes()), enc);
            assert_eq!(base64_decode(enc).unwrap(), raw.as_bytes());
        }
        assert!(base64_decode("Zm9").is_err());
        assert!(base64_decode("Z!9v").is_err());
        assert!(base64_decode("Zg=v").is_err());
    }

    #[test]
    fn fnv1a64_reference_values() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }
}
