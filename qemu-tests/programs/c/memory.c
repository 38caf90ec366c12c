/* Memory: anonymous and file mappings, MAP_FIXED, mprotect, brk, mremap,
 * madvise. Protection is observed without faulting: the kernel's own
 * copy to or from user memory fails with EFAULT where the program would
 * fault (the faulting case is segv.c). */
#include "check.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define PAGE 4096

static int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

/* read(2) into `p`: it fails with EFAULT unless `p` is writable. */
static long kernel_writes_to(int file, void *p)
{
	return pread(file, p, 1, 0);
}

/* write(2) from `p`: it fails with EFAULT unless `p` is readable. */
static long kernel_reads_from(int file, const void *p)
{
	return pwrite(file, p, 1, 0);
}

static void anonymous(int file)
{
	unsigned char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	CHECK((uintptr_t)p % PAGE == 0);
	CHECK(all_bytes(p, 4 * PAGE, 0));
	memset(p, 0xab, 4 * PAGE);
	CHECK(all_bytes(p, 4 * PAGE, 0xab));

	/* MAP_FIXED replaces the second page with fresh zeros. */
	unsigned char *q = mmap(p + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(q == p + PAGE);
	CHECK(all_bytes(p + PAGE, PAGE, 0));
	CHECK(all_bytes(p, PAGE, 0xab) && all_bytes(p + 2 * PAGE, 2 * PAGE, 0xab));
	void *r = mmap(p + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(r == MAP_FAILED && errno == EEXIST);

	/* Read-only, then writable again, keeping the contents. */
	OK(mprotect(p, 2 * PAGE, PROT_READ));
	CHECK_EQ(kernel_reads_from(file, p), 1);
	ERR(kernel_writes_to(file, p), EFAULT);
	CHECK(p[0] == 0xab);
	OK(mprotect(p, 2 * PAGE, PROT_READ | PROT_WRITE));
	p[0] = 0xcd;
	CHECK(p[0] == 0xcd);
	OK(mprotect(p, PAGE, PROT_NONE));
	ERR(kernel_reads_from(file, p), EFAULT);
	OK(mprotect(p, PAGE, PROT_READ | PROT_WRITE));
	CHECK(p[0] == 0xcd);
	/* musl's mprotect() rounds the address down: the kernel's check. */
	ERR(syscall(SYS_mprotect, p + 1, PAGE, PROT_READ), EINVAL);

	/* MADV_DONTNEED drops private anonymous pages: they read back as 0. */
	OK(madvise(p + 2 * PAGE, PAGE, MADV_DONTNEED));
	CHECK(all_bytes(p + 2 * PAGE, PAGE, 0));
	CHECK(all_bytes(p + 3 * PAGE, PAGE, 0xab));

	/* An unmapped hole is not memory any more. */
	OK(munmap(p + 3 * PAGE, PAGE));
	ERR(kernel_reads_from(file, p + 3 * PAGE), EFAULT);
	ERR(kernel_writes_to(file, p + 3 * PAGE), EFAULT);
	CHECK_EQ(munmap(p + 3 * PAGE, PAGE), 0); /* unmapping nothing is fine */
	ERR(munmap(p + 1, PAGE), EINVAL);
	OK(munmap(p, 3 * PAGE));
	ERR(kernel_reads_from(file, p), EFAULT);

	ERR((long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
	ERR((long)mmap(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL); /* neither private nor shared */
}

static void remap(void)
{
	unsigned char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	memset(p, 0x11, 2 * PAGE);
	/* Keep the next page busy so growing in place is impossible. */
	void *blocker = mmap(p + 2 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	unsigned char *big = mremap(p, 2 * PAGE, 16 * PAGE, MREMAP_MAYMOVE);
	CHECK(big != MAP_FAILED);
	if (big != MAP_FAILED) {
		CHECK(all_bytes(big, 2 * PAGE, 0x11));
		CHECK(all_bytes(big + 2 * PAGE, 14 * PAGE, 0));
		memset(big + 15 * PAGE, 0x22, PAGE);
		if (blocker != MAP_FAILED)
			CHECK(big != p);
		unsigned char *small = mremap(big, 16 * PAGE, PAGE, 0);
		CHECK(small == big && small[0] == 0x11);
		munmap(small, PAGE);
	}
	if (blocker != MAP_FAILED)
		munmap(blocker, PAGE);
	void *fail = mremap(p + 5 * PAGE, PAGE, 2 * PAGE, 0);
	CHECK(fail == MAP_FAILED);
}

static void program_break(void)
{
	/* musl's brk() is a stub, so straight to the system call. */
	uintptr_t start = syscall(SYS_brk, 0);
	CHECK(start != 0);
	uintptr_t grown = syscall(SYS_brk, start + 3 * PAGE);
	CHECK_EQ(grown, start + 3 * PAGE);
	if (grown == start + 3 * PAGE) {
		unsigned char *heap = (unsigned char *)start;
		CHECK(all_bytes(heap, 3 * PAGE, 0));
		memset(heap, 0x33, 3 * PAGE);
		CHECK_EQ(syscall(SYS_brk, start + PAGE), start + PAGE);
		CHECK(heap[0] == 0x33);
		/* Shrinking released the rest: growing again gives zeros. */
		CHECK_EQ(syscall(SYS_brk, start + 3 * PAGE), start + 3 * PAGE);
		CHECK(all_bytes(heap + 2 * PAGE, PAGE, 0));
	}
	CHECK_EQ(syscall(SYS_brk, start), start);
	/* A break below the heap's start is refused: the current one comes
	 * back. */
	CHECK_EQ(syscall(SYS_brk, PAGE), start);
}

static void file_mapping(void)
{
	int fd = OK(open("mapped", O_RDWR | O_CREAT | O_TRUNC, 0644));
	char text[PAGE + 100];
	for (size_t i = 0; i < sizeof text; i++)
		text[i] = 'a' + i % 26;
	CHECK_EQ(write(fd, text, sizeof text), sizeof text);
	char *m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(m != MAP_FAILED);
	if (m != MAP_FAILED) {
		CHECK_MEM(m, text, sizeof text);
		/* Past the end of the file, within the last page: zeros. */
		CHECK(all_bytes((unsigned char *)m + sizeof text, 2 * PAGE - sizeof text, 0));
		m[0] = 'Z';
		m[PAGE] = 'Y';
		char back[2];
		CHECK_EQ(pread(fd, back, 1, 0), 1);
		CHECK(back[0] == 'a');
		CHECK_EQ(pread(fd, back, 1, PAGE), 1);
		CHECK(back[0] == text[PAGE]);
		munmap(m, 2 * PAGE);
	}
	char *second = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
	CHECK(second != MAP_FAILED && second[0] == text[PAGE]);
	if (second != MAP_FAILED)
		munmap(second, PAGE);
	ERR((long)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 1), EINVAL);
	ERR((long)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 999, 0), EBADF);
	close(fd);
}

int main(void)
{
	check_start("memory");
	char *dir = check_scratch_dir();
	int file = OK(open("probe", O_RDWR | O_CREAT | O_TRUNC, 0644));
	CHECK_EQ(write(file, "x", 1), 1);
	anonymous(file);
	remap();
	program_break();
	file_mapping();
	close(file);
	check_remove_scratch(dir);
	return check_done();
}
