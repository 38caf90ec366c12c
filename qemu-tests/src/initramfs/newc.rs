//! The cpio "newc" format (magic `070701`), which Linux and Ringo unpack as
//! an initramfs: per entry a 110-byte ASCII header of thirteen 8-digit hex
//! fields, the NUL-terminated name, then the data, the header+name and the
//! data each padded to 4 bytes; a `TRAILER!!!` entry ends the archive.
//! Names are relative (`bin/app`), as `gen_init_cpio` and `find | cpio`
//! write them.

use std::fmt;
use std::io::{self, Read, Write};

pub const MAGIC: &[u8; 6] = b"070701";
pub const TRAILER: &[u8] = b"TRAILER!!!";
pub const HEADER_LEN: usize = 110;

pub const S_IFDIR: u32 = 0o040_000;
pub const S_IFREG: u32 = 0o100_000;
pub const S_IFLNK: u32 = 0o120_000;

/// What goes in an entry's header besides its name and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// The whole `st_mode`: file type and permission bits.
    pub mode: u32,
    pub mtime: u32,
}

#[derive(Debug)]
pub enum NewcError {
    Io(io::Error),
    /// The format's size fields are 32 bits wide.
    TooLarge {
        name: Vec<u8>,
        size: u64,
    },
    /// A name is empty or holds a NUL byte.
    BadName {
        name: Vec<u8>,
    },
    /// The data source gave fewer bytes than the header promised (the
    /// host file shrank while being packed).
    ShortData {
        name: Vec<u8>,
        expected: u64,
        got: u64,
    },
}

impl fmt::Display for NewcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NewcError::Io(e) => write!(f, "writing the archive: {e}"),
            NewcError::TooLarge { name, size } => {
                write!(f, "{}: {size} bytes is more than cpio newc can hold (4 GiB)", String::from_utf8_lossy(name))
            }
            NewcError::BadName { name } => write!(f, "bad archive name {:?}", String::from_utf8_lossy(name)),
            NewcError::ShortData { name, expected, got } => write!(
                f,
                "{}: expected {expected} bytes, read {got} (did it change while being packed?)",
                String::from_utf8_lossy(name)
            ),
        }
    }
}

impl std::error::Error for NewcError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NewcError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for NewcError {
    fn from(e: io::Error) -> Self {
        NewcError::Io(e)
    }
}

/// Writes entries one after the other; [`NewcWriter::finish`] adds the
/// trailer. Inode numbers are handed out in order, so no two entries look
/// like hard links of each other.
pub struct NewcWriter<W: Write> {
    out: W,
    written: u64,
    next_ino: u32,
}

impl<W: Write> NewcWriter<W> {
    pub fn new(out: W) -> Self {
        NewcWriter { out, written: 0, next_ino: 1 }
    }

    pub fn dir(&mut self, name: &[u8], meta: Meta) -> Result<(), NewcError> {
        self.entry(name, Meta { mode: S_IFDIR | (meta.mode & 0o7777), ..meta }, 2, 0, io::empty())
    }

    /// A regular file whose `len` bytes come from `data`.
    pub fn file(&mut self, name: &[u8], meta: Meta, len: u64, data: impl Read) -> Result<(), NewcError> {
        self.entry(name, Meta { mode: S_IFREG | (meta.mode & 0o7777), ..meta }, 1, len, data)
    }

    /// A symbolic link: its data is the target.
    pub fn symlink(&mut self, name: &[u8], target: &[u8], mtime: u32) -> Result<(), NewcError> {
        let meta = Meta { mode: S_IFLNK | 0o777, mtime };
        self.entry(name, meta, 1, target.len() as u64, target)
    }

    /// Writes the trailer and hands back the output.
    pub fn finish(mut self) -> Result<W, NewcError> {
        self.next_ino = 0;
        self.entry(TRAILER, Meta { mode: 0, mtime: 0 }, 1, 0, io::empty())?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn entry(&mut self, name: &[u8], meta: Meta, nlink: u32, len: u64, data: impl Read) -> Result<(), NewcError> {
        if name.is_empty() || name.contains(&0) {
            return Err(NewcError::BadName { name: name.to_vec() });
        }
        let size = u32::try_from(len).map_err(|_| NewcError::TooLarge { name: name.to_vec(), size: len })?;
        let namesize = u32::try_from(name.len() + 1).map_err(|_| NewcError::BadName { name: name.to_vec() })?;
        let ino = self.next_ino;
        self.next_ino = self.next_ino.wrapping_add(1);
        // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
        // rdevmajor, rdevminor, namesize, check: root owns everything.
        let fields = [ino, meta.mode, 0, 0, nlink, meta.mtime, size, 0, 0, 0, 0, namesize, 0];
        let mut header = Vec::with_capacity(HEADER_LEN + name.len() + 4);
        header.extend_from_slice(MAGIC);
        for field in fields {
            header.extend_from_slice(format!("{field:08X}").as_bytes());
        }
        header.extend_from_slice(name);
        header.push(0);
        self.put(&header)?;
        self.pad()?;

        let copied = io::copy(&mut data.take(len), &mut self.out)?;
        self.written += copied;
        if copied != len {
            return Err(NewcError::ShortData { name: name.to_vec(), expected: len, got: copied });
        }
        self.pad()
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), NewcError> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    fn pad(&mut self) -> Result<(), NewcError> {
        let n = (4 - self.written % 4) % 4;
        self.put(&[0; 3][..n as usize])
    }
}

/// One entry read back from an archive (for tests).
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEntry {
    pub name: Vec<u8>,
    pub ino: u32,
    pub mode: u32,
    pub nlink: u32,
    pub mtime: u32,
    pub data: Vec<u8>,
}

/// Reads a whole archive, checking every header and padding byte, up to
/// and without the trailer; `Err` says what was wrong and where.
#[cfg(test)]
pub fn parse(archive: &[u8]) -> Result<Vec<ParsedEntry>, String> {
    let mut entries = Vec::new();
    let mut at = 0usize;
    let align = |n: usize| n.div_ceil(4) * 4;
    loop {
        let header = archive.get(at..at + HEADER_LEN).ok_or(format!("truncated header at {at}"))?;
        if &header[..6] != MAGIC {
            return Err(format!("bad magic at {at}"));
        }
        let field = |i: usize| -> Result<u32, String> {
            let hex = std::str::from_utf8(&header[6 + 8 * i..14 + 8 * i]).map_err(|e| e.to_string())?;
            if !hex.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)) {
                return Err(format!("field {i} at {at} is not upper-case hex: {hex}"));
            }
            u32::from_str_radix(hex, 16).map_err(|e| e.to_string())
        };
        let (ino, mode, nlink, mtime, size, namesize) =
            (field(0)?, field(1)?, field(4)?, field(5)?, field(6)?, field(11)?);
        if field(12)? != 0 {
            return Err(format!("non-zero check field at {at}"));
        }
        let name_start = at + HEADER_LEN;
        let name_end = name_start + namesize as usize;
        let name = archive.get(name_start..name_end).ok_or(format!("truncated name at {at}"))?;
        let (nul, name) = name.split_last().ok_or(format!("empty name at {at}"))?;
        if *nul != 0 || name.contains(&0) {
            return Err(format!("name at {at} is not NUL-terminated exactly once"));
        }
        let data_start = align(name_end);
        let data_end = data_start + size as usize;
        let data = archive.get(data_start..data_end).ok_or(format!("truncated data at {at}"))?;
        let next = align(data_end);
        let padding = archive.get(name_end..data_start).into_iter().chain(archive.get(data_end..next));
        if padding.flatten().any(|&b| b != 0) || next > archive.len() {
            return Err(format!("bad padding after entry at {at}"));
        }
        if name == TRAILER {
            if next != archive.len() {
                return Err(format!("{} bytes after the trailer", archive.len() - next));
            }
            return Ok(entries);
        }
        entries.push(ParsedEntry { name: name.to_vec(), ino, mode, nlink, mtime, data: data.to_vec() });
        at = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    fn sample() -> Vec<u8> {
        let mut w = NewcWriter::new(Vec::new());
        let m = |mode| Meta { mode, mtime: 1_700_000_000 };
        w.dir(b"bin", m(0o755)).unwrap();
        w.file(b"bin/app", m(0o755), 5, &b"hello"[..]).unwrap();
        w.dir(b"tmp", m(0o1777)).unwrap();
        w.file(b"empty", m(0o644), 0, io::empty()).unwrap();
        w.symlink(b"bin/sh", b"app", 7).unwrap();
        // Lengths 1..=4 cover every padding case.
        for len in 1..=4u8 {
            let name = format!("pad{len}");
            w.file(name.as_bytes(), m(0o600), u64::from(len), &vec![len; len.into()][..]).unwrap();
        }
        w.finish().unwrap()
    }

    #[test]
    fn entries_read_back_exactly() {
        let entries = parse(&sample()).unwrap();
        let names: Vec<_> = entries.iter().map(|e| String::from_utf8_lossy(&e.name).into_owned()).collect();
        assert_eq!(names, ["bin", "bin/app", "tmp", "empty", "bin/sh", "pad1", "pad2", "pad3", "pad4"]);
        assert_eq!((entries[0].mode, entries[0].nlink), (S_IFDIR | 0o755, 2));
        assert_eq!((entries[1].mode, entries[1].data.as_slice()), (S_IFREG | 0o755, &b"hello"[..]));
        assert_eq!(entries[1].mtime, 1_700_000_000);
        assert_eq!(entries[2].mode, S_IFDIR | 0o1777);
        assert!(entries[3].data.is_empty());
        assert_eq!((entries[4].mode, entries[4].data.as_slice()), (S_IFLNK | 0o777, &b"app"[..]));
        assert_eq!(entries[8].data, [4, 4, 4, 4]);
        let mut inos: Vec<_> = entries.iter().map(|e| e.ino).collect();
        inos.dedup();
        assert_eq!(inos.len(), entries.len(), "inode numbers repeat: {inos:?}");
    }

    #[test]
    fn header_layout_is_byte_exact() {
        let mut w = NewcWriter::new(Vec::new());
        w.file(b"a", Meta { mode: 0o644, mtime: 0x10 }, 2, &b"xy"[..]).unwrap();
        let bytes = w.finish().unwrap();
        let expected_header = "070701\
            00000001000081A4000000000000000000000001\
            000000100000000200000000000000000000000000000000\
            0000000200000000";
        assert_eq!(&bytes[..HEADER_LEN], expected_header.as_bytes());
        // 110 + "a\0" = 112, already aligned; then "xy" and 2 bytes of padding.
        assert_eq!(&bytes[HEADER_LEN..HEADER_LEN + 6], b"a\0xy\0\0");
        assert_eq!(bytes.len() % 4, 0);
    }

    #[test]
    fn gnu_cpio_lists_and_extracts_it() {
        // GNU cpio is an independent reader (scripts/setup.sh installs it).
        let mut child = Command::new("cpio")
            .args(["-t", "-v", "--quiet"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cpio: {e}: install cpio (scripts/setup.sh does)"));
        child.stdin.take().unwrap().write_all(&sample()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "cpio -t failed: {out:?}");
        let listing = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = listing.lines().collect();
        assert_eq!(lines.len(), 9, "{listing}");
        let name_of = |line: &str| line.split_whitespace().nth(8).map(str::to_string);
        assert_eq!(name_of(lines[1]).as_deref(), Some("bin/app"));
        assert!(lines[0].starts_with("drwxr-xr-x"), "{listing}");
        assert!(lines[1].starts_with("-rwxr-xr-x") && lines[1].contains(" 5 "), "{listing}");
        assert!(lines[2].starts_with("drwxrwxrwt"), "{listing}");
        assert!(lines[4].starts_with("lrwxrwxrwx") && lines[4].ends_with("bin/sh -> app"), "{listing}");
    }

    #[test]
    fn sizes_and_names_are_checked() {
        let mut w = NewcWriter::new(Vec::new());
        let meta = Meta { mode: 0o644, mtime: 0 };
        assert!(matches!(w.file(b"big", meta, 1 << 32, io::empty()), Err(NewcError::TooLarge { .. })));
        assert!(matches!(w.file(b"", meta, 0, io::empty()), Err(NewcError::BadName { .. })));
        assert!(matches!(w.file(b"a\0b", meta, 0, io::empty()), Err(NewcError::BadName { .. })));
        let short = w.file(b"short", meta, 10, &b"abc"[..]);
        assert!(matches!(short, Err(NewcError::ShortData { expected: 10, got: 3, .. })), "{short:?}");
    }

    #[test]
    fn parse_rejects_damage() {
        let good = sample();
        assert!(parse(&good[..good.len() - 4]).is_err());
        let mut bad_magic = good.clone();
        bad_magic[5] = b'2';
        assert!(parse(&bad_magic).is_err());
        let mut extra = good.clone();
        extra.extend_from_slice(b"junk");
        assert!(parse(&extra).is_err());
    }
}
