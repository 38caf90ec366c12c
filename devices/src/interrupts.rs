//! Bookkeeping behind the kernel's interrupt-vector registry: which vectors
//! of a CPU are free, and the `/proc/interrupts` text.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use core::ops::Range;

/// The free vectors of one CPU within a range (the kernel uses 0x50..0xE0:
/// below are exceptions and legacy IRQs, above its IPIs and the timer).
#[derive(Clone, Debug)]
pub struct VectorAllocator {
    range: Range<u8>,
    used: [u64; 4],
}

impl VectorAllocator {
    pub fn new(range: Range<u8>) -> Self {
        VectorAllocator { range, used: [0; 4] }
    }

    fn is_used(&self, v: u8) -> bool {
        self.used[usize::from(v / 64)] & (1 << (v % 64)) != 0
    }

    /// The lowest free vector.
    pub fn alloc(&mut self) -> Option<u8> {
        let v = self.range.clone().find(|v| !self.is_used(*v))?;
        self.used[usize::from(v / 64)] |= 1 << (v % 64);
        Some(v)
    }

    /// Freeing a vector outside the range or already free does nothing.
    pub fn free(&mut self, v: u8) {
        if self.range.contains(&v) {
            self.used[usize::from(v / 64)] &= !(1 << (v % 64));
        }
    }

    pub fn free_count(&self) -> usize {
        self.range.clone().filter(|v| !self.is_used(*v)).count()
    }
}

/// One line of `/proc/interrupts`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterruptRow {
    /// "24", or "NMI", "LOC" for the per-CPU counters.
    pub label: String,
    /// One per CPU; missing ones print as 0.
    pub counts: Vec<u64>,
    /// "IO-APIC", "PCI-MSIX"; empty for the per-CPU counters.
    pub chip: String,
    /// "level", "edge" or "".
    pub trigger: String,
    /// The handler's name, or the counter's description.
    pub name: String,
}

/// Linux's layout (kernel/irq/proc.c, arch/x86/kernel/irq.c): a header of
/// `CPUn` columns, then per row the label right-aligned to the widest label
/// (at least 3, as Linux with few IRQs), `%10u ` per CPU, and for device
/// IRQs the chip right-aligned in 8 and the trigger left-aligned in 8
/// (Linux's `hwirq` column is left out: Ringo has no IRQ domains), then two
/// spaces and the name. Per-CPU counter rows have no chip: the description
/// follows the counts.
pub fn proc_interrupts(cpus: usize, rows: &[InterruptRow]) -> String {
    let prec = rows.iter().map(|r| r.label.len()).max().unwrap_or(0).max(3);
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write!(out, "{:width$}", "", width = prec + 8);
    for cpu in 0..cpus {
        let _ = write!(out, "CPU{cpu:<8}");
    }
    out.push('\n');
    for row in rows {
        let _ = write!(out, "{:>prec$}: ", row.label);
        for cpu in 0..cpus {
            let _ = write!(out, "{:>10} ", row.counts.get(cpu).copied().unwrap_or(0));
        }
        if !row.chip.is_empty() {
            let _ = write!(out, " {:>8} {:<8}", row.chip, row.trigger);
        }
        let _ = writeln!(out, "  {}", row.name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn row(label: &str, counts: &[u64], chip: &str, trigger: &str, name: &str) -> InterruptRow {
        InterruptRow {
            label: label.into(),
            counts: counts.to_vec(),
            chip: chip.into(),
            trigger: trigger.into(),
            name: name.into(),
        }
    }

    #[test]
    fn vectors_are_handed_out_lowest_first_and_reused_after_free() {
        let mut a = VectorAllocator::new(0x50..0xE0);
        assert_eq!(a.alloc(), Some(0x50));
        assert_eq!(a.alloc(), Some(0x51));
        a.free(0x50);
        assert_eq!(a.alloc(), Some(0x50));
        assert_eq!(a.alloc(), Some(0x52));
    }

    #[test]
    fn the_range_runs_out_and_frees_outside_it_are_ignored() {
        let mut a = VectorAllocator::new(0x50..0x53);
        assert_eq!((a.alloc(), a.alloc(), a.alloc(), a.alloc()), (Some(0x50), Some(0x51), Some(0x52), None));
        a.free(0x20);
        a.free(0xFF);
        assert_eq!(a.free_count(), 0);
        a.free(0x51);
        a.free(0x51);
        assert_eq!(a.free_count(), 1);
        assert_eq!(a.alloc(), Some(0x51));
    }

    #[test]
    fn the_kernel_range_has_144_vectors() {
        let mut a = VectorAllocator::new(0x50..0xE0);
        assert_eq!(a.free_count(), 144);
        assert_eq!(core::iter::from_fn(|| a.alloc()).last(), Some(0xDF));
    }

    #[test]
    fn the_table_matches_linux_columns() {
        let rows = vec![
            row("2", &[44, 0], "IO-APIC", "edge", "timer"),
            row("24", &[1234567, 89], "PCI-MSIX", "edge", "virtio0-input.0"),
            row("NMI", &[0, 0], "", "", "Non-maskable interrupts"),
            row("LOC", &[5021, 4980], "", "", "Local timer interrupts"),
        ];
        let text = proc_interrupts(2, &rows);
        let expected = [
            "           CPU0       CPU1       ",
            "  2:         44          0   IO-APIC edge      timer",
            " 24:    1234567         89  PCI-MSIX edge      virtio0-input.0",
            "NMI:          0          0   Non-maskable interrupts",
            "LOC:       5021       4980   Local timer interrupts",
        ];
        assert_eq!(text.lines().collect::<Vec<_>>(), expected);
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn a_wide_label_widens_the_first_column_and_missing_counts_are_zero() {
        let text = proc_interrupts(3, &[row("1024", &[7], "IO-APIC", "level", "x"), row("ERR", &[], "", "", "")]);
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines[0], "            CPU0       CPU1       CPU2       ");
        assert_eq!(lines[1], "1024:          7          0          0   IO-APIC level     x");
        assert_eq!(lines[2], " ERR:          0          0          0   ");
    }
}
