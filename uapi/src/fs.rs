//! File ABI: open/fcntl/`*at` flags, mode bits, directory entry types, seek
//! whences, rename flags, and the x86-64 layouts of `struct stat`, `struct
//! statx`, `struct statfs` and the `struct linux_dirent64` header.
//!
//! Structures serialise with `to_bytes` (native endianness, C layout) so the
//! kernel can copy them to user memory without reinterpreting memory.

// open(2) flags, octal as in asm-generic/fcntl.h (x86-64 uses the generic values).
pub const O_ACCMODE: u32 = 0o3;
pub const O_RDONLY: u32 = 0o0;
pub const O_WRONLY: u32 = 0o1;
pub const O_RDWR: u32 = 0o2;
pub const O_CREAT: u32 = 0o100;
pub const O_EXCL: u32 = 0o200;
pub const O_NOCTTY: u32 = 0o400;
pub const O_TRUNC: u32 = 0o1000;
pub const O_APPEND: u32 = 0o2000;
pub const O_NONBLOCK: u32 = 0o4000;
pub const O_NDELAY: u32 = O_NONBLOCK;
pub const O_DSYNC: u32 = 0o10000;
pub const FASYNC: u32 = 0o20000;
pub const O_ASYNC: u32 = FASYNC;
pub const O_DIRECT: u32 = 0o40000;
pub const O_LARGEFILE: u32 = 0o100000;
pub const O_DIRECTORY: u32 = 0o200000;
pub const O_NOFOLLOW: u32 = 0o400000;
pub const O_NOATIME: u32 = 0o1000000;
pub const O_CLOEXEC: u32 = 0o2000000;
pub const __O_SYNC: u32 = 0o4000000;
pub const O_SYNC: u32 = __O_SYNC | O_DSYNC;
pub const O_PATH: u32 = 0o10000000;
pub const __O_TMPFILE: u32 = 0o20000000;
pub const O_TMPFILE: u32 = __O_TMPFILE | O_DIRECTORY;

// fcntl(2) commands.
pub const F_DUPFD: u32 = 0;
pub const F_GETFD: u32 = 1;
pub const F_SETFD: u32 = 2;
pub const F_GETFL: u32 = 3;
pub const F_SETFL: u32 = 4;
pub const F_GETLK: u32 = 5;
pub const F_SETLK: u32 = 6;
pub const F_SETLKW: u32 = 7;
pub const F_SETOWN: u32 = 8;
pub const F_GETOWN: u32 = 9;
pub const F_SETSIG: u32 = 10;
pub const F_GETSIG: u32 = 11;
pub const F_SETOWN_EX: u32 = 15;
pub const F_GETOWN_EX: u32 = 16;
pub const F_OFD_GETLK: u32 = 36;
pub const F_OFD_SETLK: u32 = 37;
pub const F_OFD_SETLKW: u32 = 38;
pub const F_LINUX_SPECIFIC_BASE: u32 = 1024;
pub const F_SETLEASE: u32 = F_LINUX_SPECIFIC_BASE;
pub const F_GETLEASE: u32 = F_LINUX_SPECIFIC_BASE + 1;
pub const F_NOTIFY: u32 = F_LINUX_SPECIFIC_BASE + 2;
pub const F_DUPFD_CLOEXEC: u32 = F_LINUX_SPECIFIC_BASE + 6;
pub const F_SETPIPE_SZ: u32 = F_LINUX_SPECIFIC_BASE + 7;
pub const F_GETPIPE_SZ: u32 = F_LINUX_SPECIFIC_BASE + 8;
pub const F_ADD_SEALS: u32 = F_LINUX_SPECIFIC_BASE + 9;
pub const F_GET_SEALS: u32 = F_LINUX_SPECIFIC_BASE + 10;
pub const FD_CLOEXEC: u32 = 1;

// close_range(2) flags (linux/close_range.h).
pub const CLOSE_RANGE_UNSHARE: u32 = 1 << 1;
pub const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;

// Record lock types (struct flock.l_type).
pub const F_RDLCK: u16 = 0;
pub const F_WRLCK: u16 = 1;
pub const F_UNLCK: u16 = 2;

// flock(2) operations.
pub const LOCK_SH: u32 = 1;
pub const LOCK_EX: u32 = 2;
pub const LOCK_NB: u32 = 4;
pub const LOCK_UN: u32 = 8;

// The `*at` calls: directory fd and flags.
pub const AT_FDCWD: i32 = -100;
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
pub const AT_EACCESS: u32 = 0x200;
pub const AT_REMOVEDIR: u32 = 0x200;
pub const AT_SYMLINK_FOLLOW: u32 = 0x400;
pub const AT_NO_AUTOMOUNT: u32 = 0x800;
pub const AT_EMPTY_PATH: u32 = 0x1000;
pub const AT_STATX_SYNC_TYPE: u32 = 0x6000;
pub const AT_STATX_SYNC_AS_STAT: u32 = 0x0000;
pub const AT_STATX_FORCE_SYNC: u32 = 0x2000;
pub const AT_STATX_DONT_SYNC: u32 = 0x4000;
pub const AT_RECURSIVE: u32 = 0x8000;

// utimensat(2) special nanosecond values.
pub const UTIME_NOW: i64 = (1 << 30) - 1;
pub const UTIME_OMIT: i64 = (1 << 30) - 2;

// access(2) modes.
pub const F_OK: u32 = 0;
pub const X_OK: u32 = 1;
pub const W_OK: u32 = 2;
pub const R_OK: u32 = 4;

// File type and mode bits (linux/stat.h).
pub const S_IFMT: u32 = 0o170000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;
pub const S_ISUID: u32 = 0o4000;
pub const S_ISGID: u32 = 0o2000;
pub const S_ISVTX: u32 = 0o1000;
pub const S_IRWXU: u32 = 0o700;
pub const S_IRUSR: u32 = 0o400;
pub const S_IWUSR: u32 = 0o200;
pub const S_IXUSR: u32 = 0o100;
pub const S_IRWXG: u32 = 0o070;
pub const S_IRGRP: u32 = 0o040;
pub const S_IWGRP: u32 = 0o020;
pub const S_IXGRP: u32 = 0o010;
pub const S_IRWXO: u32 = 0o007;
pub const S_IROTH: u32 = 0o004;
pub const S_IWOTH: u32 = 0o002;
pub const S_IXOTH: u32 = 0o001;
/// The permission bits chmod can change (type bits excluded).
pub const S_IALLUGO: u32 = 0o7777;

// linux_dirent64.d_type values.
pub const DT_UNKNOWN: u8 = 0;
pub const DT_FIFO: u8 = 1;
pub const DT_CHR: u8 = 2;
pub const DT_DIR: u8 = 4;
pub const DT_BLK: u8 = 6;
pub const DT_REG: u8 = 8;
pub const DT_LNK: u8 = 10;
pub const DT_SOCK: u8 = 12;
pub const DT_WHT: u8 = 14;

// lseek(2) whences.
/// splice(2) flags.
pub const SPLICE_F_MOVE: u32 = 1;
pub const SPLICE_F_NONBLOCK: u32 = 2;
pub const SPLICE_F_MORE: u32 = 4;
pub const SPLICE_F_GIFT: u32 = 8;

pub const SEEK_SET: u32 = 0;
pub const SEEK_CUR: u32 = 1;
pub const SEEK_END: u32 = 2;
pub const SEEK_DATA: u32 = 3;
pub const SEEK_HOLE: u32 = 4;

// renameat2(2) flags.
pub const RENAME_NOREPLACE: u32 = 1 << 0;
pub const RENAME_EXCHANGE: u32 = 1 << 1;
pub const RENAME_WHITEOUT: u32 = 1 << 2;

// Limits user space sees (linux/limits.h).
/// Longest path including its NUL: a path of `PATH_MAX` bytes or more is ENAMETOOLONG.
pub const PATH_MAX: usize = 4096;
/// Longest single file name.
pub const NAME_MAX: usize = 255;
/// Symbolic links followed in one lookup before ELOOP (MAXSYMLINKS).
pub const MAXSYMLINKS: u32 = 40;

// statx(2) request and result masks.
pub const STATX_TYPE: u32 = 0x0000_0001;
pub const STATX_MODE: u32 = 0x0000_0002;
pub const STATX_NLINK: u32 = 0x0000_0004;
pub const STATX_UID: u32 = 0x0000_0008;
pub const STATX_GID: u32 = 0x0000_0010;
pub const STATX_ATIME: u32 = 0x0000_0020;
pub const STATX_MTIME: u32 = 0x0000_0040;
pub const STATX_CTIME: u32 = 0x0000_0080;
pub const STATX_INO: u32 = 0x0000_0100;
pub const STATX_SIZE: u32 = 0x0000_0200;
pub const STATX_BLOCKS: u32 = 0x0000_0400;
pub const STATX_BASIC_STATS: u32 = 0x0000_07ff;
pub const STATX_BTIME: u32 = 0x0000_0800;
pub const STATX_MNT_ID: u32 = 0x0000_1000;
pub const STATX_DIOALIGN: u32 = 0x0000_2000;
pub const STATX__RESERVED: u32 = 0x8000_0000;
pub const STATX_ALL: u32 = 0x0000_0fff;

// statx attributes.
pub const STATX_ATTR_COMPRESSED: u64 = 0x0000_0004;
pub const STATX_ATTR_IMMUTABLE: u64 = 0x0000_0010;
pub const STATX_ATTR_APPEND: u64 = 0x0000_0020;
pub const STATX_ATTR_NODUMP: u64 = 0x0000_0040;
pub const STATX_ATTR_ENCRYPTED: u64 = 0x0000_0800;
pub const STATX_ATTR_AUTOMOUNT: u64 = 0x0000_1000;
pub const STATX_ATTR_MOUNT_ROOT: u64 = 0x0000_2000;

// statfs f_type values (linux/magic.h).
pub const RAMFS_MAGIC: i64 = 0x8584_58f6;
pub const TMPFS_MAGIC: i64 = 0x0102_1994;
pub const PROC_SUPER_MAGIC: i64 = 0x9fa0;
pub const DEVPTS_SUPER_MAGIC: i64 = 0x1cd1;

// statfs f_flags (ST_* mount flags).
pub const ST_RDONLY: i64 = 0x0001;
pub const ST_NOSUID: i64 = 0x0002;
pub const ST_NODEV: i64 = 0x0004;
pub const ST_NOEXEC: i64 = 0x0008;
pub const ST_VALID: i64 = 0x0020;

/// A device number as user space sees it (glibc's `makedev`): 12 bits of
/// major and 20 of minor, the low byte of minor kept at the bottom for the
/// old 16-bit encoding.
pub const fn makedev(major: u32, minor: u32) -> u64 {
    let (major, minor) = (major as u64, minor as u64);
    (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & !0xff) << 12) | ((major & !0xfff) << 32)
}

pub const fn dev_major(dev: u64) -> u32 {
    (((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff)) as u32
}

pub const fn dev_minor(dev: u64) -> u32 {
    ((dev & 0xff) | ((dev >> 12) & !0xff)) as u32
}

/// Appends `bytes` at `*at` in `out`; the serialisers below stay free of
/// pointer casts this way.
fn put(out: &mut [u8], at: &mut usize, bytes: &[u8]) {
    out[*at..*at + bytes.len()].copy_from_slice(bytes);
    *at += bytes.len();
}

/// x86-64 `struct stat` (asm/stat.h), as returned by stat/fstat/lstat/newfstatat.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stat {
    pub st_dev: u64,
    pub st_ino: u64,
    pub st_nlink: u64,
    pub st_mode: u32,
    pub st_uid: u32,
    pub st_gid: u32,
    pub __pad0: u32,
    pub st_rdev: u64,
    pub st_size: i64,
    pub st_blksize: i64,
    pub st_blocks: i64,
    pub st_atime: u64,
    pub st_atime_nsec: u64,
    pub st_mtime: u64,
    pub st_mtime_nsec: u64,
    pub st_ctime: u64,
    pub st_ctime_nsec: u64,
    pub __unused: [i64; 3],
}

impl Stat {
    pub const SIZE: usize = 144;

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut out = [0u8; Self::SIZE];
        let at = &mut 0;
        put(&mut out, at, &self.st_dev.to_ne_bytes());
        put(&mut out, at, &self.st_ino.to_ne_bytes());
        put(&mut out, at, &self.st_nlink.to_ne_bytes());
        put(&mut out, at, &self.st_mode.to_ne_bytes());
        put(&mut out, at, &self.st_uid.to_ne_bytes());
        put(&mut out, at, &self.st_gid.to_ne_bytes());
        put(&mut out, at, &self.__pad0.to_ne_bytes());
        put(&mut out, at, &self.st_rdev.to_ne_bytes());
        put(&mut out, at, &self.st_size.to_ne_bytes());
        put(&mut out, at, &self.st_blksize.to_ne_bytes());
        put(&mut out, at, &self.st_blocks.to_ne_bytes());
        put(&mut out, at, &self.st_atime.to_ne_bytes());
        put(&mut out, at, &self.st_atime_nsec.to_ne_bytes());
        put(&mut out, at, &self.st_mtime.to_ne_bytes());
        put(&mut out, at, &self.st_mtime_nsec.to_ne_bytes());
        put(&mut out, at, &self.st_ctime.to_ne_bytes());
        put(&mut out, at, &self.st_ctime_nsec.to_ne_bytes());
        for word in self.__unused {
            put(&mut out, at, &word.to_ne_bytes());
        }
        out
    }
}

/// `struct statx_timestamp`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatxTimestamp {
    pub tv_sec: i64,
    pub tv_nsec: u32,
    pub __reserved: i32,
}

impl StatxTimestamp {
    fn put(&self, out: &mut [u8], at: &mut usize) {
        put(out, at, &self.tv_sec.to_ne_bytes());
        put(out, at, &self.tv_nsec.to_ne_bytes());
        put(out, at, &self.__reserved.to_ne_bytes());
    }
}

/// `struct statx` (linux/stat.h).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Statx {
    pub stx_mask: u32,
    pub stx_blksize: u32,
    pub stx_attributes: u64,
    pub stx_nlink: u32,
    pub stx_uid: u32,
    pub stx_gid: u32,
    pub stx_mode: u16,
    pub __spare0: u16,
    pub stx_ino: u64,
    pub stx_size: u64,
    pub stx_blocks: u64,
    pub stx_attributes_mask: u64,
    pub stx_atime: StatxTimestamp,
    pub stx_btime: StatxTimestamp,
    pub stx_ctime: StatxTimestamp,
    pub stx_mtime: StatxTimestamp,
    pub stx_rdev_major: u32,
    pub stx_rdev_minor: u32,
    pub stx_dev_major: u32,
    pub stx_dev_minor: u32,
    pub stx_mnt_id: u64,
    pub stx_dio_mem_align: u32,
    pub stx_dio_offset_align: u32,
    pub __spare3: [u64; 12],
}

impl Statx {
    pub const SIZE: usize = 256;

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut out = [0u8; Self::SIZE];
        let at = &mut 0;
        put(&mut out, at, &self.stx_mask.to_ne_bytes());
        put(&mut out, at, &self.stx_blksize.to_ne_bytes());
        put(&mut out, at, &self.stx_attributes.to_ne_bytes());
        put(&mut out, at, &self.stx_nlink.to_ne_bytes());
        put(&mut out, at, &self.stx_uid.to_ne_bytes());
        put(&mut out, at, &self.stx_gid.to_ne_bytes());
        put(&mut out, at, &self.stx_mode.to_ne_bytes());
        put(&mut out, at, &self.__spare0.to_ne_bytes());
        put(&mut out, at, &self.stx_ino.to_ne_bytes());
        put(&mut out, at, &self.stx_size.to_ne_bytes());
        put(&mut out, at, &self.stx_blocks.to_ne_bytes());
        put(&mut out, at, &self.stx_attributes_mask.to_ne_bytes());
        self.stx_atime.put(&mut out, at);
        self.stx_btime.put(&mut out, at);
        self.stx_ctime.put(&mut out, at);
        self.stx_mtime.put(&mut out, at);
        put(&mut out, at, &self.stx_rdev_major.to_ne_bytes());
        put(&mut out, at, &self.stx_rdev_minor.to_ne_bytes());
        put(&mut out, at, &self.stx_dev_major.to_ne_bytes());
        put(&mut out, at, &self.stx_dev_minor.to_ne_bytes());
        put(&mut out, at, &self.stx_mnt_id.to_ne_bytes());
        put(&mut out, at, &self.stx_dio_mem_align.to_ne_bytes());
        put(&mut out, at, &self.stx_dio_offset_align.to_ne_bytes());
        for word in self.__spare3 {
            put(&mut out, at, &word.to_ne_bytes());
        }
        out
    }
}

/// x86-64 `struct statfs` (asm-generic/statfs.h with 64-bit longs).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Statfs {
    pub f_type: i64,
    pub f_bsize: i64,
    pub f_blocks: u64,
    pub f_bfree: u64,
    pub f_bavail: u64,
    pub f_files: u64,
    pub f_ffree: u64,
    pub f_fsid: [i32; 2],
    pub f_namelen: i64,
    pub f_frsize: i64,
    pub f_flags: i64,
    pub f_spare: [i64; 4],
}

impl Statfs {
    pub const SIZE: usize = 120;

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut out = [0u8; Self::SIZE];
        let at = &mut 0;
        put(&mut out, at, &self.f_type.to_ne_bytes());
        put(&mut out, at, &self.f_bsize.to_ne_bytes());
        put(&mut out, at, &self.f_blocks.to_ne_bytes());
        put(&mut out, at, &self.f_bfree.to_ne_bytes());
        put(&mut out, at, &self.f_bavail.to_ne_bytes());
        put(&mut out, at, &self.f_files.to_ne_bytes());
        put(&mut out, at, &self.f_ffree.to_ne_bytes());
        for half in self.f_fsid {
            put(&mut out, at, &half.to_ne_bytes());
        }
        put(&mut out, at, &self.f_namelen.to_ne_bytes());
        put(&mut out, at, &self.f_frsize.to_ne_bytes());
        put(&mut out, at, &self.f_flags.to_ne_bytes());
        for word in self.f_spare {
            put(&mut out, at, &word.to_ne_bytes());
        }
        out
    }
}

/// The fixed head of `struct linux_dirent64`; the NUL-terminated name
/// follows at [`Dirent64Header::NAME_OFFSET`] and the record is padded to 8 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dirent64Header {
    pub d_ino: u64,
    pub d_off: i64,
    pub d_reclen: u16,
    pub d_type: u8,
}

impl Dirent64Header {
    /// `offsetof(struct linux_dirent64, d_name)`: the C struct has no padding before the name.
    pub const NAME_OFFSET: usize = 19;

    /// Record length for a name of `name_len` bytes: header, name, NUL, padded to 8.
    pub const fn record_len(name_len: usize) -> usize {
        (Self::NAME_OFFSET + name_len + 1 + 7) & !7
    }

    pub fn to_bytes(&self) -> [u8; Self::NAME_OFFSET] {
        let mut out = [0u8; Self::NAME_OFFSET];
        let at = &mut 0;
        put(&mut out, at, &self.d_ino.to_ne_bytes());
        put(&mut out, at, &self.d_off.to_ne_bytes());
        put(&mut out, at, &self.d_reclen.to_ne_bytes());
        put(&mut out, at, &[self.d_type]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    /// `#define NAME VALUE` lines of a header whose value is a plain number (octal, hex or decimal).
    fn numeric_defines(path: &str) -> Vec<(String, i64)> {
        let Ok(text) = std::fs::read_to_string(path) else {
            panic!("{path} missing: install linux-libc-dev");
        };
        let mut found = Vec::new();
        for line in text.lines() {
            let w: Vec<_> = line.split_whitespace().collect();
            if w.len() < 3 || w[0] != "#define" {
                continue;
            }
            let v = w[2].trim_end_matches('U');
            let parsed = if let Some(hex) = v.strip_prefix("0x") {
                i64::from_str_radix(hex, 16)
            } else if v.len() > 1 && v.starts_with('0') {
                i64::from_str_radix(&v[1..], 8)
            } else {
                v.parse::<i64>()
            };
            if let Ok(n) = parsed {
                found.push((w[1].to_string(), n));
            }
        }
        found
    }

    fn ours(name: &str) -> Option<i64> {
        Some(match name {
            "O_ACCMODE" => O_ACCMODE as i64,
            "O_RDONLY" => O_RDONLY as i64,
            "O_WRONLY" => O_WRONLY as i64,
            "O_RDWR" => O_RDWR as i64,
            "O_CREAT" => O_CREAT as i64,
            "O_EXCL" => O_EXCL as i64,
            "O_NOCTTY" => O_NOCTTY as i64,
            "O_TRUNC" => O_TRUNC as i64,
            "O_APPEND" => O_APPEND as i64,
            "O_NONBLOCK" => O_NONBLOCK as i64,
            "O_DSYNC" => O_DSYNC as i64,
            "FASYNC" => FASYNC as i64,
            "O_DIRECT" => O_DIRECT as i64,
            "O_LARGEFILE" => O_LARGEFILE as i64,
            "O_DIRECTORY" => O_DIRECTORY as i64,
            "O_NOFOLLOW" => O_NOFOLLOW as i64,
            "O_NOATIME" => O_NOATIME as i64,
            "O_CLOEXEC" => O_CLOEXEC as i64,
            "__O_SYNC" => __O_SYNC as i64,
            "O_PATH" => O_PATH as i64,
            "__O_TMPFILE" => __O_TMPFILE as i64,
            "F_DUPFD" => F_DUPFD as i64,
            "F_GETFD" => F_GETFD as i64,
            "F_SETFD" => F_SETFD as i64,
            "F_GETFL" => F_GETFL as i64,
            "F_SETFL" => F_SETFL as i64,
            "F_GETLK" => F_GETLK as i64,
            "F_SETLK" => F_SETLK as i64,
            "F_SETLKW" => F_SETLKW as i64,
            "F_SETOWN" => F_SETOWN as i64,
            "F_GETOWN" => F_GETOWN as i64,
            "F_OFD_GETLK" => F_OFD_GETLK as i64,
            "F_OFD_SETLK" => F_OFD_SETLK as i64,
            "F_OFD_SETLKW" => F_OFD_SETLKW as i64,
            "F_LINUX_SPECIFIC_BASE" => F_LINUX_SPECIFIC_BASE as i64,
            "FD_CLOEXEC" => FD_CLOEXEC as i64,
            "AT_FDCWD" => AT_FDCWD as i64,
            "AT_SYMLINK_NOFOLLOW" => AT_SYMLINK_NOFOLLOW as i64,
            "AT_EACCESS" => AT_EACCESS as i64,
            "AT_REMOVEDIR" => AT_REMOVEDIR as i64,
            "AT_SYMLINK_FOLLOW" => AT_SYMLINK_FOLLOW as i64,
            "AT_NO_AUTOMOUNT" => AT_NO_AUTOMOUNT as i64,
            "AT_EMPTY_PATH" => AT_EMPTY_PATH as i64,
            "AT_RECURSIVE" => AT_RECURSIVE as i64,
            "S_IFMT" => S_IFMT as i64,
            "S_IFSOCK" => S_IFSOCK as i64,
            "S_IFLNK" => S_IFLNK as i64,
            "S_IFREG" => S_IFREG as i64,
            "S_IFBLK" => S_IFBLK as i64,
            "S_IFDIR" => S_IFDIR as i64,
            "S_IFCHR" => S_IFCHR as i64,
            "S_IFIFO" => S_IFIFO as i64,
            "S_ISUID" => S_ISUID as i64,
            "S_ISGID" => S_ISGID as i64,
            "S_ISVTX" => S_ISVTX as i64,
            "S_IRWXU" => S_IRWXU as i64,
            "S_IRUSR" => S_IRUSR as i64,
            "S_IWUSR" => S_IWUSR as i64,
            "S_IXUSR" => S_IXUSR as i64,
            "S_IRWXG" => S_IRWXG as i64,
            "S_IRGRP" => S_IRGRP as i64,
            "S_IWGRP" => S_IWGRP as i64,
            "S_IXGRP" => S_IXGRP as i64,
            "S_IRWXO" => S_IRWXO as i64,
            "S_IROTH" => S_IROTH as i64,
            "S_IWOTH" => S_IWOTH as i64,
            "S_IXOTH" => S_IXOTH as i64,
            "STATX_TYPE" => STATX_TYPE as i64,
            "STATX_MODE" => STATX_MODE as i64,
            "STATX_NLINK" => STATX_NLINK as i64,
            "STATX_UID" => STATX_UID as i64,
            "STATX_GID" => STATX_GID as i64,
            "STATX_ATIME" => STATX_ATIME as i64,
            "STATX_MTIME" => STATX_MTIME as i64,
            "STATX_CTIME" => STATX_CTIME as i64,
            "STATX_INO" => STATX_INO as i64,
            "STATX_SIZE" => STATX_SIZE as i64,
            "STATX_BLOCKS" => STATX_BLOCKS as i64,
            "STATX_BASIC_STATS" => STATX_BASIC_STATS as i64,
            "STATX_BTIME" => STATX_BTIME as i64,
            "STATX_MNT_ID" => STATX_MNT_ID as i64,
            "STATX_DIOALIGN" => STATX_DIOALIGN as i64,
            "STATX__RESERVED" => STATX__RESERVED as i64,
            "STATX_ALL" => STATX_ALL as i64,
            "STATX_ATTR_COMPRESSED" => STATX_ATTR_COMPRESSED as i64,
            "STATX_ATTR_IMMUTABLE" => STATX_ATTR_IMMUTABLE as i64,
            "STATX_ATTR_APPEND" => STATX_ATTR_APPEND as i64,
            "STATX_ATTR_NODUMP" => STATX_ATTR_NODUMP as i64,
            "STATX_ATTR_ENCRYPTED" => STATX_ATTR_ENCRYPTED as i64,
            "STATX_ATTR_AUTOMOUNT" => STATX_ATTR_AUTOMOUNT as i64,
            "STATX_ATTR_MOUNT_ROOT" => STATX_ATTR_MOUNT_ROOT as i64,
            "RAMFS_MAGIC" => RAMFS_MAGIC,
            "TMPFS_MAGIC" => TMPFS_MAGIC,
            "PROC_SUPER_MAGIC" => PROC_SUPER_MAGIC,
            "DEVPTS_SUPER_MAGIC" => DEVPTS_SUPER_MAGIC,
            "SEEK_SET" => SEEK_SET as i64,
            "SEEK_CUR" => SEEK_CUR as i64,
            "SEEK_END" => SEEK_END as i64,
            "SEEK_DATA" => SEEK_DATA as i64,
            "SEEK_HOLE" => SEEK_HOLE as i64,
            "RENAME_NOREPLACE" => RENAME_NOREPLACE as i64,
            "RENAME_EXCHANGE" => RENAME_EXCHANGE as i64,
            "RENAME_WHITEOUT" => RENAME_WHITEOUT as i64,
            "PATH_MAX" => PATH_MAX as i64,
            "NAME_MAX" => NAME_MAX as i64,
            "SPLICE_F_MOVE" => SPLICE_F_MOVE as i64,
            "SPLICE_F_NONBLOCK" => SPLICE_F_NONBLOCK as i64,
            "SPLICE_F_MORE" => SPLICE_F_MORE as i64,
            "SPLICE_F_GIFT" => SPLICE_F_GIFT as i64,
            _ => return None,
        })
    }

    #[test]
    fn constants_match_the_linux_headers() {
        let headers = [
            "/usr/include/asm-generic/fcntl.h",
            "/usr/include/linux/fcntl.h",
            "/usr/include/linux/stat.h",
            "/usr/include/linux/magic.h",
            "/usr/include/linux/fs.h",
            "/usr/include/linux/limits.h",
            "/usr/include/x86_64-linux-musl/fcntl.h",
        ];
        let mut checked = 0;
        for header in headers {
            for (name, value) in numeric_defines(header) {
                if let Some(mine) = ours(&name) {
                    assert_eq!(mine, value, "{name} in {header}");
                    checked += 1;
                }
            }
        }
        // Most of the table must have been found, or the header parse silently failed.
        assert!(checked >= 90, "only {checked} constants compared");
    }

    #[test]
    fn close_range_flags_match_the_linux_header() {
        let defs = crate::linux_headers::defines(&["/usr/include/linux/close_range.h"]);
        crate::linux_headers::assert_same(&defs, "CLOSE_RANGE_UNSHARE", CLOSE_RANGE_UNSHARE as i128);
        crate::linux_headers::assert_same(&defs, "CLOSE_RANGE_CLOEXEC", CLOSE_RANGE_CLOEXEC as i128);
    }

    #[test]
    fn derived_flag_values() {
        assert_eq!(O_SYNC, 0o4010000);
        assert_eq!(O_TMPFILE, 0o20200000);
        assert_eq!(F_DUPFD_CLOEXEC, 1030);
        assert_eq!(O_NDELAY, O_NONBLOCK);
        assert_eq!(UTIME_NOW, 0x3fff_ffff);
        assert_eq!(UTIME_OMIT, 0x3fff_fffe);
        assert_eq!(RAMFS_MAGIC, 0x858458f6);
    }

    #[test]
    fn device_numbers_round_trip() {
        assert_eq!(makedev(1, 3), 0x103);
        assert_eq!(makedev(5, 1), 0x501);
        for (ma, mi) in [(0, 0), (1, 3), (4095, 255), (4096, 256), (0xffff_ffff, 0xffff_ffff), (259, 1 << 19)] {
            let dev = makedev(ma, mi);
            assert_eq!((dev_major(dev), dev_minor(dev)), (ma, mi));
        }
    }

    #[test]
    fn stat_layout_is_the_x86_64_one() {
        assert_eq!(size_of::<Stat>(), Stat::SIZE);
        assert_eq!(offset_of!(Stat, st_nlink), 16);
        assert_eq!(offset_of!(Stat, st_mode), 24);
        assert_eq!(offset_of!(Stat, st_uid), 28);
        assert_eq!(offset_of!(Stat, st_rdev), 40);
        assert_eq!(offset_of!(Stat, st_size), 48);
        assert_eq!(offset_of!(Stat, st_blksize), 56);
        assert_eq!(offset_of!(Stat, st_atime), 72);
        assert_eq!(offset_of!(Stat, st_mtime), 88);
        assert_eq!(offset_of!(Stat, st_ctime_nsec), 112);
        let st =
            Stat { st_mode: 0o100644, st_size: 0x1234, st_mtime_nsec: 77, __unused: [0, 0, -1], ..Default::default() };
        let b = st.to_bytes();
        assert_eq!(&b[24..28], &0o100644u32.to_ne_bytes());
        assert_eq!(&b[48..56], &0x1234i64.to_ne_bytes());
        assert_eq!(&b[96..104], &77u64.to_ne_bytes());
        assert_eq!(&b[136..144], &(-1i64).to_ne_bytes());
    }

    #[test]
    fn statx_layout_matches_the_header_comments() {
        assert_eq!(size_of::<Statx>(), Statx::SIZE);
        assert_eq!(size_of::<StatxTimestamp>(), 16);
        assert_eq!(offset_of!(Statx, stx_nlink), 0x10);
        assert_eq!(offset_of!(Statx, stx_mode), 0x1c);
        assert_eq!(offset_of!(Statx, stx_ino), 0x20);
        assert_eq!(offset_of!(Statx, stx_atime), 0x40);
        assert_eq!(offset_of!(Statx, stx_mtime), 0x70);
        assert_eq!(offset_of!(Statx, stx_rdev_major), 0x80);
        assert_eq!(offset_of!(Statx, stx_mnt_id), 0x90);
        assert_eq!(offset_of!(Statx, __spare3), 0xa0);
        let sx = Statx {
            stx_mask: STATX_BASIC_STATS,
            stx_mode: 0o40755,
            stx_mtime: StatxTimestamp { tv_sec: -5, tv_nsec: 9, __reserved: 0 },
            stx_dev_minor: 3,
            ..Default::default()
        };
        let b = sx.to_bytes();
        assert_eq!(&b[0..4], &STATX_BASIC_STATS.to_ne_bytes());
        assert_eq!(&b[0x1c..0x1e], &0o40755u16.to_ne_bytes());
        assert_eq!(&b[0x70..0x78], &(-5i64).to_ne_bytes());
        assert_eq!(&b[0x78..0x7c], &9u32.to_ne_bytes());
        assert_eq!(&b[0x8c..0x90], &3u32.to_ne_bytes());
    }

    #[test]
    fn statfs_and_dirent_layouts() {
        assert_eq!(size_of::<Statfs>(), Statfs::SIZE);
        assert_eq!(offset_of!(Statfs, f_fsid), 56);
        assert_eq!(offset_of!(Statfs, f_namelen), 64);
        assert_eq!(offset_of!(Statfs, f_spare), 88);
        let sf = Statfs { f_type: RAMFS_MAGIC, f_bsize: 4096, f_namelen: 255, ..Default::default() };
        let b = sf.to_bytes();
        assert_eq!(&b[0..8], &RAMFS_MAGIC.to_ne_bytes());
        assert_eq!(&b[64..72], &255i64.to_ne_bytes());

        assert_eq!(offset_of!(Dirent64Header, d_reclen), 16);
        assert_eq!(offset_of!(Dirent64Header, d_type), 18);
        assert_eq!(Dirent64Header::record_len(1), 24);
        assert_eq!(Dirent64Header::record_len(4), 24);
        assert_eq!(Dirent64Header::record_len(5), 32);
        assert_eq!(Dirent64Header::record_len(255), 280);
        let h = Dirent64Header { d_ino: 7, d_off: 3, d_reclen: 24, d_type: DT_REG };
        let b = h.to_bytes();
        assert_eq!(&b[16..18], &24u16.to_ne_bytes());
        assert_eq!(b[18], DT_REG);
    }
}
