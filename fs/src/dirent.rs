//! getdents64: directory entries serialised as `struct linux_dirent64`
//! records. Entries are first collected from the directory (under its lock,
//! into kernel memory) and only then copied out, so a faulting user buffer
//! never holds a directory lock.

use alloc::vec::Vec;

use ringo_uapi::Errno;
use ringo_uapi::fs::{Dirent64Header, NAME_MAX};

use crate::vfs::{Inode, InodeKind, WriteBuf};

struct Collected {
    name: Vec<u8>,
    ino: u64,
    kind: InodeKind,
    next: u64,
}

/// Fills `out` with the entries of `dir` from position `pos`. Returns the
/// bytes written and the position to continue from; `(0, pos)` at the end
/// of the directory, EINVAL when `out` cannot hold even the next entry.
pub fn fill_getdents64(dir: &dyn Inode, pos: u64, out: &mut dyn WriteBuf) -> Result<(usize, u64), Errno> {
    let room = out.len();
    let mut used = 0usize;
    let mut entries: Vec<Collected> = Vec::new();
    let mut first_too_big = false;
    dir.readdir(pos, &mut |e| {
        let len = Dirent64Header::record_len(e.name.len());
        if used + len > room {
            first_too_big = entries.is_empty();
            return false;
        }
        used += len;
        entries.push(Collected { name: e.name.to_vec(), ino: e.ino, kind: e.kind, next: e.next });
        true
    })?;
    if first_too_big {
        return Err(Errno::EINVAL);
    }
    let mut written = 0;
    let mut next = pos;
    let mut record = [0u8; Dirent64Header::record_len(NAME_MAX)];
    for e in &entries {
        let len = encode(e, &mut record)?;
        if out.write(&record[..len])? < len {
            return Err(Errno::EFAULT);
        }
        written += len;
        next = e.next;
    }
    Ok((written, next))
}

/// One record into `record`; returns its length.
fn encode(e: &Collected, record: &mut [u8]) -> Result<usize, Errno> {
    let len = Dirent64Header::record_len(e.name.len());
    if len > record.len() {
        return Err(Errno::ENAMETOOLONG);
    }
    let header =
        Dirent64Header { d_ino: e.ino, d_off: e.next as i64, d_reclen: len as u16, d_type: e.kind.dirent_type() };
    let name_at = Dirent64Header::NAME_OFFSET;
    record[..name_at].copy_from_slice(&header.to_bytes());
    record[name_at..name_at + e.name.len()].copy_from_slice(&e.name);
    record[name_at + e.name.len()..len].fill(0);
    Ok(len)
}

/// One decoded getdents64 record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedDirent {
    pub ino: u64,
    pub off: i64,
    pub kind: u8,
    pub name: Vec<u8>,
}

/// Decodes records (for tests and the strace decoder).
pub fn parse_getdents64(mut bytes: &[u8]) -> Result<Vec<ParsedDirent>, Errno> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let head = bytes.get(..Dirent64Header::NAME_OFFSET).ok_or(Errno::EINVAL)?;
        let word = |at: usize| -> [u8; 8] {
            let mut w = [0u8; 8];
            w.copy_from_slice(&head[at..at + 8]);
            w
        };
        let ino = u64::from_ne_bytes(word(0));
        let off = i64::from_ne_bytes(word(8));
        let reclen = u16::from_ne_bytes([head[16], head[17]]) as usize;
        let kind = head[18];
        if reclen < Dirent64Header::NAME_OFFSET + 1 || reclen > bytes.len() || !reclen.is_multiple_of(8) {
            return Err(Errno::EINVAL);
        }
        let name_area = &bytes[Dirent64Header::NAME_OFFSET..reclen];
        let name_len = name_area.iter().position(|&b| b == 0).ok_or(Errno::EINVAL)?;
        out.push(ParsedDirent { ino, off, kind, name: name_area[..name_len].to_vec() });
        bytes = &bytes[reclen..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ramfs::RamFs;
    use crate::vfs::{DeviceRegistry, NewNode, epoch_clock};
    use alloc::sync::Arc;
    use ringo_uapi::fs::{DT_DIR, DT_LNK, DT_REG};

    fn sample() -> RamFs {
        let fs = RamFs::new(Arc::new(DeviceRegistry::new()), epoch_clock);
        let root = fs.root();
        root.create(b"file", NewNode::file(0o644)).expect("file");
        root.create(b"sub", NewNode::dir(0o755)).expect("dir");
        root.create(b"link", NewNode::symlink(b"file")).expect("symlink");
        fs
    }

    #[test]
    fn records_have_the_linux_layout() {
        let fs = sample();
        let mut buf = [0xaau8; 512];
        let (used, next) = fill_getdents64(&*fs.root(), 0, &mut &mut buf[..]).expect("getdents");
        // ".", "..", "file", "link", "sub": 24 bytes each (names of up to 4 bytes).
        assert_eq!(used, 5 * 24);
        let parsed = parse_getdents64(&buf[..used]).expect("parse");
        let names: Vec<_> = parsed.iter().map(|e| e.name.clone()).collect();
        assert_eq!(names, vec![b".".to_vec(), b"..".to_vec(), b"file".to_vec(), b"sub".to_vec(), b"link".to_vec()]);
        assert_eq!(parsed[0].kind, DT_DIR);
        assert_eq!(parsed[2].kind, DT_REG);
        assert_eq!(parsed[3].kind, DT_DIR);
        assert_eq!(parsed[4].kind, DT_LNK);
        assert_eq!(parsed[4].off as u64, next);
        // Record 2 by hand: reclen at 16, type at 18, name at 19, NUL, zero padding.
        let r = &buf[48..72];
        assert_eq!(u16::from_ne_bytes([r[16], r[17]]), 24);
        assert_eq!(&r[19..24], b"file\0");
        assert_eq!(
            u64::from_ne_bytes(r[0..8].try_into().expect("8 bytes")),
            fs.root().lookup(b"file").expect("file").node_id().ino
        );
        // The next call continues after the last record.
        assert_eq!(fill_getdents64(&*fs.root(), next, &mut &mut buf[..]), Ok((0, next)));
    }

    #[test]
    fn small_buffers_continue_where_they_stopped() {
        let fs = sample();
        let mut seen = Vec::new();
        let mut pos = 0;
        loop {
            let mut buf = [0u8; 50];
            let (used, next) = fill_getdents64(&*fs.root(), pos, &mut &mut buf[..]).expect("getdents");
            if used == 0 {
                break;
            }
            assert!(used <= 48, "two 24-byte records fit in 50 bytes");
            seen.extend(parse_getdents64(&buf[..used]).expect("parse").into_iter().map(|e| e.name));
            pos = next;
        }
        assert_eq!(seen.len(), 5);
    }

    #[test]
    fn too_small_for_one_entry_is_einval() {
        let fs = sample();
        let mut buf = [0u8; 23];
        assert_eq!(fill_getdents64(&*fs.root(), 0, &mut &mut buf[..]), Err(Errno::EINVAL));
        let mut buf = [0u8; 24];
        assert_eq!(fill_getdents64(&*fs.root(), 0, &mut &mut buf[..]), Ok((24, 1)));
    }

    #[test]
    fn long_names_pad_to_eight() {
        let fs = sample();
        let long = [b'n'; 255];
        fs.root().create(&long, NewNode::file(0o600)).expect("long name");
        let mut buf = [0u8; 4096];
        let (used, _) = fill_getdents64(&*fs.root(), 0, &mut &mut buf[..]).expect("getdents");
        let parsed = parse_getdents64(&buf[..used]).expect("parse");
        assert!(parsed.iter().any(|e| e.name == long));
        assert_eq!(used % 8, 0);
    }

    #[test]
    fn not_a_directory() {
        let fs = sample();
        let file = fs.root().lookup(b"file").expect("file");
        let mut buf = [0u8; 64];
        assert_eq!(fill_getdents64(&*file, 0, &mut &mut buf[..]), Err(Errno::ENOTDIR));
    }
}
