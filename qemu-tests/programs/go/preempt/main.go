// Asynchronous preemption: with GOMAXPROCS(1), a goroutine spinning in a
// loop without function calls never reaches a cooperative preemption
// point, so main's time.Sleep can only return if the runtime's sysmon
// thread interrupts the spinner: it sends SIGURG to the spinner's thread
// with tgkill, and the handler rewrites the interrupted context to enter
// the scheduler. That needs tgkill to reach the right thread, a signal
// frame the handler may edit, and rt_sigreturn honouring the edit.
package main

import (
	"runtime"
	"sync/atomic"
	"time"

	"ringo-tests/internal/check"
)

var (
	stop    atomic.Bool
	started atomic.Int32
)

// spin counts until stop: the loop body has no calls (atomic loads are
// compiler intrinsics), so the compiler emits no preemption check.
//
//go:noinline
func spin(counter *atomic.Uint64) {
	started.Add(1)
	n := uint64(0)
	for !stop.Load() {
		n++
		if n&0xffff == 0 {
			counter.Store(n)
		}
	}
	counter.Store(n)
}

// waitStarted yields until n spinners run; before any spins, main still
// holds the only P, so Gosched hands it over.
func waitStarted(n int32) {
	for started.Load() < n {
		runtime.Gosched()
	}
}

func oneSpinner() {
	check.Step("main sleeps while a goroutine spins")
	var count atomic.Uint64
	go spin(&count)
	waitStarted(1)
	start := time.Now()
	time.Sleep(50 * time.Millisecond)
	slept := time.Since(start)
	stop.Store(true)
	check.That(slept >= 50*time.Millisecond, "time.Sleep(50ms) returned after %v", slept)
	// Give the spinner the CPU back so it sees stop and publishes its count.
	for count.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	check.Step("main came back after %v; the spinner counted to %d", slept.Round(time.Millisecond), count.Load())
}

// threeSpinners needs preemption among the spinners too: each must get
// the CPU within the time main sleeps.
func threeSpinners() {
	const spinners = 3
	check.Step("%d goroutines spin on one P", spinners)
	stop.Store(false)
	started.Store(0)
	var counts [spinners]atomic.Uint64
	for i := range counts {
		go spin(&counts[i])
	}
	waitStarted(spinners)
	time.Sleep(200 * time.Millisecond)
	for i := range counts {
		check.That(counts[i].Load() > 0, "spinner %d never ran (counts %d %d %d)", i,
			counts[0].Load(), counts[1].Load(), counts[2].Load())
	}
	stop.Store(true)
}

func main() {
	check.Start("preempt")
	runtime.GOMAXPROCS(1)
	started := time.Now()
	oneSpinner()
	threeSpinners()
	check.Step("done in %v", time.Since(started).Round(time.Millisecond))
	check.Done()
}
