// Package check is the Go side of qemu-tests/programs/c/check.h: a failed
// check prints `FAIL: <program>: <file>:<line>: <what>` to stderr and the
// run goes on, so one run reports every mismatch; Done prints the last
// line, `<program>: ok` (exit 0) or `<program>: N failed` (exit 1). The
// in-QEMU tests look for `FAIL:` and require the `ok` line, so a program
// that never reached its end cannot pass.
package check

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
)

var (
	program  = "?"
	failures atomic.Int64
)

// Start names the program in every later line.
func Start(name string) { program = name }

// Failf records a failed check at its caller's line.
func Failf(format string, args ...any) { fail(fmt.Sprintf(format, args...)) }

// That records a failure unless cond holds.
func That(cond bool, format string, args ...any) {
	if !cond {
		fail(fmt.Sprintf(format, args...))
	}
}

// fail is called by Failf and That only: the line reported is their
// caller's, two frames up.
func fail(what string) {
	failures.Add(1)
	where := "?"
	if _, file, line, ok := runtime.Caller(2); ok {
		where = fmt.Sprintf("%s:%d", filepath.Base(file), line)
	}
	fmt.Fprintf(os.Stderr, "FAIL: %s: %s: %s\n", program, where, what)
}

// Step says what runs next, so a guest that hangs shows where.
func Step(format string, args ...any) {
	fmt.Printf("%s: %s\n", program, fmt.Sprintf(format, args...))
}

// Done ends the program: exit 0 only if every check passed.
func Done() {
	if n := failures.Load(); n > 0 {
		fmt.Printf("%s: %d failed\n", program, n)
		os.Exit(1)
	}
	fmt.Printf("%s: ok\n", program)
	os.Exit(0)
}
