// Jiny's file.go workload: one goroutine writing 30-byte buffers to
// /dev/null through os.File, so nearly all its time is the write system
// call. The benchmark runs it with a large count; the tests with the
// default.
//
// Usage: file [COUNT], COUNT writes (default 100000). Prints
// `file: N writes in X ns, Y ns/write`, then `file: ok`.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"ringo-tests/internal/check"
)

const (
	defaultCount = 100_000
	writeSize    = 30
)

func main() {
	check.Start("file")
	count := defaultCount
	if len(os.Args) > 1 {
		n, err := strconv.Atoi(os.Args[1])
		if err != nil || n < 1 {
			check.Failf("%q is not a write count", os.Args[1])
			check.Done()
		}
		count = n
	}
	fo, err := os.Create("/dev/null")
	if err != nil {
		check.Failf("os.Create(/dev/null): %v", err)
		check.Done()
	}
	buf := make([]byte, 1024)
	for i := range buf {
		buf[i] = 'a' + byte(i%26)
	}
	written, failed := 0, 0
	start := time.Now()
	for i := 0; i < count; i++ {
		n, err := fo.Write(buf[:writeSize])
		written += n
		if err != nil {
			failed++
		}
	}
	elapsed := time.Since(start)
	check.That(failed == 0, "%d of %d writes to /dev/null failed", failed, count)
	check.That(written == count*writeSize, "%d bytes written, expected %d", written, count*writeSize)
	check.That(fo.Close() == nil, "closing /dev/null")
	fmt.Printf("file: %d writes in %d ns, %d ns/write\n", count, elapsed.Nanoseconds(), elapsed.Nanoseconds()/int64(count))
	check.Done()
}
