//! The initramfs the launcher builds around a program (cpio newc, see
//! [`newc`]), which the kernel unpacks into its ramfs root.
//!
//! Layout (every entry owned by root):
//! ```text
//! /bin/          0755  the program, as /bin/<its file name>, mode 0755
//! /dev/          0755  empty: devfs is mounted here
//! /proc/         0555  empty: procfs is mounted here
//! /tmp/          1777  empty
//! <GUEST paths>        whatever `--add HOST:GUEST` asked for
//! ```
//! The launcher boots the program as init by adding `init=/bin/<name>` to
//! the kernel command line. Directories merge (one that exists keeps its
//! mode, so /tmp stays 1777); a file never silently replaces another entry.
//! Missing parent directories are created with mode 0755. An added host
//! directory is copied recursively, its symbolic links as links; an added
//! host path that is itself a link is followed.
//!
//! Without a program, `ringo run` boots the default image instead: the
//! same standard directories around busybox (see [`busybox`]).

pub mod busybox;
pub mod newc;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use newc::{Meta, NewcError, NewcWriter};

/// Where the program goes in the guest.
pub const PROGRAM_DIR: &str = "/bin";
/// The directories every initramfs starts with, and their modes.
pub const STANDARD_DIRS: [(&str, u32); 4] = [("/bin", 0o755), ("/dev", 0o755), ("/proc", 0o555), ("/tmp", 0o1777)];
const PROGRAM_MODE: u32 = 0o755;
const PARENT_MODE: u32 = 0o755;

#[derive(Debug)]
pub enum InitramfsError {
    Io {
        path: PathBuf,
        source: io::Error,
    },
    /// A guest path that is not absolute, names the root, or has `.` or
    /// `..` in it.
    BadGuestPath {
        path: String,
    },
    /// The program's path has no file name (`/`, `..`).
    NoFileName {
        path: PathBuf,
    },
    /// Two entries for one guest path, where they cannot merge.
    Conflict {
        guest: String,
    },
    /// A guest path runs through something that is not a directory.
    NotADirectory {
        guest: String,
    },
    /// Sockets, FIFOs and device files cannot be packed.
    Unsupported {
        path: PathBuf,
    },
    Write {
        path: PathBuf,
        source: NewcError,
    },
    /// The default image's busybox is not there.
    BusyboxMissing {
        path: PathBuf,
    },
    /// Debian's dynamically linked busybox, not busybox-static.
    BusyboxDynamic {
        path: PathBuf,
    },
    /// `busybox --list-full` failed.
    BusyboxList {
        path: PathBuf,
        status: std::process::ExitStatus,
        stderr: String,
    },
    BusyboxNoApplets {
        path: PathBuf,
    },
}

impl fmt::Display for InitramfsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitramfsError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            InitramfsError::BadGuestPath { path } => {
                write!(f, "guest path `{path}` must be absolute, not `/`, and without `.` or `..`")
            }
            InitramfsError::NoFileName { path } => write!(f, "program `{}` has no file name", path.display()),
            InitramfsError::Conflict { guest } => write!(f, "`{guest}` is added to the initramfs twice"),
            InitramfsError::NotADirectory { guest } => {
                write!(f, "`{guest}` is in the initramfs already and is not a directory")
            }
            InitramfsError::Unsupported { path } => {
                write!(f, "{}: only files, directories and symbolic links can be packed", path.display())
            }
            InitramfsError::Write { path, source } => write!(f, "writing {}: {source}", path.display()),
            InitramfsError::BusyboxMissing { path } => {
                write!(f, "{} not found: {}", path.display(), busybox::INSTALL_HINT)
            }
            InitramfsError::BusyboxDynamic { path } => write!(
                f,
                "{} is dynamically linked and Ringo runs static binaries only: {}",
                path.display(),
                busybox::INSTALL_HINT
            ),
            InitramfsError::BusyboxList { path, status, stderr } => {
                write!(f, "`{} --list-full` failed ({status}): {}", path.display(), stderr.trim_end())
            }
            InitramfsError::BusyboxNoApplets { path } => {
                write!(f, "`{} --list-full` listed no applets", path.display())
            }
        }
    }
}

impl std::error::Error for InitramfsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InitramfsError::Io { source, .. } => Some(source),
            InitramfsError::Write { source, .. } => Some(source),
            _ => None,
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> InitramfsError + '_ {
    move |source| InitramfsError::Io { path: path.to_path_buf(), source }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Content {
    Dir,
    /// Read when the archive is written; `len` as seen when added.
    HostFile {
        path: PathBuf,
        len: u64,
    },
    Bytes(Vec<u8>),
    Symlink(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    content: Content,
    /// Permission bits only; the type comes from `content`.
    perm: u32,
    mtime: u32,
}

/// The tree to pack: guest paths without their leading `/`, in byte order,
/// which puts every directory before what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initramfs {
    entries: BTreeMap<Vec<u8>, Entry>,
}

impl Default for Initramfs {
    fn default() -> Self {
        Initramfs::new()
    }
}

impl Initramfs {
    /// The standard directories and nothing else.
    pub fn new() -> Initramfs {
        let mut tree = Initramfs { entries: BTreeMap::new() };
        for (dir, perm) in STANDARD_DIRS {
            tree.insert(relative(dir).expect("standard dirs are well-formed"), Content::Dir, perm, 0)
                .expect("standard dirs do not conflict");
        }
        tree
    }

    /// Adds the program at [`program_guest_path`] and returns that path.
    pub fn add_program(&mut self, host: &Path) -> Result<String, InitramfsError> {
        let name = host.file_name().ok_or_else(|| InitramfsError::NoFileName { path: host.to_path_buf() })?;
        let guest = program_guest_path(host).unwrap_or_default();
        let meta = fs::metadata(host).map_err(io_error(host))?;
        if !meta.is_file() {
            return Err(InitramfsError::Unsupported { path: host.to_path_buf() });
        }
        let mut key = relative(PROGRAM_DIR)?;
        key.push(b'/');
        key.extend_from_slice(name.as_bytes());
        let content = Content::HostFile { path: host.to_path_buf(), len: meta.len() };
        self.insert(key, content, PROGRAM_MODE, mtime(&meta))?;
        Ok(guest)
    }

    /// Adds a host file or directory tree at `guest`.
    pub fn add_host(&mut self, host: &Path, guest: &str) -> Result<(), InitramfsError> {
        let key = relative(guest)?;
        let meta = fs::metadata(host).map_err(io_error(host))?;
        self.add_host_entry(host, key, &meta)
    }

    /// Adds a file with the given bytes and permission bits.
    pub fn add_bytes(&mut self, guest: &str, perm: u32, bytes: impl Into<Vec<u8>>) -> Result<(), InitramfsError> {
        self.insert(relative(guest)?, Content::Bytes(bytes.into()), perm, 0)
    }

    /// Adds a directory at `guest` with permission bits `perm` (one that
    /// exists already keeps its mode).
    pub fn add_dir(&mut self, guest: &str, perm: u32) -> Result<(), InitramfsError> {
        self.insert(relative(guest)?, Content::Dir, perm, 0)
    }

    /// Adds a symbolic link at `guest` pointing at `target` (as written:
    /// relative targets resolve from the link's directory).
    pub fn add_symlink(&mut self, guest: &str, target: &str) -> Result<(), InitramfsError> {
        self.insert(relative(guest)?, Content::Symlink(target.as_bytes().to_vec()), 0o777, 0)
    }

    /// Every guest path, absolute, in archive order.
    pub fn guest_paths(&self) -> Vec<String> {
        self.entries.keys().map(|k| format!("/{}", String::from_utf8_lossy(k))).collect()
    }

    fn add_host_entry(&mut self, host: &Path, key: Vec<u8>, meta: &fs::Metadata) -> Result<(), InitramfsError> {
        let perm = meta.permissions().mode() & 0o7777;
        let file_type = meta.file_type();
        if file_type.is_file() {
            let content = Content::HostFile { path: host.to_path_buf(), len: meta.len() };
            return self.insert(key, content, perm, mtime(meta));
        }
        if file_type.is_symlink() {
            let target = fs::read_link(host).map_err(io_error(host))?;
            return self.insert(key, Content::Symlink(target.into_os_string().into_vec()), 0o777, mtime(meta));
        }
        if !file_type.is_dir() {
            return Err(InitramfsError::Unsupported { path: host.to_path_buf() });
        }
        self.insert(key.clone(), Content::Dir, perm, mtime(meta))?;
        let mut children = fs::read_dir(host)
            .map_err(io_error(host))?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(io_error(host))?;
        children.sort();
        for child in children {
            let child_meta = fs::symlink_metadata(&child).map_err(io_error(&child))?;
            let mut child_key = key.clone();
            child_key.push(b'/');
            child_key.extend_from_slice(child.file_name().unwrap_or_default().as_bytes());
            self.add_host_entry(&child, child_key, &child_meta)?;
        }
        Ok(())
    }

    fn insert(&mut self, key: Vec<u8>, content: Content, perm: u32, mtime: u32) -> Result<(), InitramfsError> {
        let shown = || format!("/{}", String::from_utf8_lossy(&key));
        for (i, _) in key.iter().enumerate().filter(|(_, b)| **b == b'/') {
            let parent = &key[..i];
            match self.entries.get(parent) {
                Some(Entry { content: Content::Dir, .. }) => {}
                Some(_) => {
                    return Err(InitramfsError::NotADirectory {
                        guest: format!("/{}", String::from_utf8_lossy(parent)),
                    });
                }
                None => {
                    let dir = Entry { content: Content::Dir, perm: PARENT_MODE, mtime: 0 };
                    self.entries.insert(parent.to_vec(), dir);
                }
            }
        }
        match (self.entries.get(&key), &content) {
            (Some(Entry { content: Content::Dir, .. }), Content::Dir) => Ok(()),
            (Some(Entry { content: Content::Dir, .. }), _) => Err(InitramfsError::Conflict { guest: shown() }),
            (Some(_), Content::Dir) => Err(InitramfsError::NotADirectory { guest: shown() }),
            (Some(_), _) => Err(InitramfsError::Conflict { guest: shown() }),
            (None, _) => {
                self.entries.insert(key, Entry { content, perm, mtime });
                Ok(())
            }
        }
    }

    /// Writes the archive; `name` is what errors call the output.
    pub fn write_to<W: Write>(&self, out: W, name: &Path) -> Result<W, InitramfsError> {
        let failed = |source| InitramfsError::Write { path: name.to_path_buf(), source };
        let mut w = NewcWriter::new(out);
        for (key, entry) in &self.entries {
            let meta = Meta { mode: entry.perm, mtime: entry.mtime };
            match &entry.content {
                Content::Dir => w.dir(key, meta).map_err(failed)?,
                Content::Bytes(bytes) => w.file(key, meta, bytes.len() as u64, bytes.as_slice()).map_err(failed)?,
                Content::Symlink(target) => w.symlink(key, target, entry.mtime).map_err(failed)?,
                Content::HostFile { path, len } => {
                    let file = File::open(path).map_err(io_error(path))?;
                    w.file(key, meta, *len, io::BufReader::new(file)).map_err(|source| match source {
                        // The host file's own read error names the host file.
                        NewcError::Io(source) => InitramfsError::Io { path: path.clone(), source },
                        other => failed(other),
                    })?
                }
            }
        }
        w.finish().map_err(failed)
    }

    /// Writes the archive to `path`, through a temporary file beside it
    /// that is renamed into place: a guest booting the old file meanwhile
    /// reads it whole, never half of the new one.
    pub fn write_file(&self, path: &Path) -> Result<(), InitramfsError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(io_error(dir))?;
        }
        let mut partial = path.as_os_str().to_owned();
        partial.push(format!(".partial-{}", std::process::id()));
        let partial = PathBuf::from(partial);
        let written = File::create(&partial).map_err(io_error(&partial)).and_then(|file| {
            let mut out = self.write_to(BufWriter::new(file), path)?;
            out.flush().map_err(io_error(&partial))
        });
        let renamed = written.and_then(|()| fs::rename(&partial, path).map_err(io_error(path)));
        if renamed.is_err() {
            let _ = fs::remove_file(&partial);
        }
        renamed
    }

    /// Writes the archive to a fresh file in the system's temporary
    /// directory, removed when the returned value is dropped.
    pub fn write_temp(&self) -> Result<TempArchive, InitramfsError> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("ringo-initramfs-{}-{n}.cpio", std::process::id()));
        let archive = TempArchive { path };
        let file = File::create(&archive.path).map_err(io_error(&archive.path))?;
        let mut out = self.write_to(BufWriter::new(file), &archive.path)?;
        out.flush().map_err(io_error(&archive.path))?;
        Ok(archive)
    }
}

/// Where the program at `host` lands in the guest: `/bin/<file name>`.
pub fn program_guest_path(host: &Path) -> Option<String> {
    Some(format!("{PROGRAM_DIR}/{}", host.file_name()?.to_string_lossy()))
}

/// An archive file that is deleted on drop.
#[derive(Debug)]
pub struct TempArchive {
    path: PathBuf,
}

impl TempArchive {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempArchive {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// `guest` as an archive name: absolute on the way in, relative on the way
/// out, with repeated and trailing slashes dropped.
fn relative(guest: &str) -> Result<Vec<u8>, InitramfsError> {
    let bad = || InitramfsError::BadGuestPath { path: guest.to_string() };
    let path = Path::new(guest);
    let mut components = path.components();
    if components.next() != Some(Component::RootDir) {
        return Err(bad());
    }
    let mut parts: Vec<&OsStr> = Vec::new();
    for component in components {
        match component {
            Component::Normal(part) => parts.push(part),
            _ => return Err(bad()),
        }
    }
    // Path::components hides a `.` in the middle; the kernel would not.
    if parts.is_empty() || guest.split('/').any(|p| p == "." || p == "..") {
        return Err(bad());
    }
    Ok(parts.iter().map(|p| p.as_bytes()).collect::<Vec<_>>().join(&b'/'))
}

/// Seconds since the epoch as newc stores them (32 bits; 0 when unknown).
fn mtime(meta: &fs::Metadata) -> u32 {
    u32::try_from(meta.mtime()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::newc::{self, S_IFDIR, S_IFLNK, S_IFREG};
    use super::*;
    use std::os::unix::fs::symlink;

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let dir = std::env::temp_dir().join(format!("ringo-initramfs-test-{tag}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).expect("create temp dir");
            TempDir(dir)
        }

        fn file(&self, name: &str, text: &str, perm: u32) -> PathBuf {
            let path = self.0.join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, text).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(perm)).unwrap();
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn unpack(tree: &Initramfs) -> Vec<newc::ParsedEntry> {
        let bytes = tree.write_to(Vec::new(), Path::new("test")).expect("write archive");
        newc::parse(&bytes).expect("a well-formed archive")
    }

    fn find<'a>(entries: &'a [newc::ParsedEntry], name: &str) -> &'a newc::ParsedEntry {
        entries.iter().find(|e| e.name == name.as_bytes()).unwrap_or_else(|| panic!("no entry {name}"))
    }

    #[test]
    fn standard_layout_with_the_program_in_bin() {
        let host = TempDir::new("layout");
        let prog = host.file("out/hello", "\x7fELF fake", 0o700);
        let mut tree = Initramfs::new();
        assert_eq!(tree.add_program(&prog).unwrap(), "/bin/hello");
        let entries = unpack(&tree);
        let names: Vec<_> = entries.iter().map(|e| String::from_utf8_lossy(&e.name).into_owned()).collect();
        assert_eq!(names, ["bin", "bin/hello", "dev", "proc", "tmp"]);
        assert_eq!(find(&entries, "tmp").mode, S_IFDIR | 0o1777);
        assert_eq!(find(&entries, "proc").mode, S_IFDIR | 0o555);
        let hello = find(&entries, "bin/hello");
        assert_eq!(hello.mode, S_IFREG | 0o755);
        assert_eq!(hello.data, b"\x7fELF fake");
        assert!(hello.mtime > 0);
    }

    #[test]
    fn adds_files_and_trees_with_parents_and_links() {
        let host = TempDir::new("tree");
        let single = host.file("single.txt", "one", 0o640);
        host.file("tree/a.txt", "aaa", 0o644);
        host.file("tree/deep/b.sh", "#!/bin/sh", 0o755);
        symlink("a.txt", host.0.join("tree/link")).unwrap();
        let mut tree = Initramfs::new();
        tree.add_host(&single, "/etc/conf/single.txt").unwrap();
        tree.add_host(&host.0.join("tree"), "/data/").unwrap();
        tree.add_bytes("/etc/motd", 0o644, "hi\n").unwrap();
        let entries = unpack(&tree);
        assert_eq!(find(&entries, "etc").mode, S_IFDIR | 0o755);
        assert_eq!(find(&entries, "etc/conf").mode, S_IFDIR | 0o755);
        assert_eq!(find(&entries, "etc/conf/single.txt").mode, S_IFREG | 0o640);
        assert_eq!(find(&entries, "etc/conf/single.txt").data, b"one");
        assert_eq!(find(&entries, "data/a.txt").data, b"aaa");
        assert_eq!(find(&entries, "data/deep/b.sh").mode, S_IFREG | 0o755);
        let link = find(&entries, "data/link");
        assert_eq!((link.mode, link.data.as_slice()), (S_IFLNK | 0o777, &b"a.txt"[..]));
        assert_eq!(find(&entries, "etc/motd").data, b"hi\n");
        // Every directory comes before what it holds.
        for (i, e) in entries.iter().enumerate() {
            if let Some(slash) = e.name.iter().rposition(|&b| b == b'/') {
                let parent = &e.name[..slash];
                let at = entries.iter().position(|p| p.name == parent).expect("parent present");
                assert!(at < i, "{:?} before its parent", String::from_utf8_lossy(&e.name));
            }
        }
    }

    #[test]
    fn directories_merge_and_keep_their_mode() {
        let host = TempDir::new("merge");
        host.file("extra/x", "x", 0o644);
        fs::set_permissions(host.0.join("extra"), fs::Permissions::from_mode(0o700)).unwrap();
        let mut tree = Initramfs::new();
        tree.add_host(&host.0.join("extra"), "/tmp").unwrap();
        let entries = unpack(&tree);
        assert_eq!(find(&entries, "tmp").mode, S_IFDIR | 0o1777);
        assert_eq!(find(&entries, "tmp/x").data, b"x");
    }

    #[test]
    fn conflicts_and_bad_paths_are_errors() {
        let host = TempDir::new("conflicts");
        let a = host.file("a", "a", 0o644);
        let mut tree = Initramfs::new();
        tree.add_host(&a, "/a").unwrap();
        assert!(matches!(tree.add_host(&a, "/a"), Err(InitramfsError::Conflict { .. })));
        assert!(matches!(tree.add_host(&a, "/tmp"), Err(InitramfsError::Conflict { .. })));
        assert!(matches!(tree.add_host(&a, "/a/b"), Err(InitramfsError::NotADirectory { .. })));
        assert!(matches!(tree.add_host(&host.0, "/a"), Err(InitramfsError::NotADirectory { .. })));
        for bad in ["", "/", "relative", "/x/../y", "/./x", "/x/."] {
            assert!(matches!(tree.add_bytes(bad, 0o644, ""), Err(InitramfsError::BadGuestPath { .. })), "{bad}");
        }
        let missing = host.0.join("missing");
        assert!(matches!(tree.add_host(&missing, "/m"), Err(InitramfsError::Io { .. })));
        assert!(matches!(tree.add_program(&host.0), Err(InitramfsError::Unsupported { .. })));
        assert_eq!(relative("//x//y/").unwrap(), b"x/y");
    }

    #[test]
    fn write_file_replaces_the_archive_whole() {
        let host = TempDir::new("write-file");
        let path = host.0.join("deeper/image.cpio");
        let mut tree = Initramfs::new();
        tree.write_file(&path).unwrap();
        assert_eq!(newc::parse(&fs::read(&path).unwrap()).unwrap().len(), 4);
        tree.add_symlink("/bin/sh", "busybox").unwrap();
        tree.write_file(&path).unwrap();
        let entries = newc::parse(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(find(&entries, "bin/sh").data, b"busybox");
        let left: Vec<_> = fs::read_dir(host.0.join("deeper")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["image.cpio"], "no partial file left behind");
    }

    #[test]
    fn temp_archive_is_written_and_removed() {
        let mut tree = Initramfs::new();
        tree.add_bytes("/init", 0o755, "#!").unwrap();
        let path = {
            let archive = tree.write_temp().unwrap();
            let bytes = fs::read(archive.path()).unwrap();
            assert_eq!(newc::parse(&bytes).unwrap().len(), 5);
            archive.path().to_path_buf()
        };
        assert!(!path.exists(), "{} left behind", path.display());
    }
}
