//! QEMU's firmware configuration device (fw_cfg) on x86 I/O ports, as kvm-unit-tests reads it
//! (reference §13.4): a 16-bit selector written at 0x510, the selected item's bytes read one at
//! a time at 0x511. Pure: the port methods change only this struct.
//!
//! Items provided (all integers little-endian, as QEMU stores them): the signature "QEMU", the
//! feature bitmap (traditional interface only: no DMA interface at 0x514), an all-zero UUID,
//! RAM size (u64), NOGRAPHIC (u16), NB_CPUS (u16), MAX_CPUS (u16), BOOT_MENU (u16). Every other
//! key, and every read past an item's end, reads 0x00.

use std::collections::BTreeMap;

/// The selector register (16-bit OUT; an 8-bit access here is a data access).
pub const SELECTOR_PORT: u16 = 0x510;
/// The data register (8-bit IN; writes are ignored, as in QEMU since v2.4).
pub const DATA_PORT: u16 = 0x511;

/// Selector keys of the generic items this device holds (QEMU's numbering).
pub mod key {
    pub const SIGNATURE: u16 = 0x00;
    pub const ID: u16 = 0x01;
    pub const UUID: u16 = 0x02;
    pub const RAM_SIZE: u16 = 0x03;
    pub const NOGRAPHIC: u16 = 0x04;
    pub const NB_CPUS: u16 = 0x05;
    pub const BOOT_MENU: u16 = 0x0e;
    pub const MAX_CPUS: u16 = 0x0f;
}

/// Selector bit 14: "write mode" (writes through the data register are ignored all the same).
pub const WRITE_CHANNEL: u16 = 0x4000;
/// Selector bit 15: an architecture-specific item (a namespace of its own; none are held here).
pub const ARCH_LOCAL: u16 = 0x8000;

/// FW_CFG_ID bit 0: the traditional (selector/data port) interface.
pub const ID_TRADITIONAL: u32 = 1 << 0;
/// FW_CFG_ID bit 1: the DMA interface (not modelled, so never set).
pub const ID_DMA: u32 = 1 << 1;

/// The machine facts the device reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FwCfgConfig {
    pub ram_bytes: u64,
    /// CPUs present at boot.
    pub nb_cpus: u16,
    /// QEMU reports the APIC ID limit here (the highest APIC ID + 1).
    pub max_cpus: u16,
}

/// The device: its items and the read position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FwCfg {
    /// Items by key (bit 14 cleared; bit 15 kept: arch-local keys are a separate namespace).
    items: BTreeMap<u16, Vec<u8>>,
    /// The selector last written.
    selector: u16,
    /// Offset of the next byte in the selected item.
    offset: usize,
}

impl FwCfg {
    pub fn new(cfg: FwCfgConfig) -> FwCfg {
        let mut items = BTreeMap::new();
        items.insert(key::SIGNATURE, b"QEMU".to_vec());
        items.insert(key::ID, ID_TRADITIONAL.to_le_bytes().to_vec());
        items.insert(key::UUID, vec![0; 16]);
        items.insert(key::RAM_SIZE, cfg.ram_bytes.to_le_bytes().to_vec());
        items.insert(key::NOGRAPHIC, 1u16.to_le_bytes().to_vec());
        items.insert(key::NB_CPUS, cfg.nb_cpus.to_le_bytes().to_vec());
        items.insert(key::BOOT_MENU, 0u16.to_le_bytes().to_vec());
        items.insert(key::MAX_CPUS, cfg.max_cpus.to_le_bytes().to_vec());
        FwCfg { items, selector: key::SIGNATURE, offset: 0 }
    }

    /// True for the two ports this device decodes.
    pub fn claims(port: u16) -> bool {
        port == SELECTOR_PORT || port == DATA_PORT
    }

    /// An OUT of `size` bytes (1, 2 or 4). Returns false when the device does not take that
    /// access (another port, or a width other than a 16-bit selector write or an 8-bit data write).
    pub fn port_out(&mut self, port: u16, size: u8, value: u32) -> bool {
        match (port, size) {
            (SELECTOR_PORT, 2) => {
                self.selector = value as u16;
                self.offset = 0;
                true
            }
            // An 8-bit write at either port is a data write: ignored, the offset unchanged.
            (SELECTOR_PORT | DATA_PORT, 1) => true,
            _ => false,
        }
    }

    /// An IN of `size` bytes. `None` when the device does not take that access (another port,
    /// or wider than a byte); an 8-bit read at either port reads the next data byte.
    pub fn port_in(&mut self, port: u16, size: u8) -> Option<u32> {
        if !Self::claims(port) || size != 1 {
            return None;
        }
        let item = self.items.get(&(self.selector & !WRITE_CHANNEL));
        let byte = item.and_then(|d| d.get(self.offset)).copied();
        if byte.is_some() {
            self.offset += 1;
        }
        Some(byte.unwrap_or(0) as u32)
    }

    /// The selector last written and the read offset (the device's whole live state).
    pub fn position(&self) -> (u16, usize) {
        (self.selector, self.offset)
    }

    /// The machine facts the device was made with (read back from its items).
    pub fn config(&self) -> FwCfgConfig {
        let le = |k: u16| self.items.get(&k).map_or(0, |d| d.iter().rev().fold(0u64, |v, &b| (v << 8) | u64::from(b)));
        FwCfgConfig { ram_bytes: le(key::RAM_SIZE), nb_cpus: le(key::NB_CPUS) as u16, max_cpus: le(key::MAX_CPUS) as u16 }
    }

    /// The device made with `cfg`, its selector and read offset set (a checkpoint's restore).
    pub fn at(cfg: FwCfgConfig, selector: u16, offset: usize) -> FwCfg {
        FwCfg { selector, offset, ..FwCfg::new(cfg) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn dev() -> FwCfg {
        FwCfg::new(FwCfgConfig { ram_bytes: 64 << 20, nb_cpus: 1, max_cpus: 1 })
    }

    /// kvm-unit-tests' fwcfg_get_u: a 16-bit OUT of the key, then `bytes` 8-bit INs assembled
    /// little-endian.
    fn get(d: &mut FwCfg, k: u16, bytes: usize) -> u64 {
        assert!(d.port_out(SELECTOR_PORT, 2, k as u32));
        (0..bytes).map(|i| (d.port_in(DATA_PORT, 1).unwrap() as u64) << (8 * i)).sum()
    }

    #[test]
    fn the_signature_item_reads_qemu() {
        // QEMU fw_cfg spec, "Signature (Key 0x0000)": four bytes "QEMU".
        let mut d = dev();
        assert_eq!(get(&mut d, 0x0000, 4).to_le_bytes()[..4], *b"QEMU");
    }

    #[test]
    fn the_feature_bitmap_has_the_traditional_interface_and_no_dma() {
        // Spec, "Revision / feature bitmap (Key 0x0001)": bit 0 always set; bit 1 = DMA.
        let mut d = dev();
        let id = get(&mut d, 0x0001, 4);
        assert_eq!(id & 1, 1);
        assert_eq!(id & 2, 0);
    }

    #[test]
    fn the_keys_kvm_unit_tests_reads() {
        // lib/x86/fwcfg.h: NB_CPUS 0x05 read as u16, RAM_SIZE 0x03 as u64.
        let mut d = FwCfg::new(FwCfgConfig { ram_bytes: 0x1_2345_6000, nb_cpus: 3, max_cpus: 4 });
        assert_eq!(get(&mut d, 0x05, 2), 3);
        assert_eq!(get(&mut d, 0x03, 8), 0x1_2345_6000);
        assert_eq!(get(&mut d, 0x0f, 2), 4);
        // kvm-unit-tests' "dummy" FW_CFG_MAX_RAM (0x11) is no item here: 0 means "no limit" to it.
        assert_eq!(get(&mut d, 0x11, 8), 0);
    }

    #[test]
    fn reads_past_the_end_of_an_item_return_zero() {
        // Spec, "Data Register": after the data offset passes the item's length, reads return 0x00.
        let mut d = dev();
        let sig = get(&mut d, 0x0000, 4);
        assert_eq!(sig, u32::from_le_bytes(*b"QEMU") as u64);
        for _ in 0..8 {
            assert_eq!(d.port_in(DATA_PORT, 1), Some(0));
        }
    }

    #[test]
    fn writing_the_selector_resets_the_offset() {
        // Spec, "Selector (Control) Register": setting the selector sets the data offset to zero.
        let mut d = dev();
        assert_eq!(get(&mut d, 0x0000, 2), u16::from_le_bytes(*b"QE") as u64);
        assert_eq!(get(&mut d, 0x0000, 1), b'Q' as u64);
    }

    #[test]
    fn unknown_keys_read_zero() {
        let mut d = dev();
        assert_eq!(get(&mut d, 0x3fff, 8), 0);
        // Bit 15 selects the arch-specific namespace: 0x8005 is not NB_CPUS.
        assert_eq!(get(&mut d, ARCH_LOCAL | 0x05, 2), 0);
    }

    #[test]
    fn bit_14_selects_the_same_item_and_data_writes_are_ignored() {
        // Spec: 0x4000-0x7fff name the generic items 0x0000-0x3fff in write mode; data-register
        // writes are ignored since QEMU v2.4 (and the offset does not move).
        let mut d = dev();
        assert!(d.port_out(SELECTOR_PORT, 2, WRITE_CHANNEL as u32));
        assert!(d.port_out(DATA_PORT, 1, b'X' as u32));
        let got: Vec<u8> = (0..4).map(|_| d.port_in(DATA_PORT, 1).unwrap() as u8).collect();
        assert_eq!(got, b"QEMU");
    }

    #[test]
    fn widths_other_than_the_registers_are_not_decoded() {
        let mut d = dev();
        assert_eq!(d.port_in(SELECTOR_PORT, 2), None);
        assert_eq!(d.port_in(DATA_PORT, 4), None);
        assert!(!d.port_out(SELECTOR_PORT, 4, 5));
        assert!(!d.port_out(0x512, 1, 0));
        assert_eq!(d.port_in(0x50f, 1), None);
        // An 8-bit write at 0x510 is a data write, not a selection.
        assert!(d.port_out(SELECTOR_PORT, 2, 0x05));
        assert!(d.port_out(SELECTOR_PORT, 1, 0x00));
        assert_eq!(d.position(), (0x05, 0));
        assert_eq!(get(&mut d, 0x05, 2), 1);
    }
}
