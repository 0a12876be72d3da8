//! Memory: address newtypes, sparse physical memory, the paging walker and memory types.
pub mod addr;
pub mod memtype;
pub mod nested;
pub mod paging;
pub mod phys;
pub mod pt_pages;

pub use addr::{Gpa, Gva, Hpa};
pub use nested::NestedPaging;
pub use phys::PhysMem;
