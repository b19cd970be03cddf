//! x86 port I/O: the legacy devices (serial, PIC, PIT, CMOS, PCI config, ACPI PM) live there.

use core::arch::asm;

/// Defines a write and a read function for one access width.
macro_rules! port_access {
    ($out:ident, $in:ident, $ty:ty, $reg:tt) => {
        #[doc = concat!("Write a `", stringify!($ty), "` to an I/O port.")]
        pub fn $out(port: u16, value: $ty) {
            // SAFETY: port I/O has no memory effects; the kernel owns every device it touches.
            unsafe { asm!(concat!("out dx, ", $reg), in($reg) value, in("dx") port, options(nomem, nostack, preserves_flags)) }
        }

        #[doc = concat!("Read a `", stringify!($ty), "` from an I/O port.")]
        pub fn $in(port: u16) -> $ty {
            let value: $ty;
            // SAFETY: as for the write.
            unsafe { asm!(concat!("in ", $reg, ", dx"), out($reg) value, in("dx") port, options(nomem, nostack, preserves_flags)) }
            value
        }
    };
}

port_access!(outb, inb, u8, "al");
port_access!(outw, inw, u16, "ax");
port_access!(outl, inl, u32, "eax");
