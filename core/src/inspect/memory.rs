//! Reading memory the way the level that runs now sees it, without side effects: linear addresses
//! go through its page tables and, with nested paging, the nested table (as `Machine::memtype_of`
//! walks them: no A/D bits set, nothing cached).
#![warn(missing_docs)]
use crate::machine::Machine;
use crate::mem::paging::Access;
use crate::mem::{Gva, Hpa};

/// Why a byte could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// The linear address does not translate for this access (the access would fault).
    NotMapped,
    /// It translates to a physical address outside RAM.
    OutsideRam,
}

/// `len` bytes at linear `va` of the level that runs now, for an access of kind `acc`. One
/// translation per 4 KiB page; addresses wrap at 2^64.
pub fn linear_read(m: &Machine, va: Gva, len: usize, acc: Access) -> Vec<Result<u8, Unreadable>> {
    let mut cache: Option<(u64, Option<u64>)> = None;
    (0..len as u64)
        .map(|i| {
            let a = va.0.wrapping_add(i);
            let page = a & !0xfff;
            let base = match cache {
                Some((p, b)) if p == page => b,
                _ => {
                    let b = m.memtype_of(Gva(page | (a & 0xfff)), acc).ok().map(|r| r.spa.0 & !0xfff);
                    cache = Some((page, b));
                    b
                }
            };
            let pa = base.ok_or(Unreadable::NotMapped)? | (a & 0xfff);
            m.mem.read_u8(Hpa(pa)).map_err(|_| Unreadable::OutsideRam)
        })
        .collect()
}

/// `len` bytes at physical `pa` (`OutsideRam` beyond RAM).
pub fn phys_read(m: &Machine, pa: Hpa, len: usize) -> Vec<Result<u8, Unreadable>> {
    (0..len as u64).map(|i| m.mem.read_u8(pa.add(i)).map_err(|_| Unreadable::OutsideRam)).collect()
}

/// The 15 bytes at linear `rip` of the level that runs now, read without side effects (no A/D
/// updates); `None` if the fetch would fault. Bytes on a following page are translated too;
/// bytes outside RAM read as 0.
pub fn code_bytes(m: &Machine, rip: u64) -> Option<[u8; 15]> {
    let mut bytes = [0u8; 15];
    for (b, r) in bytes.iter_mut().zip(linear_read(m, crate::mem::Gva(rip), 15, crate::mem::paging::Access::FETCH)) {
        match r {
            Ok(x) => *b = x,
            Err(Unreadable::NotMapped) => return None,
            Err(Unreadable::OutsideRam) => {}
        }
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;
    use crate::sim::Sim;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn linear_reads_translate_without_side_effects() {
        // mov rax, 1; hlt at the load address (CONTRACT: identity-mapped below 4 GiB).
        let code = [0x48, 0xc7, 0xc0, 0x01, 0x00, 0x00, 0x00, 0xf4];
        for model in Model::ALL {
            let s = Sim::new(&code, 64, model, &Default::default()).unwrap();
            let m = s.machine();
            let at = Gva(crate::machine::LOAD_ADDR);
            let gen_before = m.mem.generation();
            let lin = linear_read(m, at, 8, Access::READ);
            assert_eq!(lin, code.iter().map(|b| Ok(*b)).collect::<Vec<_>>(), "{model}");
            assert_eq!(lin, phys_read(m, Hpa(at.0), 8), "{model}: identity-mapped");
            assert_eq!(m.mem.generation(), gen_before, "{model}: no A/D bit written");
            // Above the 4 GiB the page tables map: not mapped.
            assert!(linear_read(m, Gva(0x1_2345_0000), 4, Access::READ).iter().all(|r| *r == Err(Unreadable::NotMapped)));
            // Mapped by L1's tables, but beyond 64 MiB of RAM (under L0, its NPT maps only L1's RAM).
            let beyond = if model.is_l0() { Unreadable::NotMapped } else { Unreadable::OutsideRam };
            assert_eq!(linear_read(m, Gva(0x8000_0000), 1, Access::READ), [Err(beyond)], "{model}");
            assert_eq!(code_bytes(m, at.0).map(|b| b[..8].to_vec()), Some(code.to_vec()), "{model}");
        }
    }
}
