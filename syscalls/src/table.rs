//! The x86-64 system call table generated from syscall_64.tbl: names,
//! which numbers have handlers, and `nr::*` constants.

include!(concat!(env!("OUT_DIR"), "/table.rs"));

/// The Linux name of system call `nr`; None past the table and for the
/// numbers Linux leaves unassigned.
pub fn name(nr: u64) -> Option<&'static str> {
    let i = usize::try_from(nr).ok().filter(|&i| i < COUNT)?;
    (!RESERVED[i]).then_some(NAMES[i])
}

/// Whether the table names a handler for `nr` (false past the table).
pub fn is_implemented(nr: u64) -> bool {
    usize::try_from(nr).ok().and_then(|i| IMPLEMENTED.get(i)).copied().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn unistd_64() -> BTreeMap<u64, String> {
        let path = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h";
        let Ok(text) = std::fs::read_to_string(path) else {
            panic!("{path} missing: install linux-libc-dev");
        };
        let mut calls = BTreeMap::new();
        for line in text.lines() {
            let w: Vec<&str> = line.split_whitespace().collect();
            if let ["#define", define, nr] = w[..]
                && let (Some(name), Ok(nr)) = (define.strip_prefix("__NR_"), nr.parse::<u64>())
            {
                assert!(calls.insert(nr, name.to_string()).is_none(), "{path}: {nr} defined twice");
            }
        }
        assert!(!calls.is_empty(), "{path} defines no __NR_ numbers");
        calls
    }

    #[test]
    fn every_number_and_name_matches_unistd_64_h() {
        let linux = unistd_64();
        let max = *linux.keys().last().unwrap_or(&0);
        assert_eq!(COUNT as u64, max + 1, "the table must end at Linux's highest number");
        for (&nr, linux_name) in &linux {
            assert_eq!(name(nr), Some(linux_name.as_str()), "number {nr}");
        }
        for nr in 0..COUNT as u64 {
            if !linux.contains_key(&nr) {
                assert_eq!(name(nr), None, "{nr} ({}) is not a Linux system call", NAMES[nr as usize]);
                assert_eq!(NAMES[nr as usize], format!("reserved_{nr}"));
                assert!(!is_implemented(nr));
            }
        }
        assert_eq!(LINUX_SYSCALL_COUNT, linux.len());
    }

    #[test]
    fn lookups_outside_the_table_fail_softly() {
        assert_eq!(name(COUNT as u64), None);
        assert_eq!(name(u64::MAX), None);
        assert!(!is_implemented(u64::MAX));
        assert_eq!(name(335), None);
    }

    #[test]
    fn the_nr_constants_agree_with_the_names() {
        assert_eq!(nr::READ, 0);
        assert_eq!(nr::ARCH_PRCTL, 158);
        assert_eq!(nr::EXIT_GROUP, 231);
        assert_eq!(nr::OPENAT, 257);
        assert_eq!(nr::SET_MEMPOLICY_HOME_NODE, 450);
        assert_eq!(name(nr::CLOCK_GETTIME), Some("clock_gettime"));
    }

    /// (nr, name, entry) of every line of syscall_64.tbl, read independently
    /// of build.rs.
    fn table_lines() -> Vec<(u64, String, String)> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/syscall_64.tbl");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                (w[0].parse().unwrap_or(u64::MAX), w[2].to_string(), w[3].to_string())
            })
            .collect()
    }

    #[test]
    fn implemented_flags_follow_the_entry_column() {
        let lines = table_lines();
        assert_eq!(lines.len(), COUNT);
        for (nr, _, entry) in &lines {
            assert_eq!(is_implemented(*nr), entry != "sys_ni_syscall", "number {nr}");
        }
        assert_eq!(IMPLEMENTED.iter().filter(|&&i| i).count(), IMPLEMENTED_COUNT);
    }

    #[test]
    fn the_dispatch_macro_builds_a_table_of_handlers() {
        type Handler = fn() -> u64;
        // Stands in for the kernel's table builder: one fn per handler ident
        // (so every ident must be valid), then an array indexed by number.
        macro_rules! build {
            ($(($nr:literal, $name:ident, $handler:ident)),*) => {{
                $( fn $handler() -> u64 { $nr } )*
                let mut table: [Option<(Handler, &str)>; COUNT] = [None; COUNT];
                $( table[$nr] = Some(($handler as Handler, stringify!($name))); )*
                table
            }};
        }
        let table = implemented_syscalls!(build);
        let lines = table_lines();
        for (nr, name, entry) in lines {
            let slot = table[nr as usize];
            if entry == "sys_ni_syscall" {
                assert!(slot.is_none(), "{name} has no handler");
            } else {
                let Some((handler, macro_name)) = slot else { panic!("{name} missing from the macro") };
                assert_eq!(handler(), nr, "{entry} sits at {nr}");
                assert_eq!(macro_name, name);
            }
        }
        assert_eq!(table.iter().flatten().count(), IMPLEMENTED_COUNT);
    }
}
