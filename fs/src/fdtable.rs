//! Open file descriptions and descriptor tables.

mod open_file;
mod table;

pub use open_file::OpenFile;
pub use table::{DEFAULT_NOFILE, FdTable, NR_OPEN};

#[cfg(test)]
mod tests;
