// os/exec running busybox: Go starts a child with clone(CLONE_VFORK |
// CLONE_VM) and execve, talks to it over pipes registered with its
// netpoller (epoll), and reaps it with wait4 (or waitid on a pidfd where
// the kernel has pidfd_open). Checks output, stdin, exit codes and the
// error for a missing program.
//
// Usage: exec [BUSYBOX]; BUSYBOX defaults to /bin/busybox, which the
// guest's busybox image provides, as does Debian's busybox-static.
package main

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"strings"

	"ringo-tests/internal/check"
)

func exitCode(err error) int {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	return -1
}

func main() {
	check.Start("exec")
	busybox := "/bin/busybox"
	if len(os.Args) > 1 {
		busybox = os.Args[1]
	}

	check.Step("%s echo hi", busybox)
	out, err := exec.Command(busybox, "echo", "hi").Output()
	check.That(err == nil && string(out) == "hi\n", "echo hi gave %q, %v", out, err)

	check.Step("/bin/sh -c 'exit 3'")
	err = exec.Command("/bin/sh", "-c", "exit 3").Run()
	check.That(exitCode(err) == 3, "exit 3 gave %v (exit code %d)", err, exitCode(err))

	check.Step("stdin, stdout and stderr through pipes")
	cmd := exec.Command(busybox, "sh", "-c", "tr a-z A-Z; echo to-stderr >&2; exit 0")
	cmd.Stdin = strings.NewReader("through a pipe\n")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	check.That(err == nil && string(out) == "THROUGH A PIPE\n", "tr gave %q, %v", out, err)
	check.That(stderr.String() == "to-stderr\n", "stderr gave %q", stderr.String())

	check.Step("environment and working directory")
	cmd = exec.Command(busybox, "sh", "-c", `echo "$RINGO_VALUE $(pwd)"`)
	cmd.Env = []string{"RINGO_VALUE=42", "PATH=/bin"}
	cmd.Dir = "/"
	out, err = cmd.Output()
	check.That(err == nil && string(out) == "42 /\n", "env and dir gave %q, %v", out, err)

	check.Step("several children at once")
	cmds := make([]*exec.Cmd, 4)
	outs := make([]strings.Builder, len(cmds))
	for i := range cmds {
		cmds[i] = exec.Command(busybox, "sh", "-c", "echo child $0; exit $0", string(rune('0'+i)))
		cmds[i].Stdout = &outs[i]
		check.That(cmds[i].Start() == nil, "starting child %d", i)
	}
	for i, c := range cmds {
		err := c.Wait()
		check.That(exitCode(err) == i || (i == 0 && err == nil), "child %d ended with %v", i, err)
		check.That(outs[i].String() == "child "+string(rune('0'+i))+"\n", "child %d printed %q", i, outs[i].String())
	}

	check.Step("a program that does not exist")
	err = exec.Command("/no/such/program").Run()
	check.That(errors.Is(err, fs.ErrNotExist), "running /no/such/program gave %v", err)

	check.Done()
}
