// The socket tests' web server (net/http): the pages of
// internal/httpdemo, on all addresses at a port, until `/quit`.
//
// Usage: httpserver [PORT | ADDR:PORT] (default 8080; port 0 picks a free
// one). Prints `listening on ADDR:PORT` (`:PORT` for all addresses) once
// it accepts connections; after `/quit`, the number of requests it
// answered, then `httpserver: ok`.
package main

import (
	"net"
	"os"
	"strings"

	"ringo-tests/internal/check"
	"ringo-tests/internal/httpdemo"
)

const defaultPort = "8080"

func main() {
	check.Start("httpserver")
	addr := ":" + defaultPort
	if len(os.Args) > 1 {
		addr = os.Args[1]
		if !strings.Contains(addr, ":") {
			addr = ":" + addr
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		check.Failf("listening on %s: %v", addr, err)
		check.Done()
	}
	host, _, _ := net.SplitHostPort(addr)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	check.Step("listening on %s", net.JoinHostPort(host, port))
	server := httpdemo.NewServer()
	if err := server.Serve(ln); err != nil {
		check.Failf("serving: %v", err)
	}
	check.Step("answered %d requests", server.Requests.Load())
	check.Done()
}
