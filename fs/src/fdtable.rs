// Being written; see lib.rs.
