//! docs/compat.md: which Linux system calls Ringo implements, generated from
//! the table so it cannot drift from it.

use crate::i386::{I386_COUNT, I386_MAPPED_COUNT, I386_TO_X86_64, i386_name, i386_to_x86_64};
use crate::table::{COUNT, IMPLEMENTED_COUNT, LINUX_SYSCALL_COUNT, is_implemented, name};
use core::fmt::{self, Write};

/// The whole of docs/compat.md.
pub fn write_compat_report(out: &mut impl Write) -> fmt::Result {
    let i386_calls = (0..I386_COUNT as u64).filter(|&nr| i386_name(nr).is_some()).count();
    let i386_implemented = I386_TO_X86_64
        .iter()
        .enumerate()
        .filter_map(|(nr, _)| i386_to_x86_64(nr as u64))
        .filter(|&nr64| is_implemented(nr64))
        .count();
    writeln!(out, "# Linux system call compatibility")?;
    writeln!(out)?;
    writeln!(
        out,
        "Generated from `syscalls/syscall_64.tbl` by the host tests of ringo-syscalls; do not edit. \
         After changing the table run `UPDATE_COMPAT=1 cargo test -p ringo-syscalls`."
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Implemented: **{IMPLEMENTED_COUNT}** of {LINUX_SYSCALL_COUNT} Linux x86-64 system calls \
         (numbers 0 to {}, {} of them unassigned by Linux). Every other call returns ENOSYS.",
        COUNT - 1,
        COUNT - LINUX_SYSCALL_COUNT
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "`int 0x80` (i386 numbering): {I386_MAPPED_COUNT} of {i386_calls} i386 calls run the x86-64 handler, \
         {i386_implemented} of those implemented; the rest return ENOSYS (rules: `syscalls/i386_rules.txt`)."
    )?;
    writeln!(out)?;
    writeln!(out, "| nr | name | implemented |")?;
    writeln!(out, "|---:|------|:-----------:|")?;
    for nr in 0..COUNT as u64 {
        if let Some(name) = name(nr) {
            writeln!(out, "| {nr} | {name} | {} |", if is_implemented(nr) { "yes" } else { "no" })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_compat_md_is_current() {
        let mut report = String::new();
        write_compat_report(&mut report).unwrap_or_default();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/compat.md");
        if std::env::var_os("UPDATE_COMPAT").is_some_and(|v| v == "1") {
            std::fs::write(path, &report).unwrap_or_else(|e| panic!("{path}: {e}"));
            return;
        }
        let checked_in = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            checked_in == report,
            "docs/compat.md does not match the syscall tables (syscalls/*.tbl, i386_rules.txt); \
             regenerate it with `UPDATE_COMPAT=1 cargo test -p ringo-syscalls` and commit it"
        );
    }

    #[test]
    fn the_report_lists_every_linux_call_once() {
        let mut report = String::new();
        write_compat_report(&mut report).unwrap_or_default();
        let rows: Vec<&str> = report.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| nr")).collect();
        assert_eq!(rows.len(), LINUX_SYSCALL_COUNT);
        assert_eq!(rows.iter().filter(|r| r.ends_with("| yes |")).count(), IMPLEMENTED_COUNT);
        assert!(rows.contains(&"| 0 | read | yes |"));
        assert!(!report.contains("reserved_"));
    }
}
