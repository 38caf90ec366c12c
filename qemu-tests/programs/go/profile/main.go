// profile: CPU profiling works, which needs SIGPROF from the kernel's
// CPU-time timers (setitimer ITIMER_PROF and per-thread timer_create on
// CLOCK_THREAD_CPUTIME_ID, as Go's runtime sets them up): a busy function
// must show up in the profile's samples.
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"
)

var sink uint64

//go:noinline
func ringoProfileSpin(d time.Duration) uint64 {
	x := uint64(1)
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := 0; i < 10000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	return x
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "FAIL: profile: "+format+"\n", args...)
	fmt.Println("profile: 1 failed")
	os.Exit(1)
}

func main() {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		fail("StartCPUProfile: %v", err)
	}
	sink += ringoProfileSpin(1500 * time.Millisecond)
	pprof.StopCPUProfile()
	z, err := gzip.NewReader(&buf)
	if err != nil {
		fail("the profile is not gzip: %v", err)
	}
	raw, err := io.ReadAll(z)
	if err != nil {
		fail("reading the profile: %v", err)
	}
	// The string table names only functions that appear in samples.
	if !bytes.Contains(raw, []byte("main.ringoProfileSpin")) {
		fail("no sample in the busy function (%d bytes of profile)", len(raw))
	}
	fmt.Printf("profile: %d bytes of profile, the busy function sampled\n", len(raw))
	fmt.Println("profile: ok")
}
