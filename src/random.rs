//! Random bytes for AT_RANDOM, getrandom and /dev/urandom: the CPU's
//! RDRAND where present (QEMU's TCG and KVM both offer it), else a ChaCha20
//! generator keyed at boot from the TSC's low bits (weak entropy, but a
//! sound generator: better than nothing on an old CPU).

use crate::sync::Mutex;

use crate::arch::cpu;

fn has_rdrand() -> bool {
    cpu::cpuid(1).2 & (1 << 30) != 0
}

fn rdrand() -> Option<u64> {
    for _ in 0..10 {
        let v: u64;
        let ok: u8;
        // SAFETY: RDRAND exists (checked by the caller); it only writes the
        // output register and CF.
        unsafe {
            core::arch::asm!("rdrand {v}", "setc {ok}", v = out(reg) v, ok = out(reg_byte) ok, options(nomem, nostack))
        };
        if ok != 0 {
            return Some(v);
        }
    }
    None
}

struct ChaCha {
    key: [u32; 8],
    counter: u64,
}

fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

impl ChaCha {
    fn block(&mut self) -> [u8; 64] {
        let mut init = [0u32; 16];
        init[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
        init[4..12].copy_from_slice(&self.key);
        init[12] = self.counter as u32;
        init[13] = (self.counter >> 32) as u32;
        self.counter += 1;
        let mut s = init;
        for _ in 0..10 {
            quarter(&mut s, 0, 4, 8, 12);
            quarter(&mut s, 1, 5, 9, 13);
            quarter(&mut s, 2, 6, 10, 14);
            quarter(&mut s, 3, 7, 11, 15);
            quarter(&mut s, 0, 5, 10, 15);
            quarter(&mut s, 1, 6, 11, 12);
            quarter(&mut s, 2, 7, 8, 13);
            quarter(&mut s, 3, 4, 9, 14);
        }
        let mut out = [0u8; 64];
        for i in 0..16 {
            out[4 * i..4 * i + 4].copy_from_slice(&s[i].wrapping_add(init[i]).to_le_bytes());
        }
        out
    }
}

static FALLBACK: Mutex<Option<ChaCha>> = Mutex::new(None);

fn fallback_fill(buf: &mut [u8]) {
    let mut g = FALLBACK.lock();
    let c = g.get_or_insert_with(|| {
        let mut key = [0u32; 8];
        for k in key.iter_mut() {
            // Jitter of the TSC around port I/O.
            let mut v = 0u32;
            for _ in 0..32 {
                let t = cpu::rdtsc();
                // SAFETY: reading the CMOS index port has no effect.
                unsafe { x86_64::instructions::port::Port::<u8>::new(0x71).read() };
                v = v.rotate_left(5) ^ (cpu::rdtsc().wrapping_sub(t) as u32);
            }
            *k = v;
        }
        ChaCha { key, counter: 0 }
    });
    for chunk in buf.chunks_mut(64) {
        let b = c.block();
        chunk.copy_from_slice(&b[..chunk.len()]);
    }
}

pub fn fill(buf: &mut [u8]) {
    if has_rdrand() {
        let mut done = 0;
        while done < buf.len() {
            let Some(v) = rdrand() else { break };
            let n = (buf.len() - done).min(8);
            buf[done..done + n].copy_from_slice(&v.to_le_bytes()[..n]);
            done += n;
        }
        if done == buf.len() {
            return;
        }
    }
    fallback_fill(buf)
}
