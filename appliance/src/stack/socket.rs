//! The socket stack: the same [`Service`] values over the host kernel's
//! non-blocking UDP and TCP sockets, driven by one `mio::Poll` on one thread.
//!
//! ```text
//!   kernel sockets ──readiness──▶ mio::Poll ──▶ SocketStack::run ──events──▶ Service
//!   kernel sockets ◀──send/write/shutdown── Net (this module) ◀──calls───── Service
//! ```
//!
//! - **UDP**: one socket per (service, port). A readable socket is read with
//!   one `recvmmsg` of up to [`SocketConfig::udp_batch`] datagrams per
//!   wake-up (so one busy socket cannot starve the rest) into preallocated
//!   buffers, and every datagram goes to [`Service::on_datagram`]. What
//!   services send with [`Net::send_datagram`] is queued and leaves in one
//!   `sendmmsg` per batch: after each socket's receive batch, when the queue
//!   is full, and before the loop sleeps. On a wildcard address (`0.0.0.0`,
//!   `::`) every datagram carries its destination (IP_PKTINFO /
//!   IPV6_PKTINFO), which becomes [`Datagram::local`], and answers leave from
//!   that address. SO_RCVBUF/SO_SNDBUF are raised to
//!   [`SocketConfig::udp_rcvbuf`]/[`udp_sndbuf`](SocketConfig::udp_sndbuf).
//!   [`Net::send_datagram`] returns true once a datagram is queued; one the
//!   kernel then refuses (send buffer full) is counted in
//!   `datagrams_dropped`, and later sends through that socket go out at once,
//!   each with its exact result, until one gets through (so a bulk sender
//!   such as iperf3's still sees back-pressure).
//! - **Several instances**: with [`SocketConfig::instances`] > 1,
//!   [`run_instances`] runs that many shared-nothing stacks, one thread
//!   each, whose sockets share their ports through SO_REUSEPORT (the kernel
//!   spreads UDP flows and TCP connections over them).
//! - **TCP**: one listener per (service, port); accepted streams get
//!   `TCP_NODELAY` and a fresh [`ConnId`] that is never reused.
//! - **Back-pressure in**: each connection keeps only the bytes the service
//!   has not consumed yet, at most [`SocketConfig::read_chunk`]. The stack
//!   reads from the kernel only while that buffer has room, so a slow service
//!   closes the peer's TCP window. The unconsumed bytes are offered again when
//!   new bytes arrive, after [`Service::on_writable`], or right away when the
//!   service consumed part of them (it made progress, so this cannot spin).
//! - **Back-pressure out**: [`Net::write`] writes straight into the kernel
//!   socket and returns what it took; after a short write the connection is
//!   "blocked" and [`Service::on_writable`] follows once the kernel reports
//!   room.
//! - **Closing**: [`Net::close`] sends FIN (`shutdown(Write)`) and keeps the
//!   socket until the peer's FIN or a 5 s linger timer; [`Net::abort`] sends
//!   RST (`SO_LINGER` 0). [`Service::on_closed`] is always called after the
//!   callback that closed the connection has returned, and no callback for
//!   that [`ConnId`] follows it.
//!
//! The loop sleeps in `epoll_wait` until readiness, the earliest
//! [`Service::poll_timeout`], or a linger deadline: an idle stack uses no CPU.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown as HalfClose, SocketAddr, SocketAddrV6};
use std::os::fd::AsRawFd;
use std::sync::Arc;

mod sys;

use mio::net::{TcpListener, TcpStream, UdpSocket};
use mio::{Events, Interest, Poll, Registry, Token};
use tracing::{debug, info, warn};

use super::{Clock, Shutdown};
use crate::metrics::{Metrics, ServiceCounters};
use crate::service::{ConnId, ConnInfo, Datagram, Duration, Instant, Net, Service};

/// Connections accepted from one listener per wake-up before moving on.
const ACCEPT_BUDGET: usize = 64;
/// Read-and-offer rounds per connection per wake-up before moving on.
const PUMP_BUDGET: usize = 16;
/// The largest UDP payload (IPv4 and IPv6 without jumbograms).
const MAX_DATAGRAM: usize = 65_536;
/// How long a gracefully closed connection waits for the peer's FIN.
const CLOSE_LINGER: Duration = Duration::from_secs(5);
/// How long shutdown waits for connections to close before dropping them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// Pause before accepting again after an accept error (e.g. out of fds).
const ACCEPT_RETRY: Duration = Duration::from_millis(100);
/// The token of the shutdown wake-up socket.
const SHUTDOWN_TOKEN: Token = Token(0);

/// Settings of one [`SocketStack`].
#[derive(Clone, Debug)]
pub struct SocketConfig {
    /// The IP address every service port is bound on (default `127.0.0.1`;
    /// `0.0.0.0` or `::` for every interface).
    pub addr: IpAddr,
    /// The most TCP connections (accepted, connecting and closing) the stack
    /// holds at once; connections accepted beyond it are closed at once.
    pub max_connections: usize,
    /// Bytes read per `read()`, and the most offered to
    /// [`Service::on_data`] at once (the per-connection receive buffer; what
    /// [`Net::recv_window`] returns).
    pub read_chunk: usize,
    /// Datagrams per `recvmmsg` (read from one socket per wake-up before
    /// moving on) and per `sendmmsg`.
    pub udp_batch: usize,
    /// SO_RCVBUF asked for every UDP socket, bytes (0: the kernel's
    /// default). Beyond `net.core.rmem_max` it needs CAP_NET_ADMIN
    /// (SO_RCVBUFFORCE); a smaller result is logged.
    pub udp_rcvbuf: usize,
    /// SO_SNDBUF asked for every UDP socket, bytes (0: the kernel's default).
    pub udp_sndbuf: usize,
    /// Stack instances for [`run_instances`]: each its own thread and its
    /// own sockets on the same ports (SO_REUSEPORT when > 1).
    pub instances: usize,
}

impl Default for SocketConfig {
    fn default() -> Self {
        SocketConfig {
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            max_connections: 10_000,
            read_chunk: 256 * 1024,
            udp_batch: 64,
            udp_rcvbuf: 4 << 20,
            udp_sndbuf: 4 << 20,
            instances: 1,
        }
    }
}

/// A transport protocol of a bound port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Proto {
    /// A UDP socket.
    Udp,
    /// A TCP listener.
    Tcp,
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Proto::Udp => "udp",
            Proto::Tcp => "tcp",
        })
    }
}

/// Services over the host kernel's sockets: one thread, one `mio::Poll`.
///
/// Build it and [`run`](SocketStack::run) it on the same thread (services
/// are not `Send`).
pub struct SocketStack {
    poll: Poll,
    services: Vec<Box<dyn Service>>,
    core: Core,
    /// Where TCP reads land (`read_chunk` bytes).
    scratch: Vec<u8>,
    /// Where UDP reads land.
    rx: sys::RecvBatch,
}

impl fmt::Debug for SocketStack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketStack")
            .field("bound", &self.bound())
            .field("connections", &self.core.conns.len())
            .finish_non_exhaustive()
    }
}

/// Everything a [`Net`] call may touch; the services live beside it so that
/// one service can be borrowed while the stack state is lent to it.
struct Core {
    registry: Registry,
    read_chunk: usize,
    max_connections: usize,
    names: Vec<String>,
    counters: Vec<Arc<ServiceCounters>>,
    udp: Vec<UdpEntry>,
    listeners: Vec<ListenerEntry>,
    conns: HashMap<ConnId, Conn>,
    next_id: u64,
    /// Connection tokens are `conn_token_base + id`.
    conn_token_base: usize,
    /// Connections with work to do without waiting for a new event.
    ready: VecDeque<ConnId>,
    /// Connections gone whose service still has to hear `on_closed`.
    closed: Vec<(usize, ConnId)>,
    /// Linger deadlines of closing connections (stale entries are skipped).
    lingers: BinaryHeap<Reverse<(Instant, ConnId)>>,
    /// Datagrams the services sent, waiting for `sendmmsg`.
    tx: sys::SendBatch,
    now: Instant,
    shutting_down: bool,
}

struct UdpEntry {
    service: usize,
    socket: UdpSocket,
    local: SocketAddr,
    /// Bound to a wildcard address: datagrams carry their destination.
    pktinfo: bool,
    /// The socket may still hold datagrams (edge-triggered readiness).
    pending: bool,
    /// The last flush through it found the send buffer full: later sends
    /// are flushed at once, so the service learns of drops (back-pressure).
    send_blocked: Cell<bool>,
}

struct ListenerEntry {
    service: usize,
    listener: TcpListener,
    local: SocketAddr,
    /// The backlog may still hold connections.
    pending: bool,
    /// After an accept error: try again at this time.
    retry_at: Option<Instant>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// `Net::connect` started; waiting for the handshake.
    Connecting,
    /// Established; the service sees its events.
    Open,
    /// The service closed it: FIN sent, waiting for the peer's FIN.
    Closing,
}

struct Conn {
    service: usize,
    stream: TcpStream,
    info: ConnInfo,
    state: State,
    /// Bytes read but not yet consumed by the service (≤ read_chunk).
    pending: Vec<u8>,
    /// The kernel may have more bytes (no WouldBlock since the last event).
    readable: bool,
    /// The peer's FIN was read.
    eof: bool,
    /// `on_peer_close` was called.
    peer_close_told: bool,
    /// A write came up short; `on_writable` is owed once the kernel has room.
    write_blocked: bool,
    /// The kernel reported room while blocked: call `on_writable`.
    writable_due: bool,
    /// Offer `pending` again even without new bytes.
    reoffer: bool,
    /// The last offer consumed nothing.
    stalled: bool,
    /// An event reported a socket error (or a connect finished).
    check_due: bool,
    /// In `Core::ready`.
    queued: bool,
    /// Counted in `connections_open`.
    counted: bool,
}

/// Why a connection is dropped.
enum Gone {
    /// Closed normally (both FINs, or our abort, or shutdown).
    Clean,
    /// Reset, refused, or another socket error.
    Error(io::Error),
}

impl SocketStack {
    /// Binds every port every service listens on, on `config.addr`.
    ///
    /// Errors name the service, protocol and address, e.g.
    /// `echo: bind tcp 127.0.0.1:7: Address already in use (os error 98)`.
    /// Port 0 binds an ephemeral port; see [`bound`](SocketStack::bound).
    pub fn new(config: SocketConfig, services: Vec<Box<dyn Service>>, metrics: &Metrics) -> io::Result<Self> {
        Self::bind(config, services, metrics, None)
    }

    /// [`new`](Self::new), or with `ports` (the [`bound`](Self::bound) list
    /// of the first instance) another instance on exactly those ports.
    fn bind(
        config: SocketConfig,
        services: Vec<Box<dyn Service>>,
        metrics: &Metrics,
        ports: Option<&[(String, Proto, SocketAddr)]>,
    ) -> io::Result<Self> {
        let reuse_port = config.instances > 1;
        let mut fixed = ports.map(|p| p.iter());
        let mut target = |name: &str, proto: Proto, port: u16| -> io::Result<SocketAddr> {
            let Some(it) = fixed.as_mut() else {
                return Ok(SocketAddr::new(config.addr, port));
            };
            match it.next() {
                Some((n, p, addr)) if n == name && *p == proto => Ok(*addr),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{name}: {proto} port {port}: instances must run the same services"),
                )),
            }
        };
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let mut names = Vec::with_capacity(services.len());
        let mut counters = Vec::with_capacity(services.len());
        let mut udp = Vec::new();
        let mut tcp = Vec::new();
        for (index, service) in services.iter().enumerate() {
            let name = service.name().to_string();
            let listen = service.listen();
            for port in listen.udp {
                let addr = target(&name, Proto::Udp, port)?;
                let socket = open_udp(addr, reuse_port, &config)
                    .map_err(|e| bind_error(&name, Proto::Udp, addr, e))?;
                let local = socket.local_addr().map_err(|e| bind_error(&name, Proto::Udp, addr, e))?;
                let pktinfo = local.ip().is_unspecified();
                let socket = UdpSocket::from_std(socket);
                udp.push(UdpEntry {
                    service: index,
                    socket,
                    local,
                    pktinfo,
                    pending: true,
                    send_blocked: Cell::new(false),
                });
            }
            for port in listen.tcp {
                let addr = target(&name, Proto::Tcp, port)?;
                let listener = sys::bind_tcp(addr, reuse_port)
                    .map(TcpListener::from_std)
                    .map_err(|e| bind_error(&name, Proto::Tcp, addr, e))?;
                let local = listener.local_addr().map_err(|e| bind_error(&name, Proto::Tcp, addr, e))?;
                tcp.push(ListenerEntry { service: index, listener, local, pending: true, retry_at: None });
            }
            counters.push(metrics.service(&name));
            names.push(name);
        }
        for (i, entry) in udp.iter_mut().enumerate() {
            registry.register(&mut entry.socket, Token(1 + i), Interest::READABLE)?;
        }
        let listener_base = 1 + udp.len();
        for (i, entry) in tcp.iter_mut().enumerate() {
            registry.register(&mut entry.listener, Token(listener_base + i), Interest::READABLE)?;
        }
        let read_chunk = config.read_chunk.max(1);
        let conn_token_base = listener_base + tcp.len();
        Ok(SocketStack {
            poll,
            services,
            core: Core {
                registry,
                read_chunk,
                max_connections: config.max_connections,
                names,
                counters,
                udp,
                listeners: tcp,
                conns: HashMap::new(),
                next_id: 1,
                conn_token_base,
                ready: VecDeque::new(),
                closed: Vec::new(),
                lingers: BinaryHeap::new(),
                tx: sys::SendBatch::new(config.udp_batch),
                now: Instant::ZERO,
                shutting_down: false,
            },
            scratch: vec![0; read_chunk],
            rx: sys::RecvBatch::new(config.udp_batch, MAX_DATAGRAM),
        })
    }

    /// The addresses actually bound, per service name and protocol (with the
    /// ports the kernel chose for port 0).
    pub fn bound(&self) -> Vec<(String, Proto, SocketAddr)> {
        let udp = self.core.udp.iter().map(|u| (self.core.names[u.service].clone(), Proto::Udp, u.local));
        let tcp =
            self.core.listeners.iter().map(|l| (self.core.names[l.service].clone(), Proto::Tcp, l.local));
        udp.chain(tcp).collect()
    }

    /// Runs the services until `shutdown` fires; then calls every service's
    /// [`on_shutdown`](Service::on_shutdown), stops listening, closes every
    /// connection gracefully (dropping whatever is left after about 2 s),
    /// and returns. Services see `now = clock.now()`.
    pub fn run(mut self, mut shutdown: Shutdown, clock: Clock) -> io::Result<()> {
        self.poll.registry().register(shutdown.source(), SHUTDOWN_TOKEN, Interest::READABLE)?;
        let mut events = Events::with_capacity(1024);
        let mut stop_at: Option<Instant> = None;
        loop {
            // Whatever the last round's callbacks sent leaves before we sleep.
            self.core.flush_datagrams();
            let now = clock.now();
            self.core.now = now;
            let timeout = self.next_timeout(now, stop_at);
            if let Err(e) = self.poll.poll(&mut events, timeout)
                && e.kind() != io::ErrorKind::Interrupted
            {
                return Err(e);
            }
            self.core.now = clock.now();
            let mut stop_requested = false;
            for event in events.iter() {
                if event.token() == SHUTDOWN_TOKEN {
                    stop_requested |= shutdown.requested();
                } else {
                    self.core.on_event(event);
                }
            }
            self.receive_datagrams();
            self.accept_connections();
            self.pump_ready();
            self.fire_timers();
            self.expire_lingers();
            self.flush_closed();
            if stop_requested && stop_at.is_none() {
                debug!("socket stack: shutdown requested");
                self.begin_shutdown();
                stop_at = Some(self.core.now + SHUTDOWN_GRACE);
            }
            if let Some(at) = stop_at
                && (self.core.conns.is_empty() || self.core.now >= at)
            {
                self.finish_shutdown();
                return Ok(());
            }
        }
    }

    /// How long the loop may sleep: zero when work is left over, else until
    /// the earliest deadline, else forever.
    fn next_timeout(&self, now: Instant, stop_at: Option<Instant>) -> Option<std::time::Duration> {
        let core = &self.core;
        if !core.ready.is_empty()
            || core.udp.iter().any(|u| u.pending)
            || core.listeners.iter().any(|l| l.pending)
        {
            return Some(std::time::Duration::ZERO);
        }
        let mut next = stop_at;
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        if !core.shutting_down {
            for service in &self.services {
                consider(service.poll_timeout());
            }
        }
        consider(core.lingers.peek().map(|Reverse((t, _))| *t));
        for l in &core.listeners {
            consider(l.retry_at);
        }
        next.map(|t| Clock::until(now, t))
    }

    /// Reads one batch from every readable UDP socket, hands each datagram
    /// to its service, and sends what they answered.
    fn receive_datagrams(&mut self) {
        for i in 0..self.core.udp.len() {
            let Some(entry) = self.core.udp.get(i) else {
                return;
            };
            if !entry.pending {
                continue;
            }
            let (service, local, pktinfo) = (entry.service, entry.local, entry.pktinfo);
            let drained = match self.rx.recv(entry.socket.as_raw_fd(), pktinfo) {
                Ok(n) => {
                    self.deliver(service, local, n);
                    // Fewer than asked for: the queue is empty now, and a
                    // datagram arriving later raises a new edge.
                    n < self.rx.capacity()
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => true,
                Err(e) => {
                    // Socket errors are reported once; read again next round.
                    warn!(service = %self.core.names[service], %local, "udp recv: {e}");
                    self.core.counters[service].errors.inc();
                    false
                }
            };
            self.core.flush_datagrams();
            if drained && let Some(entry) = self.core.udp.get_mut(i) {
                entry.pending = false;
            }
        }
    }

    /// Hands the `n` datagrams in `rx` that socket `local` received to `service`.
    fn deliver(&mut self, service: usize, local: SocketAddr, n: usize) {
        let now = self.core.now;
        let (mut count, mut bytes) = (0u64, 0u64);
        for k in 0..n {
            let Some(d) = self.rx.get(k) else {
                break;
            };
            let Some(peer) = d.peer.filter(|_| !d.truncated) else {
                debug!(service = %self.core.names[service], %local, "udp: truncated or unaddressed datagram dropped");
                self.core.counters[service].datagrams_dropped.inc();
                continue;
            };
            count += 1;
            bytes += d.payload.len() as u64;
            let local = d.dest.map_or(local, |dest| dest_addr(dest, local.port()));
            let dgram = Datagram { local, peer, payload: d.payload };
            call(&mut self.services, &mut self.core, service, |s, net| s.on_datagram(now, net, dgram));
        }
        let c = &self.core.counters[service];
        c.datagrams_rx.add(count);
        c.bytes_rx.add(bytes);
    }

    /// Accepts from readable listeners, at most [`ACCEPT_BUDGET`] each.
    fn accept_connections(&mut self) {
        let now = self.core.now;
        for i in 0..self.core.listeners.len() {
            let Some(entry) = self.core.listeners.get_mut(i) else {
                return;
            };
            if entry.retry_at.is_some_and(|t| t <= now) {
                entry.retry_at = None;
                entry.pending = true;
            }
            if !entry.pending {
                continue;
            }
            let mut drained = false;
            for _ in 0..ACCEPT_BUDGET {
                let Some(entry) = self.core.listeners.get_mut(i) else {
                    return;
                };
                let (service, local) = (entry.service, entry.local);
                match entry.listener.accept() {
                    Ok((stream, peer)) => self.admit(service, local, stream, peer),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        drained = true;
                        break;
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                        ) => {}
                    Err(e) => {
                        warn!(service = %self.core.names[service], %local, "accept: {e}");
                        self.core.counters[service].errors.inc();
                        entry.retry_at = Some(now + ACCEPT_RETRY);
                        drained = true;
                        break;
                    }
                }
            }
            if drained && let Some(entry) = self.core.listeners.get_mut(i) {
                entry.pending = false;
            }
            self.flush_closed();
        }
    }

    /// Takes one accepted stream: refuses it at the limit, else registers it
    /// and tells the service.
    fn admit(&mut self, service: usize, local: SocketAddr, stream: TcpStream, peer: SocketAddr) {
        let core = &mut self.core;
        let name = &core.names[service];
        if core.conns.len() >= core.max_connections {
            debug!(service = %name, %peer, "connection refused: limit {} reached", core.max_connections);
            core.counters[service].connections_refused.inc();
            drop(stream);
            return;
        }
        if let Err(e) = stream.set_nodelay(true) {
            debug!(service = %name, %peer, "TCP_NODELAY: {e}");
        }
        let local = stream.local_addr().unwrap_or(local);
        let info = ConnInfo { local, peer, initiated: false };
        let Some(id) = core.insert(service, stream, info, State::Open) else {
            return;
        };
        debug!(service = %core.names[service], conn = id.0, %peer, "accepted");
        let now = core.now;
        call(&mut self.services, &mut self.core, service, |s, net| s.on_open(now, net, id, info));
        self.core.enqueue(id);
    }

    /// Works through the connections that have something to do.
    fn pump_ready(&mut self) {
        for _ in 0..self.core.ready.len() {
            let Some(id) = self.core.ready.pop_front() else {
                break;
            };
            self.pump(id);
            self.flush_closed();
        }
    }

    /// Moves one connection forward: finishes a connect, reports errors,
    /// calls `on_writable`, reads and offers data, reports the peer's FIN.
    fn pump(&mut self, id: ConnId) {
        let Some(conn) = self.core.conns.get_mut(&id) else {
            return;
        };
        conn.queued = false;
        let service = conn.service;
        if conn.check_due {
            conn.check_due = false;
            match conn.stream.take_error() {
                Ok(None) => {}
                Ok(Some(e)) | Err(e) => {
                    self.core.remove(id, Gone::Error(e));
                    return;
                }
            }
            if conn.state == State::Connecting {
                self.finish_connect(id);
                return;
            }
        }
        match conn.state {
            State::Connecting => return,
            State::Closing => {
                self.core.drain_closing(id, &mut self.scratch);
                return;
            }
            State::Open => {}
        }
        let now = self.core.now;
        if conn.writable_due {
            conn.writable_due = false;
            conn.write_blocked = false;
            conn.reoffer = true;
            call(&mut self.services, &mut self.core, service, |s, net| s.on_writable(now, net, id));
        }
        let read_chunk = self.core.read_chunk;
        let mut rounds = 0;
        loop {
            let Some(conn) = self.core.conns.get_mut(&id) else {
                return;
            };
            if conn.state != State::Open {
                return;
            }
            if rounds == PUMP_BUDGET {
                // Come back in the next loop turn, after the others had theirs.
                self.core.enqueue(id);
                return;
            }
            rounds += 1;
            let room = read_chunk.saturating_sub(conn.pending.len());
            let mut fresh = 0;
            if conn.readable && !conn.eof && room > 0 {
                match conn.stream.read(&mut self.scratch[..room]) {
                    Ok(0) => {
                        debug!(service = %self.core.names[service], conn = id.0, "peer sent FIN");
                        conn.eof = true;
                    }
                    Ok(n) => {
                        fresh = n;
                        self.core.counters[service].bytes_rx.add(n as u64);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => conn.readable = false,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.core.remove(id, Gone::Error(e));
                        return;
                    }
                }
            }
            let offer = fresh > 0 || (conn.reoffer && !conn.pending.is_empty());
            conn.reoffer = false;
            if !offer {
                if conn.readable && !conn.eof && room > 0 {
                    continue; // more to read (cannot happen after WouldBlock/FIN)
                }
                break;
            }
            let mut pending = std::mem::take(&mut conn.pending);
            let consumed = if pending.is_empty() {
                let data = &self.scratch[..fresh];
                let consumed =
                    call(&mut self.services, &mut self.core, service, |s, net| s.on_data(now, net, id, data))
                        .min(fresh);
                pending.extend_from_slice(&self.scratch[consumed..fresh]);
                consumed
            } else {
                pending.extend_from_slice(&self.scratch[..fresh]);
                let consumed = call(&mut self.services, &mut self.core, service, |s, net| {
                    s.on_data(now, net, id, &pending)
                })
                .min(pending.len());
                pending.drain(..consumed);
                consumed
            };
            let Some(conn) = self.core.conns.get_mut(&id) else {
                return; // closed or aborted from inside on_data
            };
            if conn.state != State::Open {
                return;
            }
            if pending.is_empty() && pending.capacity() > 64 * 1024 {
                pending = Vec::new();
            }
            conn.pending = pending;
            conn.stalled = consumed == 0;
            if consumed > 0 && !conn.pending.is_empty() {
                // Progress: offer the rest again (bounded by the budget).
                conn.reoffer = true;
            } else if consumed == 0 && conn.pending.len() >= read_chunk {
                debug!(
                    service = %self.core.names[service],
                    conn = id.0,
                    "service consumed nothing of a full receive window; connection stalls"
                );
            }
        }
        let Some(conn) = self.core.conns.get_mut(&id) else {
            return;
        };
        if conn.state == State::Open
            && conn.eof
            && !conn.peer_close_told
            && (conn.pending.is_empty() || (conn.stalled && !conn.write_blocked))
        {
            conn.peer_close_told = true;
            call(&mut self.services, &mut self.core, service, |s, net| s.on_peer_close(now, net, id));
        }
    }

    /// A connecting stream reported readiness: established, or not yet.
    fn finish_connect(&mut self, id: ConnId) {
        let core = &mut self.core;
        let Some(conn) = core.conns.get_mut(&id) else {
            return;
        };
        let peer = match conn.stream.peer_addr() {
            Ok(peer) => peer,
            Err(e) if e.kind() == io::ErrorKind::NotConnected => return, // still connecting
            Err(e) => {
                core.remove(id, Gone::Error(e));
                return;
            }
        };
        let service = conn.service;
        if let Err(e) = conn.stream.set_nodelay(true) {
            debug!(service = %core.names[service], %peer, "TCP_NODELAY: {e}");
        }
        if let Ok(local) = conn.stream.local_addr() {
            conn.info.local = local;
        }
        conn.info.peer = peer;
        conn.state = State::Open;
        conn.readable = true;
        conn.counted = true;
        let info = conn.info;
        let c = &core.counters[service];
        c.connections.inc();
        c.connections_open.inc();
        debug!(service = %core.names[service], conn = id.0, %peer, "connected");
        let now = core.now;
        call(&mut self.services, &mut self.core, service, |s, net| s.on_open(now, net, id, info));
        self.core.enqueue(id);
    }

    /// Calls `on_timer` on every service whose deadline has passed.
    fn fire_timers(&mut self) {
        if self.core.shutting_down {
            return;
        }
        let now = self.core.now;
        for i in 0..self.services.len() {
            if self.services[i].poll_timeout().is_some_and(|t| t <= now) {
                call(&mut self.services, &mut self.core, i, |s, net| s.on_timer(now, net));
                self.flush_closed();
            }
        }
    }

    /// Drops closing connections whose linger time is over.
    fn expire_lingers(&mut self) {
        let now = self.core.now;
        while let Some(Reverse((deadline, id))) = self.core.lingers.peek().copied() {
            if deadline > now {
                break;
            }
            self.core.lingers.pop();
            let lingering = self.core.conns.get(&id).is_some_and(|c| c.state == State::Closing);
            if lingering {
                debug!(conn = id.0, "no FIN from the peer in time; dropping");
                self.core.remove(id, Gone::Clean);
            }
        }
    }

    /// Tells services about connections that are gone.
    fn flush_closed(&mut self) {
        if self.core.closed.is_empty() {
            return;
        }
        let now = self.core.now;
        for (service, id) in std::mem::take(&mut self.core.closed) {
            if let Some(s) = self.services.get_mut(service) {
                s.on_closed(now, id);
            }
        }
    }

    /// Stop requested: services say goodbye, listening stops, connections
    /// start closing.
    fn begin_shutdown(&mut self) {
        let now = self.core.now;
        self.core.shutting_down = true;
        for i in 0..self.services.len() {
            call(&mut self.services, &mut self.core, i, |s, net| s.on_shutdown(now, net));
        }
        self.flush_closed();
        self.core.flush_datagrams();
        for mut l in std::mem::take(&mut self.core.listeners) {
            let _ = self.core.registry.deregister(&mut l.listener);
        }
        for mut u in std::mem::take(&mut self.core.udp) {
            let _ = self.core.registry.deregister(&mut u.socket);
        }
        let mut ids: Vec<ConnId> = self.core.conns.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            match self.core.conns.get(&id).map(|c| c.state) {
                Some(State::Connecting) => self.core.remove(id, Gone::Clean),
                Some(State::Open) => self.core.close(id),
                Some(State::Closing) | None => {}
            }
        }
        self.pump_ready();
        self.flush_closed();
    }

    /// Grace time over (or nothing left): drop what remains.
    fn finish_shutdown(&mut self) {
        let mut ids: Vec<ConnId> = self.core.conns.keys().copied().collect();
        ids.sort_unstable();
        if !ids.is_empty() {
            debug!("socket stack: dropping {} connection(s) at shutdown", ids.len());
        }
        for id in ids {
            self.core.remove(id, Gone::Clean);
        }
        self.flush_closed();
        debug!("socket stack stopped");
    }
}

/// Runs [`SocketConfig::instances`] socket stacks until `shutdown` fires
/// (SIGINT/SIGTERM or a trigger), and returns once all have stopped.
///
/// Instance 0 runs `services` on the calling thread, the others on threads
/// of their own; they share nothing but their ports (SO_REUSEPORT: the
/// kernel spreads UDP flows and TCP connections over the sockets) and
/// `metrics` (per-service counters, updated once per batch). `build(i)`
/// makes instance `i`'s (i ≥ 1) services on that instance's thread
/// (services are not `Send`); they must be the same services in the same
/// order as `services`.
/// Port 0 gives every instance the port the first one got. `bound` hears
/// the addresses once every instance is listening. If an instance cannot
/// start, all stop and the first error is returned.
pub fn run_instances<B>(
    config: &SocketConfig,
    services: Vec<Box<dyn Service>>,
    build: B,
    metrics: &Metrics,
    shutdown: Shutdown,
    bound: impl FnOnce(&[(String, Proto, SocketAddr)]),
) -> io::Result<()>
where
    B: Fn(usize) -> io::Result<Vec<Box<dyn Service>>> + Sync,
{
    let first = SocketStack::new(config.clone(), services, metrics)?;
    let ports = first.bound();
    let extra = config.instances.max(1) - 1;
    let mut stops = Vec::with_capacity(extra);
    let mut shutdowns = Vec::with_capacity(extra);
    for _ in 0..extra {
        let s = Shutdown::new()?;
        stops.push(s.trigger()?);
        shutdowns.push(s);
    }
    let (build, ports) = (&build, &ports);
    std::thread::scope(|scope| {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<()>>();
        let mut threads = Vec::with_capacity(extra);
        for (i, stop) in (1..).zip(shutdowns) {
            let ready = ready_tx.clone();
            let thread = std::thread::Builder::new().name(format!("socket-stack-{i}")).spawn_scoped(
                scope,
                move || {
                    let stack = build(i).and_then(|services| {
                        SocketStack::bind(config.clone(), services, metrics, Some(ports))
                    });
                    match stack {
                        Ok(stack) => {
                            let _ = ready.send(Ok(()));
                            stack.run(stop, Clock::new())
                        }
                        Err(e) => {
                            let _ = ready.send(Err(io::Error::new(e.kind(), format!("instance {i}: {e}"))));
                            Ok(())
                        }
                    }
                },
            );
            match thread {
                Ok(t) => threads.push(t),
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
            }
        }
        drop(ready_tx);
        let started: io::Result<()> = ready_rx.iter().take(extra).collect();
        let result = match started {
            Ok(()) => {
                bound(ports);
                first.run(shutdown, Clock::new())
            }
            Err(e) => Err(e),
        };
        for stop in &stops {
            stop.fire();
        }
        let mut result = result;
        for t in threads {
            let r = t.join().unwrap_or_else(|_| Err(io::Error::other("a socket stack instance panicked")));
            if let Err(e) = r {
                warn!("socket stack instance: {e}");
                if result.is_ok() {
                    result = Err(e);
                }
            }
        }
        result
    })
}

/// Calls service `index` with the stack state lent to it as its [`Net`].
fn call<R>(
    services: &mut [Box<dyn Service>],
    core: &mut Core,
    index: usize,
    f: impl FnOnce(&mut dyn Service, &mut dyn Net) -> R,
) -> R {
    let mut ctx = Ctx { core, service: index };
    f(services[index].as_mut(), &mut ctx)
}

fn bind_error(name: &str, proto: Proto, addr: SocketAddr, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{name}: bind {proto} {addr}: {e}"))
}

impl Core {
    /// Records readiness from one event; the work happens in the pumps.
    fn on_event(&mut self, event: &mio::event::Event) {
        let token = event.token().0;
        let udp_base = SHUTDOWN_TOKEN.0 + 1;
        let listener_base = udp_base + self.udp.len();
        if token < listener_base {
            if let Some(u) = self.udp.get_mut(token.wrapping_sub(udp_base)) {
                u.pending = true;
            }
        } else if token < self.conn_token_base {
            if let Some(l) = self.listeners.get_mut(token - listener_base)
                && l.retry_at.is_none()
            {
                l.pending = true;
            }
        } else {
            let id = ConnId((token - self.conn_token_base) as u64);
            let Some(conn) = self.conns.get_mut(&id) else {
                return;
            };
            if event.is_error() || conn.state == State::Connecting {
                conn.check_due = true;
            }
            if event.is_readable() || event.is_read_closed() || event.is_error() {
                conn.readable = true;
            }
            if (event.is_writable() || event.is_write_closed() || event.is_error()) && conn.write_blocked {
                conn.writable_due = true;
            }
            self.enqueue(id);
        }
    }

    fn enqueue(&mut self, id: ConnId) {
        if let Some(conn) = self.conns.get_mut(&id)
            && !conn.queued
        {
            conn.queued = true;
            self.ready.push_back(id);
        }
    }

    /// Registers a stream and gives it a new id; None (stream dropped) when
    /// the poller refuses it.
    fn insert(
        &mut self,
        service: usize,
        mut stream: TcpStream,
        info: ConnInfo,
        state: State,
    ) -> Option<ConnId> {
        let id = ConnId(self.next_id);
        let token = usize::try_from(id.0).ok().and_then(|n| n.checked_add(self.conn_token_base));
        let Some(token) = token else {
            warn!(service = %self.names[service], "connection ids exhausted");
            self.counters[service].errors.inc();
            return None;
        };
        if let Err(e) =
            self.registry.register(&mut stream, Token(token), Interest::READABLE | Interest::WRITABLE)
        {
            warn!(service = %self.names[service], peer = %info.peer, "register: {e}");
            self.counters[service].errors.inc();
            return None;
        }
        self.next_id += 1;
        let open = state == State::Open;
        if open {
            let c = &self.counters[service];
            c.connections.inc();
            c.connections_open.inc();
        }
        self.conns.insert(
            id,
            Conn {
                service,
                stream,
                info,
                state,
                pending: Vec::new(),
                readable: open,
                eof: false,
                peer_close_told: false,
                write_blocked: false,
                writable_due: false,
                reoffer: false,
                stalled: false,
                check_due: false,
                queued: false,
                counted: open,
            },
        );
        Some(id)
    }

    /// Drops a connection and queues its `on_closed`.
    fn remove(&mut self, id: ConnId, why: Gone) {
        let Some(mut conn) = self.conns.remove(&id) else {
            return;
        };
        let _ = self.registry.deregister(&mut conn.stream);
        let c = &self.counters[conn.service];
        if conn.counted {
            c.connections_open.dec();
        }
        let name = &self.names[conn.service];
        match why {
            Gone::Clean => debug!(service = %name, conn = id.0, "closed"),
            Gone::Error(e) => {
                c.errors.inc();
                debug!(service = %name, conn = id.0, peer = %conn.info.peer, "connection error: {e}");
            }
        }
        self.closed.push((conn.service, id));
    }

    /// Graceful close: FIN now, drop on the peer's FIN or after the linger.
    fn close(&mut self, id: ConnId) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        match conn.state {
            State::Closing => {}
            State::Connecting => self.remove(id, Gone::Clean),
            State::Open => {
                if let Err(e) = conn.stream.shutdown(HalfClose::Write) {
                    self.remove(id, Gone::Error(e));
                    return;
                }
                if conn.eof {
                    // Both FINs: the kernel sends what is queued, then it's over.
                    self.remove(id, Gone::Clean);
                    return;
                }
                conn.state = State::Closing;
                conn.pending = Vec::new();
                conn.readable = true; // the FIN may already be waiting
                let deadline = self.now + CLOSE_LINGER;
                self.lingers.push(Reverse((deadline, id)));
                self.enqueue(id);
            }
        }
    }

    /// RST: SO_LINGER 0, then drop.
    fn abort(&mut self, id: ConnId) {
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        if let Err(e) = sys::set_linger_zero(&conn.stream) {
            debug!(conn = id.0, "SO_LINGER: {e}");
        }
        self.remove(id, Gone::Clean);
    }

    /// A closing connection: read and discard until the peer's FIN.
    fn drain_closing(&mut self, id: ConnId, scratch: &mut [u8]) {
        for _ in 0..PUMP_BUDGET {
            let Some(conn) = self.conns.get_mut(&id) else {
                return;
            };
            if !conn.readable {
                return;
            }
            match conn.stream.read(scratch) {
                Ok(0) => {
                    self.remove(id, Gone::Clean);
                    return;
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    conn.readable = false;
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.remove(id, Gone::Error(e));
                    return;
                }
            }
        }
        self.enqueue(id);
    }

    /// A connection of `service` that is open, if any.
    fn open_conn(&mut self, service: usize, id: ConnId) -> Option<&mut Conn> {
        self.conns.get_mut(&id).filter(|c| c.service == service && c.state == State::Open)
    }

    /// Sends the queued datagrams; counts what left and what was dropped.
    fn flush_datagrams(&mut self) {
        if self.tx.is_empty() {
            return;
        }
        let udp = &self.udp;
        let (counters, names) = (&self.counters, &self.names);
        let (mut sent, mut sent_bytes, mut dropped) = (0u64, 0u64, 0u64);
        let mut last = usize::MAX;
        let account = |last: usize, sent: &mut u64, bytes: &mut u64, dropped: &mut u64| {
            if let Some(c) = udp.get(last).and_then(|u| counters.get(u.service)) {
                c.datagrams_tx.add(std::mem::take(sent));
                c.bytes_tx.add(std::mem::take(bytes));
                c.datagrams_dropped.add(std::mem::take(dropped));
            }
        };
        self.tx.flush(
            |socket| udp.get(socket).map(|u| u.socket.as_raw_fd()),
            |socket, result| {
                if socket != last {
                    account(last, &mut sent, &mut sent_bytes, &mut dropped);
                    last = socket;
                }
                let Some(entry) = udp.get(socket) else {
                    return;
                };
                match result {
                    Ok(n) => {
                        sent += 1;
                        sent_bytes += n as u64;
                        entry.send_blocked.set(false);
                    }
                    Err(e) => {
                        dropped += 1;
                        if e.kind() == io::ErrorKind::WouldBlock || e.raw_os_error() == Some(libc::ENOBUFS) {
                            entry.send_blocked.set(true);
                        } else {
                            debug!(service = %names[entry.service], local = %entry.local, "sendmmsg: {e}");
                        }
                    }
                }
            },
        );
        account(last, &mut sent, &mut sent_bytes, &mut dropped);
    }

    /// The index of the UDP socket a service sends from `local` through.
    fn udp_for(&self, service: usize, local: SocketAddr) -> Option<usize> {
        let exact = |(_, u): &(usize, &UdpEntry)| u.local == local;
        let same_port = |(_, u): &(usize, &UdpEntry)| {
            u.local.port() == local.port()
                && u.local.is_ipv4() == local.is_ipv4()
                && (u.local.ip().is_unspecified() || local.ip().is_unspecified())
        };
        let own = |(_, u): &(usize, &UdpEntry)| u.service == service;
        let udp = || self.udp.iter().enumerate();
        udp()
            .filter(own)
            .find(exact)
            .or_else(|| udp().find(exact))
            .or_else(|| udp().filter(own).find(same_port))
            .map(|(i, _)| i)
    }
}

/// A UDP socket on `addr` with the buffers and options `config` asks for.
fn open_udp(addr: SocketAddr, reuse_port: bool, config: &SocketConfig) -> io::Result<std::net::UdpSocket> {
    let socket = sys::bind_udp(addr, reuse_port)?;
    if addr.ip().is_unspecified() {
        sys::enable_pktinfo(&socket, addr.is_ipv6())?;
    }
    let sizes = [
        ("SO_RCVBUF", libc::SO_RCVBUF, libc::SO_RCVBUFFORCE, config.udp_rcvbuf),
        ("SO_SNDBUF", libc::SO_SNDBUF, libc::SO_SNDBUFFORCE, config.udp_sndbuf),
    ];
    for (label, option, force, want) in sizes {
        if want == 0 {
            continue;
        }
        let want = libc::c_int::try_from(want).unwrap_or(libc::c_int::MAX / 2);
        // The kernel stores (and reports) twice what was asked, for its
        // bookkeeping, capped at net.core.[rw]mem_max unless forced.
        let got = |s: &std::net::UdpSocket| sys::int_option(s, libc::SOL_SOCKET, option).unwrap_or(0) / 2;
        if sys::set_int_option(&socket, libc::SOL_SOCKET, option, want).is_err() || got(&socket) < want {
            let _ = sys::set_int_option(&socket, libc::SOL_SOCKET, force, want);
        }
        let have = got(&socket);
        if have < want {
            info!(%addr, "udp {label}: asked for {want} bytes, the kernel gave {have} (raise net.core.*mem_max)");
        }
    }
    Ok(socket)
}

/// Our address a datagram came to: its destination IP on the socket's
/// port; link-local IPv6 addresses get the receiving interface as scope.
fn dest_addr(dest: sys::Dest, port: u16) -> SocketAddr {
    match dest.ip {
        IpAddr::V6(ip) if ip.is_unicast_link_local() => {
            SocketAddr::V6(SocketAddrV6::new(ip, port, 0, dest.ifindex))
        }
        ip => SocketAddr::new(ip, port),
    }
}

/// The [`Net`] a service sees: the stack state, on behalf of one service.
struct Ctx<'a> {
    core: &'a mut Core,
    service: usize,
}

impl Net for Ctx<'_> {
    fn send_datagram(&mut self, local: SocketAddr, peer: SocketAddr, payload: &[u8]) -> bool {
        let core = &mut *self.core;
        let Some(index) = core.udp_for(self.service, local) else {
            debug!(service = %core.names[self.service], %local, "send_datagram: no such local socket");
            core.counters[self.service].datagrams_dropped.inc();
            return false;
        };
        let Some(entry) = core.udp.get(index) else {
            return false;
        };
        let source = (entry.pktinfo && !local.ip().is_unspecified()).then(|| sys::Dest {
            ip: local.ip(),
            ifindex: match local {
                SocketAddr::V6(a) => a.scope_id(),
                SocketAddr::V4(_) => 0,
            },
        });
        let blocked = entry.send_blocked.get();
        core.tx.push(index, peer, source, payload);
        if blocked || core.tx.is_full() {
            // A full send buffer last time: send now, so that a drop shows
            // in the result and a bulk sender backs off.
            core.flush_datagrams();
            return core.udp.get(index).is_some_and(|u| !u.send_blocked.get());
        }
        true
    }

    fn write(&mut self, conn: ConnId, data: &[u8]) -> usize {
        let Some(c) = self.core.open_conn(self.service, conn) else {
            return 0;
        };
        let mut written = 0;
        let mut failed = None;
        while written < data.len() {
            match c.stream.write(&data[written..]) {
                Ok(0) => {
                    c.write_blocked = true;
                    break;
                }
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // The kernel buffer is full: the edge-triggered WRITABLE
                    // event that follows calls on_writable.
                    c.write_blocked = true;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        self.core.counters[self.service].bytes_tx.add(written as u64);
        if let Some(e) = failed {
            self.core.remove(conn, Gone::Error(e));
        }
        written
    }

    fn recv_window(&self, _conn: ConnId) -> usize {
        self.core.read_chunk
    }

    fn close(&mut self, conn: ConnId) {
        if self.core.conns.get(&conn).is_some_and(|c| c.service == self.service) {
            self.core.close(conn);
        }
    }

    fn abort(&mut self, conn: ConnId) {
        if self.core.conns.get(&conn).is_some_and(|c| c.service == self.service) {
            self.core.abort(conn);
        }
    }

    fn connect(&mut self, peer: SocketAddr) -> Option<ConnId> {
        let core = &mut *self.core;
        let service = self.service;
        if core.shutting_down {
            return None;
        }
        if core.conns.len() >= core.max_connections {
            debug!(service = %core.names[service], %peer, "connect: limit {} reached", core.max_connections);
            core.counters[service].connections_refused.inc();
            return None;
        }
        let stream = match TcpStream::connect(peer) {
            Ok(stream) => stream,
            Err(e) => {
                debug!(service = %core.names[service], %peer, "connect: {e}");
                core.counters[service].errors.inc();
                return None;
            }
        };
        let local = stream.local_addr().unwrap_or(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));
        let info = ConnInfo { local, peer, initiated: true };
        let id = core.insert(service, stream, info, State::Connecting)?;
        debug!(service = %core.names[service], conn = id.0, %peer, "connecting");
        Some(id)
    }
}
