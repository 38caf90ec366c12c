//! Kernel backtraces: the frame-pointer chain (the kernel is built with
//! frame pointers) named through the symbol table `ringo build` embeds in
//! the `.ksyms` section. The walk only follows frame pointers that stay on a
//! known kernel stack and move towards its top, so a corrupt chain ends the
//! trace instead of faulting again.

use core::fmt::{self, Write};

use ringo_boot::ksyms::Table;

/// Room for the symbol table; `ringo build` fails loudly if it outgrows it.
const KSYMS_SIZE: usize = 1 << 20;

#[used]
#[unsafe(link_section = ".ksyms")]
static KSYMS_SPACE: [u8; KSYMS_SIZE] = [0; KSYMS_SIZE];

unsafe extern "C" {
    static __ksyms_start: u8;
    static __ksyms_end: u8;
}

fn table() -> Option<Table<'static>> {
    // SAFETY: the linker-script bounds of the .ksyms section, which is
    // mapped read-only with the kernel image. Going through the symbols
    // (not KSYMS_SPACE) keeps the compiler from assuming it is all zeros.
    let bytes = unsafe {
        let start = core::ptr::addr_of!(__ksyms_start);
        let len = core::ptr::addr_of!(__ksyms_end) as usize - start as usize;
        core::slice::from_raw_parts(start, len)
    };
    Table::new(bytes)
}

/// Formats as `name+0xoff` (or `?` when unknown).
pub struct Symbolized(pub u64);

impl fmt::Display for Symbolized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match table().and_then(|t| t.lookup(self.0)) {
            Some((name, off)) => write!(f, "{name}+{off:#x}"),
            None => f.write_str("?"),
        }
    }
}

/// A return address: named by the call instruction before it, so a call at
/// the very end of a function is not attributed to the next one.
struct ReturnAddress(u64);

impl fmt::Display for ReturnAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match table().and_then(|t| t.lookup(self.0 - 1)) {
            Some((name, off)) => write!(f, "{name}+{:#x}", off + 1),
            None => f.write_str("?"),
        }
    }
}

const MAX_FRAMES: usize = 64;

/// Prints `backtrace:` and one line per frame: the faulting `rip` (if any)
/// then the return addresses along the chain starting at `rbp`.
pub fn print(w: &mut impl Write, rip: Option<u64>, mut rbp: u64) {
    let _ = writeln!(w, "backtrace:");
    if table().is_none() {
        let _ = writeln!(w, "  (no symbol table: build the kernel with `ringo build`)");
    }
    let mut n = 0;
    if let Some(rip) = rip {
        let _ = writeln!(w, "  #{n} {rip:#018x} {}", Symbolized(rip));
        n += 1;
    }
    // CPU boot stacks, or the running task's kernel stack.
    let task_stack = crate::process::current_ref().map(|p| {
        let top = p.sched.kstack_top;
        (top - crate::process::KERNEL_STACK_PAGES as u64 * 4096, top)
    });
    let bounds = crate::arch::stack_bounds_containing(rbp).or(task_stack.filter(|&(lo, hi)| (lo..hi).contains(&rbp)));
    let Some((lo, hi)) = bounds else {
        let _ = writeln!(w, "  (frame pointer {rbp:#x} is not on a kernel stack)");
        return;
    };
    while n < MAX_FRAMES && rbp.is_multiple_of(8) && rbp >= lo && rbp + 16 <= hi {
        // SAFETY: rbp lies on a mapped kernel stack (checked above), and a
        // frame record is two words: saved rbp, return address.
        let (next, ret) = unsafe { (*(rbp as *const u64), *((rbp + 8) as *const u64)) };
        if ret == 0 {
            break;
        }
        let _ = writeln!(w, "  #{n} {ret:#018x} {}", ReturnAddress(ret));
        n += 1;
        if next <= rbp {
            break;
        }
        rbp = next;
    }
}
