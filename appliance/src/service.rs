//! The sans-IO service API: what every appliance service implements.
//!
//! A [`Service`] never owns a socket, a thread or the clock. A stack (the
//! direct smoltcp stack, the host-socket stack, or a test harness) owns all
//! of those, and calls the service with events, each carrying `now`:
//!
//! ```text
//!   stack ──on_datagram / on_open / on_data / on_writable / on_peer_close / on_closed / on_timer──▶ service
//!   stack ◀──────────── Net::send_datagram / write / close / abort / connect ──────────────────── service
//!   stack ◀──────────── Service::poll_timeout (next deadline) ──────────────────────────────────── service
//! ```
//!
//! Back-pressure works both ways without buffering in the runtime:
//! - **Out**: [`Net::write`] takes only what the connection can hold now and
//!   returns that count. After a short write the stack calls
//!   [`Service::on_writable`] once the connection has room again.
//! - **In**: [`Service::on_data`] returns how many bytes it consumed. The rest
//!   stays in the stack's receive buffer (closing the peer's TCP window) and is
//!   offered again, with any new bytes behind it, when more data arrives or the
//!   connection becomes writable. A service may therefore return 0 for a
//!   partial message and see it again whole; it must not return 0 when the
//!   offered data already fills [`Net::recv_window`], or the connection stalls.
//!
//! # Example: a line-upper-casing TCP service
//!
//! ```
//! use appliance::service::{ConnId, ConnInfo, Instant, Listen, Net, Service};
//!
//! /// Answers every byte with its ASCII upper case, over TCP port 7000.
//! struct Upper;
//!
//! impl Service for Upper {
//!     fn name(&self) -> &str { "upper" }
//!     fn listen(&self) -> Listen { Listen::tcp(7000) }
//!     fn on_data(&mut self, _now: Instant, net: &mut dyn Net, conn: ConnId, data: &[u8]) -> usize {
//!         // Write what fits; the rest stays in the stack and comes back later.
//!         let upper = data.to_ascii_uppercase();
//!         net.write(conn, &upper)
//!     }
//!     fn on_peer_close(&mut self, _now: Instant, net: &mut dyn Net, conn: ConnId) {
//!         net.close(conn);
//!     }
//! }
//!
//! // The same value runs on any stack, or in a test with a recording `Net`:
//! let mut svc = Upper;
//! struct Record(Vec<u8>);
//! impl Net for Record {
//!     fn send_datagram(&mut self, _: core::net::SocketAddr, _: core::net::SocketAddr, _: &[u8]) -> bool { false }
//!     fn write(&mut self, _: ConnId, data: &[u8]) -> usize { self.0.extend_from_slice(data); data.len() }
//!     fn recv_window(&self, _: ConnId) -> usize { 65536 }
//!     fn close(&mut self, _: ConnId) {}
//!     fn abort(&mut self, _: ConnId) {}
//!     fn connect(&mut self, _: core::net::SocketAddr) -> Option<ConnId> { None }
//! }
//! let mut net = Record(Vec::new());
//! assert_eq!(svc.on_data(Instant::ZERO, &mut net, ConnId(1), b"hello"), 5);
//! assert_eq!(net.0, b"HELLO");
//! ```

#[allow(unused_imports)]
use crate::prelude::*;
use core::net::SocketAddr;

pub use smoltcp::time::{Duration, Instant};

/// One TCP connection inside one stack instance. Never reused by that stack.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// What a service listens on. Ports are on the stack's own address(es).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listen {
    /// UDP ports that deliver datagrams to [`Service::on_datagram`].
    pub udp: Vec<u16>,
    /// TCP ports whose accepted connections go to [`Service::on_open`].
    pub tcp: Vec<u16>,
}

impl Listen {
    /// Listen on one TCP port.
    pub fn tcp(port: u16) -> Self {
        Listen { udp: Vec::new(), tcp: vec![port] }
    }
    /// Listen on one UDP port.
    pub fn udp(port: u16) -> Self {
        Listen { udp: vec![port], tcp: Vec::new() }
    }
    /// Listen on the same port number over UDP and TCP.
    pub fn both(port: u16) -> Self {
        Listen { udp: vec![port], tcp: vec![port] }
    }
}

/// One received UDP datagram.
#[derive(Clone, Copy, Debug)]
pub struct Datagram<'a> {
    /// Our address and port it was sent to; answer from here.
    pub local: SocketAddr,
    /// The sender.
    pub peer: SocketAddr,
    /// The UDP payload.
    pub payload: &'a [u8],
}

/// Who a new connection joins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnInfo {
    /// Our end.
    pub local: SocketAddr,
    /// The remote end.
    pub peer: SocketAddr,
    /// True when this side opened it with [`Net::connect`], false when accepted.
    pub initiated: bool,
}

/// What a service may ask of the stack that called it.
///
/// Every stack implements this over its own sockets; tests implement it to
/// record what a service does.
pub trait Net {
    /// Sends one datagram from `local` (a UDP address the service listens on)
    /// to `peer`. Returns false when it was dropped (no buffer room, or no
    /// route); datagrams are unreliable, so the service just goes on.
    fn send_datagram(&mut self, local: SocketAddr, peer: SocketAddr, payload: &[u8]) -> bool;

    /// Queues stream bytes on `conn` and returns how many it took (0..=len).
    /// A short count means "full for now": [`Service::on_writable`] follows
    /// when there is room. Writes to a closing or unknown connection take 0.
    fn write(&mut self, conn: ConnId, data: &[u8]) -> usize;

    /// The most bytes [`Service::on_data`] can be offered at once on `conn`
    /// (its receive buffer size).
    fn recv_window(&self, conn: ConnId) -> usize;

    /// Closes `conn` gracefully: queued bytes are sent, then FIN.
    /// [`Service::on_closed`] follows when the connection is gone.
    fn close(&mut self, conn: ConnId);

    /// Resets `conn` at once (RST); queued bytes are dropped.
    fn abort(&mut self, conn: ConnId);

    /// Opens a TCP connection to `peer`. [`Service::on_open`] follows when it
    /// is established, or [`Service::on_closed`] when it fails. None when the
    /// stack cannot start one (no route, no free socket).
    fn connect(&mut self, peer: SocketAddr) -> Option<ConnId>;
}

/// A sans-IO network service. See the [module docs](self) for the model.
///
/// Every callback has a default that does nothing (or, for [`on_data`],
/// consumes and discards), so a service implements only what it uses.
///
/// [`on_data`]: Service::on_data
pub trait Service {
    /// A short name for logs and metrics (`echo`, `dns`, ...).
    fn name(&self) -> &str;

    /// The ports this service serves. Asked once, when the stack starts.
    fn listen(&self) -> Listen;

    /// A datagram arrived on one of the service's UDP ports.
    fn on_datagram(&mut self, now: Instant, net: &mut dyn Net, dgram: Datagram<'_>) {
        let _ = (now, net, dgram);
    }

    /// A connection was accepted on one of the service's TCP ports, or one it
    /// opened with [`Net::connect`] is established.
    fn on_open(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId, info: ConnInfo) {
        let _ = (now, net, conn, info);
    }

    /// Stream bytes arrived on `conn`; returns how many were consumed (see
    /// the module docs on back-pressure).
    fn on_data(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId, data: &[u8]) -> usize {
        let _ = (now, net, conn);
        data.len()
    }

    /// `conn` has room again after a short [`Net::write`].
    fn on_writable(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId) {
        let _ = (now, net, conn);
    }

    /// The peer sent FIN: no more data will arrive on `conn`. Writing is still
    /// possible until the service closes it.
    fn on_peer_close(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId) {
        let _ = (now, net, conn);
    }

    /// `conn` is gone (closed both ways, reset or timed out); its id is dead.
    fn on_closed(&mut self, now: Instant, conn: ConnId) {
        let _ = (now, conn);
    }

    /// The deadline from [`poll_timeout`](Service::poll_timeout) has passed.
    fn on_timer(&mut self, now: Instant, net: &mut dyn Net) {
        let _ = (now, net);
    }

    /// When the service next wants [`on_timer`](Service::on_timer); None for
    /// never. Stacks ask before every sleep, so keep it cheap.
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// The appliance is stopping: the stack closes every connection after
    /// this returns; a service can say goodbye first.
    fn on_shutdown(&mut self, now: Instant, net: &mut dyn Net) {
        let _ = (now, net);
    }
}
