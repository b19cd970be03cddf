//! The appliance as a freestanding x86_64 kernel (QEMU `-kernel`, virtio-net, smoltcp).
//!
//! [`platform`] is the VM's own layer (boot, memory, clock, randomness, console, interrupts,
//! virtio-net, power); [`app`] runs the appliance `cargo xtask image` baked in, with the same
//! configuration, services and stack code as the Linux build.

#![no_std]
#![no_main]

extern crate alloc;

mod app;
mod platform;

use smoltcp::wire::{EthernetAddress, Ipv4Address};

/// Called by the boot code on the boot stack with the Multiboot information pointer.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_entry(multiboot_info: u32) -> ! {
    let boot = platform::start(multiboot_info);
    self_test(boot.cmdline);
    app::run(boot)
}

/// `selftest=exception` / `selftest=panic` on the command line prove the failure paths: the
/// exception handler (on its IST stack) and the panic handler print and power the machine off.
fn self_test(cmdline: &str) {
    match arg(cmdline, "selftest") {
        Some("exception") => {
            log::info!("selftest: executing ud2");
            // SAFETY: deliberately raises #UD; the handler powers off and never returns.
            unsafe { core::arch::asm!("ud2") };
        }
        Some("panic") => panic!("selftest: deliberate panic"),
        _ => {}
    }
}

/// `key=value` from the command line.
fn arg<'a>(cmdline: &'a str, key: &str) -> Option<&'a str> {
    cmdline.split_ascii_whitespace().find_map(|w| w.strip_prefix(key).and_then(|rest| rest.strip_prefix('=')))
}

/// Broadcast a gratuitous ARP for our address, so the network (QEMU's user-mode stack
/// included) knows where we are before the first packet arrives: otherwise the first packets
/// to us wait out the sender's own address resolution (about 1 s in QEMU user networking).
pub(crate) fn announce(net: &mut platform::NetDevice, mac: EthernetAddress, ip: Ipv4Address) {
    use smoltcp::phy::{Device, TxToken};
    use smoltcp::wire::{ArpOperation, ArpPacket, ArpRepr, EthernetFrame, EthernetProtocol, EthernetRepr};
    let arp = ArpRepr::EthernetIpv4 {
        operation: ArpOperation::Request,
        source_hardware_addr: mac,
        source_protocol_addr: ip,
        target_hardware_addr: EthernetAddress([0; 6]),
        target_protocol_addr: ip,
    };
    let eth = EthernetRepr {
        src_addr: mac,
        dst_addr: EthernetAddress::BROADCAST,
        ethertype: EthernetProtocol::Arp,
    };
    let Some(token) = net.transmit(platform::now()) else {
        log::warn!("no transmit buffer for the gratuitous ARP");
        return;
    };
    token.consume(eth.buffer_len() + arp.buffer_len(), |buf| {
        let mut frame = EthernetFrame::new_unchecked(buf);
        eth.emit(&mut frame);
        arp.emit(&mut ArpPacket::new_unchecked(frame.payload_mut()));
    });
}
