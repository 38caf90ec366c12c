// Jiny's server.go workload: 50 goroutines on GOMAXPROCS=2, in 25 client
// and server pairs that ping-pong numbered messages over unbuffered
// channels, each side writing 30 bytes to /dev/null per message. It mixes
// goroutine switches (park and wake through the scheduler, threads
// sleeping on futexes when a P runs dry) with system calls that hand the P
// off. Every message's number and every count is checked.
//
// Usage: server [ROUNDS], round trips per pair (default 2000). Prints the
// totals, then `server: ok`.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"ringo-tests/internal/check"
)

const (
	goroutines    = 50
	pairs         = goroutines / 2
	defaultRounds = 2000
	writeSize     = 30
)

type message struct {
	pair, seq int
}

// counts is what one goroutine did; each writes only its own.
type counts struct {
	messages, writes, bad int
}

func main() {
	check.Start("server")
	runtime.GOMAXPROCS(2)
	rounds := defaultRounds
	if len(os.Args) > 1 {
		n, err := strconv.Atoi(os.Args[1])
		if err != nil || n < 1 {
			check.Failf("%q is not a round count", os.Args[1])
			check.Done()
		}
		rounds = n
	}
	null, err := os.OpenFile("/dev/null", os.O_WRONLY, 0)
	if err != nil {
		check.Failf("opening /dev/null: %v", err)
		check.Done()
	}
	defer null.Close()
	payload := make([]byte, writeSize)
	write := func(c *counts) {
		if n, err := null.Write(payload); err == nil && n == writeSize {
			c.writes++
		} else {
			c.bad++
		}
	}

	var clients, servers [pairs]counts
	var wg sync.WaitGroup
	start := time.Now()
	for p := 0; p < pairs; p++ {
		requests, replies := make(chan message), make(chan message)
		wg.Add(2)
		go func(s *counts) {
			defer wg.Done()
			next := 0
			for m := range requests {
				s.messages++
				if m.pair != p || m.seq != next {
					s.bad++
				}
				next++
				write(s)
				replies <- message{p, m.seq + 1}
			}
		}(&servers[p])
		go func(c *counts) {
			defer wg.Done()
			for seq := 0; seq < rounds; seq++ {
				write(c)
				requests <- message{p, seq}
				r := <-replies
				c.messages++
				if r.pair != p || r.seq != seq+1 {
					c.bad++
				}
			}
			close(requests)
		}(&clients[p])
	}
	wg.Wait()
	elapsed := time.Since(start)

	var messages, writes int
	for p := 0; p < pairs; p++ {
		for side, c := range map[string]counts{"client": clients[p], "server": servers[p]} {
			check.That(c.messages == rounds && c.writes == rounds && c.bad == 0,
				"%s %d: %d messages, %d writes, %d bad; expected %d each and none bad",
				side, p, c.messages, c.writes, c.bad, rounds)
			messages += c.messages
			writes += c.writes
		}
	}
	want := goroutines * rounds
	check.That(messages == want && writes == want, "%d messages and %d writes, expected %d each", messages, writes, want)
	fmt.Printf("server: %d goroutines, %d messages, %d writes of %d bytes in %d ns, %d ns/message\n",
		goroutines, messages, writes, writeSize, elapsed.Nanoseconds(), elapsed.Nanoseconds()/int64(max(messages, 1)))
	check.Done()
}
