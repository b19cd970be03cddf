//! Every `unsafe` of the socket stack, in one place: binding sockets with
//! options set before `bind` (SO_REUSEPORT), socket options, and batched UDP
//! I/O with `recvmmsg`/`sendmmsg` carrying IP_PKTINFO / IPV6_PKTINFO.
//!
//! The batches own preallocated buffers; after [`RecvBatch::new`] and the
//! first few flushes of a [`SendBatch`] nothing here allocates per datagram.

use std::io;
use std::mem::size_of;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;

/// Bytes of ancillary data per datagram: one `in6_pktinfo` message needs
/// 32 on 64-bit Linux; the rest is slack for anything the kernel adds.
const CONTROL_LEN: usize = 64;

/// One datagram's ancillary-data buffer, aligned as `cmsghdr` requires.
#[repr(C, align(8))]
#[derive(Clone, Copy)]
struct Control([u8; CONTROL_LEN]);

/// An all-zero `sockaddr_storage` (AF_UNSPEC).
fn empty_storage() -> libc::sockaddr_storage {
    // SAFETY: sockaddr_storage is a plain C struct of integers; all-zero
    // bytes are a valid value of it.
    unsafe { std::mem::zeroed() }
}

/// An all-zero `mmsghdr`: no name, no iovecs, no control data.
fn empty_mmsghdr() -> libc::mmsghdr {
    // SAFETY: mmsghdr is a plain C struct of integers and raw pointers;
    // all-zero bytes (null pointers, zero lengths) are a valid value of it.
    unsafe { std::mem::zeroed() }
}

fn socklen<T>() -> libc::socklen_t {
    // The structs passed here are at most 128 bytes.
    size_of::<T>() as libc::socklen_t
}

fn cvt(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 { Err(io::Error::last_os_error()) } else { Ok(rc) }
}

/// Writes `addr` into `storage`; returns the length to pass with it.
fn write_sockaddr(addr: &SocketAddr, storage: &mut libc::sockaddr_storage) -> libc::socklen_t {
    match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(a.ip().octets()) },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than sockaddr_in and at
            // least as aligned, so the write stays inside `storage`.
            unsafe { ptr::write(ptr::from_mut(storage).cast::<libc::sockaddr_in>(), sin) };
            socklen::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr { s6_addr: a.ip().octets() },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: as above, for sockaddr_in6 (28 bytes, 4-aligned).
            unsafe { ptr::write(ptr::from_mut(storage).cast::<libc::sockaddr_in6>(), sin6) };
            socklen::<libc::sockaddr_in6>()
        }
    }
}

/// Reads the address the kernel wrote into `storage` (`len` bytes of it).
fn read_sockaddr(storage: &libc::sockaddr_storage, len: libc::socklen_t) -> Option<SocketAddr> {
    match libc::c_int::from(storage.ss_family) {
        libc::AF_INET if len >= socklen::<libc::sockaddr_in>() => {
            // SAFETY: the family says the kernel wrote a sockaddr_in here,
            // `len` says all of it, and storage is aligned for it.
            let sin = unsafe { ptr::read(ptr::from_ref(storage).cast::<libc::sockaddr_in>()) };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Some(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(sin.sin_port))))
        }
        libc::AF_INET6 if len >= socklen::<libc::sockaddr_in6>() => {
            // SAFETY: as above, for sockaddr_in6.
            let sin6 = unsafe { ptr::read(ptr::from_ref(storage).cast::<libc::sockaddr_in6>()) };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            let port = u16::from_be(sin6.sin6_port);
            Some(SocketAddr::V6(SocketAddrV6::new(ip, port, sin6.sin6_flowinfo, sin6.sin6_scope_id)))
        }
        _ => None,
    }
}

/// A new non-blocking, close-on-exec socket of `addr`'s family.
fn new_socket(addr: &SocketAddr, kind: libc::c_int) -> io::Result<OwnedFd> {
    let family = if addr.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 };
    // SAFETY: socket() takes no pointers; a non-negative result is a new fd
    // that nothing else owns, so OwnedFd may take it.
    unsafe {
        let fd = cvt(libc::socket(family, kind | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0))?;
        Ok(OwnedFd::from_raw_fd(fd))
    }
}

fn bind_fd(fd: &OwnedFd, addr: &SocketAddr) -> io::Result<()> {
    let mut storage = empty_storage();
    let len = write_sockaddr(addr, &mut storage);
    // SAFETY: `storage` holds a valid sockaddr of `len` bytes for the call.
    cvt(unsafe { libc::bind(fd.as_raw_fd(), ptr::from_ref(&storage).cast(), len) })?;
    Ok(())
}

/// Sets an integer socket option.
pub(crate) fn set_int_option(
    fd: &impl AsRawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: the pointer and length describe `value`, alive for the call;
    // setsockopt only reads it.
    let rc = unsafe {
        libc::setsockopt(fd.as_raw_fd(), level, name, ptr::from_ref(&value).cast(), socklen::<libc::c_int>())
    };
    cvt(rc).map(drop)
}

/// Reads an integer socket option.
pub(crate) fn int_option(
    fd: &impl AsRawFd,
    level: libc::c_int,
    name: libc::c_int,
) -> io::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = socklen::<libc::c_int>();
    // SAFETY: the pointers describe `value` and `len`, alive for the call,
    // and `len` says how much room `value` has.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            ptr::from_mut(&mut value).cast(),
            ptr::from_mut(&mut len),
        )
    };
    cvt(rc).map(|_| value)
}

/// A UDP socket bound to `addr`, non-blocking; SO_REUSEPORT set first when
/// asked (several stack instances on one port).
pub(crate) fn bind_udp(addr: SocketAddr, reuse_port: bool) -> io::Result<std::net::UdpSocket> {
    let fd = new_socket(&addr, libc::SOCK_DGRAM)?;
    if reuse_port {
        set_int_option(&fd, libc::SOL_SOCKET, libc::SO_REUSEPORT, 1)?;
    }
    bind_fd(&fd, &addr)?;
    Ok(std::net::UdpSocket::from(fd))
}

/// A TCP listener on `addr`, non-blocking, with SO_REUSEADDR (as std sets
/// it) and, when asked, SO_REUSEPORT.
pub(crate) fn bind_tcp(addr: SocketAddr, reuse_port: bool) -> io::Result<std::net::TcpListener> {
    let fd = new_socket(&addr, libc::SOCK_STREAM)?;
    set_int_option(&fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    if reuse_port {
        set_int_option(&fd, libc::SOL_SOCKET, libc::SO_REUSEPORT, 1)?;
    }
    bind_fd(&fd, &addr)?;
    // SAFETY: listen() takes no pointers; the fd is ours and open.
    cvt(unsafe { libc::listen(fd.as_raw_fd(), libc::SOMAXCONN) })?;
    Ok(std::net::TcpListener::from(fd))
}

/// Asks for the destination address of every datagram (IP_PKTINFO, or
/// IPV6_RECVPKTINFO on an IPv6 socket, which covers v4-mapped peers too).
pub(crate) fn enable_pktinfo(fd: &impl AsRawFd, ipv6: bool) -> io::Result<()> {
    if ipv6 {
        set_int_option(fd, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, 1)
    } else {
        set_int_option(fd, libc::IPPROTO_IP, libc::IP_PKTINFO, 1)
    }
}

/// SO_LINGER with a zero timeout: closing the socket sends RST.
pub(crate) fn set_linger_zero(fd: &impl AsRawFd) -> io::Result<()> {
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: the pointer and length describe an initialized `linger` on the
    // stack that outlives the call; setsockopt only reads it.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            ptr::from_ref(&linger).cast(),
            socklen::<libc::linger>(),
        )
    };
    cvt(rc).map(drop)
}

/// Our address a datagram was sent to (from IP_PKTINFO / IPV6_PKTINFO): the
/// IP and, for IPv6, the interface it came in on (the scope of link-local
/// addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Dest {
    /// The destination IP of the datagram.
    pub ip: IpAddr,
    /// The receiving interface's index (0 when unknown).
    pub ifindex: u32,
}

/// One datagram of a [`RecvBatch`].
#[derive(Debug)]
pub(crate) struct Received<'a> {
    /// The UDP payload.
    pub payload: &'a [u8],
    /// The sender; None if the kernel gave an address of another family.
    pub peer: Option<SocketAddr>,
    /// Where it was sent to, when the socket asked for PKTINFO.
    pub dest: Option<Dest>,
    /// Longer than its buffer slot: the payload is cut short.
    pub truncated: bool,
}

/// Preallocated buffers for one `recvmmsg` of up to `capacity` datagrams.
pub(crate) struct RecvBatch {
    slot: usize,
    data: Vec<u8>,
    names: Vec<libc::sockaddr_storage>,
    controls: Vec<Control>,
    iovecs: Vec<libc::iovec>,
    hdrs: Vec<libc::mmsghdr>,
    /// Datagrams held from the last `recv`.
    len: usize,
}

impl RecvBatch {
    /// Room for `capacity` datagrams of up to `slot` bytes each. The buffer
    /// is zeroed lazily by the OS, so only the bytes datagrams touch count
    /// towards resident memory.
    pub fn new(capacity: usize, slot: usize) -> Self {
        let capacity = capacity.max(1);
        let slot = slot.max(1);
        RecvBatch {
            slot,
            data: vec![0; capacity * slot],
            names: vec![empty_storage(); capacity],
            controls: vec![Control([0; CONTROL_LEN]); capacity],
            iovecs: Vec::with_capacity(capacity),
            hdrs: Vec::with_capacity(capacity),
            len: 0,
        }
    }

    /// The most datagrams one `recv` returns.
    pub fn capacity(&self) -> usize {
        self.names.len()
    }

    /// One `recvmmsg` on the non-blocking `fd`: the number of datagrams now
    /// held (WouldBlock when there were none). `pktinfo` collects their
    /// destination addresses.
    pub fn recv(&mut self, fd: RawFd, pktinfo: bool) -> io::Result<usize> {
        self.len = 0;
        let n = self.capacity();
        self.iovecs.clear();
        self.iovecs.extend(
            self.data
                .chunks_exact_mut(self.slot)
                .take(n)
                .map(|chunk| libc::iovec { iov_base: chunk.as_mut_ptr().cast(), iov_len: chunk.len() }),
        );
        self.hdrs.clear();
        for ((iov, name), control) in self.iovecs.iter_mut().zip(&mut self.names).zip(&mut self.controls) {
            let mut h = empty_mmsghdr();
            h.msg_hdr.msg_name = ptr::from_mut(name).cast();
            h.msg_hdr.msg_namelen = socklen::<libc::sockaddr_storage>();
            h.msg_hdr.msg_iov = ptr::from_mut(iov);
            h.msg_hdr.msg_iovlen = 1;
            if pktinfo {
                h.msg_hdr.msg_control = control.0.as_mut_ptr().cast();
                h.msg_hdr.msg_controllen = CONTROL_LEN as _;
            }
            self.hdrs.push(h);
        }
        loop {
            // SAFETY: `hdrs` holds `n` initialized headers whose name, iovec
            // and control pointers point into this batch's own buffers with
            // the lengths given; the buffers are neither moved nor resized
            // during the call. A null timeout means none.
            let rc =
                unsafe { libc::recvmmsg(fd, self.hdrs.as_mut_ptr(), n as libc::c_uint, 0, ptr::null_mut()) };
            match cvt(rc) {
                Ok(got) => {
                    self.len = got as usize;
                    return Ok(self.len);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Datagram `i` of the last `recv`.
    pub fn get(&self, i: usize) -> Option<Received<'_>> {
        if i >= self.len {
            return None;
        }
        let h = self.hdrs.get(i)?;
        let len = (h.msg_len as usize).min(self.slot);
        let start = i * self.slot;
        let payload = self.data.get(start..start + len)?;
        let peer = read_sockaddr(self.names.get(i)?, h.msg_hdr.msg_namelen);
        Some(Received {
            payload,
            peer,
            dest: read_pktinfo(&h.msg_hdr),
            truncated: h.msg_hdr.msg_flags & libc::MSG_TRUNC != 0,
        })
    }
}

/// The destination address in a received header's control data, if any.
fn read_pktinfo(hdr: &libc::msghdr) -> Option<Dest> {
    // msg_controllen is size_t on glibc, socklen_t on musl.
    if hdr.msg_control.is_null() || hdr.msg_controllen < size_of::<libc::cmsghdr>() as _ {
        return None;
    }
    // SAFETY: msg_control points at this batch's control buffer, and the
    // kernel set msg_controllen to the bytes of cmsgs it wrote there; the
    // CMSG_* macros stay inside that length. Each payload is read unaligned
    // after checking that cmsg_len covers it.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(hdr);
        while !cmsg.is_null() {
            let c = &*cmsg;
            let data = libc::CMSG_DATA(cmsg);
            let len = c.cmsg_len as usize;
            if c.cmsg_level == libc::IPPROTO_IP
                && c.cmsg_type == libc::IP_PKTINFO
                && len >= libc::CMSG_LEN(socklen::<libc::in_pktinfo>()) as usize
            {
                let info = ptr::read_unaligned(data.cast::<libc::in_pktinfo>());
                let ip = Ipv4Addr::from(info.ipi_addr.s_addr.to_ne_bytes());
                return Some(Dest { ip: IpAddr::V4(ip), ifindex: info.ipi_ifindex as u32 });
            }
            if c.cmsg_level == libc::IPPROTO_IPV6
                && c.cmsg_type == libc::IPV6_PKTINFO
                && len >= libc::CMSG_LEN(socklen::<libc::in6_pktinfo>()) as usize
            {
                let info = ptr::read_unaligned(data.cast::<libc::in6_pktinfo>());
                let ip = Ipv6Addr::from(info.ipi6_addr.s6_addr);
                return Some(Dest { ip: IpAddr::V6(ip), ifindex: info.ipi6_ifindex });
            }
            cmsg = libc::CMSG_NXTHDR(hdr, cmsg);
        }
    }
    None
}

/// One queued datagram of a [`SendBatch`].
struct Outgoing {
    /// The caller's socket index (which fd it leaves by).
    socket: usize,
    /// Its payload: `arena[start..start + len]`.
    start: usize,
    len: usize,
    peer: libc::sockaddr_storage,
    peer_len: libc::socklen_t,
    /// The source address to send from (wildcard-bound sockets).
    source: Option<Dest>,
}

/// Datagrams queued for `sendmmsg`: payloads are copied into one arena that
/// keeps its capacity between flushes.
pub(crate) struct SendBatch {
    capacity: usize,
    arena: Vec<u8>,
    items: Vec<Outgoing>,
    controls: Vec<Control>,
    iovecs: Vec<libc::iovec>,
    hdrs: Vec<libc::mmsghdr>,
}

impl SendBatch {
    /// Flushes happen at `capacity` datagrams (see [`is_full`](Self::is_full)).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        SendBatch {
            capacity,
            arena: Vec::with_capacity(capacity * 512),
            items: Vec::with_capacity(capacity),
            controls: vec![Control([0; CONTROL_LEN]); capacity],
            iovecs: Vec::with_capacity(capacity),
            hdrs: Vec::with_capacity(capacity),
        }
    }

    /// Nothing queued.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Time to flush.
    pub fn is_full(&self) -> bool {
        self.items.len() >= self.capacity
    }

    /// Queues one datagram to `peer` through socket `socket`, from `source`
    /// when given.
    pub fn push(&mut self, socket: usize, peer: SocketAddr, source: Option<Dest>, payload: &[u8]) {
        let mut storage = empty_storage();
        let peer_len = write_sockaddr(&peer, &mut storage);
        let start = self.arena.len();
        self.arena.extend_from_slice(payload);
        self.items.push(Outgoing { socket, start, len: payload.len(), peer: storage, peer_len, source });
    }

    /// Sends everything queued, one `sendmmsg` per run of datagrams through
    /// the same socket, and empties the batch. `fd_of` maps a socket index to
    /// its fd (None: the socket is gone, its datagrams fail). `done` hears
    /// each datagram's fate in order: the bytes sent, or the error (after
    /// WouldBlock or ENOBUFS the rest of that run fails with it too, since
    /// the socket buffer is full; after other errors only that datagram).
    pub fn flush(
        &mut self,
        fd_of: impl Fn(usize) -> Option<RawFd>,
        mut done: impl FnMut(usize, Result<usize, &io::Error>),
    ) {
        let mut first = 0;
        while first < self.items.len() {
            let socket = self.items[first].socket;
            let end = self.items[first..]
                .iter()
                .position(|o| o.socket != socket)
                .map_or(self.items.len(), |k| first + k);
            match fd_of(socket) {
                Some(fd) => self.send_run(fd, first, end, &mut done),
                None => {
                    let gone = io::Error::from(io::ErrorKind::NotConnected);
                    for _ in first..end {
                        done(socket, Err(&gone));
                    }
                }
            }
            first = end;
        }
        self.items.clear();
        self.arena.clear();
    }

    /// `sendmmsg` of `items[first..end]` (all through `fd`) until done.
    fn send_run(
        &mut self,
        fd: RawFd,
        first: usize,
        end: usize,
        done: &mut impl FnMut(usize, Result<usize, &io::Error>),
    ) {
        let mut next = first;
        while next < end {
            let count = (end - next).min(self.capacity);
            self.prepare(next, count);
            // SAFETY: `hdrs` holds `count` initialized headers whose name,
            // iovec and control pointers point into `items`, `iovecs`,
            // `arena` and `controls` with the lengths given; none of them is
            // moved or resized during the call; sendmmsg only reads them
            // (and writes msg_len).
            let rc = unsafe { libc::sendmmsg(fd, self.hdrs.as_mut_ptr(), count as libc::c_uint, 0) };
            match cvt(rc) {
                Ok(sent) => {
                    let sent = (sent as usize).min(count);
                    for h in &self.hdrs[..sent] {
                        done(self.items[next].socket, Ok(h.msg_len as usize));
                        next += 1;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock || e.raw_os_error() == Some(libc::ENOBUFS) =>
                {
                    for o in &self.items[next..end] {
                        done(o.socket, Err(&e));
                    }
                    return;
                }
                Err(e) => {
                    done(self.items[next].socket, Err(&e));
                    next += 1;
                }
            }
        }
    }

    /// Fills `iovecs`, `controls` and `hdrs` for `items[first..first + count]`.
    fn prepare(&mut self, first: usize, count: usize) {
        self.iovecs.clear();
        self.hdrs.clear();
        let base = self.arena.as_mut_ptr();
        for o in &self.items[first..first + count] {
            self.iovecs.push(libc::iovec {
                // In bounds: start + len <= arena.len() by construction.
                iov_base: base.wrapping_add(o.start).cast(),
                iov_len: o.len,
            });
        }
        let items = &mut self.items[first..first + count];
        for ((o, iov), control) in items.iter_mut().zip(&mut self.iovecs).zip(&mut self.controls) {
            let mut h = empty_mmsghdr();
            h.msg_hdr.msg_name = ptr::from_mut(&mut o.peer).cast();
            h.msg_hdr.msg_namelen = o.peer_len;
            h.msg_hdr.msg_iov = ptr::from_mut(iov);
            h.msg_hdr.msg_iovlen = 1;
            if let Some(source) = o.source {
                write_pktinfo(&mut h.msg_hdr, control, source);
            }
            self.hdrs.push(h);
        }
    }
}

/// Points `hdr` at `control`, filled with one IP_PKTINFO / IPV6_PKTINFO
/// message that makes the kernel send from `source`.
fn write_pktinfo(hdr: &mut libc::msghdr, control: &mut Control, source: Dest) {
    control.0 = [0; CONTROL_LEN];
    hdr.msg_control = control.0.as_mut_ptr().cast();
    let (level, kind, size) = match source.ip {
        IpAddr::V4(_) => (libc::IPPROTO_IP, libc::IP_PKTINFO, socklen::<libc::in_pktinfo>()),
        IpAddr::V6(_) => (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, socklen::<libc::in6_pktinfo>()),
    };
    // SAFETY: CMSG_SPACE of an in6_pktinfo (the larger) is 40 <= CONTROL_LEN,
    // so with msg_controllen set to it, CMSG_FIRSTHDR returns the start of
    // `control` (8-aligned) and the header and payload writes stay inside it.
    unsafe {
        hdr.msg_controllen = libc::CMSG_SPACE(size) as _;
        let cmsg = libc::CMSG_FIRSTHDR(hdr);
        if cmsg.is_null() {
            hdr.msg_control = ptr::null_mut();
            hdr.msg_controllen = 0;
            return;
        }
        (*cmsg).cmsg_level = level;
        (*cmsg).cmsg_type = kind;
        (*cmsg).cmsg_len = libc::CMSG_LEN(size) as _;
        let data = libc::CMSG_DATA(cmsg);
        match source.ip {
            IpAddr::V4(ip) => {
                let info = libc::in_pktinfo {
                    ipi_ifindex: 0,
                    ipi_spec_dst: libc::in_addr { s_addr: u32::from_ne_bytes(ip.octets()) },
                    ipi_addr: libc::in_addr { s_addr: 0 },
                };
                ptr::write_unaligned(data.cast::<libc::in_pktinfo>(), info);
            }
            IpAddr::V6(ip) => {
                let info = libc::in6_pktinfo {
                    ipi6_addr: libc::in6_addr { s6_addr: ip.octets() },
                    ipi6_ifindex: source.ifindex,
                };
                ptr::write_unaligned(data.cast::<libc::in6_pktinfo>(), info);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockaddr_round_trips() {
        for addr in ["192.0.2.7:53", "[2001:db8::1]:5353", "[fe80::1%3]:1"] {
            let addr: SocketAddr = addr.parse().unwrap();
            let mut storage = empty_storage();
            let len = write_sockaddr(&addr, &mut storage);
            assert_eq!(read_sockaddr(&storage, len), Some(addr));
            assert_eq!(read_sockaddr(&storage, len - 1), None, "short length refused");
        }
        assert_eq!(read_sockaddr(&empty_storage(), socklen::<libc::sockaddr_storage>()), None);
    }

    #[test]
    fn batch_round_trip_with_pktinfo_on_loopback() {
        let server = bind_udp("0.0.0.0:0".parse().unwrap(), false).unwrap();
        enable_pktinfo(&server, false).unwrap();
        let port = server.local_addr().unwrap().port();
        let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let count = 5;
        for i in 0..count {
            client.send_to(&[i as u8; 3], ("127.0.0.2", port)).unwrap();
        }
        let mut rx = RecvBatch::new(4, 2048);
        let mut tx = SendBatch::new(3);
        let mut seen = 0;
        for _ in 0..1000 {
            match rx.recv(server.as_raw_fd(), true) {
                Ok(n) => {
                    assert!(n <= rx.capacity());
                    for i in 0..n {
                        let d = rx.get(i).unwrap();
                        assert_eq!(d.payload, &[seen as u8; 3]);
                        assert!(!d.truncated);
                        assert_eq!(d.peer, Some(client.local_addr().unwrap()));
                        let dest = d.dest.unwrap();
                        assert_eq!(dest.ip, IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
                        tx.push(0, d.peer.unwrap(), Some(dest), d.payload);
                        seen += 1;
                    }
                    assert!(rx.get(n).is_none());
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::yield_now(),
                Err(e) => panic!("{e}"),
            }
            if seen == count {
                break;
            }
        }
        assert_eq!(seen, count);
        let mut results = Vec::new();
        tx.flush(|s| (s == 0).then(|| server.as_raw_fd()), |s, r| results.push((s, r.map_err(|e| e.kind()))));
        assert_eq!(results, vec![(0, Ok(3)); count]);
        assert!(tx.is_empty());
        client.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        for i in 0..count {
            let mut buf = [0u8; 16];
            let (n, from) = client.recv_from(&mut buf).unwrap();
            assert_eq!(&buf[..n], &[i as u8; 3]);
            assert_eq!(
                from,
                SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)), port),
                "sent from the pktinfo address"
            );
        }
    }

    #[test]
    fn flush_reports_gone_sockets() {
        let mut tx = SendBatch::new(2);
        tx.push(7, "127.0.0.1:9".parse().unwrap(), None, b"x");
        let mut failed = 0;
        tx.flush(
            |_| None,
            |s, r| {
                assert_eq!(s, 7);
                assert!(r.is_err());
                failed += 1;
            },
        );
        assert_eq!(failed, 1);
        assert!(tx.is_empty());
    }
}
