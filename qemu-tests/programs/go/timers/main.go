// Timers as the Go runtime builds them on the kernel: time.Sleep and
// timer channels park goroutines and leave threads asleep in futex or
// epoll_pwait with a timeout, so each check here needs the kernel to wake
// a thread on time (never early: CLOCK_MONOTONIC must not run ahead of the
// timeouts). One timer fires while other goroutines are blocked on a
// channel, a mutex and a pipe read, and its function releases them all.
package main

import (
	"os"
	"sync"
	"time"

	"ringo-tests/internal/check"
)

// slack is how late a timer may be. A guest under TCG on a loaded host
// runs late by tens of milliseconds; a timer that only fires at the next
// unrelated event is late by seconds or never.
const slack = 2 * time.Second

func within(what string, elapsed, want time.Duration) {
	check.That(elapsed >= want, "%s took %v, less than the %v asked for", what, elapsed, want)
	check.That(elapsed < want+slack, "%s took %v for %v", what, elapsed, want)
}

func sleeps() {
	check.Step("time.Sleep")
	for _, d := range []time.Duration{time.Millisecond, 10 * time.Millisecond, 50 * time.Millisecond, 200 * time.Millisecond} {
		start := time.Now()
		time.Sleep(d)
		within("time.Sleep("+d.String()+")", time.Since(start), d)
	}
	// Several goroutines sleeping at once, each for its own time: each
	// must wake no earlier than its own deadline.
	var wg sync.WaitGroup
	start := time.Now()
	for i := 1; i <= 8; i++ {
		wg.Add(1)
		go func(d time.Duration) {
			defer wg.Done()
			s := time.Now()
			time.Sleep(d)
			within("a concurrent time.Sleep("+d.String()+")", time.Since(s), d)
		}(time.Duration(i) * 15 * time.Millisecond)
	}
	wg.Wait()
	within("8 concurrent sleeps of up to 120ms", time.Since(start), 120*time.Millisecond)
}

func channels() {
	check.Step("time.After, Timer.Stop and Reset, Ticker")
	never := make(chan struct{})
	start := time.Now()
	select {
	case <-never:
		check.Failf("a channel nobody sends on delivered")
	case <-time.After(30 * time.Millisecond):
	}
	within("time.After(30ms)", time.Since(start), 30*time.Millisecond)

	stopped := time.NewTimer(20 * time.Millisecond)
	check.That(stopped.Stop(), "Stop on a pending timer says it had fired")
	reset := time.NewTimer(time.Hour)
	start = time.Now()
	reset.Reset(40 * time.Millisecond)
	<-reset.C
	within("a timer reset from an hour to 40ms", time.Since(start), 40*time.Millisecond)
	select {
	case <-stopped.C:
		check.Failf("a stopped timer fired")
	default:
	}

	const period, ticks = 10 * time.Millisecond, 5
	ticker := time.NewTicker(period)
	start = time.Now()
	for i := 0; i < ticks; i++ {
		<-ticker.C
	}
	ticker.Stop()
	within("5 ticks of 10ms", time.Since(start), ticks*period)
}

// blockedRelease parks goroutines on a channel, a mutex and a pipe read
// (the netpoller: epoll), leaves main blocked in WaitGroup.Wait, and lets
// one time.AfterFunc release them all.
func blockedRelease() {
	check.Step("a timer firing while goroutines are blocked")
	const waiters, delay = 6, 50 * time.Millisecond
	release := make(chan struct{})
	var mu sync.Mutex
	r, w, err := os.Pipe()
	if err != nil {
		check.Failf("os.Pipe: %v", err)
		return
	}
	defer r.Close()
	defer w.Close()
	mu.Lock()
	var wg sync.WaitGroup
	woke := make(chan time.Duration, waiters+2)
	start := time.Now()
	for i := 0; i < waiters; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-release
			woke <- time.Since(start)
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		mu.Lock()
		mu.Unlock()
		woke <- time.Since(start)
	}()
	go func() {
		defer wg.Done()
		buf := make([]byte, 16)
		n, err := r.Read(buf)
		check.That(err == nil && string(buf[:n]) == "wake", "pipe read gave %q, %v", buf[:n], err)
		woke <- time.Since(start)
	}()
	fired := make(chan time.Duration, 1)
	time.AfterFunc(delay, func() {
		fired <- time.Since(start)
		close(release)
		mu.Unlock()
		if _, err := w.Write([]byte("wake")); err != nil {
			check.Failf("pipe write: %v", err)
		}
	})
	wg.Wait()
	close(woke)
	within("the AfterFunc", <-fired, delay)
	n := 0
	for d := range woke {
		n++
		check.That(d >= delay, "a goroutine ran on after %v, before the %v timer released it", d, delay)
	}
	check.That(n == waiters+2, "%d of %d blocked goroutines woke", n, waiters+2)
}

func monotonic() {
	check.Step("the monotonic clock")
	prev := time.Now()
	for i := 0; i < 20000; i++ {
		now := time.Now()
		if now.Before(prev) {
			check.Failf("time.Now went back by %v", prev.Sub(now))
			return
		}
		prev = now
	}
}

func main() {
	check.Start("timers")
	started := time.Now()
	sleeps()
	channels()
	blockedRelease()
	monotonic()
	check.Step("done in %v", time.Since(started).Round(time.Millisecond))
	check.Done()
}
