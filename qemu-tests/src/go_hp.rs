//! The Go programs built with Ringo's HP-mode runtime patch (hp/go/), and
//! the host-side HP loader that runs them with a syscall vtable
//! (hp/test-loader.c). Outputs live under `target/test-programs/` beside
//! the plain builds:
//! - the patched GOROOT: `hp/go/build.sh` puts it at
//!   `target/go-hp/goroot` and does nothing while its patch is unchanged;
//! - `go-hp/NAME`: `go/NAME` built with that GOROOT, rebuilt when a `.go`
//!   file, `go.mod` or the GOROOT's stamp is newer;
//! - `go-hp-tool/HASH/`: the go command's cache for one version of the
//!   patch (see [`tool_dir`]);
//! - `hp/test-loader`: `musl-gcc -static`, linked away from 0x400000.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::test_programs::{self, Paths, ProgramError, build_lock, go_command, go_inputs, io_error, is_fresh, run};
use crate::{kernel_build, source_tree};

/// Relative to the repository root.
pub const BUILD_SCRIPT: &str = "hp/go/build.sh";
pub const PATCH: &str = "hp/go/ringo-hp.patch";
pub const LOADER_SOURCE: &str = "hp/test-loader.c";
/// Relative to cargo's target directory; build.sh's default.
pub const GOROOT_DIR: &str = "go-hp/goroot";
/// In the patched GOROOT: the hash of the patch it was built from.
pub const STAMP: &str = ".ringo-hp-patch.sha256";
/// Where the loaded Go programs' text starts is where a default static
/// build of the loader would be; this is free in their address space.
const LOADER_TEXT_ADDRESS: &str = "0x60000000";
/// Output directories under [`Paths::outputs`].
const OUTPUT_DIR: &str = "go-hp";
const TOOL_DIR: &str = "go-hp-tool";
const LOADER_DIR: &str = "hp";

/// The repository's HP sources and where the builds go.
#[derive(Debug, Clone)]
pub struct HpPaths {
    pub root: PathBuf,
    pub goroot: PathBuf,
    pub programs: Paths,
}

impl HpPaths {
    pub fn of_this_repository() -> Result<HpPaths, ProgramError> {
        let root = source_tree::find_root().map_err(ProgramError::SourceTree)?;
        let goroot = kernel_build::target_dir(&root).join(GOROOT_DIR);
        Ok(HpPaths { root, goroot, programs: Paths::of_this_repository()? })
    }
}

/// Runs build.sh, which rebuilds the patched GOROOT only when the patch
/// changed, and returns the GOROOT.
pub fn build_goroot(paths: &HpPaths) -> Result<PathBuf, ProgramError> {
    let _guard = build_lock();
    let mut command = Command::new("bash");
    command.arg(paths.root.join(BUILD_SCRIPT)).arg(&paths.goroot).current_dir(&paths.root);
    let printed = run(&mut command)?;
    Ok(printed.lines().last().map(PathBuf::from).unwrap_or_else(|| paths.goroot.clone()))
}

/// The go command's state for the GOROOT's patch. The go command hashes a
/// package's own files, not headers it includes from another directory
/// (package syscall includes runtime's ringo_hp_amd64.h), so a changed
/// patch gets a fresh cache; the caches of older patches are removed.
fn tool_dir(paths: &HpPaths, goroot: &Path) -> Result<PathBuf, ProgramError> {
    let stamp = goroot.join(STAMP);
    let hash = fs::read_to_string(&stamp).map_err(io_error(&stamp))?;
    let key: String = hash.trim().chars().take(16).collect();
    let tools = paths.programs.outputs.join(TOOL_DIR);
    if let Ok(entries) = fs::read_dir(&tools) {
        for entry in entries.flatten() {
            if entry.file_name() != key.as_str() {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
    Ok(tools.join(key))
}

/// Builds `go/NAME` with the patched GOROOT, unless the build is fresh.
pub fn build_go_hp(paths: &HpPaths, name: &str) -> Result<PathBuf, ProgramError> {
    let goroot = build_goroot(paths)?;
    let module = paths.programs.go_sources();
    let main = module.join(name).join("main.go");
    if !main.is_file() {
        return Err(ProgramError::NoSource { path: main });
    }
    let out_dir = paths.programs.outputs.join(OUTPUT_DIR);
    let output = out_dir.join(name);
    let _guard = build_lock();
    let mut inputs = go_inputs(&module)?;
    inputs.push(goroot.join(STAMP));
    if is_fresh(&output, &inputs) {
        return Ok(output);
    }
    fs::create_dir_all(&out_dir).map_err(io_error(&out_dir))?;
    let partial = out_dir.join(format!(".{name}.partial-{}", std::process::id()));
    let go = goroot.join("bin/go");
    let tools = tool_dir(paths, &goroot)?;
    run(&mut go_command(&go, Some(&goroot), &tools, &module, name, &partial))?;
    fs::rename(&partial, &output).map_err(io_error(&output))?;
    Ok(output)
}

/// Builds hp/test-loader.c, unless the build is fresh.
pub fn build_test_loader(paths: &HpPaths) -> Result<PathBuf, ProgramError> {
    let source = paths.root.join(LOADER_SOURCE);
    if !source.is_file() {
        return Err(ProgramError::NoSource { path: source });
    }
    let out_dir = paths.programs.outputs.join(LOADER_DIR);
    let output = out_dir.join("test-loader");
    let _guard = build_lock();
    if is_fresh(&output, std::slice::from_ref(&source)) {
        return Ok(output);
    }
    fs::create_dir_all(&out_dir).map_err(io_error(&out_dir))?;
    let partial = out_dir.join(format!(".test-loader.partial-{}", std::process::id()));
    let mut command = Command::new("musl-gcc");
    command
        .args(["-static", "-O2", "-Wall", "-Wextra"])
        .arg(format!("-Wl,-Ttext-segment={LOADER_TEXT_ADDRESS}"))
        .arg(&source)
        .arg("-o")
        .arg(&partial);
    run(&mut command)?;
    fs::rename(&partial, &output).map_err(io_error(&output))?;
    Ok(output)
}

/// For tests: the repository's HP paths.
pub fn paths() -> &'static HpPaths {
    static PATHS: OnceLock<Result<HpPaths, String>> = OnceLock::new();
    match PATHS.get_or_init(|| HpPaths::of_this_repository().map_err(|e| e.to_string())) {
        Ok(paths) => paths,
        Err(why) => panic!("cannot find the HP sources: {why}"),
    }
}

/// For tests: [`build_goroot`], panicking on failure.
pub fn goroot() -> PathBuf {
    build_goroot(paths()).unwrap_or_else(|e| panic!("building the patched GOROOT: {e}"))
}

/// For tests: [`build_go_hp`], panicking on failure.
pub fn go(name: &str) -> PathBuf {
    build_go_hp(paths(), name).unwrap_or_else(|e| panic!("building {name} with the HP runtime: {e}"))
}

/// For tests: [`build_test_loader`], panicking on failure.
pub fn loader() -> PathBuf {
    build_test_loader(paths()).unwrap_or_else(|e| panic!("building the HP test loader: {e}"))
}

/// For tests: every Go program's name (the same list as the plain builds).
pub fn go_names() -> Vec<String> {
    test_programs::go_names()
}
