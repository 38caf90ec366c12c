// Package httpdemo is the web server of the socket tests, shared by
// httpserver (a server on a port) and httpclient's loopback mode (the
// same server and a client in one process):
//   - `/` answers Hello;
//   - `/big?n=N` answers N bytes of Pattern, so a client can check its
//     SHA-256 against its own copy of the pattern;
//   - `/upload` answers the request body, read whole first (so a client
//     may send it all before reading, as the test clients do);
//   - `/quit` answers Bye and then asks the server to stop.
package httpdemo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

const (
	// Hello is the body of `/`.
	Hello = "hello from ringo\n"
	// Bye is the body of `/quit`.
	Bye = "bye\n"
	// MaxBig bounds `/big` and `/upload`, so one request cannot exhaust
	// a small guest's memory.
	MaxBig = 64 << 20
	// shutdownGrace bounds how long the server waits, after `/quit`,
	// for requests in flight.
	shutdownGrace = 30 * time.Second
	// period is the pattern's: byte i depends on i mod 251 only.
	period = 251
)

// PatternByte is byte i of every `/big` body: (i*7+3) mod 251.
func PatternByte(i int) byte { return byte((i*7 + 3) % period) }

// patternBlock holds the pattern from offset 0, a whole number of periods
// long, so any offset's bytes start at block[offset%period].
var patternBlock = func() []byte {
	b := make([]byte, period*256)
	for i := range b {
		b[i] = PatternByte(i)
	}
	return b
}()

// WritePattern writes the first n bytes of the pattern to w.
func WritePattern(w io.Writer, n int) error {
	for done := 0; done < n; {
		start := done % period
		chunk := patternBlock[start : start+min(n-done, len(patternBlock)-period)]
		k, err := w.Write(chunk)
		done += k
		if err != nil {
			return err
		}
	}
	return nil
}

// PatternSum is the hex SHA-256 of the first n bytes of the pattern.
func PatternSum(n int) string {
	h := sha256.New()
	_ = WritePattern(h, n)
	return hex.EncodeToString(h.Sum(nil))
}

// Server is the test server's state.
type Server struct {
	// Requests counts the requests answered.
	Requests atomic.Int64
	// Quit is closed by the first `/quit`, after its answer was sent.
	Quit chan struct{}
	quitting atomic.Bool
}

// NewServer returns a server that has answered nothing yet.
func NewServer() *Server { return &Server{Quit: make(chan struct{})} }

// Handler answers the pages in the package comment.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		s.Requests.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, Hello)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		s.Requests.Add(1)
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 0 || n > MaxBig {
			http.Error(w, fmt.Sprintf("n must be a count from 0 to %d", MaxBig), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(n))
		_ = WritePattern(w, n)
	})
	mux.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		s.Requests.Add(1)
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxBig+1))
		if err != nil || len(body) > MaxBig {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
	mux.HandleFunc("/quit", func(w http.ResponseWriter, r *http.Request) {
		s.Requests.Add(1)
		w.Header().Set("Connection", "close")
		io.WriteString(w, Bye)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		if s.quitting.CompareAndSwap(false, true) {
			close(s.Quit)
		}
	})
	return mux
}

// Serve answers on ln until `/quit`, then shuts the server down (open
// keep-alive connections are closed, requests in flight finish).
func (s *Server) Serve(ln net.Listener) error {
	srv := &http.Server{Handler: s.Handler()}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-s.Quit:
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return err
	}
	if err := <-served; err != http.ErrServerClosed {
		return err
	}
	return nil
}
