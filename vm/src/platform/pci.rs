//! PCI discovery through the legacy configuration mechanism (ports 0xCF8/0xCFC), as on QEMU's
//! `pc` (i440FX) machine, the one this kernel targets. SeaBIOS has assigned the BARs and the
//! interrupt line before it hands over to the Multiboot kernel.

use virtio_drivers::transport::pci::bus::{ConfigurationAccess, DeviceFunction};

use super::port::{inl, outl};

/// Configuration space access through ports 0xCF8 (address) and 0xCFC (data).
pub struct PortCam;

fn address(df: DeviceFunction, offset: u8) -> u32 {
    0x8000_0000
        | (u32::from(df.bus) << 16)
        | (u32::from(df.device) << 11)
        | (u32::from(df.function) << 8)
        | u32::from(offset & 0xFC)
}

impl ConfigurationAccess for PortCam {
    fn read_word(&self, device_function: DeviceFunction, register_offset: u8) -> u32 {
        outl(0xCF8, address(device_function, register_offset));
        inl(0xCFC)
    }

    fn write_word(&mut self, device_function: DeviceFunction, register_offset: u8, data: u32) {
        outl(0xCF8, address(device_function, register_offset));
        outl(0xCFC, data);
    }

    unsafe fn unsafe_clone(&self) -> Self {
        PortCam
    }
}

/// The interrupt line register the firmware programmed (255: none).
pub fn interrupt_line(cam: &PortCam, df: DeviceFunction) -> u8 {
    cam.read_word(df, 0x3C) as u8
}
