// Goroutines and channels under garbage-collector pressure, with
// GOMAXPROCS = runtime.NumCPU(): the runtime then runs one thread per CPU,
// parks and wakes them on futexes, stops the world for every collection
// and signals threads to preempt them. Workers allocate and drop ~200 MB
// in 1 MiB chunks while keeping a few alive and re-checking them, so a
// collection that ran while a thread was mid-write, or memory handed out
// twice, shows up as a wrong checksum. Then a pipeline of channels, and
// sync.Mutex/WaitGroup contention with a shared counter.
package main

import (
	"runtime"
	"sync"
	"time"

	"ringo-tests/internal/check"
)

const (
	chunkSize = 1 << 20
	// 200 chunks of 1 MiB: about 200 MB allocated and dropped in all.
	chunks  = 200
	workers = 8
	// Chunks each worker keeps alive across later allocations.
	kept = 2
)

// fill writes a pattern of seed into every 64-bit word of one in eight
// (every cache line), so every page is touched without the fill
// dominating the run under TCG.
func fill(b []byte, seed uint64) {
	for i := 0; i+8 <= len(b); i += 64 {
		v := seed*0x9e3779b97f4a7c15 + uint64(i)
		b[i], b[i+1], b[i+2], b[i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		b[i+4], b[i+5], b[i+6], b[i+7] = byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56)
	}
}

// sum is what fill's pattern adds up to, read back from memory.
func sum(b []byte) uint64 {
	var s uint64
	for i := 0; i+8 <= len(b); i += 64 {
		s += uint64(b[i]) | uint64(b[i+1])<<8 | uint64(b[i+2])<<16 | uint64(b[i+3])<<24 |
			uint64(b[i+4])<<32 | uint64(b[i+5])<<40 | uint64(b[i+6])<<48 | uint64(b[i+7])<<56
	}
	return s
}

// expected is sum(fill(seed)) computed without memory.
func expected(seed uint64) uint64 {
	var s uint64
	for i := 0; i+8 <= chunkSize; i += 64 {
		s += seed*0x9e3779b97f4a7c15 + uint64(i)
	}
	return s
}

type result struct {
	seed uint64
	sum  uint64
	// Kept chunks whose contents changed while they were kept.
	corrupted int
}

type keptChunk struct {
	b    []byte
	seed uint64
}

func allocate() {
	check.Step("%d workers allocating %d chunks of %d bytes", workers, chunks, chunkSize)
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	jobs := make(chan uint64)
	results := make(chan result, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var alive []keptChunk
			for seed := range jobs {
				b := make([]byte, chunkSize)
				fill(b, seed)
				r := result{seed: seed, sum: sum(b)}
				for _, k := range alive {
					if sum(k.b) != expected(k.seed) {
						r.corrupted++
					}
				}
				alive = append(alive, keptChunk{b, seed})
				if len(alive) > kept {
					alive = alive[1:]
				}
				results <- r
			}
		}()
	}
	go func() {
		for seed := uint64(1); seed <= chunks; seed++ {
			jobs <- seed
		}
		close(jobs)
		wg.Wait()
		close(results)
	}()
	seen := make(map[uint64]bool)
	for r := range results {
		check.That(!seen[r.seed], "chunk %d came back twice", r.seed)
		seen[r.seed] = true
		check.That(r.sum == expected(r.seed), "chunk %d read back %#x, expected %#x", r.seed, r.sum, expected(r.seed))
		check.That(r.corrupted == 0, "%d kept chunks changed while chunk %d was made", r.corrupted, r.seed)
	}
	check.That(len(seen) == chunks, "%d of %d chunks came back", len(seen), chunks)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	check.That(allocated >= chunks*chunkSize, "only %d bytes allocated", allocated)
	// ~200 MB through a heap whose live set is a few dozen MiB: the
	// collector must have run many times.
	gcs := after.NumGC - before.NumGC
	check.That(gcs >= 3, "only %d collections while allocating %d bytes", gcs, allocated)
	check.Step("%d MB allocated, %d collections, heap now %d MB", allocated>>20, gcs, after.HeapAlloc>>20)
}

// pipeline passes numbers through stages of unbuffered channels, each
// stage a goroutine adding its index, and checks every total.
func pipeline() {
	const stages, values = 16, 2000
	check.Step("a pipeline of %d stages, %d values", stages, values)
	first := make(chan int)
	in := first
	for s := 1; s <= stages; s++ {
		out := make(chan int)
		go func(s int, in <-chan int, out chan<- int) {
			for v := range in {
				out <- v + s
			}
			close(out)
		}(s, in, out)
		in = out
	}
	go func() {
		for v := 0; v < values; v++ {
			first <- v
		}
		close(first)
	}()
	const added = stages * (stages + 1) / 2
	next := 0
	for v := range in {
		check.That(v == next+added, "pipeline gave %d, expected %d", v, next+added)
		next++
	}
	check.That(next == values, "pipeline gave %d values, expected %d", next, values)
}

// contention has more goroutines than CPUs increment one counter under a
// mutex, yielding now and then so lock holders get preempted and waiters
// park on the mutex's semaphore (a futex once they sleep).
func contention() {
	goroutines := 4 * runtime.NumCPU()
	const increments = 20000
	check.Step("%d goroutines contending for a mutex", goroutines)
	var (
		mu      sync.Mutex
		counter int
		wg      sync.WaitGroup
		start   = make(chan struct{})
	)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			<-start
			for i := 0; i < increments; i++ {
				mu.Lock()
				counter++
				if i%1000 == g%1000 {
					runtime.Gosched()
				}
				mu.Unlock()
			}
		}(g)
	}
	close(start)
	wg.Wait()
	check.That(counter == goroutines*increments, "counter is %d, expected %d", counter, goroutines*increments)
}

func main() {
	check.Start("goroutines")
	started := time.Now()
	cpus := runtime.NumCPU()
	runtime.GOMAXPROCS(cpus)
	check.That(runtime.GOMAXPROCS(0) == cpus, "GOMAXPROCS is %d, expected %d", runtime.GOMAXPROCS(0), cpus)
	check.Step("%d CPUs", cpus)
	allocate()
	pipeline()
	contention()
	check.Step("done in %v", time.Since(started).Round(time.Millisecond))
	check.Done()
}
