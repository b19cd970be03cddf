//! Devices: where the direct stack's Ethernet frames come from and go to.
//!
//! Every device implements smoltcp's [`Device`] plus [`HostDevice`], which
//! tells the event loop what to wait on and when to flush. Wrappers compose:
//! `Pcap<Counted<TapDevice>>` records and counts what the TAP device moves.
//!
//! - [`tap`]: a Linux TAP interface (`/dev/net/tun`, `IFF_TAP | IFF_NO_PI`).
//! - [`virtual_net`]: an in-memory switch joining many stacks in one process,
//!   with seeded faults and virtual time, for deterministic tests.
//! - [`pcap`]: records every frame both ways to a pcap file.
//! - [`counted`]: per-interface frame and byte counters.

pub mod counted;
pub mod pcap;
pub mod tap;
pub mod virtual_net;

use std::io;
use std::os::fd::RawFd;

use smoltcp::phy::Device;

/// What the event loop needs from a device beyond smoltcp's [`Device`].
pub trait HostDevice: Device {
    /// A file descriptor that becomes readable when frames arrive; None for
    /// devices that are polled by their owner (the virtual network).
    fn wait_fd(&self) -> Option<RawFd>;

    /// Pushes out whatever the device buffers (batched writes, a capture
    /// file). Called after each round of polling and at shutdown.
    fn flush(&mut self) -> io::Result<()>;
}
