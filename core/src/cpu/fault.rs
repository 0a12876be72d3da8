//! The three outcomes kept apart: architectural faults (`Fault`), and emulator errors (`EmuError`).
//! (A `VmExit` is a value of the SVM model, not an error.)
use std::fmt;

/// An architectural exception raised by an instruction. It is delivered through the IDT, or
/// becomes a #VMEXIT when intercepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub vector: u8,
    pub error_code: Option<u32>,
    /// CR2 value for #PF.
    pub cr2: Option<u64>,
}

pub mod vector {
    pub const DE: u8 = 0;
    pub const DB: u8 = 1;
    pub const NMI: u8 = 2;
    pub const BP: u8 = 3;
    pub const OF: u8 = 4;
    pub const BR: u8 = 5;
    pub const UD: u8 = 6;
    pub const NM: u8 = 7;
    pub const DF: u8 = 8;
    pub const TS: u8 = 10;
    pub const NP: u8 = 11;
    pub const SS: u8 = 12;
    pub const GP: u8 = 13;
    pub const PF: u8 = 14;
    pub const MF: u8 = 16;
    pub const AC: u8 = 17;
    pub const MC: u8 = 18;
    pub const XM: u8 = 19;
}

impl Fault {
    pub const fn new(vector: u8) -> Self {
        Fault { vector, error_code: None, cr2: None }
    }
    pub const fn with_code(vector: u8, code: u32) -> Self {
        Fault { vector, error_code: Some(code), cr2: None }
    }
    pub const fn gp0() -> Self {
        Self::with_code(vector::GP, 0)
    }
    pub const fn ud() -> Self {
        Self::new(vector::UD)
    }
    pub const fn pf(code: u32, addr: u64) -> Self {
        Fault { vector: vector::PF, error_code: Some(code), cr2: Some(addr) }
    }
    pub fn mnemonic(&self) -> &'static str {
        const N: [&str; 21] = [
            "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#MF9", "#TS", "#NP", "#SS", "#GP", "#PF",
            "#15", "#MF", "#AC", "#MC", "#XM", "#VE",
        ];
        N.get(self.vector as usize).copied().unwrap_or("#?")
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.mnemonic())?;
        if let Some(c) = self.error_code {
            write!(f, "({c:#x})")?;
        }
        if let Some(a) = self.cr2 {
            write!(f, " at {a:#x}")?;
        }
        Ok(())
    }
}

/// Something the emulator cannot do. Ends the run with exit status 2 in the CLI; never a panic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmuError {
    /// A decoded instruction that the interpreter does not implement yet.
    Unsupported { mnemonic: String, rip: u64 },
    /// Bytes that do not decode to a valid instruction are a #UD, not this; this is for
    /// fetches from outside RAM and similar machine-level impossibilities.
    Machine(String),
}

impl fmt::Display for EmuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmuError::Unsupported { mnemonic, rip } => write!(f, "unsupported instruction `{mnemonic}` at {rip:#x}"),
            EmuError::Machine(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for EmuError {}

/// What can stop an instruction: an architectural fault, a #VMEXIT of the running guest, or an
/// emulator error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trap {
    Fault(Fault),
    /// Boxed: emulator errors are rare and this keeps `Result<_, Trap>` small on the hot path.
    Emu(Box<EmuError>),
    /// SVM: the guest instruction is intercepted (or hit a nested page fault). Not an error: the
    /// value the guest-execution path returns so that `Machine::step` performs the world switch.
    Exit(crate::svm::VmExit),
}

impl From<Fault> for Trap {
    fn from(f: Fault) -> Self {
        Trap::Fault(f)
    }
}
impl From<EmuError> for Trap {
    fn from(e: EmuError) -> Self {
        Trap::Emu(Box::new(e))
    }
}
