//! Memory: address newtypes, sparse physical memory, the paging walker and memory types.
pub(crate) mod addr;
pub mod memtype;
pub(crate) mod nested;
pub mod paging;
pub(crate) mod paging_legacy;
pub(crate) mod phys;
pub(crate) mod pt_pages;

pub use addr::{Gpa, Gva, Hpa};
pub use nested::NestedPaging;
pub use phys::PhysMem;
