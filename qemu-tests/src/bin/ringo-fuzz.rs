//! `make fuzz`: the long system-call fuzzer passes, normal mode then HP
//! mode (threads only, lower-half pointers), each `FUZZ_CALLS` calls (10^7)
//! or `FUZZ_SECONDS` (1800) whichever comes first, seed `FUZZ_SEED` or a
//! fresh one (printed by the program; a failure names it).

use qemu_tests::fuzz::pass;

fn main() {
    let env = |k: &str, default: &str| std::env::var(k).unwrap_or_else(|_| default.to_string());
    let seconds: u64 = env("FUZZ_SECONDS", "1800").parse().unwrap_or(1800);
    let mut args: Vec<String> =
        ["-n".to_string(), env("FUZZ_CALLS", "10000000"), "-t".to_string(), seconds.to_string()].into();
    if let Ok(seed) = std::env::var("FUZZ_SEED") {
        args.extend(["-s".to_string(), seed]);
    }
    for hp in [false, true] {
        let run = pass(&args, hp, seconds + 300);
        let mode = if hp { "HP" } else { "normal" };
        let summary = run.serial().lines().filter(|l| l.starts_with("fuzz: ")).collect::<Vec<_>>().join("; ");
        println!("ringo-fuzz: {mode} mode passed: {summary}");
    }
}
