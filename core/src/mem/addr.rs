//! Address newtypes: guest-virtual (`Gva`), guest-physical (`Gpa`) and host/system-physical (`Hpa`).
#![warn(missing_docs)]
use serde::Serialize;
use std::fmt;

macro_rules! addr_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
        pub struct $name(pub u64);
        impl $name {
            /// The address as a number.
            pub const fn raw(self) -> u64 { self.0 }
            /// The offset within its 4 KiB page.
            pub const fn page_offset(self) -> u64 { self.0 & 0xfff }
            /// The address `n` bytes further (wrapping).
            pub const fn add(self, n: u64) -> Self { Self(self.0.wrapping_add(n)) }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:#x})"), self.0)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "{:#x}", self.0) }
        }
        impl fmt::LowerHex for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { fmt::LowerHex::fmt(&self.0, f) }
        }
    };
}

addr_type!(
    /// A linear (virtual) address as seen by the code running at some level.
    Gva
);
addr_type!(
    /// A guest-physical address: the output of a guest's own page tables (L1 or L2).
    Gpa
);
addr_type!(
    /// A host (system) physical address: what the machine's RAM is indexed by.
    Hpa
);
