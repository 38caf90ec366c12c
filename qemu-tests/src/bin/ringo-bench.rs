//! `ringo-bench` (run by `make bench`): the same static programs in a
//! Linux guest (as Debian ships it, and with `mitigations=off`) and in
//! Ringo (normal and HP mode) on the same QEMU settings, under TCG plain
//! and with `-icount` (and KVM where it is faithful); then Ringo's own boot
//! and program-start figures. Prints a markdown report; `--write FILE` also
//! saves it (docs/benchmarks.md).
//!
//! usage: ringo-bench [--write FILE] [--hp] [--quick]
//!   --hp     also run the Ringo HP column (`ringo.mode=hp`); see HP_COLUMN
//!   --quick  2 runs and small loop counts, for trying changes (not for
//!            the docs)

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Instant;

use qemu_tests::accel::{self, Accel, KvmProbe};
use qemu_tests::bench::comparison::{self, LoopCounts, Plan, Workloads};
use qemu_tests::bench::guests::{Kernels, Program, Timing};
use qemu_tests::bench::report::{self, Context, RingoOnly};
use qemu_tests::bench::{DEFAULT_TIMEOUT, Summary, boot_figures, results};
use qemu_tests::go_hp;
use qemu_tests::linux_guest::{self, BOOT_DIR};
use qemu_tests::test_programs::{self, Paths};
use qemu_tests::{AccelChoice, Machine, MemSize, Profile, RunConfig, build_kernel, kernel_build, source_tree};

/// Whether the Ringo HP column runs; off, its cells say n/a (and `--hp`
/// turns it on). A kernel without HP mode, or an HP run that fails, also
/// gives n/a there, not a failed bench.
const HP_COLUMN: bool = true;

/// Runs (boots) per figure.
const RUNS: usize = 5;
/// Sized so that the whole `make bench` takes about 10 minutes on a 2-core
/// host under TCG (Go there is about 12x slower than native).
const COUNTS: LoopCounts = LoopCounts { syscall_calls: 50_000, go_file_writes: 50_000, server_rounds: 400 };
const QUICK_RUNS: usize = 2;
const QUICK_COUNTS: LoopCounts = LoopCounts { syscall_calls: 2_000, go_file_writes: 2_000, server_rounds: 20 };
/// Every guest's memory, and the least-memory search's range (MiB).
const MEMORY_MIB: u64 = 256;
const MEMORY_SEARCH: (u64, u64) = (2, 256);
/// Round trips per round of spawn_cost.
const SPAWN_ROUNDS: u64 = 20;

struct Options {
    write_to: Option<PathBuf>,
    hp: bool,
    quick: bool,
}

fn parse_args(args: &[String]) -> Option<Options> {
    let mut options = Options { write_to: None, hp: HP_COLUMN, quick: false };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--write" => options.write_to = Some(PathBuf::from(args.next()?)),
            "--hp" => options.hp = true,
            "--quick" => options.quick = true,
            _ => return None,
        }
    }
    Some(options)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(options) = parse_args(&args) else {
        eprintln!("usage: ringo-bench [--write FILE] [--hp] [--quick]");
        return ExitCode::from(2);
    };
    match bench(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("ringo-bench: {e}");
            ExitCode::from(1)
        }
    }
}

fn log(line: &str) {
    eprintln!("ringo-bench: {line}");
}

/// Runs everything; `Ok(false)` when a figure outside the HP column failed
/// (the report is still printed and written, with n/a there).
fn bench(options: &Options) -> Result<bool, String> {
    let started = Instant::now();
    let (runs, counts) = if options.quick { (QUICK_RUNS, QUICK_COUNTS) } else { (RUNS, COUNTS) };
    log(&format!(
        "{runs} runs per figure; syscall_cost {} calls per round, file.go {} writes, server.go {} rounds per pair",
        counts.syscall_calls, counts.go_file_writes, counts.server_rounds
    ));
    let ringo = build_kernel(Profile::Release).map_err(|e| e.to_string())?;
    let image = linux_guest::installed_kernel(BOOT_DIR.as_ref()).map_err(|e| e.to_string())?;
    let root = source_tree::find_root().map_err(|e| e.to_string())?;
    let vmlinux = linux_guest::extract_vmlinux(&image, &kernel_build::target_dir(&root).join("linux-guest"))
        .map_err(|e| e.to_string())?;
    let host_tsc_khz = linux_guest::host_tsc_khz().ok_or(
        "cannot read the host's TSC frequency (`cpu MHz` in /proc/cpuinfo) for the Linux guest's tsc_early_khz",
    )?;
    let paths = Paths::of_this_repository().map_err(|e| e.to_string())?;
    let c = |name| test_programs::build_c(&paths, name).map_err(|e| e.to_string());
    // The Go programs built with the HP-mode runtime patch: through the
    // vtable in Ringo's HP mode, the `syscall` instruction elsewhere.
    let hp_paths = go_hp::HpPaths::of_this_repository().map_err(|e| e.to_string())?;
    let go = |name| go_hp::build_go_hp(&hp_paths, name).map_err(|e| e.to_string());
    let kernels = Kernels { ringo: ringo.clone(), vmlinux, bench_init: c("bench_init")?, host_tsc_khz };
    let workloads = Workloads {
        hello: Program {
            name: "hello",
            binary: c("hello")?,
            args: vec![],
            first_line: "hello".into(),
            done: "hello".into(),
        },
        syscall_cost: Program::checked(
            "syscall_cost",
            c("syscall_cost")?,
            &[counts.syscall_calls.to_string()],
            "getpid_ns",
        ),
        write_read_cost: Program::checked(
            "write_read_cost",
            c("write_read_cost")?,
            &[counts.syscall_calls.to_string()],
            "write_read40_devnull_ns",
        ),
        file: Program::checked("file", go("file")?, &[counts.go_file_writes.to_string()], "file: "),
        server: Program::checked("server", go("server")?, &[counts.server_rounds.to_string()], "server: "),
    };

    let decision = accel::choose(AccelChoice::Auto, KvmProbe::of_this_host());
    let mut timings = vec![Timing::Tcg, Timing::TcgIcount];
    let kvm_note = match decision.accel {
        Accel::Kvm => {
            timings.push(Timing::Kvm);
            None
        }
        Accel::Tcg => decision.reason.clone(),
    };
    let hp = if options.hp {
        Ok(())
    } else {
        Err("not run: HP_COLUMN in ringo-bench.rs is off (`ringo-bench --hp` runs it)".to_string())
    };
    let plan = Plan {
        runs,
        timings: timings.clone(),
        hp,
        memory: MemSize::from_mib(MEMORY_MIB).expect("nonzero"),
        memory_search: MEMORY_SEARCH,
    };
    let comparison = comparison::measure(&kernels, &workloads, &plan, log);
    for failure in &comparison.failures {
        log(&format!("failed: {failure}"));
    }

    let ringo_only =
        if options.quick { RingoOnly { boots: vec![], spawn: None } } else { ringo_only(&ringo, &paths, runs)? };
    let ctx = Context {
        date: command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        host_cpu: host_cpu(),
        host_cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        qemu: command_output("qemu-system-x86_64", &["--version"]),
        linux_kernel: image
            .file_name()
            .map(|n| n.to_string_lossy().trim_start_matches("vmlinuz-").to_string())
            .unwrap_or_default(),
        ringo_commit: command_output("git", &["-C", &root.to_string_lossy(), "describe", "--always", "--dirty"]),
        memory_mib: MEMORY_MIB,
        runs,
        counts,
        timings,
        kvm_note,
        elapsed_s: started.elapsed().as_secs_f64(),
    };
    let text = report::report(&ctx, &comparison, &ringo_only);
    print!("{text}");
    if let Some(path) = &options.write_to {
        std::fs::write(path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        log(&format!("wrote {}", path.display()));
    }
    log(&format!("done in {:.0} s", started.elapsed().as_secs_f64()));
    Ok(!comparison.failed_outside_hp())
}

/// Ringo's boot on each machine (no init), and fork+exec+wait.
fn ringo_only(kernel: &std::path::Path, paths: &Paths, runs: usize) -> Result<RingoOnly, String> {
    let mut boots = Vec::new();
    for (machine, smp) in [(Machine::Microvm, 1), (Machine::Microvm, 2), (Machine::Q35, 1)] {
        let cfg = RunConfig::new(kernel)
            .machine(machine)
            .smp(smp)
            .accel(AccelChoice::Tcg)
            .timeout(Some(DEFAULT_TIMEOUT))
            .announce(false);
        log(&format!("Ringo's boot on {} -smp {smp}, {runs} runs", machine.name()));
        boots.push(boot_figures(&cfg, runs).map_err(|e| e.to_string())?);
    }
    log(&format!("fork+exec+wait in Ringo, {runs} boots"));
    let binary = test_programs::build_c(paths, "spawn_cost").map_err(|e| e.to_string())?;
    let mut values = Vec::new();
    for _ in 0..runs {
        let run = qemu_tests::guest_test::program(&binary).args([SPAWN_ROUNDS.to_string()]).timeout_secs(120).run();
        if !results::finished(run.serial(), "spawn_cost: ok") {
            return Err(format!("spawn_cost failed in Ringo:\n{}", run.serial()));
        }
        values.push(results::key_value(run.serial(), "fork_exec_wait_us").ok_or("no fork_exec_wait_us line")?);
    }
    Ok(RingoOnly { boots, spawn: Summary::of(&values).map(|s| (s, SPAWN_ROUNDS)) })
}

fn command_output(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn host_cpu() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}
