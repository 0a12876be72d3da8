//! A VMCB control area as a record: each field of `VmcbControl::FIELDS` (APM Appendix B layout)
//! by its name, a number (the 15 guest instruction bytes an array of numbers) — the JSON the
//! derived form of `VmcbControl` had. A field missing from a file reads as zero (a field added
//! later); an unknown or repeated name, or a value wider than its field, is refused.
use super::Persist;
use crate::svm::vmcb::{VmcbControl, VmcbField};
use serde::de::{Error as _, MapAccess, Visitor};
use serde::ser::SerializeMap;
use std::fmt;

/// The control area's bytes (a VMCB page of which only the control fields are meaningful).
#[derive(Clone, PartialEq, Eq)]
pub struct VmcbControlState(Box<[u8; 4096]>);

impl fmt::Debug for VmcbControlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("VmcbControlState").finish_non_exhaustive()
    }
}

impl Persist for VmcbControl {
    type State = VmcbControlState;
    fn save(&self) -> VmcbControlState {
        let mut page = Box::new([0u8; 4096]);
        self.to_page(&mut page);
        VmcbControlState(page)
    }
    fn restore(s: &VmcbControlState) -> Result<Self, String> {
        Ok(VmcbControl::from_page(&s.0))
    }
}

fn bytes_of<'p>(page: &'p [u8; 4096], f: &VmcbField) -> &'p [u8] {
    let at = f.offset as usize;
    &page[at..at + f.size as usize]
}

fn scalar(b: &[u8]) -> Option<u64> {
    (b.len() <= 8 && b.len().is_power_of_two()).then(|| b.iter().rev().fold(0u64, |v, &x| (v << 8) | u64::from(x)))
}

impl serde::Serialize for VmcbControlState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(VmcbControl::FIELDS.len()))?;
        for f in VmcbControl::FIELDS {
            let b = bytes_of(&self.0, f);
            match scalar(b) {
                Some(v) => m.serialize_entry(f.name, &v)?,
                None => m.serialize_entry(f.name, b)?,
            }
        }
        m.end()
    }
}

impl<'de> serde::Deserialize<'de> for VmcbControlState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = VmcbControlState;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a VMCB control area (its fields by name)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<VmcbControlState, A::Error> {
                let mut page = Box::new([0u8; 4096]);
                let mut seen = [false; VmcbControl::FIELDS.len()];
                while let Some(name) = map.next_key::<String>()? {
                    let Some(i) = VmcbControl::FIELDS.iter().position(|f| f.name == name) else {
                        return Err(A::Error::unknown_field(&name, &[]));
                    };
                    if std::mem::replace(&mut seen[i], true) {
                        return Err(A::Error::custom(format_args!("duplicate field `{name}`")));
                    }
                    let f = &VmcbControl::FIELDS[i];
                    let (at, n) = (f.offset as usize, f.size as usize);
                    let dst = &mut page[at..at + n];
                    if scalar(dst).is_some() {
                        let v: u64 = map.next_value()?;
                        if n < 8 && v >> (8 * n) != 0 {
                            return Err(A::Error::custom(format_args!("{name}: {v:#x} does not fit in {n} bytes")));
                        }
                        dst.copy_from_slice(&v.to_le_bytes()[..n]);
                    } else {
                        let v: Vec<u8> = map.next_value()?;
                        if v.len() != n {
                            return Err(A::Error::custom(format_args!("{name}: {} bytes, not {n}", v.len())));
                        }
                        dst.copy_from_slice(&v);
                    }
                }
                Ok(VmcbControlState(page))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]
    use super::*;

    /// Every field survives the record, at its APM offset (APM Appendix B, Table B-1): a value
    /// written into the VMCB page at a field's offset is what the record gives back there.
    #[test]
    fn every_control_field_round_trips_at_its_apm_offset() {
        for (k, f) in VmcbControl::FIELDS.iter().enumerate() {
            let mut page = [0u8; 4096];
            for (j, b) in page[f.offset as usize..][..f.size as usize].iter_mut().enumerate() {
                *b = (k * 7 + j * 13 + 1) as u8;
            }
            let live = VmcbControl::from_page(&page);
            let json = serde_json::to_value(live.save()).unwrap();
            assert_eq!(json.as_object().unwrap().len(), VmcbControl::FIELDS.len());
            let back = super::super::round_trip(&live);
            let mut out = [0u8; 4096];
            back.to_page(&mut out);
            assert_eq!(out[f.offset as usize..][..f.size as usize], page[f.offset as usize..][..f.size as usize], "{}", f.name);
        }
    }

    /// The JSON names and numbers are those of the APM fields: TLB_CONTROL (VMCB+0x5C, 1 byte)
    /// and EXITCODE (VMCB+0x70, 8 bytes), and the instruction bytes (VMCB+0xD1, 15 bytes).
    #[test]
    fn the_json_is_the_fields_by_name() {
        let mut page = [0u8; 4096];
        page[0x5c] = 1;
        page[0x70..0x78].copy_from_slice(&u64::MAX.to_le_bytes());
        page[0xd1] = 0x90;
        let j = serde_json::to_value(VmcbControl::from_page(&page).save()).unwrap();
        assert_eq!((j["tlb_ctl"].as_u64(), j["exit_code"].as_u64()), (Some(1), Some(u64::MAX)));
        assert_eq!(j["insn_bytes"][0].as_u64(), Some(0x90));
        assert_eq!(j["insn_bytes"].as_array().unwrap().len(), 15);
        let bad = |t: &str| serde_json::from_str::<VmcbControlState>(t).unwrap_err().to_string();
        assert!(bad(r#"{"tlb_ctl": 256}"#).contains("does not fit"));
        assert!(bad(r#"{"nope": 0}"#).contains("unknown field"));
        assert!(bad(r#"{"asid": 1, "asid": 2}"#).contains("duplicate"));
        assert!(bad(r#"{"insn_bytes": [1]}"#).contains("not 15"));
        // Missing fields are zero (a field added later).
        let z: VmcbControlState = serde_json::from_str("{}").unwrap();
        assert_eq!(VmcbControl::restore(&z).unwrap(), VmcbControl::default());
    }
}
