//! Devices: where the direct stack's Ethernet frames come from and go to.
//!
//! Every device implements smoltcp's [`Device`] plus [`HostDevice`], which
//! tells the event loop what to wait on and when to flush. Wrappers compose:
//! `Pcap<Counted<TapDevice>>` records and counts what the TAP device moves.
//!
//! - `tap` (std): a Linux TAP interface (`/dev/net/tun`, `IFF_TAP | IFF_NO_PI`).
//! - `virtual_net` (std): an in-memory switch joining many stacks in one process,
//!   with seeded faults and virtual time, for deterministic tests.
//! - `pcap` (std): records every frame both ways to a pcap file.
//! - [`counted`]: per-interface frame and byte counters.

pub mod counted;
#[cfg(feature = "std")]
pub mod pcap;
#[cfg(feature = "std")]
pub mod tap;
#[cfg(feature = "std")]
pub mod virtual_net;

#[cfg(feature = "std")]
use std::os::fd::RawFd;

use smoltcp::phy::Device;

/// Why a device could not push out what it buffers: an I/O error on a host.
#[cfg(feature = "std")]
pub type FlushError = std::io::Error;

/// Why a device could not push out what it buffers (no_std: the platform's reason).
#[cfg(not(feature = "std"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushError(pub &'static str);

#[cfg(not(feature = "std"))]
impl core::fmt::Display for FlushError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.0)
    }
}

/// What the event loop needs from a device beyond smoltcp's [`Device`].
pub trait HostDevice: Device {
    /// A file descriptor that becomes readable when frames arrive; None for
    /// devices that are polled by their owner (the virtual network).
    /// Only with `std`: a no_std platform drives its device itself.
    #[cfg(feature = "std")]
    fn wait_fd(&self) -> Option<RawFd>;

    /// Pushes out whatever the device buffers (batched writes, a capture
    /// file). Called after each round of polling and at shutdown.
    fn flush(&mut self) -> Result<(), FlushError>;
}
