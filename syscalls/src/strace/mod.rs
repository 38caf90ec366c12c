//! strace-style lines for `ringo.strace` and ENOSYS logs:
//! `openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3`.
//! Pure formatting into any `core::fmt::Write`; user memory is read only
//! through [`UserMemory`].

mod arg_format;
mod escape;
pub mod flag_names;
mod user_memory;

pub use escape::write_escaped;
pub use user_memory::{BYTES_MAX, STR_MAX, UserMemory};

use crate::signature::{RetKind, signature};
use crate::table::name;
use core::fmt::{self, Write};
use ringo_uapi::Errno;

/// `name(arg, arg, ...)` for system call `nr`. Calls without a signature
/// show six hex arguments; numbers outside the table are `syscall_<nr>`.
pub fn format_call(out: &mut impl Write, nr: u64, args: [u64; 6], mem: &dyn UserMemory) -> fmt::Result {
    if let Some(sig) = signature(nr) {
        write!(out, "{}(", sig.name)?;
        for (i, arg) in sig.args.iter().enumerate() {
            if i > 0 {
                out.write_str(", ")?;
            }
            let next = args.get(i + 1).copied().unwrap_or(0);
            arg_format::write_arg(out, arg.kind, args[i], next, mem)?;
        }
        return out.write_char(')');
    }
    match name(nr) {
        Some(name) => out.write_str(name)?,
        None => write!(out, "syscall_{nr}")?,
    }
    write!(out, "({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x})", args[0], args[1], args[2], args[3], args[4], args[5])
}

/// Linux returns errors as -1..=-4095; anything below is a value (an
/// address from mmap, for instance).
const MAX_ERRNO: i64 = 4095;

/// ` = 3`, ` = 0x7f0000000000` for address results, or
/// ` = -1 ENOENT (No such file or directory)`.
pub fn format_result(out: &mut impl Write, nr: u64, ret: i64) -> fmt::Result {
    if (-MAX_ERRNO..0).contains(&ret) {
        let code = -ret as i32;
        return match Errno::from_code(code) {
            Some(e) => write!(out, " = -1 {} ({})", e.name(), e.description()),
            None => write!(out, " = -1 (errno {code})"),
        };
    }
    match signature(nr).map(|s| s.ret) {
        Some(RetKind::Hex) => write!(out, " = {:#x}", ret as u64),
        _ => write!(out, " = {ret}"),
    }
}

#[cfg(test)]
mod tests {
    use super::user_memory::FakeMemory;
    use super::*;
    use crate::table::nr;

    const BASE: u64 = 0x40_0000;

    fn memory() -> FakeMemory {
        let mut bytes = b"/etc/passwd\0hello, world\n\0".to_vec();
        bytes.extend_from_slice(&[b'a'; 100]);
        FakeMemory { base: BASE, bytes }
    }

    fn call(nr: u64, args: [u64; 6]) -> String {
        let mut s = String::new();
        format_call(&mut s, nr, args, &memory()).unwrap_or_default();
        s
    }

    fn result(nr: u64, ret: i64) -> String {
        let mut s = String::new();
        format_result(&mut s, nr, ret).unwrap_or_default();
        s
    }

    #[test]
    fn calls_are_decoded_by_signature() {
        assert_eq!(
            call(nr::OPENAT, [(-100i64) as u64, BASE, 0o2000000, 0, 0, 0]),
            "openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC, 000)"
        );
        assert_eq!(call(nr::WRITE, [1, BASE + 12, 13, 0, 0, 0]), "write(1, \"hello, world\\n\", 13)");
        assert_eq!(call(nr::READ, [0, BASE, 4096, 0, 0, 0]), "read(0, 0x400000, 4096)");
        assert_eq!(call(nr::GETPID, [7; 6]), "getpid()");
        assert_eq!(
            call(nr::MMAP, [0, 8192, 3, 0x22, u64::MAX, 0]),
            "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)"
        );
        assert_eq!(call(nr::ARCH_PRCTL, [0x1002, 0x4d5000, 0, 0, 0, 0]), "arch_prctl(ARCH_SET_FS, 0x4d5000)");
        assert_eq!(call(nr::CLOCK_GETTIME, [1, 0x7ffc_0000, 0, 0, 0, 0]), "clock_gettime(CLOCK_MONOTONIC, 0x7ffc0000)");
        assert_eq!(call(nr::EXIT_GROUP, [0, 0, 0, 0, 0, 0]), "exit_group(0)");
    }

    #[test]
    fn long_data_and_strings_are_cut() {
        let a_run = BASE + 26;
        let s = call(nr::WRITE, [1, a_run, 100, 0, 0, 0]);
        assert_eq!(s, format!("write(1, \"{}\"..., 100)", "a".repeat(BYTES_MAX)));
        let s = call(nr::CHDIR, [a_run, 0, 0, 0, 0, 0]);
        assert_eq!(s, format!("chdir(\"{}\"...)", "a".repeat(STR_MAX)));
    }

    #[test]
    fn bad_pointers_show_as_addresses() {
        assert_eq!(call(nr::OPEN, [0xdead_0000, 0o101, 0o644, 0, 0, 0]), "open(0xdead0000, O_WRONLY|O_CREAT, 0644)");
        assert_eq!(call(nr::WRITE, [2, 0, 5, 0, 0, 0]), "write(2, NULL, 5)");
    }

    #[test]
    fn calls_without_a_signature_show_six_hex_arguments() {
        assert_eq!(call(nr::KEXEC_LOAD, [1, 2, 3, 4, 5, 6]), "kexec_load(0x1, 0x2, 0x3, 0x4, 0x5, 0x6)");
        assert_eq!(call(335, [0; 6]), "syscall_335(0x0, 0x0, 0x0, 0x0, 0x0, 0x0)");
        assert_eq!(call(1000, [0xff, 0, 0, 0, 0, 0]), "syscall_1000(0xff, 0x0, 0x0, 0x0, 0x0, 0x0)");
    }

    #[test]
    fn results_show_values_or_errors() {
        assert_eq!(result(nr::OPENAT, 3), " = 3");
        assert_eq!(result(nr::OPENAT, -2), " = -1 ENOENT (No such file or directory)");
        assert_eq!(result(nr::CLONE, -38), " = -1 ENOSYS (Invalid system call number)");
        assert_eq!(result(nr::MMAP, 0x7f00_0000_0000), " = 0x7f0000000000");
        assert_eq!(result(nr::BRK, 0x4d6000), " = 0x4d6000");
        assert_eq!(result(nr::MMAP, -12), " = -1 ENOMEM (Out of memory)");
        assert_eq!(result(nr::READ, -4000), " = -1 (errno 4000)");
        assert_eq!(result(nr::LSEEK, -5000), " = -5000");
        assert_eq!(result(9999, 0), " = 0");
    }
}
