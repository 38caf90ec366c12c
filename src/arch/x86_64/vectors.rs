//! The interrupt-vector registry: drivers ask for a vector on a CPU and
//! name the handler; the trap code only looks the vector up here. Device
//! vectors are [`DEVICE_FIRST`]..[`DEVICE_END`], each owned by one handler
//! and delivered to one CPU (the IO-APIC entry or MSI-X message that the
//! driver programs names that CPU's APIC ID).
//!
//! Registration happens at boot, rarely; dispatch happens on every device
//! interrupt, so it reads one slot with two atomic loads and counts the
//! interrupt in the receiving CPU's own block: no lock, no shared line
//! written.

use alloc::string::String;
use core::sync::atomic::{AtomicUsize, Ordering};

use crate::sync::Mutex;

/// The first vector drivers get: above `int 0x80`, whose gate user code
/// may use (a device interrupt there would look like a system call).
pub const DEVICE_FIRST: u8 = 0x81;
/// One past the last: the legacy PIC's range starts here.
pub const DEVICE_END: u8 = super::trap::VECTOR_LEGACY_PIC;
pub const DEVICE_VECTORS: usize = (DEVICE_END - DEVICE_FIRST) as usize;

/// A device interrupt handler; `data` is what the driver registered. It
/// runs with interrupts off on the CPU the vector was routed to; the
/// registry sends the end-of-interrupt after it returns.
pub type Handler = fn(data: usize);

/// What `/proc/interrupts` says of a vector.
#[derive(Clone)]
pub struct Description {
    pub name: String,
    /// "IO-APIC", "PCI-MSIX", ...
    pub chip: &'static str,
    pub level: bool,
    pub cpu: usize,
    /// The GSI for IO-APIC lines (Linux labels rows by IRQ number).
    pub gsi: Option<u32>,
}

struct Slot {
    handler: AtomicUsize,
    data: AtomicUsize,
}

static SLOTS: [Slot; DEVICE_VECTORS] =
    [const { Slot { handler: AtomicUsize::new(0), data: AtomicUsize::new(0) } }; DEVICE_VECTORS];
static DESCRIPTIONS: Mutex<alloc::vec::Vec<(u8, Description)>> = Mutex::new(alloc::vec::Vec::new());
static ALLOCATOR: Mutex<Option<ringo_devices::interrupts::VectorAllocator>> = Mutex::new(None);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorError {
    /// Every device vector is taken.
    Exhausted,
    NoSuchCpu,
}

/// Reserves a vector for `handler` on CPU `cpu` (an index, as in
/// [`super::percpu::cpu`]). The caller routes its interrupt source to that
/// CPU's APIC ID with the returned vector.
pub fn register(handler: Handler, data: usize, description: Description) -> Result<u8, VectorError> {
    if super::percpu::cpu(description.cpu).is_none() {
        return Err(VectorError::NoSuchCpu);
    }
    let vector = {
        let mut alloc = ALLOCATOR.lock();
        let alloc =
            alloc.get_or_insert_with(|| ringo_devices::interrupts::VectorAllocator::new(DEVICE_FIRST..DEVICE_END));
        alloc.alloc().ok_or(VectorError::Exhausted)?
    };
    let slot = &SLOTS[(vector - DEVICE_FIRST) as usize];
    slot.data.store(data, Ordering::Relaxed);
    // Release: a CPU that sees the handler sees its data.
    slot.handler.store(handler as usize, Ordering::Release);
    DESCRIPTIONS.lock().push((vector, description));
    Ok(vector)
}

/// Calls the handler of device vector `vector`; false if it has none.
pub fn dispatch(vector: u8) -> bool {
    let Some(index) = vector.checked_sub(DEVICE_FIRST).map(usize::from).filter(|&i| i < DEVICE_VECTORS) else {
        return false;
    };
    let slot = &SLOTS[index];
    let handler = slot.handler.load(Ordering::Acquire);
    if handler == 0 {
        return false;
    }
    if let Some(cpu) = super::percpu::try_this() {
        cpu.irq_counts[index].fetch_add(1, Ordering::Relaxed);
    }
    // SAFETY: only `register` stores non-zero values here, and they are
    // `Handler` function pointers.
    let handler: Handler = unsafe { core::mem::transmute::<usize, Handler>(handler) };
    handler(slot.data.load(Ordering::Relaxed));
    super::apic::end_of_interrupt();
    true
}

/// `/proc/interrupts`: one row per registered vector (counts per CPU),
/// then the local timer (LOC) as Linux shows it.
pub fn proc_interrupts() -> String {
    use ringo_devices::interrupts::{InterruptRow, proc_interrupts};
    let cpus = super::percpu::count().max(1);
    let per_cpu = |f: &dyn Fn(&super::percpu::PerCpu) -> u64| -> alloc::vec::Vec<u64> {
        (0..cpus).map(|i| super::percpu::cpu(i).map_or(0, f)).collect()
    };
    let mut rows: alloc::vec::Vec<InterruptRow> = DESCRIPTIONS
        .lock()
        .iter()
        .map(|(vector, d)| {
            let index = (vector - DEVICE_FIRST) as usize;
            InterruptRow {
                label: match d.gsi {
                    Some(gsi) => alloc::format!("{gsi}"),
                    None => alloc::format!("{vector}"),
                },
                counts: per_cpu(&|c| c.irq_counts[index].load(Ordering::Relaxed)),
                chip: String::from(d.chip),
                trigger: String::from(if d.level { "level" } else { "edge" }),
                name: d.name.clone(),
            }
        })
        .collect();
    rows.push(InterruptRow {
        label: String::from("LOC"),
        counts: per_cpu(&|c| c.ticks.load(Ordering::Relaxed)),
        chip: String::new(),
        trigger: String::new(),
        name: String::from("Local timer interrupts"),
    });
    proc_interrupts(cpus, &rows)
}
