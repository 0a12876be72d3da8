//! The persisted record of each component (Firecracker's `Persist` pattern): a plain serde type
//! per component — `cpu.rs` (registers, MSRs, LBR, hidden features), `svm.rs` (GIF, guest mode,
//! host save, nested paging), `vmcb.rs` (a VMCB control area by APM field), `l0.rs` (the L0
//! model), `devices.rs` (fw_cfg; the UART and the APIC keep theirs beside them in devices/) —
//! with `save()` from the live type and `restore()` back. The live machine types carry no serde:
//! a struct may change without changing the file format, which changes only with
//! `FORMAT_VERSION` (format.rs). The JSON field names are those of the files written before the
//! split (checked against every committed fixture in tests/checkpoint.rs).
pub mod cpu;
pub mod devices;
pub mod l0;
pub mod svm;
pub mod vmcb;

/// A component with a persisted record.
pub trait Persist: Sized {
    /// The plain record (serde) the component is saved as.
    type State;
    /// The record of the component now.
    fn save(&self) -> Self::State;
    /// The component from its record; a record no component can have is a one-line error.
    fn restore(state: &Self::State) -> Result<Self, String>;
}

/// Mirrors a field-less enum (same variant names in the JSON) to and from its live type.
macro_rules! mirror_enum {
    ($(#[$m:meta])* $rec:ident <-> $live:path { $($v:ident),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        pub enum $rec { $($v),* }
        impl crate::checkpoint::records::Persist for $live {
            type State = $rec;
            fn save(&self) -> $rec {
                match self { $(<$live>::$v => $rec::$v),* }
            }
            fn restore(s: &$rec) -> Result<Self, String> {
                Ok(match s { $($rec::$v => <$live>::$v),* })
            }
        }
    };
}
pub(crate) use mirror_enum;

/// Round trip helpers for the per-component tests.
#[cfg(test)]
pub(crate) fn round_trip<T: Persist + PartialEq + std::fmt::Debug>(live: &T) -> T
where
    T::State: serde::Serialize + serde::de::DeserializeOwned,
{
    #[allow(clippy::unwrap_used, reason = "a test fails by panicking")]
    let back: T::State = serde_json::from_str(&serde_json::to_string(&live.save()).unwrap()).unwrap();
    #[allow(clippy::unwrap_used, reason = "a test fails by panicking")]
    T::restore(&back).unwrap()
}

/// Mirrors a struct of plain fields (same names in the JSON) to and from its live type.
macro_rules! mirror_struct {
    ($(#[$m:meta])* $rec:ident <-> $live:path { $($f:ident : $t:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $rec { $(pub $f: $t),* }
        impl crate::checkpoint::records::Persist for $live {
            type State = $rec;
            fn save(&self) -> $rec {
                $rec { $($f: self.$f),* }
            }
            fn restore(s: &$rec) -> Result<Self, String> {
                Ok(Self { $($f: s.$f),* })
            }
        }
    };
}
pub(crate) use mirror_struct;
