//! The project's own guest programs, from `qemu-tests/programs/`, built on
//! demand and cached under `target/test-programs/`:
//! - `c/NAME.c`: static C with `musl-gcc -static -O2`, or `-static-pie`
//!   when the source has a line `// link: -static-pie`; rebuilt when the
//!   source or a header in `c/` is newer than the build;
//! - the same sources built by plain `gcc` (dynamically linked against
//!   glibc), for the loader's refusal of dynamic programs;
//! - `rust-hello/`: a Cargo project for `x86_64-unknown-linux-musl`
//!   (cargo decides what to rebuild);
//! - `go/NAME/main.go`: static Go programs, one `main` package per
//!   directory in the module `go/go.mod`, built with Debian's Go 1.23
//!   (`CGO_ENABLED=0`) into `go/NAME`; rebuilt when any `.go` file or
//!   `go.mod` under `go/` is newer than the build (they share packages).
//!   The Go build cache and GOPATH live under `go-tool/` beside them, so
//!   building writes nothing to `$HOME`.
//!
//! `./scripts/setup.sh` installs the tools (musl-tools, gcc, the musl Rust
//! target, golang-1.23-go). The `build_*` functions return errors; the
//! short ones (`c`, `dynamic_c`, `rust_hello`, `go`) are for tests and
//! panic with the error.

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use crate::error::Error;
use crate::{kernel_build, source_tree};

/// Relative to the repository root.
pub const PROGRAMS_DIR: &str = "qemu-tests/programs";
/// Relative to cargo's target directory.
pub const OUTPUT_DIR: &str = "test-programs";
pub const RUST_TARGET: &str = "x86_64-unknown-linux-musl";
/// Where Debian's golang-1.23-go puts the go command.
pub const GO: &str = "/usr/lib/go-1.23/bin/go";
/// The Go programs' directory under [`PROGRAMS_DIR`], and their output
/// directory under [`OUTPUT_DIR`].
pub const GO_DIR: &str = "go";
/// The Go tool's own state (build cache, GOPATH, config), under
/// [`OUTPUT_DIR`].
const GO_TOOL_DIR: &str = "go-tool";
/// Variables that would change what or how the go command builds; the
/// builder sets its own values or leaves them out.
const GO_ENV_TO_CLEAR: [&str; 8] =
    ["GOROOT", "GOFLAGS", "GOENV", "GOEXPERIMENT", "GOAMD64", "GOWORK", "CC", "GO111MODULE"];
const STATIC_PIE_MARKER: &str = "// link: -static-pie";
/// Where Debian (and others) keep musl's start files, which musl-gcc's
/// specs do not pick for -static-pie.
const MUSL_LIB_DIRS: [&str; 3] = ["/usr/lib/x86_64-linux-musl", "/usr/lib/musl/lib", "/usr/local/musl/lib"];
/// Variables an outer cargo or the shell may set that would redirect or
/// break the inner build (see kernel_build for the kernel's list).
const CARGO_ENV_TO_CLEAR: [&str; 7] = [
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_BUILD_TARGET",
];

#[derive(Debug)]
pub enum ProgramError {
    SourceTree(Error),
    NoSource { path: PathBuf },
    ToolMissing { tool: String },
    Spawn { tool: String, source: io::Error },
    Failed { command: String, status: ExitStatus, output: String },
    Io { path: PathBuf, source: io::Error },
    NoMuslStartFiles,
}

impl fmt::Display for ProgramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SETUP: &str = "run ./scripts/setup.sh";
        match self {
            ProgramError::SourceTree(e) => write!(f, "{e}"),
            ProgramError::NoSource { path } => write!(f, "no test program source {}", path.display()),
            ProgramError::ToolMissing { tool } => write!(f, "`{tool}` is not installed: {SETUP}"),
            ProgramError::Spawn { tool, source } => write!(f, "cannot run `{tool}`: {source}"),
            ProgramError::Failed { command, status, output } => {
                write!(f, "`{command}` failed ({status}):\n{}", output.trim_end())
            }
            ProgramError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            ProgramError::NoMuslStartFiles => {
                write!(f, "musl's rcrt1.o is in none of {}: {SETUP}", MUSL_LIB_DIRS.join(", "))
            }
        }
    }
}

impl std::error::Error for ProgramError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProgramError::SourceTree(e) => Some(e),
            ProgramError::Spawn { source, .. } | ProgramError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

pub(crate) fn io_error(path: &Path) -> impl FnOnce(io::Error) -> ProgramError + '_ {
    move |source| ProgramError::Io { path: path.to_path_buf(), source }
}

/// The source and output directories of this repository's programs.
#[derive(Debug, Clone)]
pub struct Paths {
    pub sources: PathBuf,
    pub outputs: PathBuf,
}

impl Paths {
    pub fn of_this_repository() -> Result<Paths, ProgramError> {
        let root = source_tree::find_root().map_err(ProgramError::SourceTree)?;
        Ok(Paths { sources: root.join(PROGRAMS_DIR), outputs: kernel_build::target_dir(&root).join(OUTPUT_DIR) })
    }

    fn c_source(&self, name: &str) -> PathBuf {
        self.sources.join("c").join(format!("{name}.c"))
    }

    pub(crate) fn go_sources(&self) -> PathBuf {
        self.sources.join(GO_DIR)
    }
}

/// How a C program is compiled and linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linking {
    /// `musl-gcc -static`
    Static,
    /// `musl-gcc` with musl's self-relocating start file.
    StaticPie,
    /// Plain `gcc`: glibc, with an ELF interpreter.
    Dynamic,
}

impl Linking {
    fn output_subdir(self) -> &'static str {
        match self {
            Linking::Static | Linking::StaticPie => "c",
            Linking::Dynamic => "dynamic",
        }
    }
}

/// The names of every `c/*.c` program, sorted.
pub fn c_program_names(paths: &Paths) -> Result<Vec<String>, ProgramError> {
    let dir = paths.sources.join("c");
    let mut names = Vec::new();
    for entry in fs::read_dir(&dir).map_err(io_error(&dir))? {
        let path = entry.map_err(io_error(&dir))?.path();
        if path.extension().is_some_and(|e| e == "c") {
            names.extend(path.file_stem().map(|s| s.to_string_lossy().into_owned()));
        }
    }
    names.sort();
    Ok(names)
}

/// The linking a program's source asks for (static unless it has the marker).
pub fn linking_of(source: &str) -> Linking {
    if source.lines().any(|line| line.trim() == STATIC_PIE_MARKER) { Linking::StaticPie } else { Linking::Static }
}

/// Builds `c/NAME.c` the way its source says, unless the build is fresh.
pub fn build_c(paths: &Paths, name: &str) -> Result<PathBuf, ProgramError> {
    let source = paths.c_source(name);
    let text = fs::read_to_string(&source).map_err(|_| ProgramError::NoSource { path: source.clone() })?;
    build_c_as(paths, name, linking_of(&text))
}

/// Builds `c/NAME.c` with plain gcc: a dynamically linked program.
pub fn build_dynamic_c(paths: &Paths, name: &str) -> Result<PathBuf, ProgramError> {
    build_c_as(paths, name, Linking::Dynamic)
}

fn build_c_as(paths: &Paths, name: &str, linking: Linking) -> Result<PathBuf, ProgramError> {
    let source = paths.c_source(name);
    if !source.is_file() {
        return Err(ProgramError::NoSource { path: source });
    }
    let out_dir = paths.outputs.join(linking.output_subdir());
    let output = out_dir.join(name);
    // One build at a time in this process; other processes meet only
    // complete files, thanks to the rename.
    let _guard = build_lock();
    if is_fresh(&output, &c_inputs(&source)?) {
        return Ok(output);
    }
    fs::create_dir_all(&out_dir).map_err(io_error(&out_dir))?;
    let partial = out_dir.join(format!(".{name}.partial-{}", std::process::id()));
    let mut command = c_command(linking, &source, &partial)?;
    run(&mut command)?;
    fs::rename(&partial, &output).map_err(io_error(&output))?;
    Ok(output)
}

fn c_command(linking: Linking, source: &Path, output: &Path) -> Result<Command, ProgramError> {
    let tool = if linking == Linking::Dynamic { "gcc" } else { "musl-gcc" };
    let mut command = Command::new(tool);
    command.args(["-O2", "-Wall", "-Wextra"]);
    match linking {
        Linking::Static => {
            command.arg("-static").arg(source);
        }
        Linking::Dynamic => {
            command.arg(source);
        }
        Linking::StaticPie => {
            // musl-gcc's specs link Scrt1.o and ask for an interpreter even
            // with -static-pie; name musl's rcrt1.o and tell ld there is none.
            let lib = MUSL_LIB_DIRS
                .iter()
                .map(Path::new)
                .find(|dir| dir.join("rcrt1.o").is_file())
                .ok_or(ProgramError::NoMuslStartFiles)?;
            command
                .args(["-fPIE", "-static-pie", "-nostartfiles"])
                .arg(lib.join("rcrt1.o"))
                .arg(lib.join("crti.o"))
                .arg(gcc_file_name("crtbeginS.o")?)
                .arg(source)
                .arg(gcc_file_name("crtendS.o")?)
                .arg(lib.join("crtn.o"))
                .arg("-Wl,-static,-pie,--no-dynamic-linker,-z,text");
        }
    }
    command.arg("-o").arg(output);
    Ok(command)
}

/// GCC's own support file `name` (crtbeginS.o and friends).
fn gcc_file_name(name: &str) -> Result<PathBuf, ProgramError> {
    let mut command = Command::new("gcc");
    command.arg(format!("-print-file-name={name}"));
    let out = run(&mut command)?;
    Ok(PathBuf::from(out.trim()))
}

/// The source, every header beside it and the HP header (hp/*.h).
fn c_inputs(source: &Path) -> Result<Vec<PathBuf>, ProgramError> {
    let dir = source.parent().unwrap_or(Path::new("."));
    let hp = dir.join("../../../hp");
    let mut inputs = vec![source.to_path_buf()];
    for d in [dir, hp.as_path()] {
        let Ok(entries) = fs::read_dir(d) else { continue };
        for entry in entries {
            let path = entry.map_err(io_error(d))?.path();
            if path.extension().is_some_and(|e| e == "h") {
                inputs.push(path);
            }
        }
    }
    Ok(inputs)
}

/// `output` exists and is at least as new as every input.
pub(crate) fn is_fresh(output: &Path, inputs: &[PathBuf]) -> bool {
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    let Some(built) = modified(output) else {
        return false;
    };
    inputs.iter().all(|input| modified(input).is_some_and(|m: SystemTime| m <= built))
}

/// Builds rust-hello with cargo and returns the binary.
pub fn build_rust_hello(paths: &Paths) -> Result<PathBuf, ProgramError> {
    let project = paths.sources.join("rust-hello");
    let manifest = project.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(ProgramError::NoSource { path: manifest });
    }
    let target_dir = paths.outputs.join("rust");
    let cargo: OsString = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .args(["build", "--quiet", "--release", "--target", RUST_TARGET, "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir)
        // rustup picks the pinned toolchain from the directory.
        .current_dir(&project);
    for var in CARGO_ENV_TO_CLEAR {
        command.env_remove(var);
    }
    let _guard = build_lock();
    run(&mut command)?;
    Ok(target_dir.join(RUST_TARGET).join("release").join("rust-hello"))
}

/// The names of every `go/NAME/main.go` program, sorted.
pub fn go_program_names(paths: &Paths) -> Result<Vec<String>, ProgramError> {
    let dir = paths.go_sources();
    let mut names = Vec::new();
    for entry in fs::read_dir(&dir).map_err(io_error(&dir))? {
        let path = entry.map_err(io_error(&dir))?.path();
        if path.join("main.go").is_file() {
            names.extend(path.file_name().map(|s| s.to_string_lossy().into_owned()));
        }
    }
    names.sort();
    Ok(names)
}

/// Builds `go/NAME` into a static binary, unless the build is fresh.
pub fn build_go(paths: &Paths, name: &str) -> Result<PathBuf, ProgramError> {
    let module = paths.go_sources();
    let main = module.join(name).join("main.go");
    if !main.is_file() {
        return Err(ProgramError::NoSource { path: main });
    }
    let out_dir = paths.outputs.join(GO_DIR);
    let output = out_dir.join(name);
    let _guard = build_lock();
    if is_fresh(&output, &go_inputs(&module)?) {
        return Ok(output);
    }
    fs::create_dir_all(&out_dir).map_err(io_error(&out_dir))?;
    let partial = out_dir.join(format!(".{name}.partial-{}", std::process::id()));
    let mut command = go_command(Path::new(GO), None, &paths.outputs.join(GO_TOOL_DIR), &module, name, &partial);
    run(&mut command)?;
    fs::rename(&partial, &output).map_err(io_error(&output))?;
    Ok(output)
}

/// `go build` of package `./name` in `module` by the go command `go`,
/// static for linux/amd64, with the tool's state under `tool_dir`; with
/// `goroot`, that tree's standard library instead of the one `go` was
/// installed with.
pub(crate) fn go_command(
    go: &Path,
    goroot: Option<&Path>,
    tool_dir: &Path,
    module: &Path,
    name: &str,
    output: &Path,
) -> Command {
    let mut command = Command::new(go);
    command.args(["build", "-o"]).arg(output).arg(format!("./{name}")).current_dir(module);
    for var in GO_ENV_TO_CLEAR {
        command.env_remove(var);
    }
    if let Some(goroot) = goroot {
        command.env("GOROOT", goroot);
    }
    command
        // No cgo: a static binary that needs no libc, like the Go
        // programs Ringo is meant to run.
        .env("CGO_ENABLED", "0")
        .env("GOOS", "linux")
        .env("GOARCH", "amd64")
        // Paths inside the binary (panics, backtraces) do not name this
        // machine's directories.
        .env("GOFLAGS", "-trimpath")
        .env("GOCACHE", tool_dir.join("cache"))
        .env("GOPATH", tool_dir.join("path"))
        // The go command keeps telemetry counters under the user's
        // config directory; this keeps them out of $HOME.
        .env("XDG_CONFIG_HOME", tool_dir.join("config"))
        // The module needs nothing from the network, nor another Go.
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local");
    command
}

/// Every `.go` file under `module`, and its `go.mod`.
pub(crate) fn go_inputs(module: &Path) -> Result<Vec<PathBuf>, ProgramError> {
    let mut inputs = vec![module.join("go.mod")];
    let mut dirs = vec![module.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).map_err(io_error(&dir))? {
            let path = entry.map_err(io_error(&dir))?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "go") {
                inputs.push(path);
            }
        }
    }
    Ok(inputs)
}

pub(crate) fn build_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    // A build that panicked elsewhere left nothing half-done (renames).
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `command` to completion; its stdout on success.
pub(crate) fn run(command: &mut Command) -> Result<String, ProgramError> {
    let tool = command.get_program().to_string_lossy().into_owned();
    let out = command.output().map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => ProgramError::ToolMissing { tool: tool.clone() },
        _ => ProgramError::Spawn { tool: tool.clone(), source },
    })?;
    if !out.status.success() {
        let shown = std::iter::once(tool)
            .chain(command.get_args().map(|a| a.to_string_lossy().into_owned()))
            .collect::<Vec<_>>()
            .join(" ");
        let output = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        return Err(ProgramError::Failed { command: shown, status: out.status, output });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn paths_for_tests() -> &'static Paths {
    static PATHS: OnceLock<Result<Paths, String>> = OnceLock::new();
    match PATHS.get_or_init(|| Paths::of_this_repository().map_err(|e| e.to_string())) {
        Ok(paths) => paths,
        Err(why) => panic!("cannot find the test programs: {why}"),
    }
}

/// For tests: [`build_c`] in this repository, panicking on failure.
pub fn c(name: &str) -> PathBuf {
    build_c(paths_for_tests(), name).unwrap_or_else(|e| panic!("building test program {name}: {e}"))
}

/// For tests: [`build_dynamic_c`] in this repository, panicking on failure.
pub fn dynamic_c(name: &str) -> PathBuf {
    build_dynamic_c(paths_for_tests(), name).unwrap_or_else(|e| panic!("building {name} with gcc: {e}"))
}

/// For tests: [`build_rust_hello`] in this repository, panicking on failure.
pub fn rust_hello() -> PathBuf {
    build_rust_hello(paths_for_tests()).unwrap_or_else(|e| panic!("building rust-hello: {e}"))
}

/// For tests: [`build_go`] in this repository, panicking on failure.
pub fn go(name: &str) -> PathBuf {
    build_go(paths_for_tests(), name).unwrap_or_else(|e| panic!("building Go test program {name}: {e}"))
}

/// For tests: every Go program's name.
pub fn go_names() -> Vec<String> {
    go_program_names(paths_for_tests()).unwrap_or_else(|e| panic!("listing the Go test programs: {e}"))
}

/// For tests: every C program's name.
pub fn c_names() -> Vec<String> {
    c_program_names(paths_for_tests()).unwrap_or_else(|e| panic!("listing the C test programs: {e}"))
}

/// For tests: the directory for files made from the programs.
pub fn output_dir() -> PathBuf {
    paths_for_tests().outputs.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_picks_static_pie() {
        assert_eq!(linking_of("int main(void) {}\n"), Linking::Static);
        assert_eq!(linking_of("/* x */\n// link: -static-pie\nint main;"), Linking::StaticPie);
        assert_eq!(linking_of("// link: -static-pie please"), Linking::Static);
    }

    #[test]
    fn freshness_compares_modification_times() {
        let dir = std::env::temp_dir().join(format!("ringo-fresh-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let (input, output) = (dir.join("in.c"), dir.join("out"));
        fs::write(&input, "x").unwrap();
        assert!(!is_fresh(&output, std::slice::from_ref(&input)), "a missing output is stale");
        fs::write(&output, "y").unwrap();
        let later = SystemTime::now() + std::time::Duration::from_secs(60);
        fs::File::options().write(true).open(&input).unwrap().set_modified(later).unwrap();
        assert!(!is_fresh(&output, std::slice::from_ref(&input)), "a newer source makes it stale");
        fs::File::options().write(true).open(&output).unwrap().set_modified(later).unwrap();
        assert!(is_fresh(&output, std::slice::from_ref(&input)));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn go_builds_are_static_for_linux_amd64_and_keep_out_of_home() {
        let tool = Path::new("/t/go-tool");
        let command =
            go_command(Path::new(GO), None, tool, Path::new("/src/go"), "timers", Path::new("/out/.timers.partial"));
        let env: Vec<(String, Option<String>)> = command
            .get_envs()
            .map(|(k, v)| (k.to_string_lossy().into_owned(), v.map(|v| v.to_string_lossy().into_owned())))
            .collect();
        let value = |key: &str| env.iter().find(|(k, _)| k == key).and_then(|(_, v)| v.clone());
        assert_eq!(value("CGO_ENABLED").as_deref(), Some("0"));
        assert_eq!((value("GOOS").as_deref(), value("GOARCH").as_deref()), (Some("linux"), Some("amd64")));
        for var in ["GOCACHE", "GOPATH", "XDG_CONFIG_HOME"] {
            assert!(value(var).is_some_and(|v| v.starts_with("/t/go-tool/")), "{var} is {:?}", value(var));
        }
        assert!(env.iter().any(|(k, v)| k == "GOROOT" && v.is_none()), "an outer GOROOT is removed");
        let args: Vec<_> = command.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(args, ["build", "-o", "/out/.timers.partial", "./timers"]);
        assert_eq!(command.get_current_dir(), Some(Path::new("/src/go")));
    }

    #[test]
    fn every_go_program_is_found() {
        let names = go_program_names(paths_for_tests()).unwrap();
        for expected in ["goroutines", "timers", "preempt", "file", "server"] {
            assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
        }
        assert!(!names.iter().any(|n| n == "internal"), "internal/ holds packages, not programs");
    }

    #[test]
    fn every_program_source_is_found() {
        let names = c_program_names(paths_for_tests()).unwrap();
        for expected in ["hello", "fileio", "segv", "int80"] {
            assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
        }
    }
}
