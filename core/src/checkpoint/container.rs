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

/// Writes a file as its payload is produced: the payload is compressed as it comes, so saving
/// holds the compressed file and one chunk, never the whole raw payload (robustness M1).
pub struct Sealer {
    c: Box<miniz_oxide::deflate::core::CompressorOxide>,
    out: Vec<u8>,
    raw_len: u64,
    mem_mib: u32,
}

impl Sealer {
    /// A file for a machine of `mem_mib` MiB, its payload to come.
    pub fn new(mem_mib: u32) -> Sealer {
        use miniz_oxide::deflate::core::{CompressorOxide, create_comp_flags_from_zip_params};
        // Level 6, raw DEFLATE (window bits 0: no zlib wrapper), default strategy.
        let c = Box::new(CompressorOxide::new(create_comp_flags_from_zip_params(6, 0, 0)));
        Sealer { c, out: vec![0; HEADER_LEN], raw_len: 0, mem_mib }
    }

    fn push(&mut self, mut data: &[u8], flush: miniz_oxide::deflate::core::TDEFLFlush) {
        use miniz_oxide::deflate::core::{TDEFLStatus, compress_to_output};
        let out = &mut self.out;
        loop {
            let (status, used) = compress_to_output(&mut self.c, data, flush, |chunk| {
                out.extend_from_slice(chunk);
                true
            });
            data = &data[used.min(data.len())..];
            // Done after the final flush; Okay with all input taken otherwise (no other status
            // is possible with an output callback that takes everything).
            if status != TDEFLStatus::Okay || data.is_empty() {
                break;
            }
        }
    }

    /// Appends `data` to the payload.
    pub fn write(&mut self, data: &[u8]) {
        self.raw_len += data.len() as u64;
        self.push(data, miniz_oxide::deflate::core::TDEFLFlush::None);
    }

    /// The whole file: the stream finished, the header filled in and the CRC computed.
    pub fn finish(mut self) -> Vec<u8> {
        self.push(&[], miniz_oxide::deflate::core::TDEFLFlush::Finish);
        let stored_len = (self.out.len() - HEADER_LEN) as u64;
        let mut h = Vec::with_capacity(HEADER_LEN);
        h.extend_from_slice(&MAGIC);
        h.extend_from_slice(&(FORMAT_VERSION as u16).to_le_bytes());
        h.extend_from_slice(&(HEADER_LEN as u16).to_le_bytes());
        h.extend_from_slice(&FLAG_DEFLATE.to_le_bytes());
        for p in producer_version() {
            h.extend_from_slice(&p.to_le_bytes());
        }
        h.extend_from_slice(&self.mem_mib.to_le_bytes());
        h.extend_from_slice(&self.raw_len.to_le_bytes());
        h.extend_from_slice(&stored_len.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        let crc = crc_of(&h, &self.out[HEADER_LEN..]);
        h.extend_from_slice(&crc.to_le_bytes());
        debug_assert_eq!(h.len(), HEADER_LEN);
        self.out[..HEADER_LEN].copy_from_slice(&h);
        self.out
    }
}

/// Wraps a raw payload into a file stored without compression (flags 0; for tools and the fuzz
/// target, which need a correct file of any payload quickly).
pub fn seal_stored(raw: &[u8], mem_mib: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + raw.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&(FORMAT_VERSION as u16).to_le_bytes());
    out.extend_from_slice(&(HEADER_LEN as u16).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    for p in producer_version() {
        out.extend_from_slice(&p.to_le_bytes());
    }
    out.extend_from_slice(&mem_mib.to_le_bytes());
    out.extend_from_slice(&(raw.len() as u64).to_le_bytes());
    out.extend_from_slice(&(raw.len() as u64).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    let crc = crc_of(&out, raw);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(raw);
    out
}

/// Wraps a raw payload into a file.
pub fn seal(raw: &[u8], mem_mib: u32) -> Vec<u8> {
    let mut s = Sealer::new(mem_mib);
    s.write(raw);
    s.finish()
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

/// The payload of a checked file, decompressed as it is read: loading holds the file and what
/// was read out of it, never a second copy of the raw payload (robustness M1). At most the
/// declared `raw_len` bytes are ever produced (a decompression bomb stops there).
pub struct Unsealer<'f> {
    header: Header,
    stored: &'f [u8],
    at: usize,
    inflate: Option<Box<miniz_oxide::inflate::stream::InflateState>>,
    /// Payload bytes produced so far.
    produced: u64,
}

impl<'f> Unsealer<'f> {
    /// Checks the header (lengths, CRC) of `file` and opens its payload.
    pub fn new(file: &'f [u8]) -> Result<Unsealer<'f>, CheckpointError> {
        let header = read_header(file)?;
        let inflate = (header.flags & FLAG_DEFLATE != 0).then(|| miniz_oxide::inflate::stream::InflateState::new_boxed(miniz_oxide::DataFormat::Raw));
        Ok(Unsealer { header, stored: &file[HEADER_LEN..], at: 0, inflate, produced: 0 })
    }

    /// The file's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Payload bytes not read yet, as the header declares them.
    pub fn left(&self) -> u64 {
        self.header.raw_len - self.produced
    }

    fn payload_error(why: String) -> CheckpointError {
        CheckpointError::Field { field: "payload".into(), why }
    }

    /// Fills `dst` with the next payload bytes; `what` names them in the error when the payload
    /// (as declared, or as it decompresses) ends first.
    pub fn read(&mut self, dst: &mut [u8], what: &str) -> Result<(), CheckpointError> {
        if dst.len() as u64 > self.left() {
            return Err(CheckpointError::Truncated { what: what.into(), have: self.left(), need: dst.len() as u64 });
        }
        let Some(st) = self.inflate.as_mut() else {
            dst.copy_from_slice(&self.stored[self.at..self.at + dst.len()]);
            self.at += dst.len();
            self.produced += dst.len() as u64;
            return Ok(());
        };
        let mut filled = 0;
        while filled < dst.len() {
            let r = miniz_oxide::inflate::stream::inflate(st, &self.stored[self.at..], &mut dst[filled..], miniz_oxide::MZFlush::None);
            self.at += r.bytes_consumed;
            filled += r.bytes_written;
            self.produced += r.bytes_written as u64;
            let progress = r.bytes_consumed > 0 || r.bytes_written > 0;
            match r.status {
                Ok(miniz_oxide::MZStatus::StreamEnd) if filled < dst.len() => {
                    return Err(Self::payload_error(format!("decompresses to {} bytes, the header declares {}", self.produced, self.header.raw_len)));
                }
                Ok(_) if progress => {}
                Err(miniz_oxide::MZError::Buf) | Ok(_) => {
                    if filled < dst.len() && !progress {
                        return Err(Self::payload_error("is not valid DEFLATE data (it ends inside the stream)".into()));
                    }
                }
                Err(e) => return Err(Self::payload_error(format!("is not valid DEFLATE data ({e:?})"))),
            }
        }
        Ok(())
    }

    /// Checks that the payload ends here: everything declared was read, and the stream ends.
    pub fn finish(mut self) -> Result<(), CheckpointError> {
        if self.left() != 0 {
            return Err(Self::payload_error(format!("{} bytes after the last section", self.left())));
        }
        if let Some(st) = self.inflate.as_mut() {
            let mut one = [0u8; 1];
            let r = miniz_oxide::inflate::stream::inflate(st, &self.stored[self.at..], &mut one, miniz_oxide::MZFlush::Finish);
            if r.bytes_written > 0 {
                return Err(Self::payload_error(format!("decompresses to more than the declared {} bytes", self.header.raw_len)));
            }
            if r.status != Ok(miniz_oxide::MZStatus::StreamEnd) {
                return Err(Self::payload_error("is not valid DEFLATE data (the stream does not end)".into()));
            }
        }
        Ok(())
    }
}

/// Checks the header and returns it with the decompressed payload (at most `raw_len` bytes are
/// ever produced: a decompression bomb stops at the declared size).
pub fn open(file: &[u8]) -> Result<(Header, Vec<u8>), CheckpointError> {
    let mut u = Unsealer::new(file)?;
    let mut raw = Vec::new();
    let mut chunk = vec![0u8; 1 << 16];
    while u.left() > 0 {
        let n = u.left().min(chunk.len() as u64) as usize;
        u.read(&mut chunk[..n], "payload")?;
        raw.extend_from_slice(&chunk[..n]);
    }
    let h = u.header().clone();
    u.finish()?;
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
        // Stored without compression (flags 0): the payload follows the header as is.
        let g = seal_stored(&raw, 64);
        assert_eq!((g.len(), u16_at(&g, 12)), (HEADER_LEN + raw.len(), 0));
        assert_eq!(&g[HEADER_LEN..], &raw[..]);
        assert_eq!(open(&g).unwrap().1, raw);
        let mut h = g.clone();
        h[HEADER_LEN + 5] ^= 1;
        assert!(matches!(open(&h), Err(CheckpointError::ChecksumMismatch { .. })));
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
