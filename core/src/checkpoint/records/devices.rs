//! Device records not kept beside their device: QEMU's fw_cfg (a kernel run's; devices/fw_cfg.rs).
//! The UART (`UartState`) and the local APIC (`ApicState`) have theirs in devices/.
use super::Persist;
use crate::devices::fw_cfg::{FwCfg, FwCfgConfig};
use serde::{Deserialize, Serialize};

/// fw_cfg: the facts it reports (its items follow from them) and the read position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FwCfgState {
    pub ram_bytes: u64,
    pub nb_cpus: u16,
    pub max_cpus: u16,
    pub selector: u16,
    pub offset: u32,
}

impl Persist for FwCfg {
    type State = FwCfgState;
    fn save(&self) -> FwCfgState {
        let c = self.config();
        let (selector, offset) = self.position();
        // The offset stays within an item (at most 16 bytes): it never exceeds u32.
        FwCfgState { ram_bytes: c.ram_bytes, nb_cpus: c.nb_cpus, max_cpus: c.max_cpus, selector, offset: offset.min(u32::MAX as usize) as u32 }
    }
    fn restore(s: &FwCfgState) -> Result<Self, String> {
        let cfg = FwCfgConfig { ram_bytes: s.ram_bytes, nb_cpus: s.nb_cpus, max_cpus: s.max_cpus };
        Ok(FwCfg::at(cfg, s.selector, s.offset as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::super::round_trip;
    use super::*;
    use crate::devices::fw_cfg::{DATA_PORT, SELECTOR_PORT};

    /// Mid-item (two bytes of the "QEMU" signature read), the restored device reads on where the
    /// saved one was: "EM" (QEMU fw_cfg spec: the data offset advances one byte per read), and
    /// RAM_SIZE (key 0x03) is the RAM it was made with.
    #[test]
    fn fw_cfg_round_trips_mid_item() {
        let mut d = FwCfg::new(FwCfgConfig { ram_bytes: 0x1_2345_6000, nb_cpus: 1, max_cpus: 1 });
        assert!(d.port_out(SELECTOR_PORT, 2, 0));
        assert_eq!(d.port_in(DATA_PORT, 1), Some(u32::from(b'Q')));
        assert_eq!(d.port_in(DATA_PORT, 1), Some(u32::from(b'E')));
        let mut back = round_trip(&d);
        assert_eq!(back, d);
        assert_eq!([back.port_in(DATA_PORT, 1), back.port_in(DATA_PORT, 1)], [Some(u32::from(b'M')), Some(u32::from(b'U'))]);
        assert!(back.port_out(SELECTOR_PORT, 2, 0x03));
        let ram: u64 = (0..8).map(|i| u64::from(back.port_in(DATA_PORT, 1).unwrap()) << (8 * i)).sum();
        assert_eq!(ram, 0x1_2345_6000);
    }
}
