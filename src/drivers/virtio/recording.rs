//! A transport that remembers where each queue's rings are: the crate
//! keeps the used ring private, and [`super::NotifyingQueue`] needs its
//! `avail_event` word.

use virtio_drivers::transport::{DeviceStatus, DeviceType, InterruptStatus, Transport};
use virtio_drivers::{Error, PhysAddr};
use zerocopy::{FromBytes, Immutable, IntoBytes};

/// More queues than any Ringo device uses (virtio-net: 2 per CPU + 1).
pub const MAX_QUEUES: usize = 2 * crate::arch::percpu::MAX_CPUS + 1;

pub struct Recording<T: Transport> {
    pub inner: T,
    device_areas: [u64; MAX_QUEUES],
}

impl<T: Transport> Recording<T> {
    pub fn new(inner: T) -> Self {
        Recording { inner, device_areas: [0; MAX_QUEUES] }
    }

    /// The used ring of `queue` as set up, 0 if it was not.
    pub fn device_area(&self, queue: u16) -> u64 {
        self.device_areas.get(queue as usize).copied().unwrap_or(0)
    }
}

impl<T: Transport> Transport for Recording<T> {
    fn device_type(&self) -> DeviceType {
        self.inner.device_type()
    }
    fn read_device_features(&mut self) -> u64 {
        self.inner.read_device_features()
    }
    fn write_driver_features(&mut self, driver_features: u64) {
        self.inner.write_driver_features(driver_features)
    }
    fn max_queue_size(&mut self, queue: u16) -> u32 {
        self.inner.max_queue_size(queue)
    }
    fn notify(&mut self, queue: u16) {
        self.inner.notify(queue)
    }
    fn get_status(&self) -> DeviceStatus {
        self.inner.get_status()
    }
    fn set_status(&mut self, status: DeviceStatus) {
        self.inner.set_status(status)
    }
    fn set_guest_page_size(&mut self, guest_page_size: u32) {
        self.inner.set_guest_page_size(guest_page_size)
    }
    fn requires_legacy_layout(&self) -> bool {
        self.inner.requires_legacy_layout()
    }
    fn queue_set(
        &mut self,
        queue: u16,
        size: u32,
        descriptors: PhysAddr,
        driver_area: PhysAddr,
        device_area: PhysAddr,
    ) {
        if let Some(slot) = self.device_areas.get_mut(queue as usize) {
            *slot = device_area;
        }
        self.inner.queue_set(queue, size, descriptors, driver_area, device_area)
    }
    fn queue_unset(&mut self, queue: u16) {
        self.inner.queue_unset(queue)
    }
    fn queue_used(&mut self, queue: u16) -> bool {
        self.inner.queue_used(queue)
    }
    fn ack_interrupt(&mut self) -> InterruptStatus {
        self.inner.ack_interrupt()
    }
    fn read_config_generation(&self) -> u32 {
        self.inner.read_config_generation()
    }
    fn read_config_space<V: FromBytes + IntoBytes>(&self, offset: usize) -> Result<V, Error> {
        self.inner.read_config_space(offset)
    }
    fn write_config_space<V: IntoBytes + Immutable>(&mut self, offset: usize, value: V) -> Result<(), Error> {
        self.inner.write_config_space(offset, value)
    }
}
