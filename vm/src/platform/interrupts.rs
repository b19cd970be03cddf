//! Interrupts: GDT with a TSS, the IDT, the 8259 PICs, and the idle sequence.
//!
//! The host target's precompiled `core` is built with the red zone (128 bytes below RSP that
//! leaf functions use without moving RSP). An interrupt pushing its frame onto the current
//! stack would overwrite it, so (a) every IDT entry switches to an IST stack from the TSS, and
//! (b) interrupts are only enabled inside `sti; hlt; cli` (see [`wait_for_interrupt`]), an asm
//! block the compiler treats as a call (clobber_abi("C"), stack usable), so no live red-zone
//! data or SSE state exists when a handler runs. The stubs save every general register.
//!
//! Sources: the local APIC timer (or PIT IRQ 0) one-shot, the virtio-net INTx line and the ACPI SCI, both through the
//! PICs. Level-triggered lines (virtio) are masked by the handler and unmasked once the driver
//! has acknowledged the device (see [`unmask_irq`]).

use core::arch::{asm, global_asm};
use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use super::port::{inb, outb};
use super::timer::{LAPIC_TIMER_VECTOR, arm_one_shot, lapic_eoi};

/// First vector of the master PIC (IRQ 0) after remapping past the CPU exceptions.
const PIC_BASE: u8 = 32;
/// Bytes of the IST stack interrupts run on.
const IST_BYTES: usize = 32 * 1024;

#[repr(C, align(16))]
struct Stack([u8; IST_BYTES]);
static mut IST_STACK: Stack = Stack([0; IST_BYTES]);

/// The 64-bit TSS: only IST1 is used.
#[repr(C, packed)]
struct Tss {
    reserved0: u32,
    rsp: [u64; 3],
    reserved1: u64,
    ist: [u64; 7],
    reserved2: u64,
    reserved3: u16,
    iomap_base: u16,
}

static mut TSS: Tss = Tss {
    reserved0: 0,
    rsp: [0; 3],
    reserved1: 0,
    ist: [0; 7],
    reserved2: 0,
    reserved3: 0,
    iomap_base: size_of::<Tss>() as u16,
};

/// null, code 0x08, data 0x10 (as the boot GDT), TSS 0x18 (two slots).
static mut GDT: [u64; 5] = [0, 0x0020_9A00_0000_0000, 0x0000_9200_0000_0000, 0, 0];

#[repr(C, align(16))]
struct Idt([[u64; 2]; 256]);
static mut IDT: Idt = Idt([[0; 2]; 256]);

#[repr(C, packed)]
struct TablePointer {
    limit: u16,
    base: u64,
}

/// Set by any non-timer interrupt: the application has work to look at.
static DEVICE_EVENT: AtomicBool = AtomicBool::new(false);
/// The IRQ line of the virtio-net device (255: none), masked in its handler.
static NET_IRQ: AtomicU8 = AtomicU8::new(255);
/// Set when the network IRQ fired and the device has not been acknowledged yet.
pub static NET_IRQ_PENDING: AtomicBool = AtomicBool::new(false);
/// The ACPI SCI line (255: none).
static SCI_IRQ: AtomicU8 = AtomicU8::new(255);

// One entry stub per vector: push a dummy error code where the CPU pushes none, push the
// vector, then the common path saves registers and calls `interrupt_dispatch(frame)`.
global_asm!(
    r#"
    .section .text
    .altmacro
    .macro stub n
    .align 16
    isr_stub_\n:
    .if (\n == 8) || (\n >= 10 && \n <= 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
    .else
        push $0
    .endif
        push $\n
        jmp isr_common
    .endm

    .set i, 0
    .rept 256
        stub %i
        .set i, i + 1
    .endr

isr_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    cld
    mov %rsp, %rdi
    call interrupt_dispatch
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp
    iretq

    .macro stub_address n
        .quad isr_stub_\n
    .endm

    .section .rodata
    .align 8
    .global isr_stub_table
isr_stub_table:
    .set i, 0
    .rept 256
        stub_address %i
        .set i, i + 1
    .endr
    "#,
    options(att_syntax)
);

unsafe extern "C" {
    static isr_stub_table: [u64; 256];
}

/// What the stubs leave on the IST stack.
#[repr(C)]
struct Frame {
    r15: u64,
    r14: u64,
    r13: u64,
    r12: u64,
    r11: u64,
    r10: u64,
    r9: u64,
    r8: u64,
    rbp: u64,
    rdi: u64,
    rsi: u64,
    rdx: u64,
    rcx: u64,
    rbx: u64,
    rax: u64,
    vector: u64,
    error: u64,
    rip: u64,
    cs: u64,
    rflags: u64,
    rsp: u64,
    ss: u64,
}

#[unsafe(no_mangle)]
extern "C" fn interrupt_dispatch(frame: &Frame) {
    let vector = frame.vector as u8;
    if vector < PIC_BASE {
        let cr2: u64;
        // SAFETY: reading CR2 has no side effects.
        unsafe { asm!("mov {}, cr2", out(reg) cr2, options(nomem, nostack)) };
        super::fatal(format_args!(
            "CPU exception {} error {:#x} at rip {:#x} rsp {:#x} cr2 {:#x}",
            vector, frame.error, frame.rip, frame.rsp, cr2
        ));
    }
    if vector == LAPIC_TIMER_VECTOR {
        lapic_eoi();
        return;
    }
    if vector >= PIC_BASE + 16 {
        return; // spurious local APIC interrupt or unused vector: no EOI
    }
    let irq = vector - PIC_BASE;
    if irq == 7 || irq == 15 {
        // Possibly spurious: only acknowledge if the PIC really has it in service.
        let isr_port = if irq == 7 { 0x20 } else { 0xA0 };
        outb(isr_port, 0x0B);
        if inb(isr_port) & 0x80 == 0 {
            if irq == 15 {
                outb(0x20, 0x20);
            }
            return;
        }
    }
    if irq != 0 {
        if irq == SCI_IRQ.load(Ordering::Relaxed) {
            super::power::handle_sci();
        }
        if irq == NET_IRQ.load(Ordering::Relaxed) {
            // Level-triggered: keep it masked until the driver has read the device's ISR.
            mask_irq(irq);
            NET_IRQ_PENDING.store(true, Ordering::Release);
        }
        DEVICE_EVENT.store(true, Ordering::Release);
    }
    if irq >= 8 {
        outb(0xA0, 0x20);
    }
    outb(0x20, 0x20);
}

fn mask_irq(irq: u8) {
    let (port, bit) = if irq < 8 { (0x21, irq) } else { (0xA1, irq - 8) };
    outb(port, inb(port) | (1 << bit));
}

/// Let `irq` through the PIC (the cascade line too for the slave).
pub fn unmask_irq(irq: u8) {
    if irq >= 16 {
        return;
    }
    let (port, bit) = if irq < 8 { (0x21, irq) } else { (0xA1, irq - 8) };
    outb(port, inb(port) & !(1 << bit));
    if irq >= 8 {
        outb(0x21, inb(0x21) & !(1 << 2));
    }
}

/// Route the virtio-net interrupt line.
pub fn set_net_irq(irq: u8) {
    NET_IRQ.store(irq, Ordering::Relaxed);
    unmask_irq(irq);
}

/// Route the ACPI SCI line.
pub fn set_sci_irq(irq: u8) {
    SCI_IRQ.store(irq, Ordering::Relaxed);
    unmask_irq(irq);
}

/// Load the GDT with a TSS, the IDT, and remap the PICs (all lines masked).
/// Interrupts stay disabled.
pub fn init() {
    // SAFETY: single-threaded boot; these statics are only written here.
    unsafe {
        let ist_top = (&raw mut IST_STACK as u64) + IST_BYTES as u64;
        TSS.ist[0] = ist_top & !0xF;
        let tss = &raw const TSS as u64;
        let limit = (size_of::<Tss>() - 1) as u64;
        GDT[3] = (limit & 0xFFFF)
            | ((tss & 0xFF_FFFF) << 16)
            | (0x89 << 40)
            | (((limit >> 16) & 0xF) << 48)
            | (((tss >> 24) & 0xFF) << 56);
        GDT[4] = tss >> 32;
        let gdt = TablePointer { limit: (size_of::<[u64; 5]>() - 1) as u16, base: &raw const GDT as u64 };
        asm!("lgdt [{}]", in(reg) &gdt, options(readonly, nostack));
        asm!("ltr {0:x}", in(reg) 0x18u16, options(nostack));

        for (vector, &handler) in isr_stub_table.iter().enumerate() {
            IDT.0[vector] = [
                (handler & 0xFFFF)
                    | (0x08 << 16)
                    | (1 << 32) // IST1
                    | (0x8E << 40) // present, interrupt gate
                    | (((handler >> 16) & 0xFFFF) << 48),
                handler >> 32,
            ];
        }
        let idt = TablePointer { limit: (size_of::<Idt>() - 1) as u16, base: &raw const IDT as u64 };
        asm!("lidt [{}]", in(reg) &idt, options(readonly, nostack));
    }
    // 8259s: edge/level is set per line by the firmware (ELCR); vectors 32..48.
    outb(0x20, 0x11);
    outb(0xA0, 0x11);
    outb(0x21, PIC_BASE);
    outb(0xA1, PIC_BASE + 8);
    outb(0x21, 4);
    outb(0xA1, 2);
    outb(0x21, 1);
    outb(0xA1, 1);
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
}

/// Enable interrupts for exactly one `hlt`: the only place a handler can run.
fn wait_for_interrupt() {
    // SAFETY: the handlers run on the IST stack and save all general registers; the C clobber
    // ABI tells the compiler that vector registers and flags do not survive.
    unsafe { asm!("sti", "hlt", "cli", clobber_abi("C")) };
}

/// Halt until a device interrupt, a shutdown request, or `deadline` (µs since the epoch).
/// The timer is armed one-shot for the deadline (or as long as it can count), so an idle
/// guest wakes only when it must. A timer wake-up before the deadline just sleeps again.
pub fn idle_until(deadline: Option<smoltcp::time::Instant>) {
    loop {
        if DEVICE_EVENT.swap(false, Ordering::Acquire) || NET_IRQ_PENDING.load(Ordering::Acquire) {
            return;
        }
        let now = super::clock::now();
        let wait = match deadline {
            Some(d) if d <= now => return,
            Some(d) => (d - now).total_micros(),
            None => u64::MAX,
        };
        arm_one_shot(wait);
        wait_for_interrupt();
    }
}
