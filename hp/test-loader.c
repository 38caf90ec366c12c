// A host-side model of Ringo's HP mode, for testing the patched Go runtime
// on Linux: loads a static non-PIE ELF at its link addresses, hands it an
// initial stack whose auxv carries AT_RINGO_VTABLE (0x4A50), and jumps to
// its entry point. The table's entries make the real system call (in ring
// 3, unlike Ringo) and count themselves, so a run that passes and reports
// many calls shows that the runtime took the vtable path.
//
// Usage: test-loader PROGRAM [ARGS...]
// At exit_group it prints `test-loader: N vtable calls, M clones` on
// stderr.
//
// Build: musl-gcc -static -O2 -Wl,-Ttext-segment=0x60000000 (the Go
// programs link at 0x400000, where a default static build would sit).
//
// The entries follow docs/ABI.md's rules: System V calls with the fourth
// argument in rcx; clone resumes the child at the caller's return address
// on the new stack; exit is safe to enter by JMP on a freed stack;
// fork, vfork and execve answer -ENOSYS. AT_SYSINFO_EHDR is left out, as
// Ringo provides no vDSO, so the runtime's clock_gettime fallbacks are
// exercised too.

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define AT_RINGO_VTABLE 0x4A50
// Covers every x86-64 syscall number Linux 6.x has.
#define VTABLE_COUNT 512
#define STUB_SIZE 32
#define STACK_SIZE (8UL << 20)
#define MAX_AUXV 64

// Written by the stubs with lock-prefixed increments from any thread.
volatile uint64_t vtable_calls;
volatile uint64_t vtable_clones;

static struct {
    uint64_t count;
    uint64_t entries[VTABLE_COUNT];
} vtable;

// One 32-byte stub per number: a plain Linux syscall behind the System V
// convention. The special entries below replace some of them.
__asm__(
    ".text\n"
    ".balign 32\n"
    "generic_stubs:\n"
    ".set nr, 0\n"
    ".rept 512\n"
    ".balign 32\n"
    "lock incq vtable_calls(%rip)\n"
    "mov %rcx, %r10\n"
    "mov $nr, %eax\n"
    "syscall\n"
    "ret\n"
    ".set nr, nr+1\n"
    ".endr\n"

    // Pops the return address into r9 (free: clone takes five arguments,
    // and SYSCALL preserves it) so that parent and child both continue
    // there by JMP, the child on its new stack.
    "clone_stub:\n"
    "lock incq vtable_calls(%rip)\n"
    "lock incq vtable_clones(%rip)\n"
    "pop %r9\n"
    "mov %rcx, %r10\n"
    "mov $56, %eax\n"
    "syscall\n"
    "jmp *%r9\n"

    // The signal frame is where the caller's RSP was: drop our return
    // address so the kernel finds it.
    "rt_sigreturn_stub:\n"
    "lock incq vtable_calls(%rip)\n"
    "add $8, %rsp\n"
    "mov $15, %eax\n"
    "syscall\n"
    "ud2\n"

    "enosys_stub:\n"
    "lock incq vtable_calls(%rip)\n"
    "mov $-38, %rax\n"
    "ret\n"

    // The program's stack has no alignment promise, and FS belongs to it:
    // align, and call code that touches no TLS.
    "exit_group_stub:\n"
    "lock incq vtable_calls(%rip)\n"
    "and $-16, %rsp\n"
    "call report_and_exit\n"
    "ud2\n");

extern const char generic_stubs[], clone_stub[], rt_sigreturn_stub[], enosys_stub[], exit_group_stub[];

static long raw_syscall3(long nr, long a, long b, long c) {
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return ret;
}

static char *format_u64(char *end, uint64_t n) {
    do {
        *--end = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    return end;
}

static void append(char **at, const char *s) {
    while (*s) *(*at)++ = *s++;
}

// Called by exit_group_stub with the program's FS: no libc here.
__attribute__((used, noreturn)) void report_and_exit(int code) {
    char line[128], digits[24], *at = line;
    append(&at, "test-loader: ");
    append(&at, format_u64(digits + sizeof digits - 1, vtable_calls));
    append(&at, " vtable calls, ");
    append(&at, format_u64(digits + sizeof digits - 1, vtable_clones));
    append(&at, " clones\n");
    raw_syscall3(SYS_write, 2, (long)line, at - line);
    for (;;) raw_syscall3(SYS_exit_group, code, 0, 0);
}

static void die(const char *what, const char *detail) {
    fprintf(stderr, "test-loader: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(127);
}

static void read_exact(int fd, void *buf, size_t len, off_t offset) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, (char *)buf + done, len - done, offset + (off_t)done);
        if (n <= 0) die("short read of the program", n < 0 ? strerror(errno) : "end of file");
        done += (size_t)n;
    }
}

static void build_vtable(void) {
    vtable.count = VTABLE_COUNT;
    for (uint64_t nr = 0; nr < VTABLE_COUNT; nr++) vtable.entries[nr] = (uint64_t)(generic_stubs + nr * STUB_SIZE);
    vtable.entries[SYS_clone] = (uint64_t)clone_stub;
    vtable.entries[SYS_rt_sigreturn] = (uint64_t)rt_sigreturn_stub;
    vtable.entries[SYS_fork] = (uint64_t)enosys_stub;
    vtable.entries[SYS_vfork] = (uint64_t)enosys_stub;
    vtable.entries[SYS_execve] = (uint64_t)enosys_stub;
    vtable.entries[SYS_exit_group] = (uint64_t)exit_group_stub;
}

// Maps every PT_LOAD of a static ET_EXEC at its address; returns the
// entry point and where the program headers landed.
static uint64_t load(const char *path, uint64_t *phdr_addr, uint64_t *phnum) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die(path, strerror(errno));
    Elf64_Ehdr eh;
    read_exact(fd, &eh, sizeof eh, 0);
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64)
        die(path, "not an x86-64 ELF");
    if (eh.e_type != ET_EXEC) die(path, "not a static non-PIE executable (ET_EXEC)");
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 64) die(path, "bad program headers");
    Elf64_Phdr ph[64];
    read_exact(fd, ph, eh.e_phnum * sizeof(Elf64_Phdr), (off_t)eh.e_phoff);

    long page = sysconf(_SC_PAGESIZE);
    *phdr_addr = 0;
    for (int i = 0; i < eh.e_phnum; i++) {
        if (ph[i].p_type == PT_INTERP) die(path, "dynamically linked");
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0) continue;
        uint64_t start = ph[i].p_vaddr & ~(uint64_t)(page - 1);
        uint64_t end = (ph[i].p_vaddr + ph[i].p_memsz + (uint64_t)page - 1) & ~(uint64_t)(page - 1);
        // Writable and executable alike: this loader models HP mode's
        // single address space, not page protections.
        void *at = mmap((void *)start, end - start, PROT_READ | PROT_WRITE | PROT_EXEC,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (at == MAP_FAILED || at != (void *)start) die("cannot map a segment at its address", strerror(errno));
        read_exact(fd, (void *)ph[i].p_vaddr, ph[i].p_filesz, (off_t)ph[i].p_offset);
        if (ph[i].p_offset <= eh.e_phoff && eh.e_phoff < ph[i].p_offset + ph[i].p_filesz)
            *phdr_addr = ph[i].p_vaddr + (eh.e_phoff - ph[i].p_offset);
    }
    close(fd);
    if (*phdr_addr == 0) die(path, "program headers are not in a loaded segment");
    *phnum = eh.e_phnum;
    return eh.e_entry;
}

// Our own auxv, minus what must describe the loaded program instead or
// what Ringo does not provide.
static size_t host_auxv(Elf64_auxv_t *out, size_t max) {
    int fd = open("/proc/self/auxv", O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("/proc/self/auxv", strerror(errno));
    Elf64_auxv_t all[MAX_AUXV];
    ssize_t got = read(fd, all, sizeof all);
    close(fd);
    if (got <= 0) die("/proc/self/auxv", "empty");
    size_t n = 0;
    for (size_t i = 0; i < (size_t)got / sizeof all[0] && all[i].a_type != AT_NULL; i++) {
        switch (all[i].a_type) {
            case AT_PHDR:
            case AT_PHNUM:
            case AT_PHENT:
            case AT_ENTRY:
            case AT_BASE:
            case AT_SYSINFO_EHDR:
                continue;
        }
        if (n == max) die("/proc/self/auxv", "too long");
        out[n++] = all[i];
    }
    return n;
}

int main(int argc, char **argv, char **envp) {
    if (argc < 2) die("usage: test-loader PROGRAM [ARGS...]", NULL);
    build_vtable();
    uint64_t phdr, phnum;
    uint64_t entry = load(argv[1], &phdr, &phnum);

    Elf64_auxv_t aux[MAX_AUXV + 8];
    size_t naux = host_auxv(aux, MAX_AUXV);
    aux[naux++] = (Elf64_auxv_t){AT_PHDR, {phdr}};
    aux[naux++] = (Elf64_auxv_t){AT_PHENT, {sizeof(Elf64_Phdr)}};
    aux[naux++] = (Elf64_auxv_t){AT_PHNUM, {phnum}};
    aux[naux++] = (Elf64_auxv_t){AT_ENTRY, {entry}};
    aux[naux++] = (Elf64_auxv_t){AT_RINGO_VTABLE, {(uint64_t)&vtable}};
    aux[naux++] = (Elf64_auxv_t){AT_NULL, {0}};

    size_t envc = 0;
    while (envp[envc]) envc++;
    int new_argc = argc - 1;
    // argc, argv + NULL, envp + NULL, auxv; the strings stay where the
    // kernel put ours.
    size_t words = 1 + (size_t)new_argc + 1 + envc + 1 + 2 * naux;
    char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) die("cannot map a stack", strerror(errno));
    uint64_t *sp = (uint64_t *)(((uintptr_t)(stack + STACK_SIZE) - words * 8) & ~(uintptr_t)15);
    uint64_t *w = sp;
    *w++ = (uint64_t)new_argc;
    for (int i = 1; i < argc; i++) *w++ = (uint64_t)argv[i];
    *w++ = 0;
    for (size_t i = 0; i < envc; i++) *w++ = (uint64_t)envp[i];
    *w++ = 0;
    memcpy(w, aux, naux * sizeof aux[0]);

    fflush(NULL);
    // As the kernel starts a process: the stack pointer at argc, rdx = 0
    // (no exit handler to register).
    __asm__ volatile(
        "mov %0, %%rsp\n"
        "xor %%edx, %%edx\n"
        "xor %%ebp, %%ebp\n"
        "jmp *%1\n" ::"r"(sp),
        "r"(entry)
        : "memory");
    __builtin_unreachable();
}
