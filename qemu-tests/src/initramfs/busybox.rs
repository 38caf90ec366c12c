//! The default image: Debian's unchanged `busybox-static` as a small
//! Unix, which `ringo run` boots into an interactive shell when it is given
//! no program, and the busybox tests boot to run their scripts.
//!
//! Layout, besides the standard directories (/dev, /proc, /tmp):
//! ```text
//! /bin/busybox        0755  the host's busybox (BUSYBOX), copied
//! /bin/<applet>             -> busybox, one symbolic link per applet
//! /sbin, /usr/bin,          -> /bin/busybox, each applet also where
//!   /usr/sbin/<applet>         `busybox --list-full` installs it, so
//!                              `#!/usr/bin/env` and the like work
//! /etc/passwd, /etc/group   root only, its home /root (0700, empty)
//! /etc/profile              PATH and PS1, read by login shells
//! ```
//! Init is [`INIT`], the shell. The kernel gives it HOME, TERM, PATH and
//! SHELL; when init gets no arguments the launcher passes [`LOGIN_ARG`], so
//! the shell is a login shell and reads /etc/profile.
//!
//! The applet list comes from running the host's busybox with
//! `--list-full`: it is the same binary the guest runs, so the links match
//! what it provides.

use std::path::Path;
use std::process::Command;

use super::{Initramfs, InitramfsError};

/// Where Debian's busybox-static puts the binary.
pub const BUSYBOX: &str = "/bin/busybox";
/// Where the binary goes in the guest; the applet links point at it.
pub const GUEST_BUSYBOX: &str = "/bin/busybox";
/// The image's init.
pub const INIT: &str = "/bin/sh";
/// Init's argument when it is given none: a login shell reads /etc/profile.
pub const LOGIN_ARG: &str = "-l";
/// The file `ringo image` writes, under cargo's target directory.
pub const IMAGE_FILE: &str = "ringo/default-initramfs.cpio";
/// How to get busybox-static, for error messages.
pub const INSTALL_HINT: &str = "install busybox-static (apt-get install busybox-static)";
/// The prompt /etc/profile sets, as the shell prints it in `/` as root.
pub const PROMPT_IN_ROOT: &str = "ringo:/# ";

/// Root's home is /root, as on Linux distributions: the shell's prompt
/// shows the current directory with the home directory as `~`, and a home
/// of `/` would turn every prompt into `~`.
pub const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n";
pub const GROUP: &str = "root:x:0:\n";
pub const PROFILE: &str = "\
# Read by login shells: the default image's init is `sh -l`.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
# ringo:<directory>#, so the guest's shell is not mistaken for the host's.
export PS1='ringo:\\w\\$ '
";

/// The default image around the busybox binary at `busybox`.
pub fn image(busybox: &Path) -> Result<Initramfs, InitramfsError> {
    let missing = || InitramfsError::BusyboxMissing { path: busybox.to_path_buf() };
    let meta = std::fs::metadata(busybox).map_err(|_| missing())?;
    if !meta.is_file() {
        return Err(missing());
    }
    if is_dynamic_elf(busybox)? {
        return Err(InitramfsError::BusyboxDynamic { path: busybox.to_path_buf() });
    }
    let listed = list_full(busybox)?;
    let links = applet_links(&listed);
    if links.is_empty() {
        return Err(InitramfsError::BusyboxNoApplets { path: busybox.to_path_buf() });
    }
    let mut tree = Initramfs::new();
    tree.add_host(busybox, GUEST_BUSYBOX)?;
    for link in &links {
        tree.add_symlink(&link.path, &link.target)?;
    }
    tree.add_dir("/root", 0o700)?;
    tree.add_bytes("/etc/passwd", 0o644, PASSWD)?;
    tree.add_bytes("/etc/group", 0o644, GROUP)?;
    tree.add_bytes("/etc/profile", 0o644, PROFILE)?;
    Ok(tree)
}

/// Debian's `busybox` package (rather than `busybox-static`) installs a
/// dynamically linked /bin/busybox, which Ringo's loader refuses: better
/// said here than by every guest. Anything that is not an ELF file passes
/// (tests stand in for busybox with a script).
fn is_dynamic_elf(path: &Path) -> Result<bool, InitramfsError> {
    let bytes = std::fs::read(path).map_err(|source| InitramfsError::Io { path: path.to_path_buf(), source })?;
    Ok(goblin::elf::Elf::parse(&bytes).is_ok_and(|elf| elf.interpreter.is_some()))
}

/// `busybox --list-full`: one applet per line, with the directory it is
/// installed in (`usr/bin/env`), or the bare name on builds without the
/// installer.
fn list_full(busybox: &Path) -> Result<String, InitramfsError> {
    let out = Command::new(busybox)
        .arg("--list-full")
        .output()
        .map_err(|source| InitramfsError::Io { path: busybox.to_path_buf(), source })?;
    if !out.status.success() {
        return Err(InitramfsError::BusyboxList {
            path: busybox.to_path_buf(),
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A symbolic link to make in the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub path: String,
    pub target: String,
}

/// The links for `--list-full` output: `/bin/<name>` -> `busybox` for every
/// applet, and `/<dir>/<name>` -> `/bin/busybox` where the list puts an
/// applet outside /bin. Names that are not plain (empty, `.`, `..`,
/// `busybox` itself) are skipped; duplicates are made once.
pub fn applet_links(list_full: &str) -> Vec<Link> {
    let mut links: Vec<Link> = Vec::new();
    let mut push = |path: String, target: &str| {
        if !links.iter().any(|l| l.path == path) {
            links.push(Link { path, target: target.to_string() });
        }
    };
    for line in list_full.lines().map(str::trim) {
        let (dir, name) = line.rsplit_once('/').unwrap_or(("", line));
        let plain = |part: &str| !part.is_empty() && part != "." && part != "..";
        if !plain(name) || name == "busybox" || !dir.split('/').all(|p| p.is_empty() || plain(p)) {
            continue;
        }
        push(format!("/bin/{name}"), "busybox");
        let dir = dir.trim_matches('/');
        if !dir.is_empty() && dir != "bin" {
            push(format!("/{dir}/{name}"), GUEST_BUSYBOX);
        }
    }
    links
}

/// For tests here and in the CLI: busybox stand-ins.
#[cfg(test)]
pub(crate) mod test_support {
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;

    /// A shell script in a directory of its own, removed on drop.
    pub(crate) struct FakeBusybox(pub PathBuf);

    impl FakeBusybox {
        pub(crate) fn new(tag: &str, script: &str) -> FakeBusybox {
            let dir = std::env::temp_dir().join(format!("ringo-fake-busybox-{tag}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let partial = dir.join("busybox.partial");
            std::fs::write(&partial, script).unwrap();
            std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o755)).unwrap();
            // Renamed into place: a file still open for writing cannot be run.
            let path = dir.join("busybox");
            std::fs::rename(&partial, &path).unwrap();
            FakeBusybox(path)
        }

        /// One that lists `sh`, `env` and `init` like Debian's does.
        pub(crate) fn listing(tag: &str) -> FakeBusybox {
            FakeBusybox::new(tag, "#!/bin/sh\nprintf 'bin/sh\\nusr/bin/env\\nsbin/init\\n'\n")
        }
    }

    impl Drop for FakeBusybox {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(self.0.parent().unwrap());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::newc::{self, S_IFLNK, S_IFREG};
    use super::test_support::FakeBusybox;
    use super::*;

    #[test]
    fn links_follow_the_list() {
        let links = applet_links("bin/sh\nusr/bin/env\nsbin/init\nlinuxrc\nbin/busybox\n\n");
        let shown: Vec<(&str, &str)> = links.iter().map(|l| (l.path.as_str(), l.target.as_str())).collect();
        assert_eq!(
            shown,
            [
                ("/bin/sh", "busybox"),
                ("/bin/env", "busybox"),
                ("/usr/bin/env", "/bin/busybox"),
                ("/bin/init", "busybox"),
                ("/sbin/init", "/bin/busybox"),
                ("/bin/linuxrc", "busybox"),
            ]
        );
    }

    #[test]
    fn odd_lines_are_skipped_and_duplicates_made_once() {
        let links = applet_links("bin/ls\nls\n../x\nbin/..\nusr/../etc/y\n  bin/cat  \n");
        let paths: Vec<&str> = links.iter().map(|l| l.path.as_str()).collect();
        assert_eq!(paths, ["/bin/ls", "/bin/cat"]);
    }

    #[test]
    fn the_image_holds_busybox_links_and_etc() {
        let fake = FakeBusybox::listing("ok");
        let tree = image(&fake.0).expect("an image");
        let bytes = tree.write_to(Vec::new(), Path::new("test")).unwrap();
        let entries = newc::parse(&bytes).unwrap();
        let find = |name: &str| {
            entries.iter().find(|e| e.name == name.as_bytes()).unwrap_or_else(|| panic!("no entry {name}"))
        };
        let busybox = find("bin/busybox");
        assert_eq!(busybox.mode, S_IFREG | 0o755);
        assert_eq!(busybox.data, std::fs::read(&fake.0).unwrap());
        assert_eq!((find("bin/sh").mode, find("bin/sh").data.as_slice()), (S_IFLNK | 0o777, &b"busybox"[..]));
        assert_eq!(find("usr/bin/env").data, b"/bin/busybox");
        assert_eq!(find("sbin/init").data, b"/bin/busybox");
        assert_eq!(find("etc/passwd").data, PASSWD.as_bytes());
        assert!(String::from_utf8_lossy(&find("etc/profile").data).contains("PS1="));
        for dir in ["dev", "proc", "tmp", "usr", "usr/bin", "sbin"] {
            find(dir);
        }
        assert_eq!(find("root").mode, newc::S_IFDIR | 0o700);
    }

    #[test]
    fn a_missing_or_broken_busybox_is_explained() {
        let missing = image(Path::new("/nonexistent/busybox")).unwrap_err();
        assert!(matches!(missing, InitramfsError::BusyboxMissing { .. }), "{missing:?}");
        assert!(missing.to_string().contains("install busybox-static"), "{missing}");
        let failing = FakeBusybox::new("fails", "#!/bin/sh\necho broken >&2\nexit 3\n");
        let err = image(&failing.0).unwrap_err();
        assert!(matches!(&err, InitramfsError::BusyboxList { stderr, .. } if stderr == "broken\n"), "{err:?}");
        let silent = FakeBusybox::new("silent", "#!/bin/sh\n");
        assert!(matches!(image(&silent.0), Err(InitramfsError::BusyboxNoApplets { .. })));
    }
}
