//! virtio-net feature bits (virtio 1.2, 5.1.3) and the transport bits
//! the driver negotiates.

bitflags::bitflags! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Features: u64 {
        /// The device completes partial checksums of what we send.
        const CSUM = 1 << 0;
        /// The device may hand us frames with partial or already verified checksums.
        const GUEST_CSUM = 1 << 1;
        const MAC = 1 << 5;
        const MRG_RXBUF = 1 << 15;
        const STATUS = 1 << 16;
        const CTRL_VQ = 1 << 17;
        const MQ = 1 << 22;
        const RING_EVENT_IDX = 1 << 29;
        const VERSION_1 = 1 << 32;
    }
}

impl Features {
    /// What Ringo's driver can use: no segmentation offloads yet (they
    /// need a TCP/IP stack that builds large segments).
    pub const WANTED: Features = Features::CSUM
        .union(Features::GUEST_CSUM)
        .union(Features::MAC)
        .union(Features::MRG_RXBUF)
        .union(Features::STATUS)
        .union(Features::CTRL_VQ)
        .union(Features::MQ)
        .union(Features::RING_EVENT_IDX)
        .union(Features::VERSION_1);

    /// Names for the boot log, in bit order.
    pub fn names(self) -> alloc::string::String {
        let mut out = alloc::string::String::new();
        for (name, _) in self.iter_names() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(name);
        }
        out
    }
}

/// Device configuration offsets (virtio 1.2, 5.1.4).
pub const CONFIG_MAC: usize = 0;
pub const CONFIG_MAX_PAIRS: usize = 8;

/// Control queue: multiqueue class and its one command (5.1.6.5.5).
pub const CTRL_CLASS_MQ: u8 = 4;
pub const CTRL_MQ_VQ_PAIRS_SET: u8 = 0;
pub const CTRL_OK: u8 = 0;
