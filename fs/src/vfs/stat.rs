//! Metadata in the shapes stat(2) and statx(2) return.

use ringo_uapi::fs::{STATX_BASIC_STATS, Stat, Statx, StatxTimestamp, dev_major, dev_minor};

use super::inode::Metadata;
use super::time::Timespec;

pub fn to_stat(m: &Metadata) -> Stat {
    Stat {
        st_dev: m.dev,
        st_ino: m.ino,
        st_nlink: m.nlink as u64,
        st_mode: m.mode(),
        st_uid: m.uid,
        st_gid: m.gid,
        st_rdev: m.rdev,
        st_size: m.size as i64,
        st_blksize: m.blksize as i64,
        st_blocks: m.blocks as i64,
        st_atime: m.atime.sec as u64,
        st_atime_nsec: m.atime.nsec as u64,
        st_mtime: m.mtime.sec as u64,
        st_mtime_nsec: m.mtime.nsec as u64,
        st_ctime: m.ctime.sec as u64,
        st_ctime_nsec: m.ctime.nsec as u64,
        ..Stat::default()
    }
}

fn stamp(t: Timespec) -> StatxTimestamp {
    StatxTimestamp { tv_sec: t.sec, tv_nsec: t.nsec, __reserved: 0 }
}

/// statx(2). Every basic field is filled whatever `_requested` says (Linux
/// may return more than asked); the returned mask says which: no birth time.
pub fn to_statx(m: &Metadata, _requested: u32) -> Statx {
    Statx {
        stx_mask: STATX_BASIC_STATS,
        stx_blksize: m.blksize,
        stx_nlink: m.nlink,
        stx_uid: m.uid,
        stx_gid: m.gid,
        stx_mode: m.mode() as u16,
        stx_ino: m.ino,
        stx_size: m.size,
        stx_blocks: m.blocks,
        stx_atime: stamp(m.atime),
        stx_ctime: stamp(m.ctime),
        stx_mtime: stamp(m.mtime),
        stx_rdev_major: dev_major(m.rdev),
        stx_rdev_minor: dev_minor(m.rdev),
        stx_dev_major: dev_major(m.dev),
        stx_dev_minor: dev_minor(m.dev),
        ..Statx::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::InodeKind;
    use ringo_uapi::fs::makedev;

    #[test]
    fn stat_and_statx_carry_the_same_facts() {
        let m = Metadata {
            nlink: 3,
            uid: 1000,
            gid: 100,
            size: 5000,
            blocks: 16,
            rdev: makedev(1, 3),
            mtime: Timespec::new(1_700_000_000, 5),
            ..Metadata::new(makedev(0, 17), 42, InodeKind::CharDevice, 0o666)
        };
        let st = to_stat(&m);
        assert_eq!(st.st_mode, 0o20666);
        assert_eq!((st.st_ino, st.st_nlink, st.st_size, st.st_blocks), (42, 3, 5000, 16));
        assert_eq!((st.st_mtime, st.st_mtime_nsec), (1_700_000_000, 5));
        assert_eq!(st.st_rdev, 0x103);
        let sx = to_statx(&m, STATX_BASIC_STATS);
        assert_eq!(sx.stx_mask, STATX_BASIC_STATS);
        assert_eq!(sx.stx_mode, 0o20666);
        assert_eq!((sx.stx_rdev_major, sx.stx_rdev_minor), (1, 3));
        assert_eq!((sx.stx_dev_major, sx.stx_dev_minor), (0, 17));
        assert_eq!(sx.stx_mtime.tv_sec, 1_700_000_000);
        assert_eq!(sx.stx_blksize, 4096);
    }
}
