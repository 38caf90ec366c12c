//! The initramfs reader (ringo_fs::cpio): newc/crc archives, entry by
//! entry, then unpacked into a ramfs. Beyond not panicking: every name and
//! data slice lies inside the archive, in order; the entries read, written
//! back out as a fresh newc archive, read back the same; and unpacking
//! fails exactly when reading does (or on a file-system error).
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use ringo_fs::cpio::{self, CpioErrorKind, Entry, TRAILER};
use ringo_fs::ramfs::RamFs;
use ringo_fs::vfs::{DeviceRegistry, epoch_clock};

fn within(outer: &[u8], inner: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    i >= o && i + inner.len() <= o + outer.len()
}

/// One newc member, as `cpio -o -H newc` writes it.
fn write_member(out: &mut Vec<u8>, e: &Entry<'_>) {
    let fields = [
        e.ino,
        e.mode,
        e.uid,
        e.gid,
        e.nlink,
        e.mtime,
        e.data.len() as u32,
        e.dev_major,
        e.dev_minor,
        e.rdev_major,
        e.rdev_minor,
        e.name.len() as u32 + 1,
        0,
    ];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08x}").as_bytes());
    }
    out.extend_from_slice(e.name);
    out.push(0);
    pad4(out);
    out.extend_from_slice(e.data);
    pad4(out);
}

fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

fn trailer() -> Entry<'static> {
    Entry {
        index: 0,
        offset: 0,
        name: TRAILER,
        ino: 0,
        mode: 0,
        uid: 0,
        gid: 0,
        nlink: 1,
        mtime: 0,
        dev_major: 0,
        dev_minor: 0,
        rdev_major: 0,
        rdev_minor: 0,
        data: &[],
    }
}

/// Everything but the position in the archive.
fn same_member(a: &Entry<'_>, b: &Entry<'_>) -> bool {
    Entry { index: 0, offset: 0, ..a.clone() } == Entry { index: 0, offset: 0, ..b.clone() }
}

fuzz_target!(|data: &[u8]| {
    let mut read = Vec::new();
    let mut failed = false;
    let mut last_offset = None;
    for item in cpio::entries(data) {
        match item {
            Ok(entry) => {
                assert!(
                    within(data, entry.name) && within(data, entry.data),
                    "entry {} outside the archive",
                    entry.index
                );
                assert!(!entry.name.is_empty() && !entry.name.contains(&0) && entry.name != TRAILER);
                assert_eq!(entry.index, read.len());
                assert!(last_offset.is_none_or(|o| o < entry.offset), "entries out of order");
                last_offset = Some(entry.offset);
                read.push(entry);
            }
            Err(e) => {
                assert!(!failed, "the reader went on after an error");
                assert!(!matches!(e.kind, CpioErrorKind::Fs { .. } | CpioErrorKind::UnknownType(_)));
                // Display must not panic either: it is the kernel's log line.
                let _ = e.to_string();
                failed = true;
            }
        }
    }

    let mut archive = Vec::new();
    for entry in &read {
        write_member(&mut archive, entry);
    }
    write_member(&mut archive, &trailer());
    let again: Vec<Entry<'_>> = cpio::entries(&archive).collect::<Result<_, _>>().expect("our own archive reads back");
    assert_eq!(again.len(), read.len());
    for (a, b) in read.iter().zip(&again) {
        assert!(same_member(a, b), "{a:?} came back as {b:?}");
    }

    let fs = RamFs::new(Arc::new(DeviceRegistry::new()), epoch_clock);
    match cpio::unpack(data, &fs.root()) {
        Ok(summary) => {
            assert!(!failed, "unpack accepted an archive the reader refuses");
            assert_eq!(summary.entries, read.len());
            let total: u64 = read.iter().map(|e| e.data.len() as u64).sum();
            assert!(summary.bytes <= total);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
