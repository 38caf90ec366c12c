//! The architecture layer: everything that touches the CPU and platform
//! directly. The rest of the kernel uses only what this facade exports.

mod x86_64;
pub use self::x86_64::*;
