//! The devices on the processor's port and MMIO bus: the CONTRACT ports (CONTRACT §1: console
//! 0xE9 and debug-exit 0xF4), a 16550A UART at COM1 (uart.rs) and the local APIC's register page
//! (apic.rs), and QEMU's fw_cfg when a kernel was booted (fw_cfg.rs). The machine's processor reaches them for the outermost program; the L0 model
//! forwards its guest's I/O exits to the same devices.
#![allow(clippy::cast_possible_truncation, reason = "a port or register access of 1, 2 or 4 bytes carries the low bytes of the value: truncation is the bus semantics")]
pub mod apic;
pub mod fw_cfg;
pub mod uart;

use apic::LocalApic;
use fw_cfg::FwCfg;
use uart::Uart;

/// OUT of a byte appends it to the run's console text.
pub const CONSOLE_PORT: u16 = 0xE9;
/// OUT of a byte v ends the run with exit "debug-exit" and code v.
pub const DEBUG_EXIT_PORT: u16 = 0xF4;

/// What an OUT did besides changing device state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortEffect {
    /// Nothing the run loop must see.
    None,
    /// The program asked the run to end (debug-exit with this code).
    Exit(u8),
}

/// Every device on the bus. Output bytes (port 0xE9, the UART's transmitter) go to `console`
/// given by the caller, so that the run's console text stays one stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Devices {
    pub uart: Uart,
    pub apic: LocalApic,
    /// QEMU's fw_cfg (0x510/0x511), present when a boot loader put it there (machine.rs `boot`).
    pub fw_cfg: Option<FwCfg>,
}

impl Devices {
    /// IN of `size` bytes: the device's register, or all ones where no device answers.
    pub fn port_in(&mut self, port: u16, size: u32) -> u64 {
        let ones = if size >= 8 { u64::MAX } else { (1u64 << (8 * size)) - 1 };
        if Uart::claims(port) {
            return self.uart.port_in(port) as u64 | (ones & !0xff);
        }
        if let Some(f) = &mut self.fw_cfg
            && let Some(v) = f.port_in(port, size as u8)
        {
            return v as u64 | (ones & !0xff);
        }
        ones
    }

    /// OUT of `size` bytes of `v`.
    pub fn port_out(&mut self, port: u16, size: u32, v: u64, console: &mut Vec<u8>) -> PortEffect {
        match port {
            CONSOLE_PORT => console.push(v as u8),
            DEBUG_EXIT_PORT => return PortEffect::Exit(v as u8),
            p if Uart::claims(p) => {
                if let Some(b) = self.uart.port_out(p, v as u8) {
                    console.push(b);
                }
            }
            p if FwCfg::claims(p) => {
                if let Some(f) = &mut self.fw_cfg {
                    f.port_out(p, size as u8, v as u32);
                }
            }
            _ => {}
        }
        PortEffect::None
    }

    /// An MMIO read outside RAM at time `now` (the APIC timer's time base): `Some(value)` when a
    /// device claims `pa`.
    pub fn mmio_read(&mut self, pa: u64, size: u32, now: u64) -> Option<u64> {
        LocalApic::claims(pa).then(|| self.apic.read(pa, size, now))
    }

    /// An MMIO write outside RAM at time `now`: `None` when no device claims `pa`, else what the
    /// device did.
    pub fn mmio_write(&mut self, pa: u64, v: u64, now: u64) -> Option<Result<(), apic::UndeliverableIpi>> {
        LocalApic::claims(pa).then(|| self.apic.write(pa, v, now))
    }
}
