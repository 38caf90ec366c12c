//! The archive reader: newc/crc headers, names and data, entry by entry,
//! without touching any file system. Concatenated archives (with NUL
//! padding between them, as the kernel's build and bootloaders produce)
//! read as one.

use super::error::{CpioError, CpioErrorKind};

pub const HEADER_LEN: usize = 110;
pub const TRAILER: &[u8] = b"TRAILER!!!";

/// One archive member; `data` is the file contents or symlink target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    pub index: usize,
    pub offset: usize,
    pub name: &'a [u8],
    pub ino: u32,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub mtime: u32,
    pub dev_major: u32,
    pub dev_minor: u32,
    pub rdev_major: u32,
    pub rdev_minor: u32,
    pub data: &'a [u8],
}

pub struct Entries<'a> {
    archive: &'a [u8],
    pos: usize,
    index: usize,
    state: State,
}

#[derive(PartialEq, Eq)]
enum State {
    /// Expecting a header.
    Member,
    /// After a trailer: padding, then maybe another archive.
    BetweenArchives,
    Done,
}

/// Iterates over the entries of `archive` (the trailers are not yielded).
/// Stops after the first error.
pub fn entries(archive: &[u8]) -> Entries<'_> {
    Entries { archive, pos: 0, index: 0, state: State::Member }
}

const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

const FIELDS: [&str; 13] = [
    "c_ino",
    "c_mode",
    "c_uid",
    "c_gid",
    "c_nlink",
    "c_mtime",
    "c_filesize",
    "c_devmajor",
    "c_devminor",
    "c_rdevmajor",
    "c_rdevminor",
    "c_namesize",
    "c_check",
];

fn hex_field(header: &[u8], index: usize) -> Result<u32, CpioErrorKind> {
    let digits = &header[6 + index * 8..6 + (index + 1) * 8];
    let mut value = 0u32;
    for &d in digits {
        let nibble = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => return Err(CpioErrorKind::BadField(FIELDS[index])),
        };
        value = (value << 4) | nibble as u32;
    }
    Ok(value)
}

impl<'a> Entries<'a> {
    fn fail(&mut self, kind: CpioErrorKind) -> CpioError {
        self.state = State::Done;
        CpioError::new(self.index, self.pos, kind)
    }

    fn truncated(&mut self, what: &'static str, needed: usize) -> CpioError {
        let available = self.archive.len().saturating_sub(self.pos);
        self.fail(CpioErrorKind::Truncated { what, needed, available })
    }

    fn read_member(&mut self) -> Result<Option<Entry<'a>>, CpioError> {
        let archive = self.archive;
        let at = self.pos;
        let rest = &archive[at..];
        if rest.len() >= 2 && rest[..2] == [0x1f, 0x8b] {
            return Err(self.fail(CpioErrorKind::Compressed("gzip")));
        }
        if rest.len() >= 4 && rest[..4] == [0x28, 0xb5, 0x2f, 0xfd] {
            return Err(self.fail(CpioErrorKind::Compressed("zstd")));
        }
        if rest.len() >= 3 && rest[..3] == *b"BZh" {
            return Err(self.fail(CpioErrorKind::Compressed("bzip2")));
        }
        if rest.len() >= 6 && rest[..6] == [0xfd, b'7', b'z', b'X', b'Z', 0] {
            return Err(self.fail(CpioErrorKind::Compressed("xz")));
        }
        if rest.len() < HEADER_LEN {
            if rest.len() >= 6 && rest[..6] == *b"070707" {
                return Err(self.fail(CpioErrorKind::UnsupportedFormat("odc")));
            }
            return Err(self.truncated("header", HEADER_LEN));
        }
        let header = &rest[..HEADER_LEN];
        let crc = match &header[..6] {
            b"070701" => false,
            b"070702" => true,
            b"070707" => return Err(self.fail(CpioErrorKind::UnsupportedFormat("odc"))),
            m if m[..2] == [0xc7, 0x71] || m[..2] == [0x71, 0xc7] => {
                return Err(self.fail(CpioErrorKind::UnsupportedFormat("binary")));
            }
            m => {
                let mut magic = [0u8; 6];
                magic.copy_from_slice(m);
                return Err(self.fail(CpioErrorKind::BadMagic(magic)));
            }
        };
        let mut f = [0u32; 13];
        for (i, slot) in f.iter_mut().enumerate() {
            *slot = hex_field(header, i).map_err(|kind| self.fail(kind))?;
        }
        let [
            ino,
            mode,
            uid,
            gid,
            nlink,
            mtime,
            filesize,
            dev_major,
            dev_minor,
            rdev_major,
            rdev_minor,
            namesize,
            check,
        ] = f;
        let namesize = namesize as usize;
        let name_start = at + HEADER_LEN;
        let Some(name_end) = name_start.checked_add(namesize).filter(|&e| e <= archive.len()) else {
            return Err(self.truncated("name", HEADER_LEN + namesize));
        };
        let raw_name = &archive[name_start..name_end];
        let Some((&0, name)) = raw_name.split_last() else { return Err(self.fail(CpioErrorKind::BadName)) };
        if name.is_empty() || name.contains(&0) {
            return Err(self.fail(CpioErrorKind::BadName));
        }
        let data_start = align4(name_end);
        let Some(data_end) = data_start.checked_add(filesize as usize).filter(|&e| e <= archive.len()) else {
            let needed = align4(HEADER_LEN + namesize) + filesize as usize;
            return Err(self.truncated("data", needed).named(name));
        };
        let data = &archive[data_start..data_end];
        if crc {
            let actual = data.iter().fold(0u32, |sum, &b| sum.wrapping_add(b as u32));
            if actual != check {
                return Err(self.fail(CpioErrorKind::Checksum { expected: check, actual }).named(name));
            }
        }
        // The last member's padding may be missing at the very end.
        self.pos = align4(data_end).min(archive.len());
        if name == TRAILER {
            self.state = State::BetweenArchives;
            return Ok(None);
        }
        let entry = Entry {
            index: self.index,
            offset: at,
            name,
            ino,
            mode,
            uid,
            gid,
            nlink,
            mtime,
            dev_major,
            dev_minor,
            rdev_major,
            rdev_minor,
            data,
        };
        self.index += 1;
        Ok(Some(entry))
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<Entry<'a>, CpioError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.state {
                State::Done => return None,
                State::BetweenArchives => {
                    while self.archive.get(self.pos) == Some(&0) {
                        self.pos += 1;
                    }
                    if self.pos >= self.archive.len() {
                        self.state = State::Done;
                        return None;
                    }
                    self.state = State::Member;
                }
                State::Member => {
                    if self.pos >= self.archive.len() {
                        return Some(Err(self.fail(CpioErrorKind::MissingTrailer)));
                    }
                    match self.read_member() {
                        Ok(Some(entry)) => return Some(Ok(entry)),
                        Ok(None) => continue,
                        Err(e) => return Some(Err(e)),
                    }
                }
            }
        }
    }
}
