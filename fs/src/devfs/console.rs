//! /dev/console and /dev/tty: a terminal the kernel implements behind the
//! [`Console`] trait; this side only routes calls to it.

use alloc::sync::Arc;

use ringo_uapi::Errno;

use super::Console;
use crate::vfs::{Device, OpenFlags, ReadBuf, WriteBuf};

pub struct ConsoleDevice(pub Arc<dyn Console>);

impl Device for ConsoleDevice {
    fn read(&self, _offset: u64, buf: &mut dyn WriteBuf, flags: OpenFlags) -> Result<usize, Errno> {
        self.0.read(buf, flags.nonblock())
    }

    fn write(&self, _offset: u64, buf: &mut dyn ReadBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        self.0.write(buf)
    }

    fn ioctl(&self, cmd: u32, arg: usize) -> Result<usize, Errno> {
        self.0.ioctl(cmd, arg)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn poll(&self) -> crate::readiness::PollEvents {
        self.0.poll()
    }

    fn wait_key(&self) -> Option<u64> {
        self.0.wait_key()
    }
}
