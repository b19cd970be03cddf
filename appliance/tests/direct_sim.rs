//! Two direct stacks on the in-memory virtual network, in virtual time:
//! TCP bulk transfer through loss, duplication, reordering and corruption;
//! UDP echo round trips; many connections to one port at once. Seeded, so
//! every run is the same run.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;

use appliance::device::virtual_net::{Faults, Node, TimeMode, VirtualNetwork};
use appliance::metrics::Metrics;
use appliance::service::{ConnId, ConnInfo, Datagram, Duration, Instant, Listen, Net, Service};
use appliance::services::echo::Echo;
use appliance::stack::direct::{DirectConfig, DirectStack, Ipv4Config};
use smoltcp::wire::{EthernetAddress, Ipv4Address, Ipv4Cidr};

/// The byte at `offset` of the test stream: position-dependent, so a
/// dropped, duplicated or reordered byte cannot go unnoticed.
fn byte_at(offset: u64) -> u8 {
    let x = offset.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    ((x >> 56) as u8) ^ (offset as u8)
}

fn config(host: u8) -> DirectConfig {
    DirectConfig {
        mac: EthernetAddress([0x02, 0, 0, 0, 0, host]),
        ipv4: Ipv4Config::Static { cidr: Ipv4Cidr::new(Ipv4Address::new(10, 0, 0, host), 24), gateway: None },
        random_seed: u64::from(host),
        ..DirectConfig::default()
    }
}

/// What the receiving side saw.
#[derive(Default, Debug)]
struct Received {
    bytes: u64,
    mismatches: u64,
    peer_closed: bool,
    closed: bool,
}

/// Checks every byte it receives against `byte_at`.
struct Verifier {
    port: u16,
    seen: Rc<RefCell<Received>>,
}

impl Service for Verifier {
    fn name(&self) -> &str {
        "verifier"
    }
    fn listen(&self) -> Listen {
        Listen::tcp(self.port)
    }
    fn on_data(&mut self, _now: Instant, _net: &mut dyn Net, _conn: ConnId, data: &[u8]) -> usize {
        let mut seen = self.seen.borrow_mut();
        for &b in data {
            if b != byte_at(seen.bytes) {
                seen.mismatches += 1;
            }
            seen.bytes += 1;
        }
        data.len()
    }
    fn on_peer_close(&mut self, _now: Instant, net: &mut dyn Net, conn: ConnId) {
        self.seen.borrow_mut().peer_closed = true;
        net.close(conn);
    }
    fn on_closed(&mut self, _now: Instant, _conn: ConnId) {
        self.seen.borrow_mut().closed = true;
    }
}

/// Connects at start and streams `total` bytes of the pattern, honouring
/// back-pressure, then closes.
struct Sender {
    peer: SocketAddr,
    total: u64,
    sent: u64,
    conn: Option<ConnId>,
    started: bool,
    closed: Rc<RefCell<bool>>,
}

impl Sender {
    fn pump(&mut self, net: &mut dyn Net) {
        let Some(conn) = self.conn else { return };
        let mut chunk = [0u8; 16 * 1024];
        while self.sent < self.total {
            let len = (self.total - self.sent).min(chunk.len() as u64) as usize;
            for (i, b) in chunk[..len].iter_mut().enumerate() {
                *b = byte_at(self.sent + i as u64);
            }
            let n = net.write(conn, &chunk[..len]);
            self.sent += n as u64;
            if n < len {
                return; // on_writable follows
            }
        }
        net.close(conn);
    }
}

impl Service for Sender {
    fn name(&self) -> &str {
        "sender"
    }
    fn listen(&self) -> Listen {
        Listen::default()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        (!self.started).then_some(Instant::ZERO)
    }
    fn on_timer(&mut self, _now: Instant, net: &mut dyn Net) {
        self.started = true;
        self.conn = net.connect(self.peer);
        assert!(self.conn.is_some(), "connect refused");
    }
    fn on_open(&mut self, _now: Instant, net: &mut dyn Net, conn: ConnId, info: ConnInfo) {
        assert!(info.initiated);
        assert_eq!(Some(conn), self.conn);
        self.pump(net);
    }
    fn on_writable(&mut self, _now: Instant, net: &mut dyn Net, _conn: ConnId) {
        self.pump(net);
    }
    fn on_data(&mut self, _now: Instant, _net: &mut dyn Net, _conn: ConnId, data: &[u8]) -> usize {
        data.len()
    }
    fn on_peer_close(&mut self, _now: Instant, _net: &mut dyn Net, _conn: ConnId) {}
    fn on_closed(&mut self, _now: Instant, _conn: ConnId) {
        *self.closed.borrow_mut() = true;
    }
}

/// Moves `total` bytes from stack 1 to stack 2 over `faults`; returns what
/// arrived and the virtual time it took.
fn transfer(total: u64, faults: Faults, seed: u64) -> (Received, Duration, String) {
    let net = VirtualNetwork::new(faults, seed);
    let metrics = Metrics::new();
    let seen = Rc::new(RefCell::new(Received::default()));
    let sender_closed = Rc::new(RefCell::new(false));
    let start = Instant::ZERO;
    let receiver: Vec<Box<dyn Service>> = vec![Box::new(Verifier { port: 5000, seen: Rc::clone(&seen) })];
    let sender: Vec<Box<dyn Service>> = vec![Box::new(Sender {
        peer: "10.0.0.2:5000".parse().unwrap(),
        total,
        sent: 0,
        conn: None,
        started: false,
        closed: Rc::clone(&sender_closed),
    })];
    let mut a = DirectStack::new(net.port(), config(1), sender, &metrics, start).unwrap();
    let mut b = DirectStack::new(net.port(), config(2), receiver, &metrics, start).unwrap();
    let done = {
        let seen = Rc::clone(&seen);
        let sender_closed = Rc::clone(&sender_closed);
        move |_now: Instant| seen.borrow().closed && *sender_closed.borrow()
    };
    let nodes: &mut [&mut dyn Node] = &mut [&mut a, &mut b];
    let end = net
        .run(nodes, TimeMode::Virtual, start, Duration::from_secs(24 * 3600), done)
        .unwrap_or_else(|e| panic!("transfer stalled: {e}; receiver saw {:?}", seen.borrow()));
    let stats = format!("{:?}", net.stats());
    let received = std::mem::take(&mut *seen.borrow_mut());
    (received, end - start, stats)
}

#[test]
fn tcp_moves_50_mb_intact_through_loss_duplication_and_reordering() {
    let faults = Faults {
        loss: 0.05,
        duplicate: 0.02,
        reorder: 0.05,
        corrupt: 0.001,
        delay: Duration::from_micros(500),
        jitter: Duration::from_millis(2),
    };
    let total = 50 * 1024 * 1024;
    let (got, took, stats) = transfer(total, faults, 42);
    assert_eq!(got.bytes, total, "{stats}");
    assert_eq!(got.mismatches, 0, "{stats}");
    assert!(got.peer_closed);
    eprintln!("50 MB with 5% loss: {took} virtual; network {stats}");
}

#[test]
fn virtual_time_runs_are_reproducible() {
    let faults = Faults { loss: 0.03, duplicate: 0.02, reorder: 0.05, ..Faults::none() };
    let (a, ta, sa) = transfer(1 << 20, faults, 7);
    let (b, tb, sb) = transfer(1 << 20, faults, 7);
    assert_eq!((a.bytes, a.mismatches), (1 << 20, 0));
    assert_eq!((ta, sa), (tb, sb), "same seed, different run");
    assert_eq!(b.bytes, 1 << 20);
}

/// Sends `count` datagrams to an echo service and counts the answers.
struct UdpProbe {
    local: SocketAddr,
    peer: SocketAddr,
    count: u32,
    next: u32,
    answers: Rc<RefCell<Vec<u32>>>,
    at: Option<Instant>,
}

impl Service for UdpProbe {
    fn name(&self) -> &str {
        "probe"
    }
    fn listen(&self) -> Listen {
        Listen::udp(self.local.port())
    }
    fn poll_timeout(&self) -> Option<Instant> {
        if self.next < self.count { Some(self.at.unwrap_or(Instant::ZERO)) } else { None }
    }
    fn on_timer(&mut self, now: Instant, net: &mut dyn Net) {
        net.send_datagram(self.local, self.peer, &self.next.to_be_bytes());
        self.next += 1;
        self.at = Some(now + Duration::from_millis(1));
    }
    fn on_datagram(&mut self, _now: Instant, _net: &mut dyn Net, dgram: Datagram<'_>) {
        assert_eq!(dgram.peer, self.peer);
        if let Ok(bytes) = <[u8; 4]>::try_from(dgram.payload) {
            self.answers.borrow_mut().push(u32::from_be_bytes(bytes));
        }
    }
}

#[test]
fn udp_echo_round_trips_and_the_first_datagram_survives_arp() {
    let net = VirtualNetwork::new(Faults::none(), 1);
    let metrics = Metrics::new();
    let answers = Rc::new(RefCell::new(Vec::new()));
    let probe: Vec<Box<dyn Service>> = vec![Box::new(UdpProbe {
        local: "10.0.0.1:4000".parse().unwrap(),
        peer: "10.0.0.2:7".parse().unwrap(),
        count: 100,
        next: 0,
        answers: Rc::clone(&answers),
        at: None,
    })];
    let mut a = DirectStack::new(net.port(), config(1), probe, &metrics, Instant::ZERO).unwrap();
    let mut b =
        DirectStack::new(net.port(), config(2), vec![Box::new(Echo::new(7))], &metrics, Instant::ZERO)
            .unwrap();
    let seen = Rc::clone(&answers);
    net.run(&mut [&mut a, &mut b], TimeMode::Virtual, Instant::ZERO, Duration::from_secs(10), move |_| {
        seen.borrow().len() == 100
    })
    .unwrap();
    assert_eq!(
        *answers.borrow(),
        (0..100).collect::<Vec<u32>>(),
        "every datagram, in order, the first included"
    );
    let echo = metrics.service("echo");
    assert_eq!((echo.datagrams_rx.get(), echo.datagrams_tx.get()), (100, 100));
}

/// Opens `count` connections at once, each sends one byte and expects it
/// echoed, then closes.
struct Crowd {
    peer: SocketAddr,
    count: usize,
    started: bool,
    echoed: Rc<RefCell<usize>>,
    closed: Rc<RefCell<usize>>,
}

impl Service for Crowd {
    fn name(&self) -> &str {
        "crowd"
    }
    fn listen(&self) -> Listen {
        Listen::default()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        (!self.started).then_some(Instant::ZERO)
    }
    fn on_timer(&mut self, _now: Instant, net: &mut dyn Net) {
        self.started = true;
        for _ in 0..self.count {
            assert!(net.connect(self.peer).is_some());
        }
    }
    fn on_open(&mut self, _now: Instant, net: &mut dyn Net, conn: ConnId, _info: ConnInfo) {
        assert_eq!(net.write(conn, b"x"), 1);
    }
    fn on_data(&mut self, _now: Instant, net: &mut dyn Net, conn: ConnId, data: &[u8]) -> usize {
        if data == b"x" {
            *self.echoed.borrow_mut() += 1;
            net.close(conn);
        }
        data.len()
    }
    fn on_closed(&mut self, _now: Instant, _conn: ConnId) {
        *self.closed.borrow_mut() += 1;
    }
}

#[test]
fn a_burst_of_syns_to_one_port_is_all_accepted() {
    let net = VirtualNetwork::new(Faults::none(), 3);
    let metrics = Metrics::new();
    let echoed = Rc::new(RefCell::new(0));
    let closed = Rc::new(RefCell::new(0));
    let crowd: Vec<Box<dyn Service>> = vec![Box::new(Crowd {
        peer: "10.0.0.2:7".parse().unwrap(),
        count: 64,
        started: false,
        echoed: Rc::clone(&echoed),
        closed: Rc::clone(&closed),
    })];
    let server_config = DirectConfig { listen_backlog: 2, ..config(2) };
    let mut a = DirectStack::new(net.port(), config(1), crowd, &metrics, Instant::ZERO).unwrap();
    let mut b =
        DirectStack::new(net.port(), server_config, vec![Box::new(Echo::new(7))], &metrics, Instant::ZERO)
            .unwrap();
    let done = Rc::clone(&closed);
    net.run(&mut [&mut a, &mut b], TimeMode::Virtual, Instant::ZERO, Duration::from_secs(60), move |_| {
        *done.borrow() == 64
    })
    .unwrap();
    assert_eq!(*echoed.borrow(), 64);
    let echo = metrics.service("echo");
    assert_eq!(echo.connections.get(), 64, "every SYN found a listener");
    assert_eq!(metrics.service("crowd").errors.get(), 0);
}
