// Files through package os, as Go programs use them, on the ramfs /tmp:
// create, write, read back, positioned reads and writes, append, truncate,
// stat, rename, readdir and removal. Go registers every file it opens with
// its netpoller, which must refuse regular files (epoll_ctl: EPERM) for Go
// to fall back to plain blocking reads and writes.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"ringo-tests/internal/check"
)

// pattern is n bytes that differ from any shifted copy of themselves, so
// data read from the wrong offset does not compare equal.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func writeAndRead(dir string) {
	check.Step("create, write, read back")
	path := filepath.Join(dir, "data")
	data := pattern(200_000)
	f, err := os.Create(path)
	if err != nil {
		check.Failf("os.Create(%s): %v", path, err)
		return
	}
	// Uneven pieces, so writes start and end inside pages.
	for off := 0; off < len(data); off += 4093 {
		end := min(off+4093, len(data))
		n, err := f.Write(data[off:end])
		check.That(err == nil && n == end-off, "write at %d: %d, %v", off, n, err)
	}
	check.That(f.Close() == nil, "closing %s", path)

	got, err := os.ReadFile(path)
	check.That(err == nil && bytes.Equal(got, data), "read back %d bytes (%v), wrote %d", len(got), err, len(data))
	info, err := os.Stat(path)
	check.That(err == nil && info.Size() == int64(len(data)) && info.Mode().IsRegular(),
		"stat: %v, %v", info, err)
	check.That(err == nil && time.Since(info.ModTime()) < time.Hour && time.Until(info.ModTime()) < time.Minute,
		"modification time %v is not about now", info.ModTime())

	f, err = os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		check.Failf("reopening %s: %v", path, err)
		return
	}
	defer f.Close()
	buf := make([]byte, 1000)
	n, err := f.ReadAt(buf, 123_456)
	check.That(err == nil && n == len(buf) && bytes.Equal(buf, data[123_456:124_456]), "ReadAt: %d, %v", n, err)
	n, err = f.WriteAt([]byte("overwritten"), 10)
	check.That(err == nil && n == 11, "WriteAt: %d, %v", n, err)
	pos, err := f.Seek(-5, io.SeekEnd)
	check.That(err == nil && pos == int64(len(data))-5, "Seek to end-5: %d, %v", pos, err)
	rest, err := io.ReadAll(f)
	check.That(err == nil && bytes.Equal(rest, data[len(data)-5:]), "the last 5 bytes: %x, %v", rest, err)
	n, err = f.Read(buf)
	check.That(n == 0 && err == io.EOF, "read at the end: %d, %v", n, err)
	check.That(f.Truncate(100) == nil, "truncating to 100 bytes")
	got, err = os.ReadFile(path)
	want := append(append(slices.Clone(data[:10]), "overwritten"...), data[21:100]...)
	check.That(err == nil && bytes.Equal(got, want), "after WriteAt and Truncate: %d bytes, %v", len(got), err)

	af, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		check.Failf("opening for append: %v", err)
		return
	}
	_, err = af.Write([]byte("tail"))
	check.That(err == nil && af.Close() == nil, "appending: %v", err)
	got, _ = os.ReadFile(path)
	check.That(len(got) == 104 && string(got[100:]) == "tail", "after append: %d bytes, ends %q", len(got), got[max(0, len(got)-4):])
}

func renameAndRemove(dir string) {
	check.Step("rename, readdir, remove")
	names := []string{"c.txt", "a.txt", "b.txt"}
	for _, name := range names {
		err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644)
		check.That(err == nil, "writing %s: %v", name, err)
	}
	check.That(os.Mkdir(filepath.Join(dir, "sub"), 0o755) == nil, "mkdir sub")
	err := os.Rename(filepath.Join(dir, "a.txt"), filepath.Join(dir, "sub", "moved.txt"))
	check.That(err == nil, "rename into sub: %v", err)
	_, err = os.Stat(filepath.Join(dir, "a.txt"))
	check.That(errors.Is(err, fs.ErrNotExist), "the old name still stats: %v", err)
	got, err := os.ReadFile(filepath.Join(dir, "sub", "moved.txt"))
	check.That(err == nil && string(got) == "a.txt", "the moved file holds %q, %v", got, err)
	// Renaming over an existing file replaces it.
	err = os.Rename(filepath.Join(dir, "b.txt"), filepath.Join(dir, "c.txt"))
	check.That(err == nil, "rename over c.txt: %v", err)
	got, _ = os.ReadFile(filepath.Join(dir, "c.txt"))
	check.That(string(got) == "b.txt", "c.txt holds %q after b.txt replaced it", got)

	entries, err := os.ReadDir(dir)
	var listed []string
	for _, e := range entries {
		listed = append(listed, e.Name())
	}
	check.That(err == nil && slices.Equal(listed, []string{"c.txt", "data", "sub"}), "ReadDir: %v, %v", listed, err)
	for _, e := range entries {
		check.That(e.IsDir() == (e.Name() == "sub"), "%s: IsDir is %v", e.Name(), e.IsDir())
	}
	// Many entries, more than one getdents64 buffer of Go's (8 KiB).
	many := filepath.Join(dir, "many")
	check.That(os.Mkdir(many, 0o755) == nil, "mkdir many")
	const count = 300
	for i := 0; i < count; i++ {
		f, err := os.Create(filepath.Join(many, fmt.Sprintf("file-with-a-long-name-%03d", i)))
		if err != nil {
			check.Failf("creating file %d: %v", i, err)
			break
		}
		f.Close()
	}
	entries, err = os.ReadDir(many)
	check.That(err == nil && len(entries) == count, "ReadDir of %d files gave %d, %v", count, len(entries), err)

	err = os.Remove(filepath.Join(dir, "sub"))
	check.That(err != nil, "removing a non-empty directory succeeded")
	check.That(os.Remove(filepath.Join(dir, "c.txt")) == nil, "removing c.txt")
	_, err = os.Stat(filepath.Join(dir, "c.txt"))
	check.That(errors.Is(err, fs.ErrNotExist), "c.txt still stats: %v", err)
	err = os.Remove(filepath.Join(dir, "c.txt"))
	check.That(errors.Is(err, fs.ErrNotExist), "removing it again: %v", err)
	check.That(os.RemoveAll(filepath.Join(dir, "many")) == nil, "RemoveAll many")
	check.That(os.RemoveAll(filepath.Join(dir, "sub")) == nil, "RemoveAll sub")
	entries, _ = os.ReadDir(dir)
	check.That(len(entries) == 1 && entries[0].Name() == "data", "left in the directory: %v", entries)
}

func main() {
	check.Start("fileio")
	dir, err := os.MkdirTemp("/tmp", "ringo-go-fileio-")
	if err != nil {
		check.Failf("os.MkdirTemp in /tmp: %v", err)
		check.Done()
	}
	writeAndRead(dir)
	renameAndRemove(dir)
	check.That(os.RemoveAll(dir) == nil, "removing %s", dir)
	_, err = os.Stat(dir)
	check.That(errors.Is(err, fs.ErrNotExist), "%s is still there: %v", dir, err)
	check.Done()
}
