/* Ringo HP mode from C: calling the kernel's system-call vtable.
 *
 * In HP mode Ringo runs the app in ring 0 and passes, in the auxiliary
 * vector, tag AT_RINGO_VTABLE (0x4A50) with the address of
 *     struct { uint64_t count; entries[count]; }
 * Entry `nr` is a function for Linux x86-64 system call `nr`, called with
 * the System V convention: arguments in rdi, rsi, rdx, rcx, r8, r9 (the
 * fourth in rcx, where `syscall` takes r10), result in rax: >= 0, or
 * -errno. It preserves rbx, rbp, r12-r15, rsp, the FS base, MXCSR and the
 * x87 control word, and returns with DF clear; it may clobber the other
 * general registers, the flags and the vector registers (a normal C call
 * does all that). A NULL entry, or nr >= count, means ENOSYS.
 * Without the tag (Linux, Ringo normal mode) ringo_hp_vtable() returns
 * NULL and ringo_hp_syscall6() falls back to the `syscall` instruction, so
 * one binary runs everywhere. The full contract is docs/ABI.md. */
#ifndef RINGO_HP_H
#define RINGO_HP_H

#include <stdint.h>
#include <sys/auxv.h>

#define AT_RINGO_VTABLE 0x4A50

typedef long (*ringo_hp_entry)(long, long, long, long, long, long);

struct ringo_hp_vtable {
	uint64_t count;
	ringo_hp_entry entries[];
};

/* The vtable, or NULL when the kernel offers none. */
static inline const struct ringo_hp_vtable *ringo_hp_vtable(void)
{
	return (const struct ringo_hp_vtable *)getauxval(AT_RINGO_VTABLE);
}

/* System call `nr` with six arguments: through the vtable when there is
 * one, else through the `syscall` instruction. Returns the raw result
 * (-errno on failure), like the kernel's. */
static inline long ringo_hp_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
	static const struct ringo_hp_vtable *vt;
	static int looked;
	if (!looked) {
		vt = ringo_hp_vtable();
		looked = 1;
	}
	if (vt) {
		if (nr < 0 || (uint64_t)nr >= vt->count || !vt->entries[nr])
			return -38; /* ENOSYS */
		return vt->entries[nr](a, b, c, d, e, f);
	}
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define ringo_hp_syscall0(nr) ringo_hp_syscall6((nr), 0, 0, 0, 0, 0, 0)
#define ringo_hp_syscall1(nr, a) ringo_hp_syscall6((nr), (long)(a), 0, 0, 0, 0, 0)
#define ringo_hp_syscall2(nr, a, b) ringo_hp_syscall6((nr), (long)(a), (long)(b), 0, 0, 0, 0)
#define ringo_hp_syscall3(nr, a, b, c) ringo_hp_syscall6((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)

#endif
