//! A small, best-effort reader of a DSDT's (or SSDT's) AML: enough to find
//! devices, their identity and their static `_CRS` resources, without an
//! interpreter.
//!
//! It walks scopes, devices and `Name` declarations and skips everything
//! that carries a PkgLength (methods, fields, `If` blocks, packages) by that
//! length. What it cannot read ends the enclosing package, not the walk:
//! devices after it in outer scopes are still found. Only constants are
//! seen (`Name`s, and methods that only return a constant), so a `_CRS`
//! that a method computes (QEMU's PCI link devices) has no resources here.

mod encoding;
mod resource;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

pub use encoding::NameSeg;
use encoding::{Data, data_object, integer, name_string, package};
pub use resource::{Resource, WindowKind, parse_resources};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AmlDevice {
    /// The absolute path, e.g. `\_SB_.PCI0`.
    pub path: String,
    pub hid: Option<Hid>,
    /// The first compatible id when `_CID` is a single id (not a package).
    pub cid: Option<Hid>,
    pub uid: Option<u64>,
    /// From `Name(_CRS, ResourceTemplate ...)`; empty when absent, computed
    /// by a method, or not understood.
    pub resources: Vec<Resource>,
    /// Every other integer `Name` in the device (`_CBA`, `_SEG`, `_BBN`,
    /// `_ADR`, `_CCA`, ...), in declaration order.
    pub integers: Vec<(NameSeg, u64)>,
}

impl AmlDevice {
    pub fn integer(&self, name: &str) -> Option<u64> {
        self.integers.iter().find(|(n, _)| n.as_slice() == name.as_bytes()).map(|(_, v)| *v)
    }

    /// Whether `_HID` or `_CID` is `id` ("PNP0A08", "LNRO0005").
    pub fn is(&self, id: &str) -> bool {
        self.hid.iter().chain(&self.cid).any(|h| h.matches(id))
    }
}

/// A hardware id: `_HID` as `EisaId("PNP0A08")` (an integer) or as a string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hid {
    /// The compressed EISA id as stored in AML (a little-endian DWord).
    Eisa(u32),
    Str(String),
}

impl Hid {
    pub fn matches(&self, name: &str) -> bool {
        match self {
            Hid::Eisa(v) => decode_eisa(*v).as_slice() == name.as_bytes(),
            Hid::Str(s) => s == name,
        }
    }
}

impl fmt::Display for Hid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hid::Eisa(v) => decode_eisa(*v).iter().try_for_each(|c| write!(f, "{}", char::from(*c))),
            Hid::Str(s) => f.write_str(s),
        }
    }
}

/// Three 5-bit letters ('A' = 1) and four hex digits, stored big-endian in
/// a little-endian DWord.
fn decode_eisa(v: u32) -> [u8; 7] {
    let id = v.swap_bytes();
    let letter = |shift: u32| b'@' + ((id >> shift) & 0x1F) as u8;
    let hex = |shift: u32| b"0123456789ABCDEF"[((id >> shift) & 0xF) as usize];
    [letter(26), letter(21), letter(16), hex(12), hex(8), hex(4), hex(0)]
}

/// The DWord `EisaId(id)` compiles to, or `None` for a malformed id.
pub fn eisa_id(id: &str) -> Option<u32> {
    let b = id.as_bytes();
    if b.len() != 7 || !b[..3].iter().all(u8::is_ascii_uppercase) {
        return None;
    }
    let product = u32::from_str_radix(id.get(3..)?, 16).ok()?;
    let letters = b[..3].iter().fold(0u32, |acc, c| acc << 5 | u32::from(c - b'@'));
    Some((letters << 16 | product).swap_bytes())
}

/// Devices declared in `aml` (a DSDT or SSDT body, after the header).
pub fn devices(aml: &[u8]) -> Vec<AmlDevice> {
    devices_in_tables(&[aml])
}

/// Devices declared across several tables sharing one namespace (the DSDT
/// then the SSDTs), so that a `Scope` in one table can add to a device of
/// another.
pub fn devices_in_tables(tables: &[&[u8]]) -> Vec<AmlDevice> {
    let mut walker = Walker::default();
    for aml in tables {
        walker.term_list(aml, &[], 0);
    }
    walker.devices
}

/// Nesting deeper than this is skipped whole: real tables nest a handful
/// of levels, and the walker recurses once per level.
const MAX_DEPTH: usize = 24;

const ALIAS_OP: u8 = 0x06;
const NAME_OP: u8 = 0x08;
const SCOPE_OP: u8 = 0x10;
const METHOD_OP: u8 = 0x14;
const EXTERNAL_OP: u8 = 0x15;
const EXT_OP_PREFIX: u8 = 0x5B;
const IF_OP: u8 = 0xA0;
const ELSE_OP: u8 = 0xA1;
const WHILE_OP: u8 = 0xA2;

const MUTEX_OP: u8 = 0x01;
const EVENT_OP: u8 = 0x02;
const OP_REGION_OP: u8 = 0x80;
const FIELD_OP: u8 = 0x81;
const DEVICE_OP: u8 = 0x82;
const PROCESSOR_OP: u8 = 0x83;
const POWER_RES_OP: u8 = 0x84;
const THERMAL_ZONE_OP: u8 = 0x85;
const INDEX_FIELD_OP: u8 = 0x86;
const BANK_FIELD_OP: u8 = 0x87;

#[derive(Default)]
struct Walker {
    devices: Vec<AmlDevice>,
    by_path: BTreeMap<Vec<NameSeg>, usize>,
}

impl Walker {
    fn term_list(&mut self, aml: &[u8], scope: &[NameSeg], depth: usize) {
        let mut at = 0;
        while at < aml.len() {
            match self.term(aml, at, scope, depth) {
                // Every step moves forward, so the walk ends.
                Some(next) if next > at => at = next,
                _ => return,
            }
        }
    }

    /// Reads the term at `at`, returning where the next one starts, or
    /// `None` when it is not understood.
    fn term(&mut self, aml: &[u8], at: usize, scope: &[NameSeg], depth: usize) -> Option<usize> {
        let op = *aml.get(at)?;
        match op {
            SCOPE_OP => self.scope(aml, at + 1, scope, depth, false),
            NAME_OP => {
                let (name, used) = name_string(aml.get(at + 1..)?)?;
                let (value, next) = data_object(aml, at + 1 + used)?;
                if let Some(path) = name.resolve(scope) {
                    self.name(&path, value);
                }
                Some(next)
            }
            METHOD_OP => {
                let (contents, end) = package(aml, at + 1)?;
                self.constant_method(contents, scope);
                Some(end)
            }
            IF_OP | ELSE_OP | WHILE_OP => Some(package(aml, at + 1)?.1),
            EXTERNAL_OP => Some(at + 1 + name_string(aml.get(at + 1..)?)?.1 + 2),
            ALIAS_OP => {
                let (_, first) = name_string(aml.get(at + 1..)?)?;
                let (_, second) = name_string(aml.get(at + 1 + first..)?)?;
                Some(at + 1 + first + second)
            }
            EXT_OP_PREFIX => {
                let at = at + 2;
                match *aml.get(at - 1)? {
                    DEVICE_OP => self.scope(aml, at, scope, depth, true),
                    FIELD_OP | INDEX_FIELD_OP | BANK_FIELD_OP | PROCESSOR_OP | POWER_RES_OP | THERMAL_ZONE_OP => {
                        Some(package(aml, at)?.1)
                    }
                    MUTEX_OP => Some(at + name_string(aml.get(at..)?)?.1 + 1),
                    EVENT_OP => Some(at + name_string(aml.get(at..)?)?.1),
                    OP_REGION_OP => {
                        // Name, space, then offset and length: constants
                        // in the tables this reads.
                        let space = at + name_string(aml.get(at..)?)?.1;
                        let (_, after_offset) = integer(aml, space + 1)?;
                        Some(integer(aml, after_offset)?.1)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// `Scope` or `Device`: PkgLength, NameString, TermList.
    fn scope(&mut self, aml: &[u8], at: usize, scope: &[NameSeg], depth: usize, device: bool) -> Option<usize> {
        let (contents, end) = package(aml, at)?;
        let Some((name, used)) = name_string(contents) else { return Some(end) };
        let Some(path) = name.resolve(scope) else { return Some(end) };
        if device && !path.is_empty() {
            self.device(&path);
        }
        if depth < MAX_DEPTH {
            self.term_list(contents.get(used..).unwrap_or(&[]), &path, depth + 1);
        }
        Some(end)
    }

    /// `Method(X) { Return (constant) }` is read as `Name(X, constant)`:
    /// QEMU's microvm declares `_CBA` (the ECAM base, with no MCFG) that
    /// way, and firmware often returns a fixed `_CRS` from a method.
    fn constant_method(&mut self, contents: &[u8], scope: &[NameSeg]) {
        const RETURN_OP: u8 = 0xA4;
        let Some((name, used)) = name_string(contents) else { return };
        // After the name: the flags byte, then the body.
        let Some(body) = contents.get(used + 1..) else { return };
        if body.first() != Some(&RETURN_OP) {
            return;
        }
        if let (Some((value, end)), Some(path)) = (data_object(body, 1), name.resolve(scope))
            && end == body.len()
        {
            self.name(&path, value);
        }
    }

    fn device(&mut self, path: &[NameSeg]) -> usize {
        if let Some(i) = self.by_path.get(path) {
            return *i;
        }
        let i = self.devices.len();
        self.devices.push(AmlDevice { path: path_string(path), ..AmlDevice::default() });
        self.by_path.insert(path.to_vec(), i);
        i
    }

    fn name(&mut self, path: &[NameSeg], value: Data<'_>) {
        let Some((name, parent)) = path.split_last() else { return };
        let Some(&i) = self.by_path.get(parent) else { return };
        let d = &mut self.devices[i];
        match (name, value) {
            (b"_HID", v) => d.hid = hid(v),
            (b"_CID", v) => d.cid = hid(v),
            (b"_UID", Data::Integer(v)) => d.uid = Some(v),
            (b"_UID", Data::String(s)) => d.uid = core::str::from_utf8(s).ok().and_then(|s| s.parse().ok()),
            (b"_CRS", Data::Buffer(b)) => d.resources = parse_resources(b).unwrap_or_default(),
            (_, Data::Integer(v)) => d.integers.push((*name, v)),
            _ => {}
        }
    }
}

fn hid(value: Data<'_>) -> Option<Hid> {
    match value {
        Data::Integer(v) => u32::try_from(v).ok().map(Hid::Eisa),
        Data::String(s) => Some(Hid::Str(String::from_utf8_lossy(s).into_owned())),
        _ => None,
    }
}

fn path_string(path: &[NameSeg]) -> String {
    let mut s = String::from("\\");
    for (i, seg) in path.iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        s.extend(seg.iter().map(|c| char::from(*c)));
    }
    s
}

#[cfg(test)]
mod tests;
