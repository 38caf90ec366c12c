/* The i386 system call gate from a 64-bit program: int $0x80 with i386
 * numbers and registers (eax; ebx, ecx, edx), as Linux allows. Only the
 * low 32 bits of each register count, so the buffer sits in the image
 * (below 4 GiB in a non-PIE static program), not on the stack. */
#include "check.h"

#include <stdint.h>

#define I386_WRITE 4
#define I386_GETPID 20
#define I386_CLOSE 6

/* Linux clears r8-r11 on this path; tell the compiler so. */
static long int80(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

static const char line[] = "int80: hello through int $0x80\n";

int main(void)
{
	check_start("int80");
	CHECK((uintptr_t)line >> 32 == 0);
	CHECK_EQ(int80(I386_GETPID, 0, 0, 0), getpid());
	CHECK_EQ(int80(I386_WRITE, 1, (long)line, sizeof line - 1), sizeof line - 1);
	CHECK_EQ(int80(I386_CLOSE, 9999, 0, 0), -EBADF);
	/* Still fine for 64-bit system calls afterwards. */
	CHECK_EQ(write(1, "int80: and through syscall\n", 27), 27);
	return check_done();
}
