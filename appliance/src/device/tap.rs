//! A Linux TAP interface as a smoltcp [`Device`]: the direct stack's link to
//! the host (or to a bridge, a namespace, a VM) while it runs as a process.
//!
//! The device opens `/dev/net/tun` non-blocking with
//! `IFF_TAP | IFF_NO_PI | IFF_VNET_HDR`, so every `read(2)` yields exactly one
//! Ethernet frame behind a virtio-net header and every `write(2)` sends one.
//! It owns one receive and one transmit buffer, allocated once; the tokens
//! smoltcp gets borrow them, so moving a frame allocates nothing. The event
//! loop waits on [`HostDevice::wait_fd`] for readability.
//!
//! ## Offloads (virtio-net header, virtio 1.x section 5.1.6)
//!
//! The kernel is told (`TUNSETOFFLOAD`) that we take partial checksums and
//! TCP segmentation offload super-frames (`TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6`):
//! the host's TCP then hands us one frame of up to 64 KiB where it would
//! have sent forty-odd 1500-byte frames, and skips checksumming what it sends
//! us. smoltcp takes such a frame whole: its receive path never compares a
//! packet with the MTU, and its TCP accepts a segment larger than the MSS it
//! advertised (window checks only). Checksums are verified here, in the
//! device, for frames the header does not vouch for (`NEEDS_CSUM`: made on this
//! host, never on a wire; `DATA_VALID`: already checked); smoltcp's receive
//! checksum checks are off. What we send carries a zero header (no offload):
//! smoltcp segments by MSS and checksums itself.
//!
//! The header is 12 bytes (`TUNSETVNETHDRSZ`), the virtio 1.x layout
//! (`struct virtio_net_hdr_v1`, with `num_buffers`), little-endian
//! (`TUNSETVNETLE`): the same header a virtio-net device in a VM image uses, so
//! one parser serves both; 10 bytes (the legacy layout) would save nothing.
//!
//! ## Multi-queue
//!
//! [`TapDevice::open_queues`] attaches several queues (`IFF_MULTI_QUEUE`) to one
//! interface, one per direct-stack instance (same MAC, same addresses). The
//! kernel picks a queue per flow (`tun_automq`: the queue that last sent the
//! flow, else the flow hash), so every packet of one TCP connection reaches
//! the same instance. Neighbour resolution is the exception: each smoltcp
//! instance keeps its own cache, and an ARP reply (or IPv6 neighbour
//! advertisement) lands on whichever queue the kernel picks, not on the one
//! that asked. So a queue that receives an ARP or NDP frame also hands a copy
//! to every other queue of the group and wakes it: every instance learns
//! every neighbour, whoever asked (duplicate answers to a request are
//! harmless). Each queue then waits on an epoll set of its own holding the
//! TAP fd and a waker; [`HostDevice::wait_fd`] returns that set's fd, which
//! is readable when either is.
//!
//! This module holds the crate's only `unsafe` code for the TAP device: the
//! `TUNSET*` ioctls. Reads and writes go through `std::fs::File`.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use smoltcp::phy::{self, Checksum, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use smoltcp::wire::{
    EthernetFrame, EthernetProtocol, Icmpv4Packet, Icmpv6Packet, IpAddress, IpProtocol, Ipv4Packet,
    Ipv6Packet, TcpPacket, UdpPacket,
};

use mio::Interest;
use mio::unix::SourceFd;

use crate::device::HostDevice;
use crate::metrics::InterfaceCounters;

/// Length of an Ethernet header (destination, source, EtherType).
const ETHERNET_HEADER_LEN: usize = 14;

/// Length of the virtio-net header before every frame (virtio 1.x
/// `struct virtio_net_hdr_v1`: flags, gso_type, hdr_len, gso_size,
/// csum_start, csum_offset, num_buffers).
pub const VNET_HDR_LEN: usize = 12;

/// `flags`: the checksum at `csum_start + csum_offset` is partial (the frame
/// was made on this host and never crossed a wire).
const VIRTIO_NET_HDR_F_NEEDS_CSUM: u8 = 1;
/// `flags`: the checksums were already verified.
const VIRTIO_NET_HDR_F_DATA_VALID: u8 = 2;
/// `gso_type` values we asked for (`TUN_F_TSO4`/`TUN_F_TSO6`) or none; bit 7
/// (ECN) may be set on top.
const VIRTIO_NET_HDR_GSO_NONE: u8 = 0;
const VIRTIO_NET_HDR_GSO_TCPV4: u8 = 1;
const VIRTIO_NET_HDR_GSO_TCPV6: u8 = 4;
const VIRTIO_NET_HDR_GSO_ECN: u8 = 0x80;

/// Size of the receive buffer: the virtio-net header, then a GSO super-frame
/// (an IP packet of up to 64 KiB), an Ethernet header and a VLAN tag. A
/// frame larger than the MTU (the host side may set a larger one) also fits
/// whole instead of being truncated.
const RX_BUFFER_LEN: usize = VNET_HDR_LEN + 65_536 + ETHERNET_HEADER_LEN + 4;

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
    /// Received frames dropped for a bad IPv4, TCP, UDP or ICMP checksum
    /// (also counted in `drops` of the interface counters).
    pub bad_checksums: u64,
    /// Received frames dropped for a virtio-net header we cannot honour (too
    /// short, or an offload we did not ask for).
    pub bad_headers: u64,
}

/// A Linux TAP interface (`/dev/net/tun`, `IFF_TAP | IFF_NO_PI | IFF_VNET_HDR`),
/// non-blocking, with checksum and TCP segmentation offloads on receive.
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
    /// Set on the queues of a multi-queue group.
    share: Option<Share>,
}

/// Neighbour frames waiting for one queue, and how to wake its instance.
#[derive(Debug)]
struct Inbox {
    frames: Mutex<VecDeque<Vec<u8>>>,
    /// `frames.len()`, readable without the lock on every receive.
    pending: AtomicUsize,
    waker: mio::Waker,
}

/// At most this many neighbour frames wait per queue; more are dropped
/// (ARP retries).
const INBOX_LIMIT: usize = 64;

/// One queue's part in a multi-queue group.
#[derive(Debug)]
struct Share {
    index: usize,
    inboxes: Arc<[Inbox]>,
    /// The epoll set (TAP fd + waker) the event loop waits on.
    poll: mio::Poll,
    events: mio::Events,
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
        Self::open_queue(name, mtu, false)
    }

    /// Attaches `queues` queues of multi-queue TAP interface `name`
    /// (`IFF_MULTI_QUEUE`, created when it does not exist), one device per
    /// direct-stack instance. The kernel picks a queue per flow (flow hash),
    /// so one connection's frames all reach the same device. Errors as in
    /// [`open`](Self::open); `queues` must be at least 1.
    pub fn open_queues(name: &str, mtu: usize, queues: usize) -> io::Result<Vec<Self>> {
        if queues == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{name}: 0 queues")));
        }
        let first = Self::open_queue(name, mtu, true)?;
        // The kernel may have picked the name ("tap%d"): attach the rest to it.
        let actual = first.name.clone();
        let mut devices = Vec::with_capacity(queues);
        devices.push(first);
        for _ in 1..queues {
            devices.push(Self::open_queue(&actual, mtu, true)?);
        }
        if queues == 1 {
            return Ok(devices);
        }
        let context = |e: io::Error| io::Error::new(e.kind(), format!("{actual}: queue epoll set: {e}"));
        let mut polls = Vec::with_capacity(queues);
        let mut inboxes = Vec::with_capacity(queues);
        for device in &devices {
            let poll = mio::Poll::new().map_err(context)?;
            poll.registry()
                .register(&mut SourceFd(&device.file.as_raw_fd()), QUEUE_FRAMES, Interest::READABLE)
                .map_err(context)?;
            let waker = mio::Waker::new(poll.registry(), QUEUE_WAKE).map_err(context)?;
            inboxes.push(Inbox { frames: Mutex::new(VecDeque::new()), pending: AtomicUsize::new(0), waker });
            polls.push(poll);
        }
        let inboxes: Arc<[Inbox]> = inboxes.into();
        for (index, (device, poll)) in devices.iter_mut().zip(polls).enumerate() {
            let inboxes = Arc::clone(&inboxes);
            device.share = Some(Share { index, inboxes, poll, events: mio::Events::with_capacity(4) });
        }
        Ok(devices)
    }

    fn open_queue(name: &str, mtu: usize, multi_queue: bool) -> io::Result<Self> {
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
        let actual = set_iff(&file, name, multi_queue)?;
        set_offloads(&file, &actual)?;
        tracing::debug!(interface = %actual, mtu, multi_queue, "TAP device open (virtio-net header, offloads)");
        Ok(TapDevice {
            file,
            name: actual,
            mtu,
            rx: vec![0; RX_BUFFER_LEN].into_boxed_slice(),
            // The header part stays zero: no offload asked on transmit.
            tx: vec![0; VNET_HDR_LEN + mtu + ETHERNET_HEADER_LEN],
            stats: TapStats::default(),
            counters: None,
            share: None,
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
fn set_iff(file: &File, name: &str, multi_queue: bool) -> io::Result<String> {
    // SAFETY: `ifreq` is plain old data (a `c_char` array and a union of
    // integers, pointers and `sockaddr`s); all-zero bytes are a valid value.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    // `validate_name` guarantees at most IFNAMSIZ - 1 bytes, so the name
    // stays NUL-terminated.
    for (dst, src) in ifr.ifr_name.iter_mut().zip(name.bytes()) {
        *dst = src as libc::c_char;
    }
    let mut flags = libc::IFF_TAP | libc::IFF_NO_PI | libc::IFF_VNET_HDR;
    if multi_queue {
        flags |= libc::IFF_MULTI_QUEUE;
    }
    ifr.ifr_ifru.ifru_flags = flags as libc::c_short;
    // SAFETY: the fd is open for the whole call (we borrow `file`), and
    // TUNSETIFF reads and writes exactly one `struct ifreq`, which `ifr` is
    // and which outlives the call.
    let rc = unsafe { libc::ioctl(file.as_raw_fd(), libc::TUNSETIFF, &mut ifr as *mut libc::ifreq) };
    if rc < 0 {
        let err = io::Error::last_os_error();
        let hint = match err.raw_os_error() {
            Some(libc::EPERM) => "; needs CAP_NET_ADMIN",
            Some(libc::EBUSY) => {
                "; the interface is in use by another process, or exists with other flags (TUN, packet info, single/multi-queue)"
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

/// Sets the virtio-net header size and byte order and asks for the receive
/// offloads (see the module docs).
fn set_offloads(file: &File, name: &str) -> io::Result<()> {
    let fd = file.as_raw_fd();
    let hdr_len = VNET_HDR_LEN as libc::c_int;
    let little_endian: libc::c_int = 1;
    // SAFETY: the fd is open for the whole call; TUNSETVNETHDRSZ and
    // TUNSETVNETLE read one `int` through the pointer, which outlives the call.
    let rc = unsafe { libc::ioctl(fd, libc::TUNSETVNETHDRSZ, &hdr_len as *const libc::c_int) };
    ioctl_result(rc, name, "TUNSETVNETHDRSZ")?;
    // SAFETY: as above.
    let rc = unsafe { libc::ioctl(fd, libc::TUNSETVNETLE, &little_endian as *const libc::c_int) };
    ioctl_result(rc, name, "TUNSETVNETLE")?;
    let offloads = libc::TUN_F_CSUM | libc::TUN_F_TSO4 | libc::TUN_F_TSO6;
    // SAFETY: TUNSETOFFLOAD takes its argument by value (an unsigned long);
    // no memory is involved.
    let rc = unsafe { libc::ioctl(fd, libc::TUNSETOFFLOAD, offloads as libc::c_ulong) };
    ioctl_result(rc, name, "TUNSETOFFLOAD")
}

fn ioctl_result(rc: libc::c_int, name: &str, what: &str) -> io::Result<()> {
    if rc < 0 {
        let err = io::Error::last_os_error();
        return Err(io::Error::new(err.kind(), format!("{name}: {what}: {err}")));
    }
    Ok(())
}

/// Why a received frame was dropped before smoltcp saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RxDrop {
    /// Shorter than a virtio-net header.
    ShortHeader,
    /// A GSO type we did not ask for (UDP, or unknown).
    GsoType(u8),
    /// A bad checksum in the named header.
    Checksum(&'static str),
}

/// Splits what one `read(2)` returned into virtio-net header and frame, and
/// verifies the checksums the header does not vouch for.
fn accept_frame(read: &[u8]) -> Result<&[u8], RxDrop> {
    let (header, frame) = read.split_at_checked(VNET_HDR_LEN).ok_or(RxDrop::ShortHeader)?;
    let flags = header[0];
    let gso = header[1] & !VIRTIO_NET_HDR_GSO_ECN;
    if !matches!(gso, VIRTIO_NET_HDR_GSO_NONE | VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_TCPV6) {
        return Err(RxDrop::GsoType(header[1]));
    }
    if flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID) == 0 {
        verify_checksums(frame)?;
    }
    Ok(frame)
}

/// Verifies the IPv4 header checksum and the TCP, UDP or ICMP checksum of
/// an Ethernet frame. Frames too malformed to check go on to smoltcp, whose
/// checked parsers drop them; IPv4 fragments carry a checksum over the
/// whole datagram and are passed unchecked.
fn verify_checksums(frame: &[u8]) -> Result<(), RxDrop> {
    let Ok(eth) = EthernetFrame::new_checked(frame) else {
        return Ok(());
    };
    let (src, dst, protocol, payload) = match eth.ethertype() {
        EthernetProtocol::Ipv4 => {
            let Ok(ip) = Ipv4Packet::new_checked(eth.payload()) else {
                return Ok(());
            };
            if !ip.verify_checksum() {
                return Err(RxDrop::Checksum("IPv4"));
            }
            if ip.more_frags() || ip.frag_offset() != 0 {
                return Ok(());
            }
            if ip.next_header() == IpProtocol::Icmp {
                let ok = Icmpv4Packet::new_checked(ip.payload()).map_or(true, |p| p.verify_checksum());
                return if ok { Ok(()) } else { Err(RxDrop::Checksum("ICMPv4")) };
            }
            (IpAddress::Ipv4(ip.src_addr()), IpAddress::Ipv4(ip.dst_addr()), ip.next_header(), ip.payload())
        }
        EthernetProtocol::Ipv6 => {
            let Ok(ip) = Ipv6Packet::new_checked(eth.payload()) else {
                return Ok(());
            };
            let (src, dst) = (ip.src_addr(), ip.dst_addr());
            if ip.next_header() == IpProtocol::Icmpv6 {
                let ok =
                    Icmpv6Packet::new_checked(ip.payload()).map_or(true, |p| p.verify_checksum(&src, &dst));
                return if ok { Ok(()) } else { Err(RxDrop::Checksum("ICMPv6")) };
            }
            // Extension headers: smoltcp checks nothing behind them either.
            (IpAddress::Ipv6(src), IpAddress::Ipv6(dst), ip.next_header(), ip.payload())
        }
        _ => return Ok(()),
    };
    let ok = match protocol {
        IpProtocol::Tcp => TcpPacket::new_checked(payload).map_or(true, |p| p.verify_checksum(&src, &dst)),
        IpProtocol::Udp => UdpPacket::new_checked(payload).map_or(true, |p| p.verify_checksum(&src, &dst)),
        _ => true,
    };
    if ok { Ok(()) } else { Err(RxDrop::Checksum(if protocol == IpProtocol::Tcp { "TCP" } else { "UDP" })) }
}

/// Tokens of a queue's own epoll set.
const QUEUE_FRAMES: mio::Token = mio::Token(0);
const QUEUE_WAKE: mio::Token = mio::Token(1);

/// ARP, or an IPv6 neighbour solicitation or advertisement (RFC 4861 4.3,
/// 4.4) right behind the IPv6 header: what each instance of a multi-queue
/// group must see to fill its neighbour cache.
fn is_neighbour_frame(frame: &[u8]) -> bool {
    let Ok(eth) = EthernetFrame::new_checked(frame) else {
        return false;
    };
    match eth.ethertype() {
        EthernetProtocol::Arp => true,
        EthernetProtocol::Ipv6 => Ipv6Packet::new_checked(eth.payload()).is_ok_and(|ip| {
            ip.next_header() == IpProtocol::Icmpv6 && matches!(ip.payload().first(), Some(135 | 136))
        }),
        _ => false,
    }
}

impl Share {
    /// Copies a neighbour frame to every other queue and wakes them.
    fn broadcast(&self, frame: &[u8]) {
        for (i, inbox) in self.inboxes.iter().enumerate() {
            if i == self.index {
                continue;
            }
            let Ok(mut frames) = inbox.frames.lock() else { continue };
            if frames.len() >= INBOX_LIMIT {
                tracing::trace!(queue = i, "neighbour frame inbox full, frame dropped");
                continue;
            }
            frames.push_back(frame.to_vec());
            inbox.pending.store(frames.len(), Ordering::Release);
            drop(frames);
            if let Err(e) = inbox.waker.wake() {
                tracing::debug!(queue = i, "waking a TAP queue failed: {e}");
            }
        }
    }

    /// A neighbour frame another queue received, if any.
    fn take(&self) -> Option<Vec<u8>> {
        let inbox = self.inboxes.get(self.index)?;
        if inbox.pending.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut frames = inbox.frames.lock().ok()?;
        let frame = frames.pop_front();
        inbox.pending.store(frames.len(), Ordering::Release);
        frame
    }

    /// Empties the queue's epoll set (its events were only wake-ups).
    fn drain_events(&mut self) {
        if let Err(e) = self.poll.poll(&mut self.events, Some(std::time::Duration::ZERO)) {
            tracing::debug!(queue = self.index, "TAP queue epoll: {e}");
        }
    }
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
        // Neighbour frames other queues of the group received come first.
        if let Some(frame) = self.share.as_ref().and_then(Share::take) {
            let len = (VNET_HDR_LEN + frame.len()).min(self.rx.len());
            self.rx[..VNET_HDR_LEN].fill(0);
            self.rx[VNET_HDR_LEN..len].copy_from_slice(&frame[..len - VNET_HDR_LEN]);
            return self.tokens(len);
        }
        // Frames dropped here do not end the round: read on until one is
        // good or the queue is empty.
        let len = loop {
            let len = match (&self.file).read(&mut self.rx) {
                Ok(0) => return None,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if let Some(share) = self.share.as_mut() {
                        share.drain_events();
                    }
                    return None;
                }
                Err(e) => {
                    Self::count_error(&mut self.stats, self.counters.as_deref());
                    tracing::debug!(interface = %self.name, "TAP read failed: {e}");
                    return None;
                }
            };
            match accept_frame(self.rx.get(..len)?) {
                Ok(frame) => {
                    if let Some(share) = &self.share
                        && is_neighbour_frame(frame)
                    {
                        share.broadcast(frame);
                    }
                    break len;
                }
                Err(why) => {
                    match why {
                        RxDrop::Checksum(_) => self.stats.bad_checksums += 1,
                        RxDrop::ShortHeader | RxDrop::GsoType(_) => self.stats.bad_headers += 1,
                    }
                    if let Some(c) = self.counters.as_deref() {
                        c.drops.inc();
                    }
                    tracing::trace!(interface = %self.name, len, "TAP frame dropped: {why:?}");
                }
            }
        };
        self.tokens(len)
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<Self::TxToken<'_>> {
        let (file, buf, stats, counters, name) =
            (&self.file, &mut self.tx, &mut self.stats, self.counters.as_deref(), &*self.name);
        Some(TapTxToken { file, buf, stats, counters, name })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.caps()
    }
}

impl TapDevice {
    /// The tokens for the frame in `rx[VNET_HDR_LEN..len]`.
    fn tokens(&mut self, len: usize) -> Option<(TapRxToken<'_>, TapTxToken<'_>)> {
        let frame = self.rx.get(VNET_HDR_LEN..len)?;
        let (file, buf, stats, counters, name) =
            (&self.file, &mut self.tx, &mut self.stats, self.counters.as_deref(), &*self.name);
        Some((TapRxToken { frame }, TapTxToken { file, buf, stats, counters, name }))
    }

    fn caps(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = self.mtu + ETHERNET_HEADER_LEN;
        caps.max_burst_size = None;
        // Verified in `receive` (or vouched for by the kernel); computed by
        // smoltcp on transmit.
        caps.checksum.ipv4 = Checksum::Tx;
        caps.checksum.tcp = Checksum::Tx;
        caps.checksum.udp = Checksum::Tx;
        caps.checksum.icmpv4 = Checksum::Tx;
        caps.checksum.icmpv6 = Checksum::Tx;
        caps
    }
}

impl HostDevice for TapDevice {
    fn wait_fd(&self) -> Option<RawFd> {
        Some(match &self.share {
            Some(share) => share.poll.as_raw_fd(),
            None => self.file.as_raw_fd(),
        })
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
        let total = VNET_HDR_LEN + len;
        if self.buf.len() < total {
            // smoltcp stays within max_transmission_unit, so this happens only
            // for a caller that does not; grow once rather than fail.
            self.buf.resize(total, 0);
        }
        // buf[..VNET_HDR_LEN] is the all-zero virtio-net header: no offload.
        let result = f(&mut self.buf[VNET_HDR_LEN..total]);
        let mut file = self.file;
        loop {
            match file.write(&self.buf[..total]) {
                Ok(n) if n == total => {}
                Ok(n) => {
                    TapDevice::count_error(self.stats, self.counters);
                    tracing::debug!(interface = %self.name, "TAP short write: {n} of {total} bytes");
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
    use smoltcp::phy::{ChecksumCapabilities, RxToken as _, TxToken as _};
    use smoltcp::wire::{
        ArpOperation, ArpPacket, ArpRepr, EthernetAddress, EthernetRepr, Ipv4Address, Ipv4Repr, TcpControl,
        TcpRepr, TcpSeqNumber,
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

    /// A virtio-net header with `flags` and `gso_type`, then `frame`.
    fn with_header(flags: u8, gso_type: u8, frame: &[u8]) -> Vec<u8> {
        let mut read = vec![0; VNET_HDR_LEN];
        read[0] = flags;
        read[1] = gso_type;
        read.extend_from_slice(frame);
        read
    }

    const PEER_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 2]);
    const OUR_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 1]);
    const PEER_IP: Ipv4Address = Ipv4Address::new(10, 0, 0, 2);
    const OUR_IP: Ipv4Address = Ipv4Address::new(10, 0, 0, 1);

    /// An Ethernet frame from the peer carrying IPv4/TCP `tcp`, checksums
    /// filled in.
    fn tcp_frame(tcp: &TcpRepr<'_>) -> Vec<u8> {
        let ip = Ipv4Repr {
            src_addr: PEER_IP,
            dst_addr: OUR_IP,
            next_header: IpProtocol::Tcp,
            payload_len: tcp.buffer_len(),
            hop_limit: 64,
        };
        let eth = EthernetRepr { src_addr: PEER_MAC, dst_addr: OUR_MAC, ethertype: EthernetProtocol::Ipv4 };
        let mut buf = vec![0; eth.buffer_len() + ip.buffer_len() + tcp.buffer_len()];
        let mut frame = EthernetFrame::new_unchecked(&mut buf[..]);
        eth.emit(&mut frame);
        let caps = ChecksumCapabilities::default();
        let mut packet = Ipv4Packet::new_unchecked(frame.payload_mut());
        ip.emit(&mut packet, &caps);
        tcp.emit(
            &mut TcpPacket::new_unchecked(packet.payload_mut()),
            &IpAddress::Ipv4(PEER_IP),
            &IpAddress::Ipv4(OUR_IP),
            &caps,
        );
        buf
    }

    fn tcp_repr(control: TcpControl, seq: u32, ack: Option<u32>, payload: &[u8]) -> TcpRepr<'_> {
        TcpRepr {
            src_port: 40_000,
            dst_port: 80,
            control,
            seq_number: TcpSeqNumber(seq as i32),
            ack_number: ack.map(|a| TcpSeqNumber(a as i32)),
            window_len: 64_000,
            window_scale: None,
            max_seg_size: (control == TcpControl::Syn).then_some(1460),
            sack_permitted: false,
            sack_ranges: [None; 3],
            timestamp: None,
            payload,
        }
    }

    #[test]
    fn accepts_good_frames_and_drops_bad_checksums_unless_the_header_vouches() {
        let frame = tcp_frame(&tcp_repr(TcpControl::Syn, 1000, None, &[]));
        assert_eq!(accept_frame(&with_header(0, 0, &frame)), Ok(&frame[..]));
        let mut bad_tcp = frame.clone();
        let last = bad_tcp.len() - 1;
        bad_tcp[last] ^= 0x40; // inside the TCP options: the TCP checksum no longer holds
        assert_eq!(accept_frame(&with_header(0, 0, &bad_tcp)), Err(RxDrop::Checksum("TCP")));
        // Made on this host (partial checksum) or already checked: passed as is.
        for flags in [VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_F_DATA_VALID] {
            assert_eq!(accept_frame(&with_header(flags, 0, &bad_tcp)), Ok(&bad_tcp[..]));
        }
        let mut bad_ip = frame.clone();
        bad_ip[ETHERNET_HEADER_LEN + 8] ^= 1; // TTL
        assert_eq!(accept_frame(&with_header(0, 0, &bad_ip)), Err(RxDrop::Checksum("IPv4")));
        // TSO super-frames are what we asked for; UDP segmentation is not.
        let needs = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        assert!(accept_frame(&with_header(needs, VIRTIO_NET_HDR_GSO_TCPV4, &frame)).is_ok());
        assert!(accept_frame(&with_header(needs, VIRTIO_NET_HDR_GSO_TCPV6 | 0x80, &frame)).is_ok());
        assert_eq!(accept_frame(&with_header(needs, 5, &frame)), Err(RxDrop::GsoType(5)));
        assert_eq!(accept_frame(&frame[..VNET_HDR_LEN - 1]), Err(RxDrop::ShortHeader));
        // Not IP, or too short to check: smoltcp decides.
        assert_eq!(accept_frame(&with_header(0, 0, &[0xff; 20])), Ok(&[0xff; 20][..]));
        assert_eq!(accept_frame(&with_header(0, 0, &[])), Ok(&[][..]));
    }

    #[test]
    fn verify_checksums_never_panics_on_truncations() {
        let frame = tcp_frame(&tcp_repr(TcpControl::Syn, 1000, None, b"payload"));
        for len in 0..=frame.len() {
            let _ = verify_checksums(&frame[..len]);
        }
    }

    /// An in-memory Ethernet link: frames queued for smoltcp, frames it sent.
    struct Wire {
        to_stack: std::collections::VecDeque<Vec<u8>>,
        from_stack: Vec<Vec<u8>>,
    }

    struct WireRx(Vec<u8>);
    struct WireTx<'a>(&'a mut Vec<Vec<u8>>);

    impl phy::RxToken for WireRx {
        fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
            f(&self.0)
        }
    }

    impl phy::TxToken for WireTx<'_> {
        fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
            let mut frame = vec![0; len];
            let r = f(&mut frame);
            self.0.push(frame);
            r
        }
    }

    impl Device for Wire {
        type RxToken<'a> = WireRx;
        type TxToken<'a> = WireTx<'a>;

        fn receive(&mut self, _: Instant) -> Option<(WireRx, WireTx<'_>)> {
            let frame = self.to_stack.pop_front()?;
            Some((WireRx(frame), WireTx(&mut self.from_stack)))
        }

        fn transmit(&mut self, _: Instant) -> Option<WireTx<'_>> {
            Some(WireTx(&mut self.from_stack))
        }

        fn capabilities(&self) -> DeviceCapabilities {
            let mut caps = DeviceCapabilities::default();
            caps.medium = Medium::Ethernet;
            caps.max_transmission_unit = 1514;
            caps
        }
    }

    /// What the offloads rely on: smoltcp takes a TCP segment in one IPv4
    /// packet far larger than the device MTU (1500) and than the MSS it
    /// advertised (1460), as a TSO super-frame is.
    #[test]
    fn smoltcp_takes_a_segment_larger_than_mtu_and_mss() {
        use smoltcp::iface::{Config, Interface, SocketSet};
        use smoltcp::socket::tcp;
        use smoltcp::wire::{HardwareAddress, IpCidr};

        let mut wire = Wire { to_stack: Default::default(), from_stack: Vec::new() };
        let mut iface =
            Interface::new(Config::new(HardwareAddress::Ethernet(OUR_MAC)), &mut wire, Instant::ZERO);
        iface.update_ip_addrs(|a| a.push(IpCidr::new(IpAddress::Ipv4(OUR_IP), 24)).unwrap());
        let mut sockets = SocketSet::new(Vec::new());
        let mut socket =
            tcp::Socket::new(tcp::SocketBuffer::new(vec![0; 65_535]), tcp::SocketBuffer::new(vec![0; 4096]));
        socket.listen(80).unwrap();
        let handle = sockets.add(socket);

        // The peer makes itself known (ARP), then connects.
        let arp = ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Request,
            source_hardware_addr: PEER_MAC,
            source_protocol_addr: PEER_IP,
            target_hardware_addr: EthernetAddress([0; 6]),
            target_protocol_addr: OUR_IP,
        };
        let eth = EthernetRepr {
            src_addr: PEER_MAC,
            dst_addr: EthernetAddress::BROADCAST,
            ethertype: EthernetProtocol::Arp,
        };
        let mut frame = vec![0; eth.buffer_len() + arp.buffer_len()];
        let mut eth_frame = EthernetFrame::new_unchecked(&mut frame[..]);
        eth.emit(&mut eth_frame);
        arp.emit(&mut ArpPacket::new_unchecked(eth_frame.payload_mut()));
        wire.to_stack.push_back(frame);
        wire.to_stack.push_back(tcp_frame(&tcp_repr(TcpControl::Syn, 1000, None, &[])));
        let mut now = Instant::ZERO;
        iface.poll(now, &mut wire, &mut sockets);

        // Whatever smoltcp sent last to port 40000 carrying TCP: (seq, ack).
        let last_tcp = |frames: &[Vec<u8>]| {
            frames.iter().rev().find_map(|f| {
                let eth = EthernetFrame::new_checked(&f[..]).ok()?;
                let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
                let tcp = TcpPacket::new_checked(ip.payload()).ok()?;
                Some((tcp.seq_number(), tcp.ack_number()))
            })
        };
        let (isn, ack) = last_tcp(&wire.from_stack).expect("a SYN-ACK");
        assert_eq!(ack, TcpSeqNumber(1001));

        let payload: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        let big = tcp_frame(&tcp_repr(TcpControl::Psh, 1001, Some((isn + 1).0 as u32), &payload));
        assert!(big.len() > 1514 * 13, "{} bytes", big.len());
        wire.from_stack.clear();
        wire.to_stack.push_back(big);
        now += smoltcp::time::Duration::from_millis(1);
        iface.poll(now, &mut wire, &mut sockets);
        let socket = sockets.get_mut::<tcp::Socket>(handle);
        let mut got = vec![0; 30_000];
        let n = socket.recv_slice(&mut got).unwrap();
        assert_eq!(&got[..n], &payload[..]);
        // And it is acknowledged whole (now or at the delayed-ACK deadline).
        now += smoltcp::time::Duration::from_millis(500);
        iface.poll(now, &mut wire, &mut sockets);
        let (_, ack) = last_tcp(&wire.from_stack).expect("an ACK");
        assert_eq!(ack, TcpSeqNumber(1001 + 20_000));
    }

    #[test]
    fn neighbour_frames_reach_every_other_queue_and_wake_it() {
        let arp = {
            let arp = ArpRepr::EthernetIpv4 {
                operation: ArpOperation::Reply,
                source_hardware_addr: PEER_MAC,
                source_protocol_addr: PEER_IP,
                target_hardware_addr: OUR_MAC,
                target_protocol_addr: OUR_IP,
            };
            let eth =
                EthernetRepr { src_addr: PEER_MAC, dst_addr: OUR_MAC, ethertype: EthernetProtocol::Arp };
            let mut buf = vec![0; eth.buffer_len() + arp.buffer_len()];
            let mut frame = EthernetFrame::new_unchecked(&mut buf[..]);
            eth.emit(&mut frame);
            arp.emit(&mut ArpPacket::new_unchecked(frame.payload_mut()));
            buf
        };
        assert!(is_neighbour_frame(&arp));
        assert!(!is_neighbour_frame(&tcp_frame(&tcp_repr(TcpControl::Syn, 1, None, &[]))));
        assert!(!is_neighbour_frame(&arp[..10]));

        let polls: Vec<mio::Poll> = (0..3).map(|_| mio::Poll::new().unwrap()).collect();
        let inboxes: Arc<[Inbox]> = polls
            .iter()
            .map(|p| Inbox {
                frames: Mutex::new(VecDeque::new()),
                pending: AtomicUsize::new(0),
                waker: mio::Waker::new(p.registry(), QUEUE_WAKE).unwrap(),
            })
            .collect::<Vec<_>>()
            .into();
        let mut shares: Vec<Share> = polls
            .into_iter()
            .enumerate()
            .map(|(index, poll)| Share {
                index,
                inboxes: Arc::clone(&inboxes),
                poll,
                events: mio::Events::with_capacity(4),
            })
            .collect();
        shares[1].broadcast(&arp);
        assert_eq!(shares[1].take(), None, "not to itself");
        for i in [0, 2] {
            let share = &mut shares[i];
            share.poll.poll(&mut share.events, Some(std::time::Duration::ZERO)).unwrap();
            assert!(share.events.iter().any(|e| e.token() == QUEUE_WAKE), "queue {i} woken");
            assert_eq!(share.take().as_deref(), Some(&arp[..]));
            assert_eq!(share.take(), None);
        }
        // Bounded: a flood of neighbour frames does not grow without limit.
        for _ in 0..INBOX_LIMIT + 10 {
            shares[0].broadcast(&arp);
        }
        assert_eq!(std::iter::from_fn(|| shares[1].take()).count(), INBOX_LIMIT);
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
