//! In-kernel self-tests, chosen with `ringo.ktest=NAME` on the command line
//! and run instead of init. Each prints `ktest NAME: ok ...` and powers off
//! with status 0, or panics (status 70) with what went wrong. The host-side
//! tests in qemu-tests/ boot them and check the output.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use ringo_mm::memmap::MemoryMap;

use crate::arch::{cpu, percpu, power, tsc};
use crate::{idle, mem, println};

pub fn run(name: &str, memmap: &MemoryMap) -> ! {
    match name {
        "smp" => smp(),
        "heap" => heap(),
        "frames" => frames(memmap),
        "pagefault" => page_fault(),
        "panic" => panic(),
        "stackoverflow" => stack_overflow(),
        "watchdog" => stuck(true),
        "watchdog-nmi" => stuck(false),
        _ => {
            println!(
                "ringo: unknown ktest '{name}' (known: smp heap frames pagefault panic stackoverflow watchdog watchdog-nmi)"
            );
            power::exit(1, "unknown ktest")
        }
    }
}

/// Every CPU takes timer ticks and reports; the boot CPU waits for all.
fn smp() -> ! {
    const TICKS: u64 = 5;
    let cpus = percpu::count();
    idle::REPORT_AFTER_TICKS.store(TICKS, Ordering::Release);
    let me = percpu::current().expect("boot CPU installed");
    let deadline = cpu::rdtsc() + tsc::khz() * 20_000; // 20 s
    let mut reported = false;
    loop {
        let ticks = me.ticks.load(Ordering::Relaxed);
        if !reported && ticks >= TICKS {
            println!("smp: cpu {} (apic {}) online, {} ticks", me.index, me.apic_id, ticks);
            idle::REPORTED.fetch_add(1, Ordering::AcqRel);
            reported = true;
        }
        if idle::REPORTED.load(Ordering::Acquire) == cpus {
            println!("ktest smp: ok, {cpus} CPUs ticking");
            power::exit(0, "");
        }
        assert!(
            cpu::rdtsc() < deadline,
            "only {} of {cpus} CPUs reported ticks",
            idle::REPORTED.load(Ordering::Acquire)
        );
        cpu::enable_interrupts_and_halt();
    }
}

/// xorshift64: deterministic pseudo-random sizes and orders.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn fill_byte(tag: u64) -> u8 {
    (tag as u8) | 1
}

/// Many live allocations of mixed sizes, freed in random order; each keeps
/// its own pattern, so overlapping blocks would show. Then enough large
/// blocks at once to make the heap grow several times.
fn heap() -> ! {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut slots: Vec<Option<(u64, Vec<u8>)>> = (0..512).map(|_| None).collect();
    let start_size = mem::HEAP.size();
    let rounds = 20_000u64;
    for tag in 0..rounds {
        let i = (rng.next() % slots.len() as u64) as usize;
        if let Some((old, v)) = slots[i].take() {
            assert!(v.iter().all(|&b| b == fill_byte(old)), "heap block {old} was overwritten");
        }
        let size = match rng.next() % 100 {
            0 => 256 * 1024 + (rng.next() % 65536) as usize,
            1..10 => 4096 + (rng.next() % 60_000) as usize,
            _ => 1 + (rng.next() % 512) as usize,
        };
        slots[i] = Some((tag, alloc::vec![fill_byte(tag); size]));
    }
    for (tag, v) in slots.iter().flatten() {
        assert!(v.iter().all(|&b| b == fill_byte(*tag)), "heap block {tag} was overwritten");
    }
    drop(slots);

    // Small blocks grow the buddy heap; large ones (LARGE_BLOCK and up)
    // are frames, given back when freed.
    let small: Vec<Box<[u64]>> = (0..1536u64).map(|i| alloc::vec![i; 4 * 1024].into_boxed_slice()).collect();
    for (i, b) in small.iter().enumerate() {
        assert!(b.iter().all(|&x| x == i as u64), "heap block {i} was overwritten");
    }
    let grown = mem::HEAP.size();
    drop(small);
    assert!(grown >= start_size + 48 * 1024 * 1024, "heap did not grow: {start_size} -> {grown}");
    let free_before = mem::frame_stats().free_pages;
    let big: Vec<Box<[u64]>> = (0..48u64).map(|i| alloc::vec![i; 128 * 1024].into_boxed_slice()).collect();
    for (i, b) in big.iter().enumerate() {
        assert!(b.iter().all(|&x| x == i as u64), "large block {i} was overwritten");
    }
    let free_live = mem::frame_stats().free_pages;
    drop(big);
    let free_after = mem::frame_stats().free_pages;
    assert!(free_before - free_live >= 48 * 256, "48 MiB of large blocks took {} pages", free_before - free_live);
    assert!(free_after == free_before, "large blocks were not given back: {free_before} -> {free_after} pages");
    println!(
        "ktest heap: ok ({rounds} mixed allocations, heap grew {} -> {} MiB, 48 MiB of large blocks given back)",
        start_size >> 20,
        grown >> 20
    );
    power::exit(0, "")
}

/// Takes every free frame: each must be page-aligned, inside usable RAM and
/// handed out once (each frame holds its own address until the end). Then
/// all go back, and large aligned blocks come out again.
fn frames(memmap: &MemoryMap) -> ! {
    let before = mem::frame_stats();
    let mut taken: Vec<u64> = Vec::with_capacity(before.free_pages as usize);
    let in_usable = |f: u64| memmap.usable(4096).any(|(s, e)| f >= s && f + 4096 <= e);
    while taken.len() < taken.capacity() {
        let Some(f) = mem::alloc_frames(1) else { break };
        assert!(f.is_multiple_of(4096), "frame {f:#x} is not page-aligned");
        assert!(in_usable(f), "frame {f:#x} is not in usable RAM");
        let p = crate::arch::paging::phys_to_virt(f) as *mut u64;
        // SAFETY: a frame we own, mapped by the direct map.
        unsafe {
            p.write_volatile(f);
            p.add(511).write_volatile(!f);
        }
        taken.push(f);
    }
    assert!(mem::alloc_frames(1).is_none(), "frames left after draining the allocator");
    for &f in &taken {
        let p = crate::arch::paging::phys_to_virt(f) as *const u64;
        // SAFETY: as above.
        let (a, b) = unsafe { (p.read_volatile(), p.add(511).read_volatile()) };
        assert!(a == f && b == !f, "frame {f:#x} was handed out twice");
    }
    let count = taken.len();
    for &f in &taken {
        // SAFETY: each frame came from alloc_frames(1) and is unused now.
        unsafe { mem::free_frames(f, 1) };
    }
    drop(taken);
    let after = mem::frame_stats();
    assert_eq!(after.free_pages, before.free_pages, "frames were lost");

    let mut blocks = Vec::new();
    for _ in 0..8 {
        let b = mem::alloc_frames(512).expect("a 2 MiB block after freeing everything");
        assert!(b.is_multiple_of(2 << 20), "2 MiB block {b:#x} is not 2 MiB aligned");
        assert!(in_usable(b) && in_usable(b + (2 << 20) - 4096), "block {b:#x} leaves usable RAM");
        blocks.push(b);
    }
    for b in blocks {
        // SAFETY: allocated just above with the same size.
        unsafe { mem::free_frames(b, 512) };
    }
    println!("ktest frames: ok ({count} frames taken, each once and inside usable RAM; all returned)");
    power::exit(0, "")
}

#[inline(never)]
fn page_fault() -> ! {
    let p = 0xdead_0000 as *const u64;
    // SAFETY: deliberately not safe: the fault handler must report this.
    let v = unsafe { p.read_volatile() };
    panic!("read {v:#x} from an unmapped address without a fault");
}

/// Spins in the kernel, with interrupts on (the CPU's own tick notices) or
/// off (the next CPU notices and sends an NMI): the watchdog must report
/// the stuck CPU with a backtrace well before 30 s.
fn stuck(interrupts: bool) -> ! {
    crate::arch::watchdog::arm();
    if interrupts {
        cpu::enable_interrupts();
    } else {
        cpu::disable_interrupts();
    }
    let start = tsc::micros_since_boot();
    while tsc::micros_since_boot() - start < 30_000_000 {
        core::hint::spin_loop();
    }
    panic!("the watchdog let a CPU spin in the kernel for 30 s");
}

/// Recurses on the boot stack until it runs into its guard page: the fault
/// report must name the stack.
fn stack_overflow() -> ! {
    let depth = recurse(0);
    panic!("recursed {depth} times without reaching the stack's guard page");
}

#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let frame = core::hint::black_box([depth; 64]);
    if depth > 1 << 20 {
        return depth;
    }
    recurse(depth + 1) + frame[(depth % 64) as usize]
}

#[inline(never)]
fn panic() -> ! {
    panic_now(core::hint::black_box(42))
}

#[inline(never)]
fn panic_now(n: u32) -> ! {
    panic!("deliberate panic ({n})")
}
