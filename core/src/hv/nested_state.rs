//! The KVM_GET/SET_NESTED_STATE ABI for SVM (reference §9.7): a 128-byte `kvm_nested_state`
//! header whose 120-byte `hdr` union each design lays out differently, plus the 4 KiB vmcb12
//! data area. Designs read and write the raw header bytes, so a checkpoint taken under one design
//! and restored under another is interpreted exactly as the other kernel would.
use crate::mem::phys::bytes_at;
use serde::Serialize;

pub const KVM_STATE_NESTED_GUEST_MODE: u16 = 0x1;
pub const KVM_STATE_NESTED_RUN_PENDING: u16 = 0x2;
pub const KVM_STATE_NESTED_GIF_SET: u16 = 0x100;
pub const KVM_STATE_NESTED_FORMAT_SVM: u16 = 1;
/// KVM_STATE_NESTED_SVM_VMCB_SIZE.
pub const VMCB_DATA_SIZE: u32 = 0x1000;
/// RFC and v1: `KVM_STATE_SVM_VALID_GPAT` in the u32 at hdr+8.
pub const KVM_STATE_SVM_VALID_GPAT: u32 = 0x1;

/// The order in which userspace restores the MSR list and the nested state (the kernel does not
/// fix it; VMMs differ — reference §9.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum SaveOrder {
    MsrsFirst,
    NestedStateFirst,
}

impl SaveOrder {
    pub fn name(self) -> &'static str {
        match self {
            SaveOrder::MsrsFirst => "msrs-first",
            SaveOrder::NestedStateFirst => "nested-state-first",
        }
    }
    pub fn from_name(s: &str) -> Option<SaveOrder> {
        match s {
            "msrs-first" => Some(SaveOrder::MsrsFirst),
            "nested-state-first" => Some(SaveOrder::NestedStateFirst),
            _ => None,
        }
    }
}

/// `struct kvm_nested_state` for SVM, with the header kept as raw bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct NestedState {
    pub flags: u16,
    pub format: u16,
    pub size: u32,
    /// The 120-byte `hdr` union; `vmcb_pa` is at hdr+0 in every version.
    pub hdr: Vec<u8>,
    /// The cached vmcb12 control area (the data area's first 1 KiB) as the VMCB field values.
    pub control: crate::svm::vmcb::VmcbControl,
    /// The data area's save part: vmcb01.save, i.e. L1's state.
    pub save: crate::svm::vmcb::VmcbSave,
}

impl NestedState {
    /// A guest-mode nested state with a zeroed header carrying `vmcb_pa`.
    pub fn guest_mode(vmcb_pa: u64, gif: bool) -> NestedState {
        let mut hdr = vec![0u8; 120];
        hdr[..8].copy_from_slice(&vmcb_pa.to_le_bytes());
        NestedState {
            flags: KVM_STATE_NESTED_GUEST_MODE | if gif { KVM_STATE_NESTED_GIF_SET } else { 0 },
            format: KVM_STATE_NESTED_FORMAT_SVM,
            size: 128 + VMCB_DATA_SIZE,
            hdr,
            control: Default::default(),
            save: Default::default(),
        }
    }
    pub fn vmcb_pa(&self) -> u64 {
        self.hdr_u64(0)
    }
    pub fn hdr_u32(&self, off: usize) -> u32 {
        u32::from_le_bytes(bytes_at(&self.hdr, off))
    }
    pub fn hdr_u64(&self, off: usize) -> u64 {
        u64::from_le_bytes(bytes_at(&self.hdr, off))
    }
    pub fn set_hdr_u32(&mut self, off: usize, v: u32) {
        self.hdr[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }
    pub fn set_hdr_u64(&mut self, off: usize, v: u64) {
        self.hdr[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }
    /// Does the restored control area enable nested paging?
    pub fn control_np(&self) -> bool {
        self.control.misc_ctl & 1 != 0
    }
}
