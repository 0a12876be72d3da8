//! The CONTRACT devices (CONTRACT §1): the two I/O ports a program talks to, emulated by the
//! machine for the outermost program and by the L0 model for its guests.

/// OUT of a byte appends it to the run's console text.
pub const CONSOLE_PORT: u16 = 0xE9;
/// OUT of a byte v ends the run with exit "debug-exit" and code v.
pub const DEBUG_EXIT_PORT: u16 = 0xF4;

/// QEMU fw_cfg at 0x510/0x511 (not wired into the machine yet).
pub mod fw_cfg;
