//! Shared set-ups for the criterion benches of the hot paths.
//!
//! [`StackPair`] joins two direct stacks on the in-memory virtual network
//! (no faults, no delay), so a bench measures the stack's own per-packet
//! work: smoltcp, the service dispatch and the device, without a kernel.

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;

use appliance::device::virtual_net::{Faults, TimeMode, VirtualNetwork, VirtualPort};
use appliance::metrics::Metrics;
use appliance::service::{ConnId, ConnInfo, Datagram, Duration, Instant, Listen, Net, Service};
use appliance::stack::direct::{DirectConfig, DirectStack, Ipv4Config};
use smoltcp::wire::{EthernetAddress, Ipv4Address, Ipv4Cidr};

/// The direct-stack settings of host `10.0.0.{host}`.
pub fn host_config(host: u8) -> DirectConfig {
    DirectConfig {
        mac: EthernetAddress([0x02, 0, 0, 0, 0, host]),
        ipv4: Ipv4Config::Static { cidr: Ipv4Cidr::new(Ipv4Address::new(10, 0, 0, host), 24), gateway: None },
        random_seed: u64::from(host),
        ..DirectConfig::default()
    }
}

/// Two direct stacks, a client side (10.0.0.1) and a server side (10.0.0.2).
pub struct StackPair {
    /// The network joining them.
    pub net: VirtualNetwork,
    /// The client side.
    pub client: DirectStack<VirtualPort>,
    /// The server side.
    pub server: DirectStack<VirtualPort>,
    /// Virtual now.
    pub now: Instant,
}

impl StackPair {
    /// Builds the pair with the given services on each side.
    pub fn new(client: Vec<Box<dyn Service>>, server: Vec<Box<dyn Service>>) -> Self {
        let net = VirtualNetwork::new(Faults::none(), 1);
        let metrics = Metrics::new();
        let client = DirectStack::new(net.port(), host_config(1), client, &metrics, Instant::ZERO)
            .expect("client stack");
        let server = DirectStack::new(net.port(), host_config(2), server, &metrics, Instant::ZERO)
            .expect("server stack");
        StackPair { net, client, server, now: Instant::ZERO }
    }

    /// Runs both stacks in virtual time until `done` says so.
    pub fn run_until(&mut self, done: impl FnMut(Instant) -> bool) {
        let nodes: &mut [&mut dyn appliance::device::virtual_net::Node] =
            &mut [&mut self.client, &mut self.server];
        self.now = self
            .net
            .run(nodes, TimeMode::Virtual, self.now, Duration::from_secs(3600), done)
            .expect("bench network stalled");
    }
}

/// Sends one datagram per timer tick and counts answers; `go` arms it.
pub struct UdpPinger {
    /// Our address and port.
    pub local: SocketAddr,
    /// Where to send.
    pub peer: SocketAddr,
    /// Payload size.
    pub size: usize,
    /// Datagrams still to send.
    pub to_send: Rc<Cell<u64>>,
    /// Answers received.
    pub answers: Rc<Cell<u64>>,
}

impl Service for UdpPinger {
    fn name(&self) -> &str {
        "pinger"
    }
    fn listen(&self) -> Listen {
        Listen::udp(self.local.port())
    }
    fn poll_timeout(&self) -> Option<Instant> {
        (self.to_send.get() > 0).then_some(Instant::ZERO)
    }
    fn on_timer(&mut self, _now: Instant, net: &mut dyn Net) {
        let payload = vec![0x5a; self.size];
        // Send a burst of what is left, as a load generator would.
        for _ in 0..self.to_send.get().min(64) {
            if net.send_datagram(self.local, self.peer, &payload) {
                self.to_send.set(self.to_send.get() - 1);
            } else {
                break;
            }
        }
    }
    fn on_datagram(&mut self, _now: Instant, _net: &mut dyn Net, _dgram: Datagram<'_>) {
        self.answers.set(self.answers.get() + 1);
    }
}

/// Connects to `peer` and streams `to_send` bytes whenever it is refilled.
pub struct TcpPump {
    /// Where to connect.
    pub peer: SocketAddr,
    /// Bytes still to send; the bench refills it.
    pub to_send: Rc<Cell<u64>>,
    conn: Option<ConnId>,
    started: bool,
    chunk: Vec<u8>,
}

impl TcpPump {
    /// A pump to `peer`, idle until `to_send` is set.
    pub fn new(peer: SocketAddr, to_send: Rc<Cell<u64>>) -> Self {
        TcpPump { peer, to_send, conn: None, started: false, chunk: vec![0xa5; 64 * 1024] }
    }

    fn pump(&mut self, net: &mut dyn Net) {
        let Some(conn) = self.conn else { return };
        while self.to_send.get() > 0 {
            let len = self.to_send.get().min(self.chunk.len() as u64) as usize;
            let n = net.write(conn, &self.chunk[..len]);
            self.to_send.set(self.to_send.get() - n as u64);
            if n < len {
                return;
            }
        }
    }
}

impl Service for TcpPump {
    fn name(&self) -> &str {
        "pump"
    }
    fn listen(&self) -> Listen {
        Listen::default()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        if !self.started || (self.conn.is_some() && self.to_send.get() > 0) {
            Some(Instant::ZERO)
        } else {
            None
        }
    }
    fn on_timer(&mut self, _now: Instant, net: &mut dyn Net) {
        if !self.started {
            self.started = true;
            self.conn = net.connect(self.peer);
        } else {
            self.pump(net);
        }
    }
    fn on_open(&mut self, _now: Instant, net: &mut dyn Net, _conn: ConnId, _info: ConnInfo) {
        self.pump(net);
    }
    fn on_writable(&mut self, _now: Instant, net: &mut dyn Net, _conn: ConnId) {
        self.pump(net);
    }
}
