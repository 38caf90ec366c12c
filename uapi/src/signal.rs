// Filled in by its owner; see lib.rs.
