// Run-time panics that come from hardware faults: the Go runtime turns a
// SIGSEGV on a nil dereference, and a SIGFPE on an integer division by
// zero, into panics that recover() catches, which needs the kernel to
// deliver those signals to the faulting thread with the right si_code and
// si_addr and to resume the handler's edited context. Index out of range
// is a plain runtime check, kept as the baseline. A fault at a wild
// address with debug.SetPanicOnFault reports that very address.
package main

import (
	"errors"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"unsafe"

	"ringo-tests/internal/check"
)

type node struct {
	pad   [64]byte
	value int
}

//go:noinline
func deref(n *node) int { return n.value }

//go:noinline
func index(s []int, i int) int { return s[i] }

//go:noinline
func divide(a, b int) int { return a / b }

// load reads the byte at addr, an address Go never allocated (hence
// unsafe.Add from nil, which vet accepts, rather than a uintptr cast).
//
//go:noinline
func load(addr uintptr) byte {
	return *(*byte)(unsafe.Add(unsafe.Pointer(nil), addr))
}

// recovered runs f and returns what it panicked with.
func recovered(f func()) (value any) {
	defer func() { value = recover() }()
	f()
	return nil
}

// runtimeError checks that f panics with a runtime.Error saying want.
func runtimeError(what, want string, f func()) runtime.Error {
	v := recovered(f)
	err, ok := v.(runtime.Error)
	check.That(ok, "%s: panicked with %v (%T), not a runtime.Error", what, v, v)
	if ok {
		check.That(strings.Contains(err.Error(), want), "%s: %q does not say %q", what, err.Error(), want)
	}
	return err
}

// wildAddress is mapped by nothing in a Go program (and is canonical).
const wildAddress = 0xdead0000000

func main() {
	check.Start("nilpanic")
	var nilNode *node
	slice := []int{1, 2, 3}
	i := len(os.Args) + 4 // 5, hidden from the compiler

	check.Step("nil pointer dereference")
	runtimeError("nil dereference", "invalid memory address or nil pointer dereference", func() { deref(nilNode) })
	check.Step("index out of range")
	runtimeError("index", "index out of range [5] with length 3", func() { index(slice, i) })
	check.Step("integer divide by zero")
	runtimeError("divide", "integer divide by zero", func() { divide(i, i-5) })

	check.Step("the same in another goroutine, on another thread")
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		runtimeError("nil dereference in a goroutine", "nil pointer dereference", func() { deref(nilNode) })
	}()
	<-done
	// Again after the first: a handler that never returned properly
	// would leave the signal blocked, and this one would kill us.
	runtimeError("a second nil dereference", "nil pointer dereference", func() { deref(nilNode) })

	check.Step("a fault at %#x with SetPanicOnFault", wildAddress)
	old := debug.SetPanicOnFault(true)
	err := runtimeError("wild load", "invalid memory address", func() { load(wildAddress) })
	debug.SetPanicOnFault(old)
	var addressed interface{ Addr() uintptr }
	if err != nil && errors.As(err, &addressed) {
		check.That(addressed.Addr() == wildAddress, "the fault is at %#x, expected %#x (si_addr)", addressed.Addr(), wildAddress)
	} else {
		check.Failf("the wild load's panic (%v) has no address", err)
	}

	check.Done()
}
