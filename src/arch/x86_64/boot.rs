//! PVH entry: the loader jumps to `pvh_start32` in 32-bit protected mode,
//! paging off, `ebx` = physical address of the `hvm_start_info`. We record the
//! TSC (boot time is measured from here), build boot page tables that map the
//! first GiB at 0 (identity, for this code and the AP trampoline), at the
//! direct-map base and at the kernel's -2 GiB address, enter long mode and
//! call [`crate::kernel_entry`] on the boot stack.

use core::arch::global_asm;

/// TSC value at the first instruction of the kernel.
#[unsafe(no_mangle)]
pub static mut BOOT_TSC: u64 = 0;

global_asm!(
    r#"
    .set KOFF, 0xffffffff80000000

    .section .note.xen, "a"
    .p2align 2
    .long 4
    .long 4
    .long 18            /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .p2align 2
    .long pvh_start32 - KOFF
    .p2align 2

    .section .text.boot, "ax"
    .code32
    .global pvh_start32
pvh_start32:
    cli
    cld
    movl %ebx, %edi
    rdtsc
    movl %eax, (BOOT_TSC - KOFF)
    movl %edx, (BOOT_TSC - KOFF + 4)
    movl $(boot_stack_top - KOFF), %esp

    /* PML4: [0] identity, [256] direct map, [511] kernel; all the same GiB. */
    movl $(boot_pdpt_low - KOFF + 3), %eax
    movl %eax, (boot_pml4 - KOFF)
    movl %eax, (boot_pml4 - KOFF + 256 * 8)
    movl $(boot_pdpt_high - KOFF + 3), %eax
    movl %eax, (boot_pml4 - KOFF + 511 * 8)
    movl $(boot_pd - KOFF + 3), %eax
    movl %eax, (boot_pdpt_low - KOFF)
    movl %eax, (boot_pdpt_high - KOFF + 510 * 8)
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax         /* present, writable, 2 MiB page */
    movl %eax, (boot_pd - KOFF)(,%ecx,8)
    incl %ecx
    cmpl $512, %ecx
    jne 1b

    movl %cr4, %eax
    orl $(1 << 5), %eax     /* PAE */
    movl %eax, %cr4
    movl $(boot_pml4 - KOFF), %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx  /* EFER */
    rdmsr
    orl $((1 << 8) | (1 << 11)), %eax   /* LME, NXE */
    wrmsr
    movl %cr0, %eax
    orl $0x80010001, %eax   /* PG, WP, PE */
    movl %eax, %cr0
    lgdt (boot_gdt_ptr - KOFF)
    ljmp $0x08, $(pvh_start64 - KOFF)

    .code64
pvh_start64:
    movabsq $pvh_start64_high, %rax
    jmp *%rax
pvh_start64_high:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    xorl %eax, %eax
    movl %eax, %fs
    movl %eax, %gs
    movabsq $boot_stack_top, %rsp
    xorl %ebp, %ebp
    movl %edi, %edi
    call kernel_entry
    ud2

    .section .data.boot, "aw"
    .p2align 3
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff    /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff    /* 0x10: data */
boot_gdt_end:
    .p2align 3
boot_gdt_ptr:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt - KOFF

    .section .bss.boot, "aw", @nobits
    .p2align 12
    .global boot_pml4
boot_pml4:
    .skip 4096
boot_pdpt_low:
    .skip 4096
boot_pdpt_high:
    .skip 4096
boot_pd:
    .skip 4096
    /* Left unmapped by the kernel's page tables: an overflow of the boot
     * stack faults here instead of writing over the page tables above. */
    .global boot_stack_guard
boot_stack_guard:
    .skip 4096
    .global boot_stack_bottom
boot_stack_bottom:
    /* 128 KiB: the drivers' set-up runs here, and virtio-net's takes a
     * 40 KiB frame (virtio-drivers' queues move by value); at 64 KiB it
     * ran into the guard page when an interrupt came at the deepest
     * point (it used to overwrite the boot page directory unnoticed). */
    .skip 131072
    .global boot_stack_top
boot_stack_top:
    "#,
    options(att_syntax)
);

unsafe extern "C" {
    static boot_pml4: u8;
    static boot_stack_guard: u8;
    static boot_stack_bottom: u8;
    static boot_stack_top: u8;
}

/// Physical address of the boot PML4 (identity + direct + kernel map of the
/// first GiB): the AP trampoline enters long mode through it.
pub fn boot_pml4_phys() -> u64 {
    super::paging::kernel_virt_to_phys(core::ptr::addr_of!(boot_pml4) as u64)
}

/// The boot stack, for the backtrace walker's bounds.
pub fn boot_stack() -> (u64, u64) {
    (core::ptr::addr_of!(boot_stack_bottom) as u64, core::ptr::addr_of!(boot_stack_top) as u64)
}

/// The unmapped page below the boot stack.
pub fn stack_guard_page() -> u64 {
    core::ptr::addr_of!(boot_stack_guard) as u64
}

pub fn boot_tsc() -> u64 {
    // SAFETY: written once by the entry code before any Rust runs.
    unsafe { core::ptr::addr_of!(BOOT_TSC).read_volatile() }
}
