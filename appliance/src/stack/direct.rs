//! The direct stack: smoltcp's `Interface` over a [`HostDevice`], running
//! sans-IO [`Service`]s. This is the unikernel netstack: no host kernel
//! between the wire and the service.
//!
//! One [`DirectStack::poll`] does, in order: ingress (frame by frame, topping
//! up listening sockets after each so no SYN meets a port without one),
//! DHCP, service events (accepts, data, writable, peer close, closed,
//! datagrams, timers), egress until the sockets have nothing more to send,
//! and a device flush. [`DirectStack::poll_at`] says when to call again.
//!
//! smoltcp sockets hold one connection each, so every TCP port keeps a pool
//! of `listen_backlog` sockets in LISTEN; a socket that leaves LISTEN becomes
//! a connection and a fresh listener takes its place, up to
//! `max_connections`.

#[allow(unused_imports)]
use crate::prelude::*;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use core::net::{IpAddr, SocketAddr};
use hashbrown::HashMap;

use smoltcp::iface::{Config, Interface, PollIngressSingleResult, SocketHandle, SocketSet};
use smoltcp::socket::{dhcpv4, tcp, udp};
use smoltcp::wire::{
    EthernetAddress, HardwareAddress, IpAddress, IpCidr, IpEndpoint, Ipv4Address, Ipv4Cidr, Ipv6Address,
    Ipv6Cidr,
};

use crate::device::HostDevice;
#[cfg(feature = "std")]
use crate::device::virtual_net::Node;
use crate::metrics::{Metrics, ServiceCounters};
use crate::service::{ConnId, ConnInfo, Datagram, Duration, Instant, Net, Service};

/// How the stack gets its IPv4 address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ipv4Config {
    /// A fixed address and prefix, with an optional default gateway.
    Static {
        /// Our address and prefix, e.g. 10.0.0.2/24.
        cidr: Ipv4Cidr,
        /// The default route's next hop.
        gateway: Option<Ipv4Address>,
    },
    /// Lease an address (and gateway) from a DHCPv4 server.
    Dhcp,
    /// No IPv4.
    None,
}

/// Settings of one direct stack instance.
#[derive(Clone, Debug)]
pub struct DirectConfig {
    /// Our Ethernet address (must be unicast).
    pub mac: EthernetAddress,
    /// IPv4 addressing.
    pub ipv4: Ipv4Config,
    /// A static IPv6 address and prefix, with an optional default gateway.
    pub ipv6: Option<(Ipv6Cidr, Option<Ipv6Address>)>,
    /// Receive buffer per TCP connection, bytes (above 64 KiB uses window scaling).
    pub tcp_rx_buffer: usize,
    /// Send buffer per TCP connection, bytes.
    pub tcp_tx_buffer: usize,
    /// Payload bytes buffered per UDP port, each way.
    pub udp_buffer: usize,
    /// Datagrams buffered per UDP port, each way.
    pub udp_packets: usize,
    /// Idle listening sockets kept per TCP port.
    pub listen_backlog: usize,
    /// Most TCP connections at once (accepted + initiated) per stack.
    pub max_connections: usize,
    /// Seed for smoltcp (ISNs, ephemeral choices); inject entropy in production.
    pub random_seed: u64,
}

impl Default for DirectConfig {
    fn default() -> Self {
        DirectConfig {
            mac: EthernetAddress([0x02, 0x00, 0x00, 0x00, 0x00, 0x02]),
            ipv4: Ipv4Config::Static {
                cidr: Ipv4Cidr::new(Ipv4Address::new(10, 0, 0, 2), 24),
                gateway: None,
            },
            ipv6: None,
            tcp_rx_buffer: 256 * 1024,
            tcp_tx_buffer: 256 * 1024,
            udp_buffer: 256 * 1024,
            udp_packets: 512,
            listen_backlog: 4,
            max_connections: 1024,
            random_seed: 0x5eed,
        }
    }
}

/// Errors when building a direct stack.
#[derive(Debug, thiserror::Error)]
pub enum DirectError {
    /// Two services asked for the same port.
    #[error("{service}: {proto} port {port} is already taken by {other}")]
    PortTaken {
        /// The service that asked second.
        service: String,
        /// "udp" or "tcp".
        proto: &'static str,
        /// The port.
        port: u16,
        /// The service that has it.
        other: String,
    },
    /// Port 0 cannot be listened on here (no ephemeral binding on a unikernel).
    #[error("{service}: cannot listen on {proto} port 0 on the direct stack")]
    PortZero {
        /// The service.
        service: String,
        /// "udp" or "tcp".
        proto: &'static str,
    },
    /// The MAC address is not unicast.
    #[error("MAC address {0} is not a unicast address")]
    BadMac(EthernetAddress),
}

/// Frames processed per poll before egress gets a turn.
const INGRESS_BUDGET: usize = 256;
/// Datagrams taken from one UDP port per poll before others get a turn.
const UDP_BUDGET: usize = 256;
/// After our FIN is acknowledged, a peer that never closes its side is reset
/// after this long (Linux's tcp_fin_timeout). Unacknowledged data is bounded
/// by [`TCP_TIMEOUT`] instead.
const FIN_WAIT2_TIMEOUT: Duration = Duration::from_secs(60);
/// Unacknowledged data to a silent peer is given up on after this. Generous:
/// smoltcp backs its retransmit timer off to 60 s under heavy loss.
const TCP_TIMEOUT: Duration = Duration::from_secs(300);
const EPHEMERAL_PORTS: core::ops::RangeInclusive<u16> = 49152..=65535;

/// One service and what the stack tracks for it.
struct Slot {
    service: Box<dyn Service>,
    counters: Arc<ServiceCounters>,
}

struct UdpPort {
    handle: SocketHandle,
    service: usize,
}

struct ListenPool {
    port: u16,
    service: usize,
    idle: Vec<SocketHandle>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// SYN seen or sent; not yet reported to the service.
    Opening,
    /// Reported with on_open.
    Open,
    /// The service called close(); waiting for the socket to finish. Notes
    /// when FIN-WAIT-2 began, to bound a peer that never closes.
    Closing { fin_wait2_since: Option<Instant> },
    /// The service called abort(); report on_closed at the next look.
    Aborted,
    /// on_closed reported; the socket lingers only to finish TIME-WAIT.
    Reaped,
}

struct Conn {
    id: ConnId,
    handle: SocketHandle,
    service: usize,
    initiated: bool,
    phase: Phase,
    /// A write came back short: report on_writable when room returns.
    write_blocked: bool,
    /// Bytes the service was last offered and left unconsumed; offered again
    /// only when more arrive or the connection turns writable.
    unconsumed: usize,
    peer_closed_reported: bool,
    /// The service has seen on_open (so it must see on_closed).
    opened: bool,
}

/// Everything a service's [`Net`] calls touch, split from the services so
/// that a service can be called while the stack is borrowed.
struct Core {
    iface: Interface,
    sockets: SocketSet<'static>,
    udp: Vec<UdpPort>,
    pools: Vec<ListenPool>,
    /// Ordered by id, so that runs in virtual time are deterministic.
    conns: BTreeMap<ConnId, Conn>,
    by_handle: HashMap<SocketHandle, ConnId>,
    /// TIME-WAIT sockets whose connection is already reported closed.
    reaping: Vec<SocketHandle>,
    dhcp: Option<SocketHandle>,
    next_conn: u64,
    next_port: u16,
    config: DirectConfig,
    shutting_down: bool,
}

/// The direct stack over device `D`. See the [module docs](self).
pub struct DirectStack<D: HostDevice> {
    device: D,
    core: Core,
    slots: Vec<Slot>,
    /// Where received bytes are copied for a service to read.
    scratch: Vec<u8>,
    /// The ingress budget ran out: more frames may be waiting.
    rx_pending: bool,
    /// Reused list of connection ids to visit (no allocation per poll).
    visit: Vec<ConnId>,
}

impl<D: HostDevice> DirectStack<D> {
    /// Builds the stack: interface, addresses, routes, and a socket for every
    /// port every service listens on.
    pub fn new(
        mut device: D,
        config: DirectConfig,
        services: Vec<Box<dyn Service>>,
        metrics: &Metrics,
        now: Instant,
    ) -> Result<Self, DirectError> {
        if !config.mac.is_unicast() {
            return Err(DirectError::BadMac(config.mac));
        }
        let mut iface_config = Config::new(HardwareAddress::Ethernet(config.mac));
        iface_config.random_seed = config.random_seed;
        let mut iface = Interface::new(iface_config, &mut device, now);
        iface.update_ip_addrs(|addrs| {
            if let Ipv4Config::Static { cidr, .. } = &config.ipv4 {
                let _ = addrs.push(IpCidr::Ipv4(*cidr));
            }
            if let Some((cidr, _)) = &config.ipv6 {
                let _ = addrs.push(IpCidr::Ipv6(*cidr));
            }
        });
        if let Ipv4Config::Static { gateway: Some(gw), .. } = &config.ipv4 {
            let _ = iface.routes_mut().add_default_ipv4_route(*gw);
        }
        if let Some((_, Some(gw))) = &config.ipv6 {
            let _ = iface.routes_mut().add_default_ipv6_route(*gw);
        }

        let mut sockets = SocketSet::new(Vec::new());
        let dhcp = (config.ipv4 == Ipv4Config::Dhcp).then(|| sockets.add(dhcpv4::Socket::new()));
        let mut core = Core {
            iface,
            sockets,
            udp: Vec::new(),
            pools: Vec::new(),
            conns: BTreeMap::new(),
            by_handle: HashMap::new(),
            reaping: Vec::new(),
            dhcp,
            next_conn: 1,
            next_port: *EPHEMERAL_PORTS.start(),
            config,
            shutting_down: false,
        };

        let mut slots: Vec<Slot> = Vec::new();
        let mut taken: HashMap<(&'static str, u16), String> = HashMap::new();
        for (index, service) in services.into_iter().enumerate() {
            let name = service.name().to_string();
            let listen = service.listen();
            for (proto, ports) in [("udp", &listen.udp), ("tcp", &listen.tcp)] {
                for &port in ports {
                    if port == 0 {
                        return Err(DirectError::PortZero { service: name, proto });
                    }
                    if let Some(other) = taken.insert((proto, port), name.clone()) {
                        return Err(DirectError::PortTaken { service: name, proto, port, other });
                    }
                }
            }
            for &port in &listen.udp {
                let handle = core.add_udp(port);
                core.udp.push(UdpPort { handle, service: index });
            }
            for &port in &listen.tcp {
                core.pools.push(ListenPool { port, service: index, idle: Vec::new() });
            }
            slots.push(Slot { counters: metrics.service(&name), service });
        }
        core.refill_listeners();
        let scratch = vec![0; core.config.tcp_rx_buffer.max(core.config.udp_buffer).max(65536)];
        Ok(DirectStack { device, core, slots, scratch, rx_pending: false, visit: Vec::new() })
    }

    /// The device, e.g. to flush it or read its counters.
    pub fn device_mut(&mut self) -> &mut D {
        &mut self.device
    }

    /// The stack's IP addresses now (a DHCP lease changes them).
    pub fn addresses(&self) -> Vec<IpCidr> {
        self.core.iface.ip_addrs().to_vec()
    }

    /// TCP connections that exist now (opening, open or closing).
    pub fn connection_count(&self) -> usize {
        self.core.conns.values().filter(|c| c.phase != Phase::Reaped).count()
    }

    /// Runs one round: ingress, service events, egress, flush. Returns true
    /// when anything happened (a frame moved or a service was called).
    pub fn poll(&mut self, now: Instant) -> bool {
        let mut progress = false;
        let mut frames = 0;
        self.rx_pending = false;
        loop {
            match self.core.iface.poll_ingress_single(now, &mut self.device, &mut self.core.sockets) {
                PollIngressSingleResult::None => break,
                PollIngressSingleResult::PacketProcessed => {}
                PollIngressSingleResult::SocketStateChanged => self.core.refill_listeners(),
            }
            progress = true;
            frames += 1;
            if frames == INGRESS_BUDGET {
                self.rx_pending = true;
                break;
            }
        }
        self.core.iface.poll_maintenance(now);
        self.poll_dhcp();
        progress |= self.dispatch(now);
        while self.core.iface.poll_egress(now, &mut self.device, &mut self.core.sockets)
            == smoltcp::iface::PollResult::SocketStateChanged
        {
            progress = true;
        }
        // Sending may have finished closes; report them before sleeping.
        progress |= self.dispatch(now);
        if let Err(e) = self.device.flush() {
            tracing::warn!("device flush failed: {e}");
        }
        progress
    }

    /// When [`poll`](Self::poll) should run next, at the latest; `now` when
    /// work is already waiting. None means "only when a frame arrives".
    pub fn poll_at(&mut self, now: Instant) -> Option<Instant> {
        if self.rx_pending {
            return Some(now);
        }
        let mut next = self.core.iface.poll_at(now, &self.core.sockets);
        for slot in &self.slots {
            next = earliest(next, slot.service.poll_timeout());
        }
        for conn in self.core.conns.values() {
            if let Phase::Closing { fin_wait2_since: Some(since) } = conn.phase {
                next = earliest(next, Some(since + FIN_WAIT2_TIMEOUT));
            }
        }
        next
    }

    /// Starts a graceful stop: services say goodbye, listeners close, every
    /// connection is closed. Keep polling until [`is_drained`](Self::is_drained).
    pub fn begin_shutdown(&mut self, now: Instant) {
        self.core.shutting_down = true;
        for index in 0..self.slots.len() {
            self.call(index, |svc, net| svc.on_shutdown(now, net));
        }
        for pool in &mut self.core.pools {
            for handle in pool.idle.drain(..) {
                self.core.sockets.remove(handle);
            }
        }
        let ids: Vec<ConnId> = self.core.conns.keys().copied().collect();
        for id in ids {
            self.core.close(id);
        }
    }

    /// True when no connection is left open (after [`begin_shutdown`](Self::begin_shutdown)).
    pub fn is_drained(&self) -> bool {
        self.core.conns.values().all(|c| c.phase == Phase::Reaped)
    }

    fn poll_dhcp(&mut self) {
        let Some(handle) = self.core.dhcp else { return };
        let event = self.core.sockets.get_mut::<dhcpv4::Socket>(handle).poll();
        match event {
            Some(dhcpv4::Event::Configured(lease)) => {
                tracing::info!(address = %lease.address, router = ?lease.router, "DHCPv4 lease");
                self.core.iface.update_ip_addrs(|addrs| {
                    addrs.retain(|a| !matches!(a, IpCidr::Ipv4(_)));
                    let _ = addrs.push(IpCidr::Ipv4(lease.address));
                });
                let routes = self.core.iface.routes_mut();
                routes.remove_default_ipv4_route();
                if let Some(router) = lease.router {
                    let _ = routes.add_default_ipv4_route(router);
                }
            }
            Some(dhcpv4::Event::Deconfigured) => {
                // Reported once at start too, before any lease.
                if self.core.iface.ipv4_addr().is_some() {
                    tracing::warn!("DHCPv4 lease lost");
                }
                self.core.iface.update_ip_addrs(|addrs| addrs.retain(|a| !matches!(a, IpCidr::Ipv4(_))));
                self.core.iface.routes_mut().remove_default_ipv4_route();
            }
            None => {}
        }
    }

    /// Calls service `index` with a [`Net`] over this stack, then refreshes
    /// its timer.
    fn call(&mut self, index: usize, f: impl FnOnce(&mut dyn Service, &mut dyn Net)) {
        let Some(slot) = self.slots.get_mut(index) else { return };
        let mut net = DirectNet { core: &mut self.core, service: index, counters: &slot.counters };
        f(slot.service.as_mut(), &mut net);
    }

    /// Turns socket state into service callbacks. Returns true if any ran.
    fn dispatch(&mut self, now: Instant) -> bool {
        let mut progress = self.dispatch_datagrams(now);
        let mut visit = core::mem::take(&mut self.visit);
        visit.clear();
        visit.extend(self.core.conns.keys().copied());
        for &id in &visit {
            progress |= self.dispatch_conn(id, now);
        }
        self.visit = visit;
        self.core.reap_time_wait();
        for index in 0..self.slots.len() {
            if self.slots[index].service.poll_timeout().is_some_and(|t| t <= now) {
                self.call(index, |svc, net| svc.on_timer(now, net));
                progress = true;
            }
        }
        progress
    }

    fn dispatch_datagrams(&mut self, now: Instant) -> bool {
        let mut progress = false;
        for port in 0..self.core.udp.len() {
            let (handle, index) = (self.core.udp[port].handle, self.core.udp[port].service);
            for _ in 0..UDP_BUDGET {
                let socket = self.core.sockets.get_mut::<udp::Socket>(handle);
                let Ok((len, meta)) = socket.recv_slice(&mut self.scratch) else { break };
                let local_port = socket.endpoint().port;
                let Some(local_ip) = meta.local_address else { continue };
                let local = SocketAddr::new(IpAddr::from(local_ip), local_port);
                let peer = SocketAddr::from(meta.endpoint);
                let Some(slot) = self.slots.get_mut(index) else { break };
                slot.counters.datagrams_rx.inc();
                slot.counters.bytes_rx.add(len as u64);
                let mut net = DirectNet { core: &mut self.core, service: index, counters: &slot.counters };
                let payload = &self.scratch[..len];
                slot.service.on_datagram(now, &mut net, Datagram { local, peer, payload });
                progress = true;
            }
        }
        progress
    }

    /// Reports what happened to one connection since the last look.
    fn dispatch_conn(&mut self, id: ConnId, now: Instant) -> bool {
        let Some(conn) = self.core.conns.get(&id) else { return false };
        let (handle, index, phase) = (conn.handle, conn.service, conn.phase);
        if phase == Phase::Reaped {
            return false;
        }
        let socket = self.core.sockets.get::<tcp::Socket>(handle);
        let state = socket.state();
        let mut progress = false;

        if phase == Phase::Opening {
            match state {
                tcp::State::Established | tcp::State::CloseWait => {
                    let (Some(local), Some(peer)) = (socket.local_endpoint(), socket.remote_endpoint())
                    else {
                        return false;
                    };
                    let info = ConnInfo {
                        local: local.into(),
                        peer: peer.into(),
                        initiated: conn_initiated(&self.core, id),
                    };
                    if let Some(conn) = self.core.conns.get_mut(&id) {
                        conn.phase = Phase::Open;
                        conn.opened = true;
                    }
                    if let Some(slot) = self.slots.get(index) {
                        slot.counters.connections.inc();
                        slot.counters.connections_open.inc();
                    }
                    tracing::debug!(conn = id.0, %info.peer, "connection open");
                    self.call(index, |svc, net| svc.on_open(now, net, id, info));
                    progress = true;
                }
                tcp::State::SynSent | tcp::State::SynReceived => return false,
                _ => {
                    // The handshake failed (reset, timeout, or back to LISTEN).
                    let initiated = conn_initiated(&self.core, id);
                    self.core.forget(id);
                    if initiated {
                        if let Some(slot) = self.slots.get(index) {
                            slot.counters.errors.inc();
                        }
                        self.call(index, |svc, _| svc.on_closed(now, id));
                    }
                    return true;
                }
            }
        }

        // Data in: offer everything unconsumed when something new is there.
        // After the service's close nobody reads: drop it so FIN can follow.
        if matches!(self.core.conns.get(&id).map(|c| c.phase), Some(Phase::Closing { .. } | Phase::Aborted)) {
            let socket = self.core.sockets.get_mut::<tcp::Socket>(handle);
            while let Ok(n) = socket.recv(|buf| (buf.len(), buf.len())) {
                if n == 0 {
                    break;
                }
            }
        }
        let socket = self.core.sockets.get::<tcp::Socket>(handle);
        let queued = socket.recv_queue();
        let unconsumed = self.core.conns.get(&id).map_or(0, |c| c.unconsumed);
        if queued > unconsumed && matches!(self.core.conns.get(&id).map(|c| c.phase), Some(Phase::Open)) {
            progress |= self.offer(id, handle, index, now);
        }

        // Room out: after a short write, report once there is real room.
        let socket = self.core.sockets.get::<tcp::Socket>(handle);
        let room = socket.send_capacity() - socket.send_queue();
        let can_send = socket.may_send();
        if let Some(conn) = self.core.conns.get_mut(&id)
            && conn.write_blocked
            && conn.phase == Phase::Open
            && can_send
            && (room >= socket_low_water(&self.core.config) || room == socket_capacity(&self.core.config))
        {
            conn.write_blocked = false;
            conn.unconsumed = 0;
            self.call(index, |svc, net| svc.on_writable(now, net, id));
            progress = true;
            // A writable connection may take more of what it left unread.
            if self.core.sockets.get::<tcp::Socket>(handle).recv_queue() > 0 {
                progress |= self.offer(id, handle, index, now);
            }
        }

        // Peer finished sending, and the service has taken everything.
        let socket = self.core.sockets.get::<tcp::Socket>(handle);
        let peer_done = !socket.may_recv() && socket.state() != tcp::State::Closed;
        let queued = socket.recv_queue();
        if let Some(conn) = self.core.conns.get_mut(&id)
            && peer_done
            // Everything taken, or the service declined the rest and is not
            // waiting for room to take more.
            && (queued == 0 || (conn.unconsumed == queued && !conn.write_blocked))
            && !conn.peer_closed_reported
            && conn.phase == Phase::Open
        {
            conn.peer_closed_reported = true;
            self.call(index, |svc, net| svc.on_peer_close(now, net, id));
            progress = true;
        }

        // Gone: closed both ways, reset, or a close that lingered too long.
        let Some(conn) = self.core.conns.get(&id) else { return progress };
        let state = self.core.sockets.get::<tcp::Socket>(handle).state();
        let linger_over = match conn.phase {
            Phase::Aborted => true,
            Phase::Closing { fin_wait2_since: Some(since) } => now >= since + FIN_WAIT2_TIMEOUT,
            _ => false,
        };
        if linger_over {
            self.core.sockets.get_mut::<tcp::Socket>(handle).abort();
        } else if state == tcp::State::FinWait2
            && let Some(conn) = self.core.conns.get_mut(&id)
            && conn.phase == (Phase::Closing { fin_wait2_since: None })
        {
            conn.phase = Phase::Closing { fin_wait2_since: Some(now) };
        }
        let Some(conn) = self.core.conns.get(&id) else { return progress };
        if matches!(state, tcp::State::Closed | tcp::State::TimeWait) || linger_over {
            let was_closing = matches!(conn.phase, Phase::Closing { .. } | Phase::Aborted);
            let (opened, initiated) = (conn.opened, conn.initiated);
            if let Some(slot) = self.slots.get(index)
                && opened
            {
                slot.counters.connections_open.dec();
                if !was_closing && !conn.peer_closed_reported {
                    slot.counters.errors.inc();
                }
            }
            if state == tcp::State::TimeWait && !linger_over {
                if let Some(conn) = self.core.conns.get_mut(&id) {
                    conn.phase = Phase::Reaped;
                }
                self.core.reaping.push(handle);
            } else {
                self.core.forget(id);
            }
            tracing::debug!(conn = id.0, ?state, "connection closed");
            if opened || initiated {
                self.call(index, |svc, _| svc.on_closed(now, id));
            }
            self.core.refill_listeners();
            progress = true;
        }
        progress
    }

    /// Copies the receive queue out, offers it to the service, drops what it
    /// consumed.
    fn offer(&mut self, id: ConnId, handle: SocketHandle, index: usize, now: Instant) -> bool {
        let socket = self.core.sockets.get_mut::<tcp::Socket>(handle);
        let Ok(len) = socket.peek_slice(&mut self.scratch) else { return false };
        if len == 0 {
            return false;
        }
        let Some(slot) = self.slots.get_mut(index) else { return false };
        let mut net = DirectNet { core: &mut self.core, service: index, counters: &slot.counters };
        let consumed = slot.service.on_data(now, &mut net, id, &self.scratch[..len]).min(len);
        slot.counters.bytes_rx.add(consumed as u64);
        // The service may have closed or aborted the connection meanwhile;
        // consumed bytes are dropped from the socket either way.
        let socket = self.core.sockets.get_mut::<tcp::Socket>(handle);
        let mut left = consumed;
        while left > 0 {
            match socket.recv(|buf| {
                let n = buf.len().min(left);
                (n, n)
            }) {
                Ok(0) | Err(_) => break,
                Ok(n) => left -= n,
            }
        }
        if let Some(conn) = self.core.conns.get_mut(&id) {
            conn.unconsumed = len - consumed;
        }
        true
    }
}

#[cfg(feature = "std")]
impl<D: HostDevice> Node for DirectStack<D> {
    fn poll(&mut self, now: Instant) {
        DirectStack::poll(self, now);
    }
    fn poll_at(&mut self, now: Instant) -> Option<Instant> {
        DirectStack::poll_at(self, now)
    }
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn conn_initiated(core: &Core, id: ConnId) -> bool {
    core.conns.get(&id).is_some_and(|c| c.initiated)
}

/// Room that makes a blocked writer worth waking: a quarter of the buffer.
fn socket_low_water(config: &DirectConfig) -> usize {
    (config.tcp_tx_buffer / 4).max(1)
}

fn socket_capacity(config: &DirectConfig) -> usize {
    config.tcp_tx_buffer
}

impl Core {
    fn add_udp(&mut self, port: u16) -> SocketHandle {
        let c = &self.config;
        let buffer =
            || udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; c.udp_packets], vec![0; c.udp_buffer]);
        let mut socket = udp::Socket::new(buffer(), buffer());
        // Binding an unused socket to a non-zero port cannot fail.
        let _ = socket.bind(port);
        self.sockets.add(socket)
    }

    fn new_tcp_socket(&self) -> tcp::Socket<'static> {
        let c = &self.config;
        let mut socket = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; c.tcp_rx_buffer]),
            tcp::SocketBuffer::new(vec![0; c.tcp_tx_buffer]),
        );
        socket.set_nagle_enabled(false);
        socket.set_timeout(Some(TCP_TIMEOUT));
        socket
    }

    fn live_connections(&self) -> usize {
        self.conns.values().filter(|c| c.phase != Phase::Reaped).count()
    }

    /// Moves listeners that got a SYN into the connection table and tops up
    /// every port's pool, within the connection limit.
    fn refill_listeners(&mut self) {
        for p in 0..self.pools.len() {
            let service = self.pools[p].service;
            let mut i = 0;
            while i < self.pools[p].idle.len() {
                let handle = self.pools[p].idle[i];
                if self.sockets.get::<tcp::Socket>(handle).is_listening() {
                    i += 1;
                    continue;
                }
                self.pools[p].idle.swap_remove(i);
                let id = ConnId(self.next_conn);
                self.next_conn += 1;
                self.by_handle.insert(handle, id);
                self.conns.insert(
                    id,
                    Conn {
                        id,
                        handle,
                        service,
                        initiated: false,
                        phase: Phase::Opening,
                        write_blocked: false,
                        unconsumed: 0,
                        peer_closed_reported: false,
                        opened: false,
                    },
                );
            }
            if self.shutting_down {
                continue;
            }
            let room = self.config.max_connections.saturating_sub(self.live_connections());
            let want = self.config.listen_backlog.max(1).min(room);
            while self.pools[p].idle.len() < want {
                let mut socket = self.new_tcp_socket();
                if socket.listen(self.pools[p].port).is_err() {
                    break;
                }
                let handle = self.sockets.add(socket);
                self.pools[p].idle.push(handle);
            }
        }
    }

    /// Drops a connection's socket and bookkeeping without telling anyone.
    fn forget(&mut self, id: ConnId) {
        if let Some(conn) = self.conns.remove(&id) {
            self.by_handle.remove(&conn.handle);
            self.sockets.remove(conn.handle);
            debug_assert_eq!(conn.id, id);
        }
    }

    /// Frees sockets whose TIME-WAIT has ended.
    fn reap_time_wait(&mut self) {
        let mut i = 0;
        while i < self.reaping.len() {
            let handle = self.reaping[i];
            if self.sockets.get::<tcp::Socket>(handle).state() == tcp::State::Closed {
                self.reaping.swap_remove(i);
                if let Some(id) = self.by_handle.get(&handle).copied() {
                    self.forget(id);
                }
            } else {
                i += 1;
            }
        }
    }

    fn close(&mut self, id: ConnId) {
        let Some(conn) = self.conns.get_mut(&id) else { return };
        match conn.phase {
            Phase::Opening | Phase::Open => {
                conn.phase = Phase::Closing { fin_wait2_since: None };
                self.sockets.get_mut::<tcp::Socket>(conn.handle).close();
            }
            Phase::Closing { .. } | Phase::Aborted | Phase::Reaped => {}
        }
    }

    fn next_ephemeral_port(&mut self) -> u16 {
        let in_use = |core: &Core, port: u16| {
            core.conns.values().any(|c| {
                core.sockets.get::<tcp::Socket>(c.handle).local_endpoint().is_some_and(|e| e.port == port)
            })
        };
        for _ in EPHEMERAL_PORTS {
            let port = self.next_port;
            self.next_port = if port == *EPHEMERAL_PORTS.end() { *EPHEMERAL_PORTS.start() } else { port + 1 };
            if !in_use(self, port) {
                return port;
            }
        }
        *EPHEMERAL_PORTS.start()
    }
}

/// The [`Net`] a service sees while the direct stack calls it.
struct DirectNet<'a> {
    core: &'a mut Core,
    service: usize,
    counters: &'a ServiceCounters,
}

impl DirectNet<'_> {
    /// The socket of `conn`, if it is this service's and still writable.
    fn open_socket(&mut self, conn: ConnId) -> Option<&mut tcp::Socket<'static>> {
        let c = self.core.conns.get(&conn)?;
        if c.service != self.service || c.phase != Phase::Open {
            return None;
        }
        Some(self.core.sockets.get_mut::<tcp::Socket>(c.handle))
    }
}

impl Net for DirectNet<'_> {
    fn send_datagram(&mut self, local: SocketAddr, peer: SocketAddr, payload: &[u8]) -> bool {
        let Some(port) = self.core.udp.iter().find(|u| {
            u.service == self.service
                && self.core.sockets.get::<udp::Socket>(u.handle).endpoint().port == local.port()
        }) else {
            self.counters.datagrams_dropped.inc();
            return false;
        };
        let socket = self.core.sockets.get_mut::<udp::Socket>(port.handle);
        let meta = udp::UdpMetadata {
            endpoint: IpEndpoint::from(peer),
            local_address: Some(IpAddress::from(local.ip())),
            meta: Default::default(),
        };
        match socket.send_slice(payload, meta) {
            Ok(()) => {
                self.counters.datagrams_tx.inc();
                self.counters.bytes_tx.add(payload.len() as u64);
                true
            }
            Err(e) => {
                tracing::trace!(%peer, "datagram dropped: {e}");
                self.counters.datagrams_dropped.inc();
                false
            }
        }
    }

    fn write(&mut self, conn: ConnId, data: &[u8]) -> usize {
        let Some(socket) = self.open_socket(conn) else { return 0 };
        let written = socket.send_slice(data).unwrap_or(0);
        if written < data.len()
            && let Some(c) = self.core.conns.get_mut(&conn)
        {
            c.write_blocked = true;
        }
        self.counters.bytes_tx.add(written as u64);
        written
    }

    fn recv_window(&self, _conn: ConnId) -> usize {
        self.core.config.tcp_rx_buffer
    }

    fn close(&mut self, conn: ConnId) {
        if self.core.conns.get(&conn).is_some_and(|c| c.service == self.service) {
            self.core.close(conn);
        }
    }

    fn abort(&mut self, conn: ConnId) {
        let Some(c) = self.core.conns.get_mut(&conn) else { return };
        if c.service != self.service || c.phase == Phase::Reaped {
            return;
        }
        c.phase = Phase::Aborted;
        self.core.sockets.get_mut::<tcp::Socket>(c.handle).abort();
    }

    fn connect(&mut self, peer: SocketAddr) -> Option<ConnId> {
        if self.core.shutting_down || self.core.live_connections() >= self.core.config.max_connections {
            self.counters.connections_refused.inc();
            return None;
        }
        let local_port = self.core.next_ephemeral_port();
        let mut socket = self.core.new_tcp_socket();
        if let Err(e) = socket.connect(self.core.iface.context(), IpEndpoint::from(peer), local_port) {
            tracing::debug!(%peer, "connect failed: {e}");
            self.counters.errors.inc();
            return None;
        }
        let handle = self.core.sockets.add(socket);
        let id = ConnId(self.core.next_conn);
        self.core.next_conn += 1;
        self.core.by_handle.insert(handle, id);
        self.core.conns.insert(
            id,
            Conn {
                id,
                handle,
                service: self.service,
                initiated: true,
                phase: Phase::Opening,
                write_blocked: false,
                unconsumed: 0,
                peer_closed_reported: false,
                opened: false,
            },
        );
        Some(id)
    }
}
