//! Boot: the Multiboot header QEMU's `-kernel` loader looks for, and the 32-bit entry that
//! switches to long mode before any Rust code runs.
//!
//! QEMU refuses 64-bit ELF files unless the Multiboot header carries the address fields
//! (flag bit 16), so the header names where to load the image and where to jump. The entry
//! runs in 32-bit protected mode: it zeroes .bss, identity-maps the first 4 GiB with 2 MiB
//! pages, turns on PAE, EFER.LME and paging, and enables SSE (the host target's `core` uses
//! SSE everywhere) before calling [`crate::kernel_entry`] on the boot stack.

use core::arch::global_asm;

/// Size of the boot stack. smoltcp's poll and ring's handshakes are deep; 256 KiB is plenty.
pub const BOOT_STACK_BYTES: usize = 256 * 1024;

global_asm!(
    r#"
    .set MB_MAGIC, 0x1BADB002
    .set MB_FLAGS, 0x00010002            /* bit 1: memory map, bit 16: address fields */

    .section .multiboot, "a"
    .align 4
mb_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
    .long mb_header
    .long __load_start
    .long __load_end
    .long __bss_end
    .long _start32

    .section .text.boot, "ax"
    .code32
    .global _start32
_start32:
    cli
    cld
    mov %ebx, %esi                       /* Multiboot info pointer, kept for Rust */

    /* Zero .bss (page tables and stacks live there). */
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    /* PML4[0] -> PDPT; PDPT[0..4] -> four page directories of 2 MiB pages. */
    mov $boot_pdpt, %eax
    or $3, %eax
    mov %eax, boot_pml4
    mov $boot_pd, %eax
    or $3, %eax
    mov $boot_pdpt, %edi
    mov $4, %ecx
1:  mov %eax, (%edi)
    add $4096, %eax
    add $8, %edi
    loop 1b

    mov $boot_pd, %edi
    mov $0x83, %eax                      /* present | writable | 2 MiB page */
    xor %edx, %edx
    mov $2048, %ecx
2:  mov %eax, (%edi)
    mov %edx, 4(%edi)
    add $0x200000, %eax
    adc $0, %edx
    add $8, %edi
    loop 2b

    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $((1 << 5) | (1 << 9) | (1 << 10)), %eax    /* PAE | OSFXSR | OSXMMEXCPT */
    mov %eax, %cr4
    mov $0xC0000080, %ecx                /* EFER */
    rdmsr
    or $(1 << 8), %eax                   /* LME */
    wrmsr
    mov %cr0, %eax
    and $0xFFFFFFFB, %eax                /* EM off */
    or $((1 << 31) | (1 << 5) | (1 << 1)), %eax     /* PG | NE | MP */
    mov %eax, %cr0

    lgdt boot_gdt_ptr
    ljmp $0x08, $start64

    .code64
start64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    mov $boot_stack_top, %rsp
    fninit
    mov %esi, %edi
    call kernel_entry
3:  hlt
    jmp 3b

    .section .rodata
    .align 16
boot_gdt:
    .quad 0
    .quad 0x00209A0000000000             /* 0x08: 64-bit code */
    .quad 0x0000920000000000             /* 0x10: data */
boot_gdt_ptr:
    .word boot_gdt_ptr - boot_gdt - 1
    .long boot_gdt

    .section .bss.boot, "aw", @nobits
    .align 4096
    .global boot_pml4
boot_pml4:
    .skip 4096
    .global boot_pdpt
boot_pdpt:
    .skip 4096
boot_pd:
    .skip 4096 * 4
    .align 16
boot_stack:
    .skip {stack}
boot_stack_top:
    "#,
    stack = const BOOT_STACK_BYTES,
    options(att_syntax)
);

unsafe extern "C" {
    /// The page-map level-4 table built by the boot code (identity mapping).
    static mut boot_pml4: [u64; 512];
    /// The first page-directory-pointer table: entries 0..4 cover the first 4 GiB.
    static mut boot_pdpt: [u64; 512];
    static __kernel_end: u8;
}

/// First byte after the kernel image and its .bss: the heap may start here.
pub fn kernel_end() -> u64 {
    &raw const __kernel_end as u64
}

/// Identity-map `[addr, addr + len)` with 2 MiB pages if it lies above the boot mapping
/// (a 64-bit PCI BAR may). Up to 512 GiB is reachable through the boot PDPT.
pub fn ensure_identity_mapped(addr: u64, len: u64) {
    const GIB: u64 = 1 << 30;
    let first = addr / GIB;
    let last = (addr + len.max(1) - 1) / GIB;
    if last >= 512 {
        crate::platform::fatal(format_args!("address {addr:#x} beyond the 512 GiB the kernel can map"));
    }
    let pdpt = (&raw mut boot_pdpt).cast::<u64>();
    for gib in first..=last {
        // SAFETY: `gib < 512`; single-threaded kernel, the tables are only touched here and by
        // the boot code.
        let entry = unsafe { pdpt.add(gib as usize) };
        if unsafe { entry.read() } & 1 != 0 {
            continue;
        }
        let pd = alloc::boxed::Box::leak(alloc::boxed::Box::new(PageTable([0; 512])));
        for (i, slot) in pd.0.iter_mut().enumerate() {
            *slot = (gib * GIB + (i as u64) * (2 << 20)) | 0x83;
        }
        // SAFETY: as above; the new directory lives forever (leaked).
        unsafe { entry.write((pd.0.as_ptr() as u64) | 3) };
    }
    // SAFETY: reloading CR3 with the same PML4 only flushes the TLB.
    unsafe {
        let pml4 = &raw const boot_pml4 as u64;
        core::arch::asm!("mov cr3, {}", in(reg) pml4, options(nostack));
    }
}

/// A page table with the alignment the MMU requires.
#[repr(C, align(4096))]
struct PageTable([u64; 512]);

/// Nothing unwinds (panic = "abort"), but the precompiled `core` still names this symbol.
#[unsafe(no_mangle)]
pub extern "C" fn rust_eh_personality() {}

/// Likewise: the precompiled `alloc` has cleanup paths that would resume unwinding; with
/// panic = "abort" none is ever entered.
#[unsafe(no_mangle)]
pub extern "C" fn _Unwind_Resume() -> ! {
    panic!("_Unwind_Resume: unwinding is not supported")
}
