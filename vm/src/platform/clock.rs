//! Time: a monotonic clock from the TSC, calibrated against the PIT at boot, anchored to the
//! CMOS real-time clock so `now()` counts microseconds since the Unix epoch like the Linux
//! build's clock. Also the PIT one-shot timer that wakes an idle guest at its next deadline.

use core::sync::atomic::{AtomicU64, Ordering};

use smoltcp::time::Instant;

use super::port::{inb, outb};

/// PIT input clock, Hz.
const PIT_HZ: u64 = 1_193_182;

static TSC_AT_BOOT: AtomicU64 = AtomicU64::new(0);
static TSC_HZ: AtomicU64 = AtomicU64::new(0);
static BOOT_UNIX_MICROS: AtomicU64 = AtomicU64::new(0);

fn rdtsc() -> u64 {
    // SAFETY: RDTSC only reads the time-stamp counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Count TSC ticks over 10 ms of PIT channel 2 (gate through port 0x61, no interrupt).
fn calibrate_tsc() -> u64 {
    const COUNT: u16 = 11_932; // 10 ms
    let gate = inb(0x61);
    outb(0x61, (gate & 0xFC) | 0x01); // gate on, speaker off
    outb(0x43, 0xB0); // channel 2, lobyte/hibyte, mode 0
    outb(0x42, COUNT as u8);
    outb(0x42, (COUNT >> 8) as u8);
    // Restart the count: toggle the gate low then high.
    outb(0x61, inb(0x61) & 0xFE);
    outb(0x61, inb(0x61) | 0x01);
    let start = rdtsc();
    let mut spins: u64 = 0;
    while inb(0x61) & 0x20 == 0 {
        spins += 1;
        if spins > 100_000_000 {
            break;
        }
    }
    let end = rdtsc();
    outb(0x61, gate);
    let ticks = end.wrapping_sub(start);
    (ticks * PIT_HZ / u64::from(COUNT)).max(1_000_000)
}

/// The smallest of a few measurements: a measurement can only come out too long (the vCPU
/// descheduled by a busy host after the PIT expired), never too short.
fn calibrate_tsc_min() -> u64 {
    (0..5).map(|_| calibrate_tsc()).min().unwrap_or(1_000_000)
}

fn cmos(register: u8) -> u8 {
    outb(0x70, register | 0x80); // keep NMIs disabled
    inb(0x71)
}

/// Read the RTC (waiting out an update in progress) as seconds since the Unix epoch.
fn rtc_unix_seconds() -> u64 {
    let read = || {
        for _ in 0..1_000_000 {
            if cmos(0x0A) & 0x80 == 0 {
                break;
            }
        }
        [cmos(0x00), cmos(0x02), cmos(0x04), cmos(0x07), cmos(0x08), cmos(0x09), cmos(0x32)]
    };
    let mut now = read();
    for _ in 0..5 {
        let again = read();
        if again == now {
            break;
        }
        now = again;
    }
    let status_b = cmos(0x0B);
    let binary = status_b & 0x04 != 0;
    let decode = |v: u8| if binary { u64::from(v) } else { u64::from((v >> 4) * 10 + (v & 0x0F)) };
    let [sec, min, hour_raw, day, month, year, century] = now;
    let pm = hour_raw & 0x80 != 0;
    let mut hour = decode(hour_raw & 0x7F);
    if status_b & 0x02 == 0 {
        hour %= 12;
        if pm {
            hour += 12;
        }
    }
    let century = match decode(century) {
        19..=21 => decode(century),
        _ => 20,
    };
    let year = century * 100 + decode(year);
    let days = days_from_civil(year as i64, decode(month) as i64, decode(day) as i64);
    (days.max(0) as u64) * 86_400 + hour * 3600 + decode(min) * 60 + decode(sec)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Calibrate the TSC and read the wall clock. Interrupts must be off.
pub fn init() {
    let hz = calibrate_tsc_min();
    let unix = rtc_unix_seconds();
    TSC_HZ.store(hz, Ordering::Relaxed);
    BOOT_UNIX_MICROS.store(unix * 1_000_000, Ordering::Relaxed);
    TSC_AT_BOOT.store(rdtsc(), Ordering::Relaxed);
}

/// TSC frequency found at boot, Hz.
pub fn tsc_hz() -> u64 {
    TSC_HZ.load(Ordering::Relaxed)
}

/// Wall-clock time at boot, µs since the Unix epoch (0 before `init`).
pub fn boot_time_micros() -> u64 {
    BOOT_UNIX_MICROS.load(Ordering::Relaxed)
}

/// Monotonic time in µs since the Unix epoch (the wall clock read at boot plus TSC time).
pub fn now() -> Instant {
    let hz = TSC_HZ.load(Ordering::Relaxed);
    if hz == 0 {
        return Instant::from_micros(0);
    }
    let elapsed = rdtsc().saturating_sub(TSC_AT_BOOT.load(Ordering::Relaxed));
    let micros = (u128::from(elapsed) * 1_000_000 / u128::from(hz)) as u64;
    Instant::from_micros((BOOT_UNIX_MICROS.load(Ordering::Relaxed) + micros) as i64)
}

/// Longest one-shot the 16-bit PIT counter can do (about 54.9 ms).
const PIT_MAX_MICROS: u64 = 65_535 * 1_000_000 / PIT_HZ;

/// Program PIT channel 0 to raise IRQ 0 once, `micros` from now (clamped to the PIT range):
/// the wake-up timer when the CPU has no local APIC.
pub fn pit_one_shot(micros: u64) {
    let count = (micros.min(PIT_MAX_MICROS) * PIT_HZ / 1_000_000).clamp(1, 65_535) as u16;
    outb(0x43, 0x30); // channel 0, lobyte/hibyte, mode 0 (interrupt on terminal count)
    outb(0x40, count as u8);
    outb(0x40, (count >> 8) as u8);
}
