//! Finding the Ringo repository, whose root package is the kernel.
//!
//! Order: `$RINGO_ROOT` (an explicit choice: an error if it is wrong); the
//! repository this crate was compiled from (gone after `cargo install` once
//! the checkout moves); the current directory or one of its parents.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::kernel_build::KERNEL_PACKAGE;

pub const ROOT_ENV: &str = "RINGO_ROOT";

/// The repository root, found as the module docs say.
pub fn find_root() -> Result<PathBuf, Error> {
    let from_env = std::env::var_os(ROOT_ENV).filter(|v| !v.is_empty()).map(PathBuf::from);
    let compiled_from = Path::new(env!("CARGO_MANIFEST_DIR")).parent();
    let cwd = std::env::current_dir().ok();
    locate(from_env.as_deref(), compiled_from, cwd.as_deref())
}

fn locate(from_env: Option<&Path>, compiled_from: Option<&Path>, cwd: Option<&Path>) -> Result<PathBuf, Error> {
    if let Some(dir) = from_env {
        return if is_kernel_workspace(dir) {
            Ok(dir.to_path_buf())
        } else {
            Err(Error::NotASourceTree { path: dir.to_path_buf() })
        };
    }
    let mut tried = Vec::new();
    let candidates = compiled_from.into_iter().chain(cwd.into_iter().flat_map(Path::ancestors));
    for dir in candidates {
        if is_kernel_workspace(dir) {
            return Ok(dir.to_path_buf());
        }
        tried.push(dir.to_path_buf());
    }
    Err(Error::NoSourceTree { tried })
}

/// Whether `dir/Cargo.toml` declares the kernel package. A line match is
/// enough: the file is ours and keeps `name = "ringo-kernel"` on one line.
pub fn is_kernel_workspace(dir: &Path) -> bool {
    let Ok(manifest) = fs::read_to_string(dir.join("Cargo.toml")) else {
        return false;
    };
    manifest.lines().any(|line| {
        let squeezed: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        squeezed == format!("name=\"{KERNEL_PACKAGE}\"")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let dir = std::env::temp_dir().join(format!("ringo-source-tree-{tag}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).expect("create temp dir");
            TempDir(dir)
        }

        fn with_manifest(self, text: &str) -> TempDir {
            fs::write(self.0.join("Cargo.toml"), text).expect("write manifest");
            self
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    const KERNEL_MANIFEST: &str = "[package]\nname  =  \"ringo-kernel\"\nversion = \"0.1.0\"\n";

    #[test]
    fn recognises_the_kernel_manifest_only() {
        let kernel = TempDir::new("kernel").with_manifest(KERNEL_MANIFEST);
        let other = TempDir::new("other").with_manifest("[package]\nname = \"ringo-kernel-tools\"\n");
        let empty = TempDir::new("empty");
        assert!(is_kernel_workspace(&kernel.0));
        assert!(!is_kernel_workspace(&other.0));
        assert!(!is_kernel_workspace(&empty.0));
    }

    #[test]
    fn env_root_wins_and_must_be_right() {
        let kernel = TempDir::new("env-ok").with_manifest(KERNEL_MANIFEST);
        let wrong = TempDir::new("env-wrong");
        assert_eq!(locate(Some(&kernel.0), None, None).ok(), Some(kernel.0.clone()));
        assert!(matches!(locate(Some(&wrong.0), Some(&kernel.0), None), Err(Error::NotASourceTree { .. })));
    }

    #[test]
    fn falls_back_from_compile_time_dir_to_cwd_ancestors() {
        let kernel = TempDir::new("cwd").with_manifest(KERNEL_MANIFEST);
        let sub = kernel.0.join("deep/er");
        fs::create_dir_all(&sub).expect("create subdir");
        let gone = kernel.0.join("no-such-dir");
        assert_eq!(locate(None, Some(&gone), Some(&sub)).ok(), Some(kernel.0.clone()));
    }

    #[test]
    fn nothing_found_lists_where_it_looked() {
        let empty = TempDir::new("nothing");
        match locate(None, Some(&empty.0), None) {
            Err(Error::NoSourceTree { tried }) => assert_eq!(tried, vec![empty.0.clone()]),
            other => panic!("expected NoSourceTree, got {other:?}"),
        }
    }
}
