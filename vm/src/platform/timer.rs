//! The wake-up timer: the local APIC timer in one-shot mode, counting down to the next
//! deadline, so an idle guest sleeps until it must wake (minutes if nothing is due). Without a
//! local APIC the PIT does it, limited to 55 ms per shot.

use core::sync::atomic::{AtomicU64, Ordering};

/// Vector of the local APIC timer (right after the PIC's 16).
pub const LAPIC_TIMER_VECTOR: u8 = 48;
/// Vector the local APIC uses for spurious interrupts (no EOI for those).
pub const LAPIC_SPURIOUS_VECTOR: u8 = 0xFF;

const LAPIC_BASE: u64 = 0xFEE0_0000;
const REG_EOI: u64 = 0xB0;
const REG_SVR: u64 = 0xF0;
const REG_LVT_TIMER: u64 = 0x320;
const REG_INITIAL_COUNT: u64 = 0x380;
const REG_CURRENT_COUNT: u64 = 0x390;
const REG_DIVIDE: u64 = 0x3E0;
/// Divide configuration value for ÷16.
const DIVIDE_BY_16: u32 = 0x3;

/// Local APIC timer ticks per second (0: no local APIC, use the PIT).
static LAPIC_HZ: AtomicU64 = AtomicU64::new(0);

fn lapic_read(reg: u64) -> u32 {
    // SAFETY: the local APIC page is identity mapped (first 4 GiB); registers are 32-bit.
    unsafe { ((LAPIC_BASE + reg) as *const u32).read_volatile() }
}

fn lapic_write(reg: u64, value: u32) {
    // SAFETY: as for `lapic_read`.
    unsafe { ((LAPIC_BASE + reg) as *mut u32).write_volatile(value) }
}

/// Enable the local APIC (its LINT0 stays in ExtINT mode, so the PICs still get through) and
/// measure its timer against the TSC clock over 10 ms. The PIT's IRQ 0 stays masked (the
/// firmware left it ticking at 18.2 Hz). Interrupts must be off.
pub fn init() {
    let has_apic = core::arch::x86_64::__cpuid(1).edx & (1 << 9) != 0;
    if !has_apic {
        log::info!("timer: no local APIC, PIT one-shots");
        super::interrupts::unmask_irq(0);
        return;
    }
    lapic_write(REG_SVR, (1 << 8) | u32::from(LAPIC_SPURIOUS_VECTOR));
    lapic_write(REG_DIVIDE, DIVIDE_BY_16);
    lapic_write(REG_LVT_TIMER, (1 << 16) | u32::from(LAPIC_TIMER_VECTOR)); // masked, one-shot
    lapic_write(REG_INITIAL_COUNT, u32::MAX);
    let start = super::clock::now();
    while (super::clock::now() - start).total_micros() < 10_000 {
        core::hint::spin_loop();
    }
    let elapsed = (super::clock::now() - start).total_micros();
    let ticks = u64::from(u32::MAX - lapic_read(REG_CURRENT_COUNT));
    lapic_write(REG_INITIAL_COUNT, 0);
    let hz = ticks * 1_000_000 / elapsed.max(1);
    lapic_write(REG_LVT_TIMER, u32::from(LAPIC_TIMER_VECTOR)); // unmasked, one-shot
    LAPIC_HZ.store(hz, Ordering::Relaxed);
    log::info!("timer: local APIC one-shot, {} kHz", hz / 1000);
}

/// Acknowledge a local APIC interrupt.
pub fn lapic_eoi() {
    lapic_write(REG_EOI, 0);
}

/// Raise the timer interrupt once, `micros` from now (clamped to what the counter can hold).
pub fn arm_one_shot(micros: u64) {
    let hz = LAPIC_HZ.load(Ordering::Relaxed);
    if hz == 0 {
        super::clock::pit_one_shot(micros);
        return;
    }
    let ticks = (u128::from(micros) * u128::from(hz) / 1_000_000).clamp(1, u128::from(u32::MAX));
    lapic_write(REG_INITIAL_COUNT, ticks as u32);
}
