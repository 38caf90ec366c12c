//! Building the kernel with cargo and producing the image QEMU boots: the
//! cargo output with its symbol table embedded (see [`crate::ksyms_embed`]).
//!
//! The inner cargo runs with a few variables removed that an outer cargo
//! or the user's shell may have set for host builds and that would break the
//! kernel: `RUSTFLAGS`, `CARGO_ENCODED_RUSTFLAGS` and `CARGO_BUILD_RUSTFLAGS`
//! override the kernel target's rustflags in .cargo/config.toml (relocation
//! and code model, frame pointers), and `RUSTC_WORKSPACE_WRAPPER` (set by
//! `cargo clippy`) would run clippy instead of building. `CARGO_TARGET_DIR`
//! (or `CARGO_BUILD_TARGET_DIR`) is honoured, and `RUSTC_WRAPPER` (sccache) is kept.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::error::Error;
use crate::{ksyms_embed, source_tree};

pub const KERNEL_PACKAGE: &str = "ringo-kernel";
pub const KERNEL_TARGET: &str = "x86_64-unknown-none";
/// A prebuilt kernel image for [`kernel_for_tests`] to use instead of building.
pub const KERNEL_ENV: &str = "RINGO_KERNEL";

const CONFUSING_ENV: [&str; 4] =
    ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_RUSTFLAGS", "RUSTC_WORKSPACE_WRAPPER"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    #[default]
    Release,
    /// Cargo's `dev` profile.
    Debug,
}

impl Profile {
    fn output_dir(self) -> &'static str {
        match self {
            Profile::Release => "release",
            Profile::Debug => "debug",
        }
    }

    fn image_name(self) -> &'static str {
        match self {
            Profile::Release => "ringo.elf",
            Profile::Debug => "ringo-debug.elf",
        }
    }
}

/// Kernel cargo features to build with, for debugging.
pub const FEATURES_ENV: &str = "RINGO_KERNEL_FEATURES";

/// Cargo's arguments for building the kernel.
pub fn cargo_args(profile: Profile) -> Vec<&'static str> {
    let mut args = vec!["build"];
    if profile == Profile::Release {
        args.push("--release");
    }
    args.extend(["-p", KERNEL_PACKAGE, "--target", KERNEL_TARGET]);
    args
}

/// Where cargo puts its output for the repository at `root`.
pub fn target_dir(root: &Path) -> PathBuf {
    let from_env = ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR"]
        .iter()
        .find_map(|var| std::env::var_os(var).filter(|v| !v.is_empty()));
    // A relative target dir is relative to where cargo runs: the root.
    root.join(from_env.unwrap_or_else(|| "target".into()))
}

/// The cargo output and the bootable image with symbols, in `target_dir`.
pub fn kernel_paths(target_dir: &Path, profile: Profile) -> (PathBuf, PathBuf) {
    let built = target_dir.join(KERNEL_TARGET).join(profile.output_dir()).join(KERNEL_PACKAGE);
    let image = target_dir.join("ringo").join(profile.image_name());
    (built, image)
}

/// Builds the kernel of the repository found by [`source_tree::find_root`]
/// and returns the path of the image with symbols.
pub fn build_kernel(profile: Profile) -> Result<PathBuf, Error> {
    build_kernel_in(&source_tree::find_root()?, profile)
}

pub fn build_kernel_in(root: &Path, profile: Profile) -> Result<PathBuf, Error> {
    let args = cargo_args(profile);
    eprintln!("ringo: building kernel (cargo {})", args.join(" "));
    // The cargo running us, when there is one, is the workspace's toolchain.
    let program: OsString = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&program);
    command.args(&args).current_dir(root);
    // Debugging builds (`RINGO_KERNEL_FEATURES=heap-trace`, see mem.rs).
    if let Some(features) = std::env::var_os(FEATURES_ENV).filter(|v| !v.is_empty()) {
        command.arg("--features").arg(features);
    }
    for var in CONFUSING_ENV {
        command.env_remove(var);
    }
    let status = command.status().map_err(|source| Error::CargoSpawn { program: program.clone(), source })?;
    if !status.success() {
        return Err(Error::CargoFailed { status });
    }
    let (built, image) = kernel_paths(&target_dir(root), profile);
    ksyms_embed::refresh(&built, &image)?;
    Ok(image)
}

/// The kernel image for in-QEMU tests: `$RINGO_KERNEL`, or the release
/// kernel built once per test process. Panics (it is for tests) with the
/// build's error, the same one for every test.
pub fn kernel_for_tests() -> PathBuf {
    static KERNEL: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let kernel = KERNEL.get_or_init(|| match std::env::var_os(KERNEL_ENV).filter(|v| !v.is_empty()) {
        Some(path) => Ok(PathBuf::from(path)),
        None => build_kernel(Profile::Release).map_err(|e| e.to_string()),
    });
    match kernel {
        Ok(path) => path.clone(),
        Err(why) => panic!("cannot build the kernel for this test: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_arguments_per_profile() {
        assert_eq!(
            cargo_args(Profile::Release).join(" "),
            "build --release -p ringo-kernel --target x86_64-unknown-none"
        );
        assert_eq!(cargo_args(Profile::Debug).join(" "), "build -p ringo-kernel --target x86_64-unknown-none");
    }

    #[test]
    fn output_paths_per_profile() {
        let (built, image) = kernel_paths(Path::new("/r/target"), Profile::Release);
        assert_eq!(built, Path::new("/r/target/x86_64-unknown-none/release/ringo-kernel"));
        assert_eq!(image, Path::new("/r/target/ringo/ringo.elf"));
        let (built, image) = kernel_paths(Path::new("/r/target"), Profile::Debug);
        assert_eq!(built, Path::new("/r/target/x86_64-unknown-none/debug/ringo-kernel"));
        assert_eq!(image, Path::new("/r/target/ringo/ringo-debug.elf"));
    }
}
