#!/usr/bin/env bash
# Coverage-guided fuzzing of the pure parsers (fuzz/, cargo fuzz with
# libFuzzer): cargo-fuzz.sh SECONDS [TARGET...] builds every target and
# runs each (all of them by default) for SECONDS, one after the other.
#
# Each run starts from a copy of fuzz/corpus/TARGET, so the checked-in
# corpus does not grow; FUZZ_GROW_CORPUS=1 fuzzes it in place instead
# (minimize it with `cargo fuzz cmin` before committing). Prints one line
# per target with its executions and exits non-zero if any target crashed,
# printing the input that did it (under fuzz/artifacts/TARGET/; replay it
# with `cargo fuzz run --sanitizer none --fuzz-dir fuzz TARGET FILE`).
#
# Works on stable Rust: without a sanitizer (--sanitizer none) cargo fuzz
# needs no nightly flags; the coverage instrumentation is stable rustc
# flags. Debug assertions and overflow checks are on, as cargo fuzz builds
# by default. Runs at nice 10 (FUZZ_NICE=n to change).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    echo "usage: cargo-fuzz.sh SECONDS [TARGET...]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
seconds=$1
shift
[[ $seconds =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || usage

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

nice_cmd=(nice -n "${FUZZ_NICE:-10}")
fuzz=(cargo fuzz)
common=(--sanitizer none --fuzz-dir fuzz)

if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <("${fuzz[@]}" list --fuzz-dir fuzz)
fi
known=$("${fuzz[@]}" list --fuzz-dir fuzz)
for t in "${targets[@]}"; do
    if ! grep -qx "$t" <<<"$known"; then
        echo "cargo-fuzz: no target $t; the targets are:" $known >&2
        exit 2
    fi
done

echo "cargo-fuzz: building ${#targets[@]} target(s)"
"${nice_cmd[@]}" "${fuzz[@]}" build "${common[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
summary=()
for t in "${targets[@]}"; do
    corpus=fuzz/corpus/$t
    mkdir -p "$corpus" "fuzz/artifacts/$t"
    if [ "${FUZZ_GROW_CORPUS:-0}" != 1 ]; then
        mkdir -p "$work/$t"
        cp -R "$corpus/." "$work/$t/"
        corpus=$work/$t
    fi
    seeds=$(find "$corpus" -type f | wc -l)
    log=$work/$t.log
    echo "cargo-fuzz: $t for ${seconds}s from $seeds seed(s)"
    status=0
    # -timeout: an input that runs for 10 s is a hang, reported like a crash.
    "${nice_cmd[@]}" "${fuzz[@]}" run "${common[@]}" "$t" "$corpus" -- \
        -max_total_time="$seconds" -print_final_stats=1 -timeout=10 >"$log" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
    units=$(find "$corpus" -type f | wc -l)
    if [ "$status" -eq 0 ]; then
        line="$t: ${execs:-?} executions in ${secs:-$seconds} s, coverage ${cov:-?}, corpus $seeds -> $units, no crash"
    else
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        grep -E "panicked at|^==[0-9]+== ERROR|deadly signal|timeout after" "$log" | head -n 5 >&2 || true
        line="$t: CRASHED after ${execs:-?} executions (exit $status); input: ${artifact:-none written, see the log below}"
        [ -n "$artifact" ] || tail -n 40 "$log" >&2
        failed+=("$t")
    fi
    echo "cargo-fuzz: $line"
    summary+=("$line")
done

echo "cargo-fuzz: summary (${seconds}s per target)"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "cargo-fuzz: ${#failed[@]} target(s) crashed: ${failed[*]}" >&2
    exit 1
fi
