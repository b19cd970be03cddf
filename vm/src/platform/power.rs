//! Power: ACPI power button in (QEMU's `system_powerdown`) and S5 soft-off out.
//!
//! Reads the tables the firmware left: RSDP → RSDT → FADT (PM1 event/control blocks, SCI line,
//! SMI command port) and the DSDT's `\_S5` package (the SLP_TYP value for soft-off). Switches
//! to ACPI mode if the firmware has not, enables the power-button event and takes the SCI.

use core::sync::atomic::{AtomicBool, AtomicU16, Ordering};

use super::port::{inw, outb, outw};

static SHUTDOWN: AtomicBool = AtomicBool::new(false);
static PM1A_EVT: AtomicU16 = AtomicU16::new(0);
static PM1A_CNT: AtomicU16 = AtomicU16::new(0);
static PM1B_CNT: AtomicU16 = AtomicU16::new(0);
static PM1_EVT_LEN: AtomicU16 = AtomicU16::new(4);
/// SLP_TYPa/SLP_TYPb for S5 (QEMU's PIIX4 uses 0).
static SLP_TYP: AtomicU16 = AtomicU16::new(0);

const PWRBTN: u16 = 1 << 8;
const SLP_EN: u16 = 1 << 13;
const SCI_EN: u16 = 1;

fn read_bytes(addr: u64, len: usize) -> &'static [u8] {
    // SAFETY: firmware tables lie in identity-mapped low memory that nothing else writes.
    unsafe { core::slice::from_raw_parts(addr as *const u8, len) }
}

fn u32_at(bytes: &[u8], offset: usize) -> u32 {
    bytes.get(offset..offset + 4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn checksum_ok(bytes: &[u8]) -> bool {
    bytes.iter().fold(0u8, |sum, b| sum.wrapping_add(*b)) == 0
}

/// Search the EBDA and the BIOS area for the RSDP; return the RSDT address.
fn find_rsdt() -> Option<u64> {
    // SAFETY: the BIOS data area word at 0x40E is always mapped.
    let ebda = u64::from(unsafe { (0x40E as *const u16).read_unaligned() }) << 4;
    let areas = [(ebda, 1024u64), (0xE0000, 0x20000)];
    for (start, len) in areas {
        if start == 0 {
            continue;
        }
        let mut addr = start;
        while addr + 20 <= start + len {
            let candidate = read_bytes(addr, 20);
            if &candidate[..8] == b"RSD PTR " && checksum_ok(candidate) {
                return Some(u64::from(u32_at(candidate, 16)));
            }
            addr += 16;
        }
    }
    None
}

/// A table's bytes after checking signature, length and checksum.
fn table(addr: u64, signature: &[u8; 4]) -> Option<&'static [u8]> {
    let header = read_bytes(addr, 36);
    if &header[..4] != signature {
        return None;
    }
    let len = u32_at(header, 4) as usize;
    if !(36..=(1 << 20)).contains(&len) {
        return None;
    }
    let bytes = read_bytes(addr, len);
    checksum_ok(bytes).then_some(bytes)
}

/// SLP_TYP for S5 from the DSDT: `_S5_` NameOp, PackageOp (0x12), length, count, then the
/// first element as a BytePrefix (0x0A) constant, ZeroOp or OneOp.
fn s5_sleep_type(dsdt: &[u8]) -> Option<u16> {
    let at = dsdt.windows(4).position(|w| w == b"_S5_")?;
    let rest = dsdt.get(at + 4..)?;
    if *rest.first()? != 0x12 {
        return None;
    }
    let pkg_len_bytes = usize::from(rest.get(1)? >> 6) + 1;
    let element = rest.get(1 + pkg_len_bytes + 1..)?;
    match *element.first()? {
        0x0A => element.get(1).map(|v| u16::from(*v)),
        0x00 => Some(0),
        0x01 => Some(1),
        other if other < 8 => Some(u16::from(other)),
        _ => None,
    }
}

/// Find the FADT, enable ACPI mode and the power button; returns the SCI line.
pub fn init() -> Option<u8> {
    let rsdt = table(find_rsdt()?, b"RSDT")?;
    let fadt = rsdt[36..].chunks_exact(4).filter_map(|e| table(u64::from(u32_at(e, 0)), b"FACP")).next()?;
    let sci = fadt.get(46).copied()?;
    let smi_cmd = u32_at(fadt, 48) as u16;
    let acpi_enable = fadt.get(52).copied()?;
    let pm1a_evt = u32_at(fadt, 56) as u16;
    let pm1a_cnt = u32_at(fadt, 64) as u16;
    let pm1b_cnt = u32_at(fadt, 68) as u16;
    let evt_len = u16::from(fadt.get(88).copied()?);
    if let Some(s5) = table(u64::from(u32_at(fadt, 40)), b"DSDT").and_then(s5_sleep_type) {
        SLP_TYP.store(s5, Ordering::Relaxed);
    }
    PM1A_EVT.store(pm1a_evt, Ordering::Relaxed);
    PM1A_CNT.store(pm1a_cnt, Ordering::Relaxed);
    PM1B_CNT.store(pm1b_cnt, Ordering::Relaxed);
    PM1_EVT_LEN.store(evt_len, Ordering::Relaxed);
    if pm1a_cnt == 0 || pm1a_evt == 0 {
        return None;
    }
    if inw(pm1a_cnt) & SCI_EN == 0 && smi_cmd != 0 && acpi_enable != 0 {
        outb(smi_cmd, acpi_enable);
        for _ in 0..1_000_000 {
            if inw(pm1a_cnt) & SCI_EN != 0 {
                break;
            }
        }
    }
    let enable_port = pm1a_evt + evt_len / 2;
    outw(pm1a_evt, PWRBTN); // clear a stale status (write 1 to clear)
    outw(enable_port, inw(enable_port) | PWRBTN);
    log::info!(
        "acpi: sci irq {sci}, pm1a_evt {pm1a_evt:#x}, pm1a_cnt {pm1a_cnt:#x}, s5 {}",
        SLP_TYP.load(Ordering::Relaxed)
    );
    Some(sci)
}

/// SCI handler (interrupt context): a power-button press becomes a shutdown request.
pub fn handle_sci() {
    let port = PM1A_EVT.load(Ordering::Relaxed);
    if port == 0 {
        return;
    }
    let status = inw(port);
    if status & PWRBTN != 0 {
        outw(port, PWRBTN);
        SHUTDOWN.store(true, Ordering::Release);
    }
}

/// True once the power button was pressed (QEMU `system_powerdown`).
pub fn shutdown_requested() -> bool {
    SHUTDOWN.load(Ordering::Acquire)
}

/// Enter S5 (QEMU exits with status 0). Falls back to halting forever.
pub fn power_off() -> ! {
    let typ = SLP_TYP.load(Ordering::Relaxed);
    for port in [PM1A_CNT.load(Ordering::Relaxed), PM1B_CNT.load(Ordering::Relaxed)] {
        if port != 0 {
            outw(port, (inw(port) & 0xE3FF) | (typ << 10) | SLP_EN);
        }
    }
    // PIIX4 power management at QEMU's default address, in case the tables were not found.
    outw(0x604, 0x2000);
    loop {
        // SAFETY: halting with interrupts off stops the CPU for good.
        unsafe { core::arch::asm!("cli", "hlt", options(nomem, nostack)) };
    }
}
