// A CPU-bound workload for the scheduler: GOMAXPROCS = NumCPU goroutines
// share a fixed number of work units of pure integer computation (no
// system calls, no allocation), so the wall time falls with the CPUs the
// kernel really runs them on. The combined result does not depend on
// which goroutine did which unit, or on how often they were preempted:
// any register or FPU state a context switch loses shows up as a wrong
// sum. The tests check only the result; the time is for measuring the
// speed-up from -smp 1 to -smp 2 by hand.
//
// Usage: cpubound [UNITS], UNITS work units (default 1800, about 3 s at
// -smp 1 under TCG). Prints `cpubound: N workers, UNITS units in X.XXXs`,
// the process's CPU time over that wall time (how many CPUs the kernel
// kept busy: near N when it spread the workers, whatever the host gave
// its virtual CPUs), then `cpubound: ok`.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"ringo-tests/internal/check"
)

const (
	defaultUnits = 1800
	// Rounds of the mixing function per unit: under 2 ms natively, and
	// about as long under TCG, which translates this loop well.
	roundsPerUnit = 400_000
	// The sum of unit(0..defaultUnits-1), from a run on Linux.
	defaultSum = 0x9fd7638281a4ac6e
)

// unit is one work unit: a chain of splitmix64 finalizer rounds from a
// seed of its own, each round depending on the one before.
func unit(i uint64) uint64 {
	x := i*0x9e3779b97f4a7c15 + 1
	for r := 0; r < roundsPerUnit; r++ {
		x ^= x >> 30
		x *= 0xbf58476d1ce4e5b9
		x ^= x >> 27
		x *= 0x94d049bb133111eb
		x ^= x >> 31
	}
	return x
}

// run shares units 0..units-1 among `workers` goroutines, each taking the
// next unit not yet taken, and returns the sum of their results.
func run(workers, units int) uint64 {
	var next atomic.Int64
	var sum atomic.Uint64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine uint64
			for {
				i := next.Add(1) - 1
				if i >= int64(units) {
					break
				}
				mine += unit(uint64(i))
			}
			sum.Add(mine)
		}()
	}
	wg.Wait()
	return sum.Load()
}

// cpuTime is the user and system time of the whole process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		check.Failf("getrusage: %v", err)
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	check.Start("cpubound")
	units := defaultUnits
	if len(os.Args) > 1 {
		n, err := strconv.Atoi(os.Args[1])
		if err != nil || n < 1 {
			check.Failf("%q is not a unit count", os.Args[1])
			check.Done()
		}
		units = n
	}
	workers := runtime.NumCPU()
	runtime.GOMAXPROCS(workers)
	cpuBefore := cpuTime()
	start := time.Now()
	sum := run(workers, units)
	elapsed := time.Since(start)
	cpu := cpuTime() - cpuBefore
	fmt.Printf("cpubound: %d workers, %d units in %.3fs\n", workers, units, elapsed.Seconds())
	fmt.Printf("cpubound: %.3fs of CPU time, %.2f CPUs busy\n", cpu.Seconds(), cpu.Seconds()/elapsed.Seconds())
	want := uint64(defaultSum)
	if units != defaultUnits {
		// No constant for this count: one goroutine computes it again
		// (after the timing).
		want = 0
		for i := 0; i < units; i++ {
			want += unit(uint64(i))
		}
	}
	check.That(sum == want, "the units sum to %#x, expected %#x", sum, want)
	check.Done()
}
