//! A Linux TAP interface as a smoltcp [`Device`]: the direct stack's link to
//! the host (or to a bridge, a namespace, a VM) while it runs as a process.
//!
//! The device opens `/dev/net/tun` non-blocking with `IFF_TAP | IFF_NO_PI`,
//! so every `read(2)` yields exactly one Ethernet frame and every `write(2)`
//! sends one. It owns one receive and one transmit buffer, allocated once;
//! the tokens smoltcp gets borrow them, so moving a frame allocates nothing.
//! The event loop waits on [`HostDevice::wait_fd`] for readability.
//!
//! This module holds the crate's only `unsafe` code for the TAP device: the
//! `TUNSETIFF` ioctl. Reads and writes go through `std::fs::File`.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::Arc;

use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

use crate::device::HostDevice;
use crate::metrics::InterfaceCounters;

/// Length of an Ethernet header (destination, source, EtherType).
const ETHERNET_HEADER_LEN: usize = 14;

/// Size of the receive buffer. The kernel hands over frames up to the
/// interface's MTU (which the host side may set larger than ours, or add a
/// VLAN tag to); a 64 KiB buffer takes any frame whole instead of truncating.
const RX_BUFFER_LEN: usize = 65_536;

/// The smallest IP MTU accepted (RFC 791: every IPv4 link carries 68 bytes).
pub const MIN_MTU: usize = 68;

/// The largest IP MTU accepted: a frame of `mtu + 14` must fit in 64 KiB.
pub const MAX_MTU: usize = 65_535 - ETHERNET_HEADER_LEN;

/// Frames lost and errors seen by one [`TapDevice`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TapStats {
    /// Frames the kernel would not take (`EAGAIN`/`ENOBUFS` on write).
    pub drops: u64,
    /// Failed reads and writes other than would-block (e.g. `EIO` while the
    /// host side of the interface is down).
    pub errors: u64,
}

/// A Linux TAP interface (`/dev/net/tun`, `IFF_TAP | IFF_NO_PI`), non-blocking.
///
/// The interface exists while the device is open (unless it was made
/// persistent beforehand, e.g. with `ip tuntap add`). Configuring the host
/// side (`ip link set dev NAME up`, addresses, bridges) is the caller's job.
#[derive(Debug)]
pub struct TapDevice {
    file: File,
    name: String,
    mtu: usize,
    rx: Box<[u8]>,
    tx: Vec<u8>,
    stats: TapStats,
    counters: Option<Arc<InterfaceCounters>>,
}

impl TapDevice {
    /// Attaches to TAP interface `name`, creating it when it does not exist
    /// (that needs `CAP_NET_ADMIN`). An empty `name` lets the kernel pick one
    /// (`tap0`, `tap1`, ...); [`name`](Self::name) tells which.
    ///
    /// `mtu` is the IP MTU (1500 on most links); the largest frame is
    /// `mtu + 14`. It must lie in [`MIN_MTU`]`..=`[`MAX_MTU`].
    ///
    /// Errors name the interface and the cause, e.g.
    /// `tap0: TUNSETIFF: Operation not permitted (os error 1); needs CAP_NET_ADMIN`.
    pub fn open(name: &str, mtu: usize) -> io::Result<Self> {
        validate_name(name)?;
        if !(MIN_MTU..=MAX_MTU).contains(&mtu) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name}: MTU {mtu} is outside {MIN_MTU}..={MAX_MTU}"),
            ));
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open("/dev/net/tun")
            .map_err(|e| {
                let hint = match e.kind() {
                    io::ErrorKind::NotFound => "; is the tun module loaded?",
                    io::ErrorKind::PermissionDenied => "; needs access to /dev/net/tun",
                    _ => "",
                };
                io::Error::new(e.kind(), format!("{name}: open /dev/net/tun: {e}{hint}"))
            })?;
        let actual = set_iff(&file, name)?;
        tracing::debug!(interface = %actual, mtu, "TAP device open");
        Ok(TapDevice {
            file,
            name: actual,
            mtu,
            rx: vec![0; RX_BUFFER_LEN].into_boxed_slice(),
            tx: vec![0; mtu + ETHERNET_HEADER_LEN],
            stats: TapStats::default(),
            counters: None,
        })
    }

    /// Also bumps `drops` and `errors` of these counters (frames and bytes
    /// are counted by [`Counted`](crate::device::counted::Counted)).
    pub fn with_counters(mut self, counters: Arc<InterfaceCounters>) -> Self {
        self.counters = Some(counters);
        self
    }

    /// The interface name the kernel gave the device.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The IP MTU this device was opened with.
    pub fn mtu(&self) -> usize {
        self.mtu
    }

    /// Frames dropped and errors so far.
    pub fn stats(&self) -> TapStats {
        self.stats
    }

    fn count_error(stats: &mut TapStats, counters: Option<&InterfaceCounters>) {
        stats.errors += 1;
        if let Some(c) = counters {
            c.errors.inc();
        }
    }
}

/// Rejects names the kernel would refuse or silently truncate.
fn validate_name(name: &str) -> io::Result<()> {
    let max = libc::IFNAMSIZ - 1;
    if name.len() > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{name}: interface name is {} bytes long; at most {max} allowed (IFNAMSIZ - 1)",
                name.len()
            ),
        ));
    }
    if name.bytes().any(|b| b == 0 || b == b'/' || b.is_ascii_whitespace()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?}: interface name contains NUL, '/' or whitespace"),
        ));
    }
    Ok(())
}

/// Attaches `file` (an open `/dev/net/tun`) to TAP interface `name` and
/// returns the name the kernel settled on.
fn set_iff(file: &File, name: &str) -> io::Result<String> {
    // SAFETY: `ifreq` is plain old data (a `c_char` array and a union of
    // integers, pointers and `sockaddr`s); all-zero bytes are a valid value.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    // `validate_name` guarantees at most IFNAMSIZ - 1 bytes, so the name
    // stays NUL-terminated.
    for (dst, src) in ifr.ifr_name.iter_mut().zip(name.bytes()) {
        *dst = src as libc::c_char;
    }
    ifr.ifr_ifru.ifru_flags = (libc::IFF_TAP | libc::IFF_NO_PI) as libc::c_short;
    // SAFETY: the fd is open for the whole call (we borrow `file`), and
    // TUNSETIFF reads and writes exactly one `struct ifreq`, which `ifr` is
    // and which outlives the call.
    let rc = unsafe { libc::ioctl(file.as_raw_fd(), libc::TUNSETIFF, &mut ifr as *mut libc::ifreq) };
    if rc < 0 {
        let err = io::Error::last_os_error();
        let hint = match err.raw_os_error() {
            Some(libc::EPERM) => "; needs CAP_NET_ADMIN",
            Some(libc::EBUSY) => {
                "; the interface is in use by another process, or exists with other flags (TUN, or with packet info)"
            }
            Some(libc::EINVAL) => "; the kernel rejected the name or flags",
            _ => "",
        };
        return Err(io::Error::new(err.kind(), format!("{name}: TUNSETIFF: {err}{hint}")));
    }
    // The kernel writes back the final name (it fills in patterns like "tap%d").
    let bytes: Vec<u8> = ifr.ifr_name.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

impl Device for TapDevice {
    type RxToken<'a>
        = TapRxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = TapTxToken<'a>
    where
        Self: 'a;

    fn receive(&mut self, _timestamp: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let len = loop {
            match (&self.file).read(&mut self.rx) {
                Ok(0) => return None,
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
                Err(e) => {
                    Self::count_error(&mut self.stats, self.counters.as_deref());
                    tracing::debug!(interface = %self.name, "TAP read failed: {e}");
                    return None;
                }
            }
        };
        let frame = self.rx.get(..len)?;
        Some((
            TapRxToken { frame },
            TapTxToken {
                file: &self.file,
                buf: &mut self.tx,
                stats: &mut self.stats,
                counters: self.counters.as_deref(),
                name: &self.name,
            },
        ))
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<Self::TxToken<'_>> {
        Some(TapTxToken {
            file: &self.file,
            buf: &mut self.tx,
            stats: &mut self.stats,
            counters: self.counters.as_deref(),
            name: &self.name,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = self.mtu + ETHERNET_HEADER_LEN;
        caps.max_burst_size = None;
        caps
    }
}

impl HostDevice for TapDevice {
    fn wait_fd(&self) -> Option<RawFd> {
        Some(self.file.as_raw_fd())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsRawFd for TapDevice {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

/// One frame read from a [`TapDevice`], borrowed from its receive buffer.
#[derive(Debug)]
pub struct TapRxToken<'a> {
    frame: &'a [u8],
}

impl phy::RxToken for TapRxToken<'_> {
    fn consume<R, F>(self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R,
    {
        f(self.frame)
    }
}

/// Permission to send one frame on a [`TapDevice`] through its transmit buffer.
#[derive(Debug)]
pub struct TapTxToken<'a> {
    file: &'a File,
    buf: &'a mut Vec<u8>,
    stats: &'a mut TapStats,
    counters: Option<&'a InterfaceCounters>,
    name: &'a str,
}

impl phy::TxToken for TapTxToken<'_> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        if self.buf.len() < len {
            // smoltcp stays within max_transmission_unit, so this happens only
            // for a caller that does not; grow once rather than fail.
            self.buf.resize(len, 0);
        }
        let frame = &mut self.buf[..len];
        let result = f(frame);
        let mut file = self.file;
        loop {
            match file.write(frame) {
                Ok(n) if n == len => {}
                Ok(n) => {
                    TapDevice::count_error(self.stats, self.counters);
                    tracing::debug!(interface = %self.name, "TAP short write: {n} of {len} bytes");
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock || e.raw_os_error() == Some(libc::ENOBUFS) =>
                {
                    self.stats.drops += 1;
                    if let Some(c) = self.counters {
                        c.drops.inc();
                    }
                    tracing::trace!(interface = %self.name, "TAP full, frame dropped: {e}");
                }
                Err(e) => {
                    TapDevice::count_error(self.stats, self.counters);
                    tracing::debug!(interface = %self.name, "TAP write failed: {e}");
                }
            }
            break;
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoltcp::phy::{RxToken as _, TxToken as _};
    use smoltcp::wire::{
        ArpOperation, ArpPacket, ArpRepr, EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr,
        Ipv4Address,
    };
    use std::path::Path;
    use std::process::Command;
    use std::time::Duration;

    /// Why TAP tests cannot run here, or None when they can.
    fn skip_reason() -> Option<&'static str> {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            return Some("not root");
        }
        if !Path::new("/dev/net/tun").exists() {
            return Some("/dev/net/tun missing");
        }
        None
    }

    /// Runs `f` on a thread that moved into a fresh network namespace, so the
    /// TAP interface (and anything `ip` does) vanishes with the thread.
    fn in_fresh_netns(f: impl FnOnce() + Send + 'static) -> Result<(), String> {
        std::thread::spawn(move || {
            // SAFETY: unshare only changes this thread's namespace membership;
            // no memory is involved. CLONE_NEWNET is per-thread on Linux.
            if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                return Err(format!("unshare(CLONE_NEWNET): {}", io::Error::last_os_error()));
            }
            f();
            Ok(())
        })
        .join()
        .map_err(|_| "test thread panicked".to_string())?
    }

    #[test]
    fn rejects_too_long_names_clearly() {
        let name = "a-very-long-interface-name";
        let err = TapDevice::open(name, 1500).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let msg = err.to_string();
        assert!(msg.starts_with(name), "{msg}");
        assert!(msg.contains("at most 15"), "{msg}");
        let err = TapDevice::open("tap 0", 1500).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let err = TapDevice::open("tap0", 10).unwrap_err();
        assert!(err.to_string().contains("MTU 10"), "{err}");
    }

    #[test]
    fn opens_non_blocking_and_answers_arp_from_the_kernel() {
        if let Some(why) = skip_reason() {
            eprintln!("skipped: {why}");
            return;
        }
        let result = in_fresh_netns(|| {
            let name = format!("aptst{}", std::process::id());
            let mut tap = TapDevice::open(&name, 1500).expect("open TAP as root");
            assert_eq!(tap.name(), name);
            let fd = tap.wait_fd().expect("TAP has an fd");
            // SAFETY: F_GETFL on an fd we own reads its flags; no memory involved.
            let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
            assert!(flags >= 0 && flags & libc::O_NONBLOCK != 0, "flags {flags:#x}");
            assert!(tap.receive(Instant::ZERO).is_none(), "nothing sent yet");
            let caps = tap.capabilities();
            assert_eq!(caps.max_transmission_unit, 1514);
            assert_eq!(caps.medium, Medium::Ethernet);

            // Same name again: the interface is busy, and the error says so.
            let err = TapDevice::open(&name, 1500).unwrap_err();
            assert!(err.to_string().starts_with(&format!("{name}: TUNSETIFF: ")), "{err}");

            // A round trip through the kernel: give the host side an address
            // and ask for it with ARP. Needs `ip`; skip that part without it.
            let ip = |args: &[&str]| Command::new("ip").args(args).status();
            let ok = ip(&["link", "set", "dev", &name, "up"]).is_ok_and(|s| s.success())
                && ip(&["addr", "add", "10.199.0.1/24", "dev", &name]).is_ok_and(|s| s.success());
            if !ok {
                eprintln!("ARP round trip skipped: `ip` missing or failed");
                return;
            }
            let ours = EthernetAddress([0x02, 0, 0, 0, 0, 0x42]);
            let arp = ArpRepr::EthernetIpv4 {
                operation: ArpOperation::Request,
                source_hardware_addr: ours,
                source_protocol_addr: Ipv4Address::new(10, 199, 0, 2),
                target_hardware_addr: EthernetAddress([0; 6]),
                target_protocol_addr: Ipv4Address::new(10, 199, 0, 1),
            };
            let eth = EthernetRepr {
                src_addr: ours,
                dst_addr: EthernetAddress::BROADCAST,
                ethertype: EthernetProtocol::Arp,
            };
            let len = eth.buffer_len() + arp.buffer_len();
            tap.transmit(Instant::ZERO).unwrap().consume(len, |buf| {
                let mut frame = EthernetFrame::new_unchecked(buf);
                eth.emit(&mut frame);
                arp.emit(&mut ArpPacket::new_unchecked(frame.payload_mut()));
            });
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            let mut answered = false;
            while !answered && std::time::Instant::now() < deadline {
                match tap.receive(Instant::ZERO) {
                    Some((rx, _tx)) => {
                        answered = rx.consume(|buf| {
                            let Ok(frame) = EthernetFrame::new_checked(buf) else {
                                return false;
                            };
                            if frame.ethertype() != EthernetProtocol::Arp {
                                return false; // IPv6 chatter from the kernel
                            }
                            let Ok(reply) =
                                ArpPacket::new_checked(frame.payload()).and_then(|p| ArpRepr::parse(&p))
                            else {
                                return false;
                            };
                            matches!(reply, ArpRepr::EthernetIpv4 {
                                operation: ArpOperation::Reply,
                                source_protocol_addr,
                                target_hardware_addr,
                                ..
                            } if source_protocol_addr == Ipv4Address::new(10, 199, 0, 1)
                                && target_hardware_addr == ours)
                        });
                    }
                    None => std::thread::sleep(Duration::from_millis(5)),
                }
            }
            assert!(answered, "the kernel answered our ARP request");
            assert_eq!(tap.stats(), TapStats::default());
        });
        if let Err(why) = result {
            // A container may forbid new namespaces even to root.
            if why.starts_with("unshare") {
                eprintln!("skipped: {why}");
            } else {
                panic!("{why}");
            }
        }
    }
}
