use alloc::format;
use alloc::string::ToString;
use alloc::sync::Arc;
use alloc::vec::Vec;

use ringo_uapi::Errno;
use ringo_uapi::fs::{S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, makedev};

use super::*;
use crate::vfs::test_support::{contents, ramfs};
use crate::vfs::{Inode, InodeKind, Namespace, PathContext, Timespec};

/// A minimal newc/crc writer, enough to build the archives the tests need.
struct Writer {
    out: Vec<u8>,
    crc: bool,
    next_ino: u32,
}

#[derive(Clone, Copy)]
struct Meta {
    ino: u32,
    mode: u32,
    nlink: u32,
    mtime: u32,
    rdev: (u32, u32),
    uid: u32,
}

impl Meta {
    fn new(mode: u32) -> Self {
        Meta { ino: 0, mode, nlink: 1, mtime: 1_600_000_000, rdev: (0, 0), uid: 0 }
    }
}

impl Writer {
    fn newc() -> Self {
        Writer { out: Vec::new(), crc: false, next_ino: 100 }
    }

    fn crc() -> Self {
        Writer { crc: true, ..Self::newc() }
    }

    fn pad(&mut self) {
        while !self.out.len().is_multiple_of(4) {
            self.out.push(0);
        }
    }

    fn raw(&mut self, name: &[u8], mut meta: Meta, data: &[u8]) -> &mut Self {
        if meta.ino == 0 {
            meta.ino = self.next_ino;
            self.next_ino += 1;
        }
        let check = if self.crc { data.iter().fold(0u32, |s, &b| s.wrapping_add(b as u32)) } else { 0 };
        let fields = [
            meta.ino,
            meta.mode,
            meta.uid,
            0,
            meta.nlink,
            meta.mtime,
            data.len() as u32,
            0,
            0,
            meta.rdev.0,
            meta.rdev.1,
            name.len() as u32 + 1,
            check,
        ];
        self.out.extend_from_slice(if self.crc { b"070702" } else { b"070701" });
        for f in fields {
            self.out.extend_from_slice(format!("{f:08x}").as_bytes());
        }
        self.out.extend_from_slice(name);
        self.out.push(0);
        self.pad();
        self.out.extend_from_slice(data);
        self.pad();
        self
    }

    fn dir(&mut self, name: &str, perm: u32) -> &mut Self {
        self.raw(name.as_bytes(), Meta::new(S_IFDIR | perm), b"")
    }

    fn file(&mut self, name: &str, perm: u32, data: &[u8]) -> &mut Self {
        self.raw(name.as_bytes(), Meta::new(S_IFREG | perm), data)
    }

    fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.raw(name.as_bytes(), Meta::new(S_IFLNK | 0o777), target.as_bytes())
    }

    fn finish(&mut self) -> Vec<u8> {
        self.raw(TRAILER, Meta { ino: 1, nlink: 1, ..Meta::new(0) }, b"");
        core::mem::take(&mut self.out)
    }
}

struct Unpacked {
    root: Arc<dyn Inode>,
    ns: Namespace,
    summary: UnpackSummary,
}

impl Unpacked {
    fn get(&self, path: &str) -> Arc<dyn Inode> {
        PathContext::new(&self.ns, &self.root, &self.root).resolve(path.as_bytes(), false).expect(path)
    }
}

fn unpack_fresh(archive: &[u8]) -> Result<Unpacked, CpioError> {
    let root = ramfs().root();
    let summary = unpack(archive, &root)?;
    Ok(Unpacked { ns: Namespace::new(root.clone()), root, summary })
}

fn sample() -> Vec<u8> {
    let mut w = Writer::newc();
    w.dir(".", 0o755).dir("bin", 0o755).file("bin/busybox", 0o755, b"\x7fELF...").symlink("bin/sh", "busybox").file(
        "./usr/share/doc/readme",
        0o644,
        b"hello\n",
    );
    let link = Meta { ino: 77, nlink: 2, ..Meta::new(S_IFREG | 0o600) };
    w.raw(b"etc/a", link, b"").raw(b"etc/b", link, b"shared data");
    w.raw(b"dev/console", Meta { rdev: (5, 1), ..Meta::new(S_IFCHR | 0o600) }, b"").raw(
        b"run/fifo",
        Meta::new(S_IFIFO | 0o644),
        b"",
    );
    w.dir("dev", 0o755);
    w.finish()
}

#[test]
fn data_bytes_counts_what_an_unpack_stores() {
    let archive = sample();
    // busybox 7, readme 6, the symlink's target 7, the hard link's data 11.
    assert_eq!(data_bytes(&archive), Ok(31));
    assert_eq!(unpack_fresh(&archive).expect("unpack").summary.bytes, 31 - 7, "unpack counts file bytes only");
    assert!(data_bytes(&archive[..archive.len() - 200]).is_err(), "a truncated archive is an error");
}

#[test]
fn newc_round_trip() {
    let u = unpack_fresh(&sample()).expect("unpack");
    let busybox = u.get("/bin/busybox");
    assert_eq!(contents(&*busybox), b"\x7fELF...");
    assert_eq!(busybox.metadata().mode(), S_IFREG | 0o755);
    assert_eq!(busybox.metadata().mtime, Timespec::new(1_600_000_000, 0));
    assert_eq!(u.get("/bin/sh").readlink(), Ok(b"busybox".to_vec()));
    assert_eq!(contents(&*u.get("/usr/share/doc/readme")), b"hello\n");
    assert_eq!(u.get("/usr/share").metadata().perm, 0o755, "missing parents are made");

    let (a, b) = (u.get("/etc/a"), u.get("/etc/b"));
    assert_eq!(a.node_id(), b.node_id());
    assert_eq!(a.metadata().nlink, 2);
    assert_eq!(contents(&*a), b"shared data", "the data came with the last link");

    let console = u.get("/dev/console").metadata();
    assert_eq!((console.kind, console.rdev, console.perm), (InodeKind::CharDevice, makedev(5, 1), 0o600));
    assert_eq!(u.get("/run/fifo").kind(), InodeKind::Fifo);
    // Directory times are applied after their children are made.
    assert_eq!(u.get("/bin").metadata().mtime, Timespec::new(1_600_000_000, 0));
    assert_eq!(u.root.metadata().mtime, Timespec::new(1_600_000_000, 0));
    assert_eq!(
        u.summary,
        UnpackSummary { entries: 10, files: 3, dirs: 2, symlinks: 1, hard_links: 1, nodes: 2, bytes: 24 }
    );
}

#[test]
fn reader_yields_entries_without_trailers() {
    let archive = sample();
    let names: Vec<_> = entries(&archive).map(|e| e.expect("entry").name.to_vec()).collect();
    assert_eq!(names.len(), 10);
    assert_eq!(names[0], b".");
    assert_eq!(names[9], b"dev");
    let first = entries(&archive).nth(2).expect("third").expect("ok");
    assert_eq!((first.index, first.mode, first.data), (2, S_IFREG | 0o755, &b"\x7fELF..."[..]));
}

#[test]
fn hard_link_data_may_come_first() {
    let mut w = Writer::newc();
    let link = Meta { ino: 5, nlink: 3, ..Meta::new(S_IFREG | 0o644) };
    w.raw(b"x", link, b"first").raw(b"y", link, b"").raw(b"z", link, b"");
    let u = unpack_fresh(&w.finish()).expect("unpack");
    assert_eq!(contents(&*u.get("/z")), b"first");
    assert_eq!(u.get("/x").metadata().nlink, 3);
}

#[test]
fn crc_archives_are_checked() {
    let mut w = Writer::crc();
    w.file("ok", 0o644, b"checked");
    let good = w.finish();
    assert_eq!(contents(&*unpack_fresh(&good).expect("valid crc").get("/ok")), b"checked");

    let mut bad = good.clone();
    let at = bad.windows(7).position(|win| win == b"checked").expect("data");
    bad[at] = b'C';
    let err = unpack_fresh(&bad).err().expect("checksum error");
    assert_eq!(err.entry, 0);
    assert_eq!(err.name.as_deref(), Some("ok"));
    assert!(matches!(err.kind, CpioErrorKind::Checksum { .. }));
}

#[test]
fn every_truncation_is_an_error_naming_the_entry() {
    let archive = sample();
    // Past the trailer's name, only padding is missing, which is accepted.
    let trailer_name_end = archive.len() - 4 + 3;
    for len in 0..trailer_name_end {
        let cut = &archive[..len];
        let Err(err) = unpack_fresh(cut) else { panic!("a {len}-byte prefix unpacked") };
        assert!(err.offset <= len, "{err}");
    }
    // Cut inside busybox's data.
    let at = archive.windows(7).position(|w| w == b"\x7fELF...").expect("data") + 3;
    let err = unpack_fresh(&archive[..at]).err().expect("truncated");
    assert_eq!(err.entry, 2);
    assert_eq!(err.name.as_deref(), Some("bin/busybox"));
    assert!(matches!(err.kind, CpioErrorKind::Truncated { what: "data", .. }));
    let text = err.to_string();
    assert!(text.starts_with("initramfs entry 2 at byte "), "{text}");
    assert!(text.contains("(bin/busybox): archive truncated in the data"), "{text}");
}

/// xorshift64*, so the garbage is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn garbage_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let valid = sample();
    let mut errors = 0;
    for round in 0..3000 {
        let input: Vec<u8> = match round % 3 {
            // Pure noise.
            0 => (0..rng.below(400)).map(|_| rng.next() as u8).collect(),
            // A valid magic followed by noise, mostly hex-looking.
            1 => {
                let mut v = b"070701".to_vec();
                v.extend((0..rng.below(400)).map(|_| b"0123456789abcdefX\0/"[rng.below(19)]));
                v
            }
            // A valid archive with a few bytes changed and maybe cut short.
            _ => {
                let mut v = valid.clone();
                for _ in 0..1 + rng.below(4) {
                    let at = rng.below(v.len());
                    v[at] = rng.next() as u8;
                }
                v.truncate(rng.below(v.len() + 1));
                v
            }
        };
        if unpack_fresh(&input).is_err() {
            errors += 1;
        }
        for e in entries(&input) {
            if e.is_err() {
                break;
            }
        }
    }
    assert!(errors > 2000, "most garbage must be rejected ({errors})");
}

#[test]
fn recognisable_mistakes() {
    let mut gz = vec![0x1f, 0x8b, 8, 0];
    gz.resize(200, 0);
    let err = unpack_fresh(&gz).err().expect("gzip");
    assert_eq!(err.kind, CpioErrorKind::Compressed("gzip"));
    assert!(err.to_string().contains("gzip-compressed"));

    let mut odc = b"070707".to_vec();
    odc.resize(200, b'0');
    assert_eq!(unpack_fresh(&odc).err().map(|e| e.kind), Some(CpioErrorKind::UnsupportedFormat("odc")));

    let mut w = Writer::newc();
    w.file("f", 0o644, b"x");
    let no_trailer = w.out.clone();
    assert_eq!(unpack_fresh(&no_trailer).err().map(|e| e.kind), Some(CpioErrorKind::MissingTrailer));
    assert_eq!(unpack_fresh(b"").err().map(|e| e.kind), Some(CpioErrorKind::MissingTrailer));

    let mut bad_hex = w.finish();
    bad_hex[6 + 6 * 8] = b'g';
    assert_eq!(unpack_fresh(&bad_hex).err().map(|e| e.kind), Some(CpioErrorKind::BadField("c_filesize")));

    let mut junk = b"070701".to_vec();
    junk.extend_from_slice(&[b'0'; 104]);
    assert_eq!(unpack_fresh(&junk).err().map(|e| e.kind), Some(CpioErrorKind::BadName));

    let mut w = Writer::newc();
    w.raw(b"weird", Meta::new(0o170644), b"");
    assert_eq!(unpack_fresh(&w.finish()).err().map(|e| e.kind), Some(CpioErrorKind::UnknownType(0o170644)));

    let mut w = Writer::newc();
    w.file("f", 0o644, b"").file("f/g", 0o644, b"");
    let err = unpack_fresh(&w.finish()).err().expect("file as a parent");
    assert_eq!(
        (err.entry, err.kind),
        (1, CpioErrorKind::Fs { op: "making parent directories", errno: Errno::ENOTDIR })
    );
}

#[test]
fn concatenated_archives_unpack_as_one() {
    let mut first = Writer::newc();
    first.file("one", 0o644, b"1");
    let mut archive = first.finish();
    archive.extend_from_slice(&[0; 512]);
    let mut second = Writer::newc();
    second.file("two", 0o644, b"2").file("one", 0o600, b"replaced");
    archive.extend_from_slice(&second.finish());
    archive.extend_from_slice(&[0; 7]);
    let u = unpack_fresh(&archive).expect("unpack");
    assert_eq!(contents(&*u.get("/two")), b"2");
    assert_eq!(contents(&*u.get("/one")), b"replaced");
    assert_eq!(u.get("/one").metadata().perm, 0o600);
}

#[test]
fn existing_entries_are_kept_or_replaced() {
    let root = ramfs().root();
    let dev = root.create(b"dev", crate::vfs::NewNode::dir(0o700)).expect("dev");
    dev.create(b"null", crate::vfs::NewNode::file(0o666)).expect("null");
    root.create(b"etc", crate::vfs::NewNode::file(0o644)).expect("etc as a file");
    let mut w = Writer::newc();
    w.dir("dev", 0o755).dir("etc", 0o755).file("etc/motd", 0o644, b"hi");
    unpack(&w.finish(), &root).expect("unpack");
    let dev_again = root.lookup(b"dev").expect("dev");
    assert_eq!(dev_again.node_id(), dev.node_id(), "an existing directory stays");
    assert_eq!(dev_again.metadata().perm, 0o755);
    assert!(dev_again.lookup(b"null").is_ok());
    assert_eq!(root.lookup(b"etc").map(|e| e.kind()), Ok(InodeKind::Dir), "a file in the way is replaced");
    assert_eq!(contents(&*root.lookup(b"etc").and_then(|e| e.lookup(b"motd")).expect("motd")), b"hi");

    let mut w = Writer::newc();
    w.file("dev", 0o644, b"");
    let err = unpack(&w.finish(), &root).expect_err("non-empty dir in the way");
    assert_eq!(err.kind, CpioErrorKind::Fs { op: "replacing an existing entry", errno: Errno::ENOTEMPTY });
}
