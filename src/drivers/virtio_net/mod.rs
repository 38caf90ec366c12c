//! Ringo's virtio-net driver, on the crate's transports and queues (its
//! own `VirtIONetRaw` has no multiqueue, control queue or offloads).
//!
//! One receive/transmit pair per CPU when the device offers MQ (PCI with
//! MSI-X: each receive queue interrupts its own CPU), one pair otherwise
//! (virtio-mmio has one interrupt per device). Frames go to
//! [`crate::net::receive`] on the CPU that took the interrupt; any CPU
//! sends on its own pair's transmit queue, so no lock is shared between
//! CPUs on the per-packet path.

mod buffers;
mod features;
mod rx;
mod tx;

use alloc::boxed::Box;
use alloc::vec::Vec;

use ringo_net::link::DropReason;
use ringo_net::mac::MacAddr;
use ringo_net::virtio_hdr::{self, VirtioNetHdr};
use virtio_drivers::transport::{DeviceStatus, Transport};

use crate::drivers::virtio::{self, Doorbell, NotifyingQueue, Recording};
use crate::net::Interface;
use crate::sync::Mutex;
pub use features::Features;
use rx::{Received, RxQueue};
use tx::TxQueue;

/// How the device is reached, for the boot line and the interrupt set-up.
pub enum Attachment {
    /// One interrupt line for the device; `regs` are its registers (the
    /// interrupt status is read and acknowledged there).
    Mmio {
        regs: u64,
        gsi: u32,
        level: bool,
        active_low: bool,
        legacy: bool,
    },
    Pci(crate::drivers::virtio::pci::PciVirtio),
}

/// Frames one interrupt handles before letting the CPU do other work (the
/// rest are taken by a self-IPI at once, after any higher-priority
/// interrupt: the tick is one).
const RX_BUDGET: usize = 64;

pub struct QueuePair {
    index: usize,
    /// The vector this pair's CPU sends itself to finish a receive batch
    /// that ran out of budget. Not the device's own vector: a self-IPI
    /// is edge-triggered, and accepting one on the vector of a
    /// level-triggered line being served would clear the APIC's trigger
    /// bit, so that line's EOI would never reach the IO-APIC again.
    poll_vector: core::sync::atomic::AtomicU8,
    rx: Mutex<RxQueue>,
    tx: Mutex<TxQueue>,
    device: *const VirtioNet,
}

// SAFETY: `device` points to the leaked, never freed VirtioNet that owns
// this pair; the queues are behind locks.
unsafe impl Sync for QueuePair {}
// SAFETY: as above.
unsafe impl Send for QueuePair {}

pub struct VirtioNet {
    pub mac: MacAddr,
    pub features: Features,
    pairs: Vec<QueuePair>,
    iface: spin::Once<&'static Interface>,
    /// MMIO only: the registers holding the interrupt status.
    isr_regs: Option<u64>,
}

#[derive(Debug)]
pub enum SetupError {
    FeaturesRejected,
    Queue(u16, virtio_drivers::Error),
    NoMemory,
    Control(&'static str),
}

impl core::fmt::Display for SetupError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SetupError::FeaturesRejected => f.write_str("the device refused the features"),
            SetupError::Queue(q, e) => write!(f, "queue {q}: {e}"),
            SetupError::NoMemory => f.write_str("no memory for the queues' buffers"),
            SetupError::Control(what) => write!(f, "control queue: {what}"),
        }
    }
}

/// Queue numbers (virtio 1.2, 5.1.2): receiveq N is 2N, transmitq N is
/// 2N+1, the control queue comes after the last pair the device offers.
fn rx_queue(pair: usize) -> u16 {
    (2 * pair) as u16
}
fn tx_queue(pair: usize) -> u16 {
    (2 * pair + 1) as u16
}

fn doorbell(attachment: &Attachment, queue: u16) -> Doorbell {
    match attachment {
        Attachment::Mmio { regs, .. } => {
            Doorbell::Mmio32 { register: regs + crate::drivers::virtio::mmio::REG_QUEUE_NOTIFY, queue }
        }
        Attachment::Pci(p) => p.doorbell(queue),
    }
}

fn make_queue<T: Transport>(
    t: &mut Recording<T>,
    attachment: &Attachment,
    queue: u16,
    event_idx: bool,
) -> Result<NotifyingQueue, SetupError> {
    let q = virtio::Queue::new(t, queue, false, event_idx).map_err(|e| SetupError::Queue(queue, e))?;
    Ok(NotifyingQueue::new(q, doorbell(attachment, queue), event_idx, t.device_area(queue)))
}

/// The control queue: set-up commands only, one at a time (QEMU offers
/// 64 entries).
type ControlQueue = virtio_drivers::queue::VirtQueue<virtio::RingoHal, 16>;

/// Sets the number of queue pairs the device uses (5.1.6.5.5), waiting
/// for the device's answer (bounded: a device that never answers leaves
/// one pair in use).
fn set_queue_pairs(ctrl: &mut (ControlQueue, Doorbell), pairs: u16) -> Result<(), SetupError> {
    let (ctrl, doorbell) = ctrl;
    let area = buffers::BufferArea::new(1).ok_or(SetupError::NoMemory)?;
    let buf = area.slot(0);
    buf[0] = features::CTRL_CLASS_MQ;
    buf[1] = features::CTRL_MQ_VQ_PAIRS_SET;
    buf[2..4].copy_from_slice(&pairs.to_le_bytes());
    buf[4] = 0xff;
    let (command, rest) = buf.split_at_mut(2);
    let (data, rest) = rest.split_at_mut(2);
    let ack = &mut rest[..1];
    // SAFETY: the buffers live in `area` until the device answered (or for
    // ever, if it never does: the area is then leaked).
    let token = unsafe { ctrl.add(&[command, data], &mut [ack]) }.map_err(|_| SetupError::Control("add"))?;
    doorbell.ring();
    let deadline = crate::arch::tsc::micros_since_boot() + 1_000_000;
    while !ctrl.can_pop() {
        if crate::arch::tsc::micros_since_boot() > deadline {
            // The area is never freed (BufferArea has no Drop): the
            // device may still write the answer there.
            return Err(SetupError::Control("no answer"));
        }
        core::hint::spin_loop();
    }
    let buf = area.slot(0);
    let (command, rest) = buf.split_at_mut(2);
    let (data, rest) = rest.split_at_mut(2);
    let ack = &mut rest[..1];
    // SAFETY: the same buffers as added.
    unsafe { ctrl.pop_used(token, &[command, data], &mut [ack]) }.map_err(|_| SetupError::Control("pop"))?;
    if ack[0] == features::CTRL_OK { Ok(()) } else { Err(SetupError::Control("refused")) }
}

impl VirtioNet {
    /// Brings the device up with as many queue pairs as it and the CPUs
    /// allow; interrupts are routed by [`start`].
    pub fn new<T: Transport>(transport: T, attachment: &Attachment) -> Result<VirtioNet, SetupError> {
        let mut t = Recording::new(transport);
        let mut features = t.begin_init(Features::WANTED);
        if !t.get_status().contains(DeviceStatus::FEATURES_OK) {
            return Err(SetupError::FeaturesRejected);
        }
        // Without CTRL_VQ the device cannot be told to use more pairs.
        if !features.contains(Features::CTRL_VQ) {
            features.remove(Features::MQ);
        }
        let mac = if features.contains(Features::MAC) {
            let mut m = [0u8; 6];
            for (i, b) in m.iter_mut().enumerate() {
                *b = t.read_config_space::<u8>(features::CONFIG_MAC + i).unwrap_or(0);
            }
            MacAddr(m)
        } else {
            MacAddr([0x52, 0x54, 0, 0x12, 0x34, 0x56])
        };
        let max_pairs = if features.contains(Features::MQ) {
            t.read_config_space::<u16>(features::CONFIG_MAX_PAIRS).unwrap_or(1).max(1) as usize
        } else {
            1
        };
        // MSI-X is per queue; virtio-mmio has one line, so one pair.
        let per_cpu = matches!(attachment, Attachment::Pci(p) if p.has_msix());
        let cpus = crate::arch::percpu::count().max(1);
        let pairs = if per_cpu { max_pairs.min(cpus) } else { 1 };
        let hdr_len = if features.intersects(Features::MRG_RXBUF | Features::VERSION_1) {
            virtio_hdr::MODERN_LEN
        } else {
            virtio_hdr::LEGACY_LEN
        };
        let event_idx = features.contains(Features::RING_EVENT_IDX);
        let mut queues = Vec::new();
        for p in 0..pairs {
            let rxq = make_queue(&mut t, attachment, rx_queue(p), event_idx)?;
            let mut txq = make_queue(&mut t, attachment, tx_queue(p), event_idx)?;
            // Completions are reclaimed on the next send: no interrupt needed.
            txq.queue.set_dev_notify(false);
            queues.push((rxq, txq));
        }
        let mut ctrl = if features.contains(Features::CTRL_VQ) {
            let index = (2 * max_pairs) as u16;
            let q = ControlQueue::new(&mut t, index, false, event_idx).map_err(|e| SetupError::Queue(index, e))?;
            Some((q, doorbell(attachment, index)))
        } else {
            None
        };
        if let Attachment::Pci(p) = attachment {
            p.route_queues(pairs, rx_queue);
        }
        t.finish_init();
        if pairs > 1
            && let Some(ctrl) = ctrl.as_mut()
        {
            set_queue_pairs(ctrl, pairs as u16)?;
        }
        // The transport and control queue live as long as the device.
        core::mem::forget(ctrl);
        Box::leak(Box::new(t));
        let mut list = Vec::with_capacity(pairs);
        for (index, (rxq, txq)) in queues.into_iter().enumerate() {
            list.push(QueuePair {
                index,
                poll_vector: core::sync::atomic::AtomicU8::new(0),
                rx: Mutex::new(RxQueue::new(rxq, hdr_len).ok_or(SetupError::NoMemory)?),
                tx: Mutex::new(TxQueue::new(txq, hdr_len).ok_or(SetupError::NoMemory)?),
                device: core::ptr::null(),
            });
        }
        let isr_regs = match attachment {
            Attachment::Mmio { regs, .. } => Some(*regs),
            Attachment::Pci(_) => None,
        };
        Ok(VirtioNet { mac, features, pairs: list, iface: spin::Once::new(), isr_regs })
    }

    /// Processes what pair `pair` received, on this CPU.
    fn receive(&self, pair: &QueuePair) {
        let Some(iface) = self.iface.get() else { return };
        let more = pair.rx.lock().poll(RX_BUDGET, |r| match r {
            Received::Frame { frame, hdr } => deliver(iface, frame, &hdr),
            Received::Oversized => crate::net::drop_frame(DropReason::Oversized),
            Received::Malformed => crate::net::drop_frame(DropReason::BadHeader),
        });
        let vector = pair.poll_vector.load(core::sync::atomic::Ordering::Relaxed);
        if more && vector != 0 {
            crate::arch::apic::send_self_ipi(vector);
        }
    }
}

fn deliver(iface: &Interface, frame: &mut [u8], hdr: &VirtioNetHdr) {
    match virtio_hdr::rx_checksum_state(hdr, frame) {
        Ok(csum) => crate::net::receive(iface, frame, csum),
        Err(_) => crate::net::drop_frame(DropReason::BadHeader),
    }
}

impl crate::net::NetDevice for VirtioNet {
    fn transmit(&self, queue: usize, fill: &mut dyn FnMut(&mut [u8]) -> usize) -> bool {
        let Some(pair) = self.pairs.get(queue % self.pairs.len().max(1)) else { return false };
        pair.tx.lock().send(fill).is_ok()
    }

    fn poll(&self) {
        for pair in &self.pairs {
            self.receive(pair);
        }
    }
}

/// The MMIO line: acknowledge, then serve the one pair.
fn mmio_interrupt(data: usize) {
    // SAFETY: `data` is the leaked device registered in `start`.
    let dev = unsafe { &*(data as *const VirtioNet) };
    if let Some(regs) = dev.isr_regs {
        use crate::drivers::virtio::mmio::{REG_INTERRUPT_ACK, REG_INTERRUPT_STATUS};
        // SAFETY: the device's registers, mapped for ever; reading the
        // status and writing it back acknowledges it (virtio 1.2, 4.2.2).
        unsafe {
            let status = core::ptr::read_volatile((regs + REG_INTERRUPT_STATUS) as *const u32);
            core::ptr::write_volatile((regs + REG_INTERRUPT_ACK) as *mut u32, status);
        }
    }
    if let Some(pair) = dev.pairs.first() {
        dev.receive(pair);
        pair.tx.lock().reclaim();
    }
}

/// A receive queue's own MSI-X vector, on the CPU it belongs to.
fn queue_interrupt(data: usize) {
    // SAFETY: `data` is a pair of the leaked device registered in `start`.
    let pair = unsafe { &*(data as *const QueuePair) };
    // SAFETY: set in `start` before the vector was registered.
    let dev = unsafe { &*pair.device };
    dev.receive(pair);
}

/// Registers the device as an interface and routes its interrupts;
/// returns the interface, or None when Ringo has no room for another.
pub fn start(dev: VirtioNet, attachment: Attachment) -> Option<&'static Interface> {
    use crate::arch::vectors::{self, Description};
    let dev: &'static mut VirtioNet = Box::leak(Box::new(dev));
    let dev_ptr = dev as *const VirtioNet;
    for pair in &mut dev.pairs {
        pair.device = dev_ptr;
    }
    let dev: &'static VirtioNet = dev;
    let iface = crate::net::register(dev.mac, dev)?;
    dev.iface.call_once(|| iface);
    let how = match &attachment {
        Attachment::Mmio { regs: _, gsi, level, active_low, legacy } => {
            let desc = Description {
                name: alloc::string::String::from(iface.name),
                chip: "IO-APIC",
                level: *level,
                cpu: 0,
                gsi: Some(*gsi),
            };
            match vectors::register(mmio_interrupt, dev_ptr as usize, desc) {
                Ok(vector) => {
                    let apic_id = crate::arch::percpu::cpu(0).map_or(0, |c| c.apic_id);
                    use ringo_devices::acpi::madt::{Polarity, Trigger};
                    let trigger = if *level { Trigger::Level } else { Trigger::Edge };
                    let polarity = if *active_low { Polarity::Low } else { Polarity::High };
                    if let Err(e) = crate::arch::ioapic::route(*gsi, vector, apic_id, trigger, polarity) {
                        log::warn!("net: {}: cannot route GSI {gsi}: {e:?}", iface.name);
                    }
                }
                Err(e) => log::warn!("net: {}: no interrupt vector: {e:?}", iface.name),
            }
            if *legacy { "virtio-mmio legacy" } else { "virtio-mmio modern" }
        }
        Attachment::Pci(p) => {
            for pair in &dev.pairs {
                let desc = Description {
                    name: alloc::format!("{}-rx-{}", iface.name, pair.index),
                    chip: "PCI-MSIX",
                    level: false,
                    cpu: pair.index,
                    gsi: None,
                };
                match vectors::register(queue_interrupt, pair as *const QueuePair as usize, desc) {
                    Ok(vector) => p.set_queue_message(pair.index, vector),
                    Err(e) => log::warn!("net: {}: no interrupt vector for queue {}: {e:?}", iface.name, pair.index),
                }
            }
            p.enable_msix();
            "virtio-pci"
        }
    };
    for pair in &dev.pairs {
        let desc = Description {
            name: alloc::format!("{}-poll-{}", iface.name, pair.index),
            chip: "self-IPI",
            level: false,
            cpu: pair.index,
            gsi: None,
        };
        match vectors::register(queue_interrupt, pair as *const QueuePair as usize, desc) {
            Ok(vector) => pair.poll_vector.store(vector, core::sync::atomic::Ordering::Relaxed),
            Err(e) => log::warn!("net: {}: no poll vector for queue {}: {e:?}", iface.name, pair.index),
        }
    }
    let pairs = dev.pairs.len();
    log::info!(
        "net: {}: {}, {how}, {pairs} queue pair{}, features {}",
        iface.name,
        dev.mac,
        if pairs == 1 { "" } else { "s" },
        dev.features.names()
    );
    // Frames that arrived before the handlers were in place.
    crate::arch::without_interrupts(|| crate::net::NetDevice::poll(dev));
    Some(iface)
}
