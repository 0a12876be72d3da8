//! The v2 container (`.nsc`): a fixed little-endian header, then the payload compressed with
//! DEFLATE (miniz_oxide). The CRC-32 (crc32fast, IEEE) covers the header and the stored payload and
//! is checked before anything is decompressed or parsed; every declared length is bounded first.
#![warn(missing_docs)]
use super::format::{CheckpointError, FORMAT_VERSION, MAX_MEM_MIB};
use crate::mem::phys::{PAGE_SIZE, bytes_at};

/// PNG-style: a non-ASCII first byte, the name, CR LF, ^Z, LF (catches text-mode mangling).
pub const MAGIC: [u8; 8] = *b"\x89NSC\r\n\x1a\n";
/// Bytes of the fixed header before the payload.
pub const HEADER_LEN: usize = 48;
/// Flag bit 0: the payload is DEFLATE-compressed (else stored as is).
pub const FLAG_DEFLATE: u16 = 1;
const KNOWN_FLAGS: u16 = FLAG_DEFLATE;
/// Largest records section (JSON) a file may declare: events (at most 20 000 kept), console, CPU,
/// SVM and L0 state.
pub const MAX_STATE_BYTES: u64 = 64 << 20;

/// What the header says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Container format version.
    pub version: u16,
    /// Flag bits (`FLAG_DEFLATE`).
    pub flags: u16,
    /// The nestscope version that wrote the file (major, minor, patch).
    pub producer: [u16; 3],
    /// Host RAM of the saved machine; bounds everything else in the file.
    pub mem_mib: u32,
    /// Length of the payload after decompression.
    pub raw_len: u64,
    /// Length of the payload as stored.
    pub stored_len: u64,
    /// CRC-32 (IEEE) over the header and the stored payload.
    pub crc32: u32,
}

/// The largest decompressed payload a file declaring `mem_mib` may have: records, the program
/// image (at most RAM) and one entry per RAM page.
pub fn max_raw_len(mem_mib: u32) -> u64 {
    let pages = (mem_mib as u64) << 20 >> 12;
    MAX_STATE_BYTES + 4 + ((mem_mib as u64) << 20) + 4 + 4 + pages * (5 + PAGE_SIZE as u64)
}

/// This build's version, for the header.
pub fn producer_version() -> [u16; 3] {
    let mut v = [0u16; 3];
    for (i, p) in env!("CARGO_PKG_VERSION").split(['.', '-']).take(3).enumerate() {
        v[i] = p.parse().unwrap_or(0);
    }
    v
}

fn crc_of(header: &[u8], payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&header[..44]);
    h.update(payload);
    h.finalize()
}

/// Wraps a raw payload into a file.
pub fn seal(raw: &[u8], mem_mib: u32) -> Vec<u8> {
    let stored = miniz_oxide::deflate::compress_to_vec(raw, 6);
    let mut out = Vec::with_capacity(HEADER_LEN + stored.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&(FORMAT_VERSION as u16).to_le_bytes());
    out.extend_from_slice(&(HEADER_LEN as u16).to_le_bytes());
    out.extend_from_slice(&FLAG_DEFLATE.to_le_bytes());
    for p in producer_version() {
        out.extend_from_slice(&p.to_le_bytes());
    }
    out.extend_from_slice(&mem_mib.to_le_bytes());
    out.extend_from_slice(&(raw.len() as u64).to_le_bytes());
    out.extend_from_slice(&(stored.len() as u64).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    let crc = crc_of(&out, &stored);
    out.extend_from_slice(&crc.to_le_bytes());
    debug_assert_eq!(out.len(), HEADER_LEN);
    out.extend_from_slice(&stored);
    out
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(bytes_at(b, o))
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(bytes_at(b, o))
}

/// True when `file` starts like a v2 container (for choosing the reader).
pub fn is_container(file: &[u8]) -> bool {
    file.starts_with(&MAGIC)
}

/// Reads and checks the header (lengths bounded, CRC verified) without decompressing.
pub fn read_header(file: &[u8]) -> Result<Header, CheckpointError> {
    let bad = |field: &str, why: String| CheckpointError::Field { field: field.into(), why };
    if !is_container(file) {
        return Err(CheckpointError::NotACheckpoint);
    }
    if file.len() < HEADER_LEN {
        return Err(CheckpointError::Truncated { what: "header".into(), have: file.len() as u64, need: HEADER_LEN as u64 });
    }
    let version = u16_at(file, 8);
    if version < 2 || version as u32 > FORMAT_VERSION {
        return Err(CheckpointError::UnsupportedVersion { found: version as u32 });
    }
    let header_len = u16_at(file, 10);
    if header_len as usize != HEADER_LEN {
        return Err(bad("header.length", format!("{header_len}, expected {HEADER_LEN}")));
    }
    let flags = u16_at(file, 12);
    if flags & !KNOWN_FLAGS != 0 {
        return Err(bad("header.flags", format!("{flags:#06x} has unknown bits")));
    }
    let producer = [u16_at(file, 14), u16_at(file, 16), u16_at(file, 18)];
    let mem_mib = u32_at(file, 20);
    if !(2..=MAX_MEM_MIB as u32).contains(&mem_mib) {
        return Err(bad("header.mem_mib", format!("{mem_mib} is not 2..={MAX_MEM_MIB}")));
    }
    let raw_len = u64_at(file, 24);
    if raw_len > max_raw_len(mem_mib) {
        return Err(bad("header.raw_len", format!("{raw_len} bytes is more than a {mem_mib} MiB machine can need")));
    }
    let stored_len = u64_at(file, 32);
    let have = (file.len() - HEADER_LEN) as u64;
    if stored_len != have {
        if stored_len > have {
            return Err(CheckpointError::Truncated { what: "payload".into(), have, need: stored_len });
        }
        return Err(bad("header.stored_len", format!("{stored_len}, but {have} bytes follow the header")));
    }
    if flags & FLAG_DEFLATE == 0 && stored_len != raw_len {
        return Err(bad("header.raw_len", format!("{raw_len} differs from the stored length {stored_len} of an uncompressed payload")));
    }
    if u32_at(file, 40) != 0 {
        return Err(bad("header.reserved", "is not zero".into()));
    }
    let crc32 = u32_at(file, 44);
    let computed = crc_of(file, &file[HEADER_LEN..]);
    if computed != crc32 {
        return Err(CheckpointError::ChecksumMismatch { stored: format!("crc32:{crc32:08x}"), computed: format!("crc32:{computed:08x}") });
    }
    Ok(Header { version, flags, producer, mem_mib, raw_len, stored_len, crc32 })
}

/// Checks the header and returns it with the decompressed payload (at most `raw_len` bytes are
/// ever produced: a decompression bomb stops at the declared size).
pub fn open(file: &[u8]) -> Result<(Header, Vec<u8>), CheckpointError> {
    let h = read_header(file)?;
    let stored = &file[HEADER_LEN..];
    let raw = if h.flags & FLAG_DEFLATE != 0 {
        let limit = usize::try_from(h.raw_len).map_err(|_| CheckpointError::Field { field: "header.raw_len".into(), why: "too large for this machine".into() })?;
        miniz_oxide::inflate::decompress_to_vec_with_limit(stored, limit).map_err(|e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => CheckpointError::Field {
                field: "payload".into(),
                why: format!("decompresses to more than the declared {} bytes", h.raw_len),
            },
            s => CheckpointError::Field { field: "payload".into(), why: format!("is not valid DEFLATE data ({s:?})") },
        })?
    } else {
        stored.to_vec()
    };
    if raw.len() as u64 != h.raw_len {
        return Err(CheckpointError::Field { field: "payload".into(), why: format!("decompresses to {} bytes, the header declares {}", raw.len(), h.raw_len) });
    }
    Ok((h, raw))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn crc32_is_the_ieee_one() {
        // The check value of CRC-32/ISO-HDLC (the zlib/PNG CRC) for "123456789".
        assert_eq!(crc32fast::hash(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn seal_then_open_round_trips_and_every_header_field_is_checked() {
        let raw: Vec<u8> = (0..10_000u32).map(|i| (i % 7) as u8).collect();
        let f = seal(&raw, 64);
        assert!(f.len() < raw.len() / 4, "compressed: {}", f.len());
        assert_eq!(open(&f).unwrap().1, raw);
        // A flipped byte anywhere is caught, by a bound or by the CRC.
        for i in 0..f.len() {
            let mut g = f.clone();
            g[i] ^= 0x10;
            assert!(open(&g).is_err(), "flip at {i} accepted");
        }
        assert!(matches!(open(&f[..f.len() - 1]), Err(CheckpointError::Truncated { .. })));
        assert!(matches!(open(&f[..20]), Err(CheckpointError::Truncated { .. })));
    }

    #[test]
    fn a_bomb_stops_at_the_declared_size() {
        // 64 MiB of zeros compress to ~64 KB; declare 1000 bytes and fix the CRC.
        let big = vec![0u8; 64 << 20];
        let mut f = seal(&big, 64);
        f[24..32].copy_from_slice(&1000u64.to_le_bytes());
        let crc = crc_of(&f, &f[HEADER_LEN..]);
        f[44..48].copy_from_slice(&crc.to_le_bytes());
        let e = open(&f).unwrap_err().to_string();
        assert!(e.contains("more than the declared 1000 bytes"), "{e}");
    }
}
