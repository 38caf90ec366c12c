//! ACPI tables as the firmware left them in memory. The kernel finds the
//! tables (RSDP, XSDT) and maps each one; these parsers take the mapped bytes.

pub mod aml;
pub mod madt;
pub mod mcfg;
pub mod sdt;

/// Why a table (or a part of one) was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableError {
    /// The bytes end before the structure does.
    Truncated,
    /// The table's bytes do not sum to 0 mod 256.
    BadChecksum,
    /// The table is not the one the parser was asked to read.
    BadSignature,
    /// A length or count inside the table is impossible.
    Malformed,
}
