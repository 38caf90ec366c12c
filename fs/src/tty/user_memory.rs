//! ioctl arguments live in user memory, which only the kernel can reach
//! (fallible copies through its exception table). Terminal and pipe ioctls
//! reach it through this one hook the kernel installs at boot.

use ringo_uapi::Errno;
use spin::Once;

/// The kernel's user-copy helpers. Both fail with EFAULT on a bad address.
pub trait UserMemory: Send + Sync {
    fn read(&self, addr: usize, out: &mut [u8]) -> Result<(), Errno>;

    fn write(&self, addr: usize, data: &[u8]) -> Result<(), Errno>;
}

static MEMORY: Once<&'static dyn UserMemory> = Once::new();

/// Installs the kernel's user-copy helpers. The first call wins.
pub fn set_user_memory(memory: &'static dyn UserMemory) {
    MEMORY.call_once(|| memory);
}

fn memory() -> Result<&'static dyn UserMemory, Errno> {
    // Without the hook no address can be reached, which is what EFAULT says.
    MEMORY.get().copied().ok_or(Errno::EFAULT)
}

pub(crate) fn read_user(addr: usize, out: &mut [u8]) -> Result<(), Errno> {
    memory()?.read(addr, out)
}

pub(crate) fn write_user(addr: usize, data: &[u8]) -> Result<(), Errno> {
    memory()?.write(addr, data)
}

/// An `int` argument (TIOCSPGRP, FIONREAD's result).
pub(crate) fn read_int(addr: usize) -> Result<i32, Errno> {
    let mut raw = [0u8; 4];
    read_user(addr, &mut raw)?;
    Ok(i32::from_le_bytes(raw))
}

pub(crate) fn write_int(addr: usize, value: i32) -> Result<(), Errno> {
    write_user(addr, &value.to_le_bytes())
}
