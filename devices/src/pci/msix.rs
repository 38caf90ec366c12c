//! MSI-X: where a function's vector table is, switching it on, and the x86
//! message each entry holds. The kernel maps the table BAR and writes the
//! entries with volatile stores.

use super::{Bdf, ConfigSpace};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsixInfo {
    pub cap_offset: u8,
    /// Entries.
    pub table_size: u16,
    pub table_bar: u8,
    pub table_offset: u32,
    pub pba_bar: u8,
    pub pba_offset: u32,
}

pub const ENTRY_SIZE: u64 = 16;

const CONTROL: u16 = 2;
const TABLE: u16 = 4;
const PBA: u16 = 8;
const CONTROL_ENABLE: u16 = 1 << 15;
const CONTROL_FUNCTION_MASK: u16 = 1 << 14;
const BIR_MASK: u32 = 0x7;

pub fn read(cfg: &impl ConfigSpace, at: Bdf, cap_offset: u8) -> MsixInfo {
    let cap = u16::from(cap_offset);
    let control = cfg.read16(at, cap + CONTROL);
    let table = cfg.read32(at, cap + TABLE);
    let pba = cfg.read32(at, cap + PBA);
    MsixInfo {
        cap_offset,
        table_size: (control & 0x7FF) + 1,
        table_bar: (table & BIR_MASK) as u8,
        table_offset: table & !BIR_MASK,
        pba_bar: (pba & BIR_MASK) as u8,
        pba_offset: pba & !BIR_MASK,
    }
}

/// Sets the enable and function-mask bits. Enable with the function masked
/// first, fill the table, then unmask: no entry fires half-written.
pub fn set_enabled(cfg: &impl ConfigSpace, at: Bdf, info: &MsixInfo, enabled: bool, function_mask: bool) {
    let offset = u16::from(info.cap_offset) + CONTROL;
    let mut control = cfg.read16(at, offset) & !(CONTROL_ENABLE | CONTROL_FUNCTION_MASK);
    if enabled {
        control |= CONTROL_ENABLE;
    }
    if function_mask {
        control |= CONTROL_FUNCTION_MASK;
    }
    cfg.write16(at, offset, control);
}

/// The entry's offset in the table BAR, or `None` past the table.
pub fn entry_offset(info: &MsixInfo, index: u16) -> Option<u64> {
    (index < info.table_size).then(|| u64::from(info.table_offset) + u64::from(index) * ENTRY_SIZE)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsiMessage {
    pub address: u64,
    pub data: u32,
}

const MSI_ADDRESS_BASE: u64 = 0xFEE0_0000;

/// A fixed, edge-triggered interrupt with physical destination `apic_id`.
/// Without interrupt remapping the destination field has 8 bits; vectors
/// below 16 are reserved for exceptions.
pub fn x86_msi(apic_id: u32, vector: u8) -> Option<MsiMessage> {
    if apic_id > 0xFF || vector < 16 {
        return None;
    }
    Some(MsiMessage { address: MSI_ADDRESS_BASE | u64::from(apic_id) << 12, data: u32::from(vector) })
}

/// Address low, address high, data, vector control (bit 0: masked).
pub fn entry_words(msg: &MsiMessage, masked: bool) -> [u32; 4] {
    [msg.address as u32, (msg.address >> 32) as u32, msg.data, u32::from(masked)]
}

#[cfg(test)]
mod tests {
    use super::super::fake::{FakeConfig, VIRTIO_NET};
    use super::*;

    fn virtio_net() -> (FakeConfig, MsixInfo) {
        let cfg = FakeConfig::with_virtio_net();
        let info = read(&cfg, VIRTIO_NET, 0x98);
        (cfg, info)
    }

    #[test]
    fn virtio_net_has_four_entries_at_bar1_offset_0_and_its_pba_at_0x800() {
        let (_, info) = virtio_net();
        assert_eq!(
            info,
            MsixInfo { cap_offset: 0x98, table_size: 4, table_bar: 1, table_offset: 0, pba_bar: 1, pba_offset: 0x800 }
        );
    }

    #[test]
    fn the_table_size_field_is_11_bits_plus_one() {
        let cfg = FakeConfig::with_virtio_net();
        cfg.poke32(VIRTIO_NET, 0x98, 0xFFFF_8411);
        cfg.poke32(VIRTIO_NET, 0x9C, 0x0000_200D);
        let info = read(&cfg, VIRTIO_NET, 0x98);
        assert_eq!((info.table_size, info.table_bar, info.table_offset), (2048, 5, 0x2008));
    }

    #[test]
    fn enabling_sets_bit_15_and_the_function_mask_bit_14() {
        let (cfg, info) = virtio_net();
        set_enabled(&cfg, VIRTIO_NET, &info, true, true);
        assert_eq!(cfg.read16(VIRTIO_NET, 0x9A), 0xC003);
        set_enabled(&cfg, VIRTIO_NET, &info, true, false);
        assert_eq!(cfg.read16(VIRTIO_NET, 0x9A), 0x8003);
        set_enabled(&cfg, VIRTIO_NET, &info, false, false);
        assert_eq!(cfg.read16(VIRTIO_NET, 0x9A), 0x0003);
        assert_eq!(cfg.read16(VIRTIO_NET, 0x98), 0x8411, "id and next pointer untouched");
    }

    #[test]
    fn entries_are_16_bytes_apart_and_none_past_the_table() {
        let (_, info) = virtio_net();
        assert_eq!(entry_offset(&info, 0), Some(0));
        assert_eq!(entry_offset(&info, 3), Some(48));
        assert_eq!(entry_offset(&info, 4), None);
    }

    #[test]
    fn x86_messages_target_the_apic_id_with_the_vector_as_data() {
        let m = x86_msi(3, 0x51).unwrap();
        assert_eq!(m, MsiMessage { address: 0xFEE0_3000, data: 0x51 });
        assert_eq!(entry_words(&m, false), [0xFEE0_3000, 0, 0x51, 0]);
        assert_eq!(entry_words(&m, true), [0xFEE0_3000, 0, 0x51, 1]);
        assert_eq!(x86_msi(255, 16).map(|m| m.address), Some(0xFEEF_F000));
    }

    #[test]
    fn apic_ids_above_255_and_exception_vectors_have_no_message() {
        assert_eq!(x86_msi(256, 0x51), None);
        assert_eq!(x86_msi(0, 15), None);
    }
}
