//! Modern virtio-pci (virtio 1.2, 4.1) on the crate's `PciTransport`, plus
//! what it lacks: MSI-X, one message per receive queue aimed at that
//! queue's CPU, and per-queue doorbell addresses.

use ringo_devices::pci::{self as pcilib, Bdf, ConfigSpace, Function, msix};
use virtio_drivers::transport::pci::PciTransport;
use virtio_drivers::transport::pci::bus::{DeviceFunction, PciRoot};

use super::{Doorbell, RingoHal};
use crate::drivers::pci::Cfg;

const VIRTIO_VENDOR: u16 = 0x1af4;
/// Vendor capability types (4.1.4).
const CAP_COMMON: u8 = 1;
const CAP_NOTIFY: u8 = 2;
/// Common configuration registers (4.1.4.3).
const COMMON_MSIX_CONFIG: u64 = 0x10;
const COMMON_QUEUE_SELECT: u64 = 0x16;
const COMMON_QUEUE_MSIX_VECTOR: u64 = 0x1a;
const COMMON_QUEUE_NOTIFY_OFF: u64 = 0x1e;
const NO_VECTOR: u16 = 0xffff;

struct MsixTable {
    info: msix::MsixInfo,
    virt: u64,
}

pub struct PciVirtio {
    pub at: Bdf,
    cfg: Cfg,
    common: u64,
    notify_base: u64,
    notify_multiplier: u32,
    msix: Option<MsixTable>,
}

/// The memory BAR `bar`'s address as programmed (0 if none).
fn bar_address(cfg: &Cfg, at: Bdf, bar: u8) -> u64 {
    if bar >= 6 {
        return 0;
    }
    let low = cfg.read32(at, 0x10 + 4 * bar as u16);
    if low & 1 != 0 {
        return 0; // an IO BAR
    }
    let mut addr = (low & !0xf) as u64;
    if (low >> 1) & 3 == 2 && bar < 5 {
        addr |= (cfg.read32(at, 0x10 + 4 * (bar as u16 + 1)) as u64) << 32;
    }
    addr
}

fn map_region(cfg: &Cfg, at: Bdf, bar: u8, offset: u64, len: u64) -> Option<u64> {
    let base = bar_address(cfg, at, bar);
    if base == 0 || len == 0 {
        return None;
    }
    crate::arch::paging::map_mmio(base + offset, len).ok()
}

impl PciVirtio {
    /// A virtio device at `f`: its transport and the extras.
    pub fn probe(cfg: Cfg, f: &Function) -> Option<(PciTransport, PciVirtio)> {
        if f.vendor != VIRTIO_VENDOR {
            return None;
        }
        let at = f.at;
        pcilib::set_command(&cfg, at, true, false, true);
        pcilib::disable_intx(&cfg, at);
        let mut common = None;
        let mut notify = None;
        let mut msix_info = None;
        for cap in pcilib::capabilities(&cfg, at) {
            let off = cap.offset as u16;
            match cap.id {
                pcilib::CAP_VENDOR => {
                    let kind = (cfg.read32(at, off) >> 24) as u8;
                    let bar = cfg.read32(at, off + 4) as u8;
                    let offset = cfg.read32(at, off + 8) as u64;
                    let len = cfg.read32(at, off + 12) as u64;
                    match kind {
                        CAP_COMMON if common.is_none() => common = Some((bar, offset, len)),
                        CAP_NOTIFY if notify.is_none() => {
                            notify = Some((bar, offset, len, cfg.read32(at, off + 16)));
                        }
                        _ => {}
                    }
                }
                pcilib::CAP_MSIX => msix_info = Some(msix::read(&cfg, at, cap.offset)),
                _ => {}
            }
        }
        let (cbar, coff, clen) = common?;
        let (nbar, noff, nlen, notify_multiplier) = notify?;
        let common = map_region(&cfg, at, cbar, coff, clen)?;
        let notify_base = map_region(&cfg, at, nbar, noff, nlen)?;
        let msix = msix_info.and_then(|info| {
            let virt = map_region(
                &cfg,
                at,
                info.table_bar,
                info.table_offset as u64,
                info.table_size as u64 * msix::ENTRY_SIZE,
            )?;
            Some(MsixTable { info, virt })
        });
        let mut root = PciRoot::new(cfg);
        let df = DeviceFunction { bus: at.bus, device: at.device, function: at.function };
        let transport = match PciTransport::new::<RingoHal, Cfg>(&mut root, df) {
            Ok(t) => t,
            Err(e) => {
                log::warn!("pci {at}: virtio transport: {e}");
                return None;
            }
        };
        Some((transport, PciVirtio { at, cfg, common, notify_base, notify_multiplier, msix }))
    }

    pub fn has_msix(&self) -> bool {
        self.msix.is_some()
    }

    fn select(&self, queue: u16) {
        // SAFETY: the common configuration is mapped uncached; selecting a
        // queue only changes which queue the next accesses mean (set-up
        // runs on one CPU).
        unsafe { core::ptr::write_volatile((self.common + COMMON_QUEUE_SELECT) as *mut u16, queue) }
    }

    pub fn doorbell(&self, queue: u16) -> Doorbell {
        self.select(queue);
        // SAFETY: as in `select`.
        let off = unsafe { core::ptr::read_volatile((self.common + COMMON_QUEUE_NOTIFY_OFF) as *const u16) };
        Doorbell::Pci16 { register: self.notify_base + off as u64 * self.notify_multiplier as u64, queue }
    }

    /// Receive queue of pair `p` signals MSI-X entry `p`; transmit
    /// queues and configuration changes signal nothing (completions are
    /// reclaimed on send). Before DRIVER_OK.
    pub fn route_queues(&self, pairs: usize, rx_queue: fn(usize) -> u16) {
        if self.msix.is_none() {
            return;
        }
        // SAFETY: as in `select`.
        unsafe { core::ptr::write_volatile((self.common + COMMON_MSIX_CONFIG) as *mut u16, NO_VECTOR) };
        for p in 0..pairs {
            for (queue, vector) in [(rx_queue(p), p as u16), (rx_queue(p) + 1, NO_VECTOR)] {
                self.select(queue);
                // SAFETY: as in `select`.
                let read_back = unsafe {
                    let reg = (self.common + COMMON_QUEUE_MSIX_VECTOR) as *mut u16;
                    core::ptr::write_volatile(reg, vector);
                    core::ptr::read_volatile(reg)
                };
                if read_back != vector {
                    log::warn!("pci {}: queue {queue} refused MSI-X entry {vector}", self.at);
                }
            }
        }
    }

    /// Aims MSI-X entry `entry` at `vector` on CPU `entry` (the pair's CPU).
    pub fn set_queue_message(&self, entry: usize, vector: u8) {
        let Some(table) = &self.msix else { return };
        let apic_id = crate::arch::percpu::cpu(entry).map_or(0, |c| c.apic_id);
        let (Some(msg), Some(offset)) = (msix::x86_msi(apic_id, vector), msix::entry_offset(&table.info, entry as u16))
        else {
            log::warn!("pci {}: no MSI-X message for entry {entry}", self.at);
            return;
        };
        let words = msix::entry_words(&msg, false);
        for (i, w) in words.iter().enumerate() {
            // SAFETY: the MSI-X table is mapped uncached and `offset` is
            // inside it (entry_offset checks the table size).
            unsafe { core::ptr::write_volatile((table.virt + offset + 4 * i as u64) as *mut u32, *w) };
        }
    }

    pub fn enable_msix(&self) {
        if let Some(table) = &self.msix {
            msix::set_enabled(&self.cfg, self.at, &table.info, true, false);
        }
    }
}
