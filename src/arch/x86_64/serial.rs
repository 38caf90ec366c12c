//! COM1, a 16550 UART at port 0x3f8: the kernel's console.

use x86_64::instructions::port::Port;

const COM1: u16 = 0x3f8;

pub struct Serial;

impl Serial {
    /// 115200 8N1, FIFOs on, interrupts off.
    pub fn init() {
        // SAFETY: COM1's registers; the ports are standard on every PC-type
        // machine QEMU models and writing them has no effect on memory.
        unsafe {
            Port::<u8>::new(COM1 + 1).write(0x00);
            Port::<u8>::new(COM1 + 3).write(0x80);
            Port::<u8>::new(COM1).write(0x01);
            Port::<u8>::new(COM1 + 1).write(0x00);
            Port::<u8>::new(COM1 + 3).write(0x03);
            Port::<u8>::new(COM1 + 2).write(0xc7);
            Port::<u8>::new(COM1 + 4).write(0x03);
        }
    }

    pub fn write_byte(b: u8) {
        // SAFETY: see `init`; reading the line status register has no side
        // effect, writing THR sends one byte.
        unsafe {
            let mut lsr = Port::<u8>::new(COM1 + 5);
            let mut spins = 0u32;
            // Bounded: a missing UART reads 0xff (ready), a stuck one must
            // not hang the fault path.
            while lsr.read() & 0x20 == 0 && spins < 100_000 {
                spins += 1;
                core::hint::spin_loop();
            }
            Port::<u8>::new(COM1).write(b);
        }
    }

    /// A received byte, if one is waiting.
    pub fn read_byte() -> Option<u8> {
        // SAFETY: see `init`; LSR bit 0 says a byte is in the receive buffer.
        unsafe { (Port::<u8>::new(COM1 + 5).read() & 1 != 0).then(|| Port::<u8>::new(COM1).read()) }
    }

    pub fn write_bytes(s: &[u8]) {
        for &b in s {
            if b == b'\n' {
                Self::write_byte(b'\r');
            }
            Self::write_byte(b);
        }
    }
}
