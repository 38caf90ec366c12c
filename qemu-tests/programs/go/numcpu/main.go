// runtime.NumCPU comes from sched_getaffinity: the kernel must report
// every online CPU in the mask. GOMAXPROCS defaults to it.
//
// Usage: numcpu N, with N the number of CPUs the machine has (the guest's
// -smp value).
package main

import (
	"os"
	"runtime"
	"strconv"

	"ringo-tests/internal/check"
)

func main() {
	check.Start("numcpu")
	if len(os.Args) != 2 {
		check.Failf("usage: numcpu EXPECTED_CPUS")
		check.Done()
	}
	want, err := strconv.Atoi(os.Args[1])
	if err != nil || want < 1 {
		check.Failf("%q is not a CPU count", os.Args[1])
		check.Done()
	}
	check.Step("NumCPU %d, GOMAXPROCS %d, expected %d", runtime.NumCPU(), runtime.GOMAXPROCS(0), want)
	check.That(runtime.NumCPU() == want, "runtime.NumCPU() is %d, expected %d", runtime.NumCPU(), want)
	check.That(runtime.GOMAXPROCS(0) == want, "GOMAXPROCS defaults to %d, expected %d", runtime.GOMAXPROCS(0), want)
	check.Done()
}
