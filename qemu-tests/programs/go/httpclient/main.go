// The socket tests' web client (net/http).
//
// Usage:
//
//	httpclient URL...  GETs each URL in turn and prints
//	                   `status N length L sha256 HEX` for each; every
//	                   answer must be 200.
//	httpclient loopback
//	                   starts internal/httpdemo's server on 127.0.0.1 and
//	                   checks its pages from goroutines of this process:
//	                   a client and a server talking over loopback.
//
// Prints `httpclient: ok` last, exit 0, when every check passed.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"ringo-tests/internal/check"
	"ringo-tests/internal/httpdemo"
)

const (
	// requestTimeout bounds every request, so a lost packet fails the
	// run instead of hanging it (TCG is slow, but not this slow).
	requestTimeout = 60 * time.Second
	// The loopback mode's sizes: small enough for TCG, big enough to
	// wrap the socket buffers many times over.
	loopbackBig          = 4 << 20
	loopbackUpload       = 1 << 20
	loopbackKeepAlive    = 200
	loopbackConnections  = 50
	loopbackParallel     = 8
	loopbackParallelEach = 25
)

func main() {
	check.Start("httpclient")
	if len(os.Args) < 2 {
		check.Failf("usage: httpclient URL... | httpclient loopback")
		check.Done()
	}
	if os.Args[1] == "loopback" {
		loopback()
	} else {
		client := &http.Client{Timeout: requestTimeout}
		for _, url := range os.Args[1:] {
			fetch(client, url)
		}
	}
	check.Done()
}

// fetch GETs url and prints its status, length and SHA-256.
func fetch(client *http.Client, url string) {
	resp, err := client.Get(url)
	if err != nil {
		check.Failf("GET %s: %v", url, err)
		return
	}
	defer resp.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	if err != nil {
		check.Failf("GET %s: reading the body: %v", url, err)
	}
	fmt.Printf("status %d length %d sha256 %s\n", resp.StatusCode, n, hex.EncodeToString(h.Sum(nil)))
	check.That(resp.StatusCode == http.StatusOK, "GET %s: status %d", url, resp.StatusCode)
}

// get fetches url and returns its body, checking the status is 200.
func get(client *http.Client, url string) []byte {
	resp, err := client.Get(url)
	if err != nil {
		check.Failf("GET %s: %v", url, err)
		return nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	check.That(err == nil, "GET %s: reading the body: %v", url, err)
	check.That(resp.StatusCode == http.StatusOK, "GET %s: status %d", url, resp.StatusCode)
	return body
}

func loopback() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		check.Failf("listening on 127.0.0.1: %v", err)
		return
	}
	base := "http://" + ln.Addr().String()
	check.Step("serving on %s", base)
	server := httpdemo.NewServer()
	served := make(chan error, 1)
	go func() { served <- server.Serve(ln) }()

	keepAlive := &http.Client{Timeout: requestTimeout}
	check.That(string(get(keepAlive, base+"/")) == httpdemo.Hello, "/ is not %q", httpdemo.Hello)

	check.Step("%d keep-alive requests", loopbackKeepAlive)
	for i := 0; i < loopbackKeepAlive; i++ {
		if body := get(keepAlive, base+"/"); string(body) != httpdemo.Hello {
			check.Failf("request %d: %q", i, body)
			break
		}
	}

	check.Step("%d new connections", loopbackConnections)
	fresh := &http.Client{Timeout: requestTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := 0; i < loopbackConnections; i++ {
		if body := get(fresh, base+"/"); string(body) != httpdemo.Hello {
			check.Failf("connection %d: %q", i, body)
			break
		}
	}

	check.Step("%d goroutines of %d requests", loopbackParallel, loopbackParallelEach)
	var wg sync.WaitGroup
	for g := 0; g < loopbackParallel; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < loopbackParallelEach; i++ {
				if body := get(keepAlive, base+"/"); string(body) != httpdemo.Hello {
					check.Failf("goroutine %d request %d: %q", g, i, body)
					return
				}
			}
		}()
	}
	wg.Wait()

	check.Step("a %d-byte download", loopbackBig)
	big := get(keepAlive, fmt.Sprintf("%s/big?n=%d", base, loopbackBig))
	sum := sha256.Sum256(big)
	check.That(len(big) == loopbackBig, "/big: %d bytes", len(big))
	check.That(hex.EncodeToString(sum[:]) == httpdemo.PatternSum(loopbackBig), "/big: the SHA-256 differs")

	check.Step("a %d-byte upload", loopbackUpload)
	var upload bytes.Buffer
	_ = httpdemo.WritePattern(&upload, loopbackUpload)
	sent := upload.Bytes()
	resp, err := keepAlive.Post(base+"/upload", "application/octet-stream", bytes.NewReader(sent))
	if err != nil {
		check.Failf("POST /upload: %v", err)
	} else {
		echoed, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		check.That(err == nil && resp.StatusCode == http.StatusOK, "POST /upload: %d, %v", resp.StatusCode, err)
		check.That(bytes.Equal(echoed, sent), "/upload echoed %d bytes, not the %d sent", len(echoed), len(sent))
	}

	check.That(string(get(keepAlive, base+"/quit")) == httpdemo.Bye, "/quit is not %q", httpdemo.Bye)
	select {
	case err := <-served:
		check.That(err == nil, "serving: %v", err)
	case <-time.After(requestTimeout):
		check.Failf("the server did not stop after /quit")
	}
	want := int64(3 + loopbackKeepAlive + loopbackConnections + loopbackParallel*loopbackParallelEach + 1)
	got := server.Requests.Load()
	check.That(got == want, "the server answered %d requests, not %d", got, want)
	check.Step("the server answered %d requests", got)
}
