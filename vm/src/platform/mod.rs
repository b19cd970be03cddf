//! The platform layer: everything that differs between the Linux build and the VM image.
//! Boot, memory, clock, randomness, console, interrupts, network device, power.
//!
//! The application calls [`start`] once with the Multiboot information pointer, then drives
//! its smoltcp interface over [`NetDevice`] with [`now`], [`idle_until`] and
//! [`shutdown_requested`].

pub mod boot;
pub mod clock;
pub mod heap;
pub mod interrupts;
pub mod libc;
pub mod net;
pub mod pci;
pub mod port;
pub mod power;
pub mod rand;
pub mod serial;
pub mod timer;
pub mod transport;

use core::fmt;

pub use net::NetDevice;

/// What the platform hands to the application once initialised.
pub struct Boot {
    /// The boot command line (`-append`), without the image path the loader puts first.
    pub cmdline: &'static str,
    /// The virtio-net device.
    pub net: NetDevice,
    /// Usable RAM reported by the loader, bytes.
    pub ram_bytes: u64,
}

/// Multiboot (v1) information the kernel reads.
struct MultibootInfo {
    cmdline: &'static str,
    heap: heap::Region,
    ram_bytes: u64,
}

fn u32_at(addr: u64) -> u32 {
    // SAFETY: the loader's structures lie in identity-mapped low memory.
    unsafe { (addr as *const u32).read_unaligned() }
}

fn u64_at(addr: u64) -> u64 {
    // SAFETY: as for `u32_at`.
    unsafe { (addr as *const u64).read_unaligned() }
}

/// Parse the Multiboot info: command line and the largest free region above everything the
/// loader and the kernel occupy.
fn read_multiboot(info: u32) -> MultibootInfo {
    let info = u64::from(info);
    let flags = u32_at(info);
    let mut reserved_end = boot::kernel_end().max(info + 120);
    let mut cmdline = "";
    if flags & (1 << 2) != 0 {
        let addr = u64::from(u32_at(info + 16));
        // SAFETY: the loader gives a NUL-terminated string.
        let len = unsafe { libc::strlen(addr as *const core::ffi::c_char) };
        // SAFETY: `len` bytes from `addr`, never overwritten (the heap starts above them).
        let bytes = unsafe { core::slice::from_raw_parts(addr as *const u8, len) };
        cmdline = core::str::from_utf8(bytes).unwrap_or("");
        reserved_end = reserved_end.max(addr + len as u64 + 1);
    }
    // The loader puts the kernel path first (QEMU, GRUB): drop it.
    let cmdline = match cmdline.trim_start().split_once(' ') {
        Some((_, rest)) => rest.trim(),
        None => "",
    };
    if flags & (1 << 6) == 0 {
        fatal(format_args!("the loader gave no memory map"));
    }
    let map_len = u64::from(u32_at(info + 44));
    let map_addr = u64::from(u32_at(info + 48));
    reserved_end = reserved_end.max(map_addr + map_len);
    let heap_start = (reserved_end + 0xFFF) & !0xFFF;
    let mut best = heap::Region { start: 0, end: 0 };
    let mut ram_bytes = 0;
    let mut entry = map_addr;
    while entry + 24 <= map_addr + map_len {
        let size = u64::from(u32_at(entry));
        let base = u64_at(entry + 4);
        let len = u64_at(entry + 12);
        let kind = u32_at(entry + 20);
        if kind == 1 {
            ram_bytes += len;
            let start = base.max(heap_start);
            let end = (base + len).min(4 << 30); // the boot mapping covers 4 GiB
            if end > start && end - start > best.end - best.start {
                best = heap::Region { start, end };
            }
        }
        entry += size + 4;
    }
    if best.end == best.start {
        fatal(format_args!("no free memory above the kernel ({heap_start:#x})"));
    }
    MultibootInfo { cmdline, heap: best, ram_bytes }
}

/// Bring the machine up, in order: console, heap, clock, logging, interrupts, timer, heap, randomness
/// check, ACPI power button, PCI and virtio-net. Interrupts stay off outside `idle_until`.
pub fn start(multiboot_info: u32) -> Boot {
    serial::init();
    let info = read_multiboot(multiboot_info);
    let heap_bytes = heap::init(info.heap);
    clock::init();
    serial::init_logging(info.cmdline);
    interrupts::init();
    timer::init();
    log::info!(
        "boot: {} KiB RAM, heap {} KiB at {:#x}, tsc {} MHz, cmdline {:?}",
        info.ram_bytes / 1024,
        heap_bytes / 1024,
        info.heap.start,
        clock::tsc_hz() / 1_000_000,
        info.cmdline
    );
    if !rand::available() {
        fatal(format_args!("this CPU has no RDRAND; run QEMU with -cpu max (or host)"));
    }
    match power::init() {
        Some(sci) => interrupts::set_sci_irq(sci),
        None => log::warn!("acpi: no FADT/PM1 blocks; system_powerdown will not be seen"),
    }
    let net = NetDevice::probe();
    interrupts::set_net_irq(net.irq());
    Boot { cmdline: alloc::string::String::from(info.cmdline).leak(), net, ram_bytes: info.ram_bytes }
}

/// Monotonic time, µs since the Unix epoch.
pub fn now() -> smoltcp::time::Instant {
    clock::now()
}

/// Halt until an interrupt that may need the application (packet, shutdown) or `deadline`.
pub fn idle_until(deadline: Option<smoltcp::time::Instant>) {
    interrupts::idle_until(deadline);
}

/// True once a shutdown was requested (ACPI power button, QEMU `system_powerdown`).
pub fn shutdown_requested() -> bool {
    power::shutdown_requested()
}

/// Turn the machine off (QEMU exits with status 0).
pub fn power_off() -> ! {
    power::power_off()
}

/// 64 random bits from RDRAND.
pub fn random_u64() -> u64 {
    rand::random_u64()
}

/// Print a fatal error and power off.
pub fn fatal(args: fmt::Arguments<'_>) -> ! {
    serial::print(format_args!("FATAL: {args}\n"));
    power::power_off()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    serial::print(format_args!("PANIC: {info}\npowering off\n"));
    power::power_off()
}
