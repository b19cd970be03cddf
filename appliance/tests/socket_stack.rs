//! The socket stack over 127.0.0.1: small test services, real kernel sockets,
//! std clients in other threads. Every port is 0 (ephemeral) and every wait
//! is bounded.

use std::io::{self, Read, Write};
use std::net::{Shutdown as HalfClose, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration as StdDuration;

use appliance::metrics::Metrics;
use appliance::service::{ConnId, ConnInfo, Datagram, Instant, Listen, Net, Service};
use appliance::stack::socket::{Proto, SocketConfig, SocketStack, run_instances};
use appliance::stack::{Clock, Shutdown, ShutdownTrigger};

const LOCALHOST: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
/// The longest any single wait in these tests may take.
const PATIENCE: StdDuration = StdDuration::from_secs(20);

// ---------------------------------------------------------------- harness

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A stack running on its own thread.
struct Running {
    bound: Vec<(String, Proto, SocketAddr)>,
    trigger: ShutdownTrigger,
    done: mpsc::Receiver<io::Result<()>>,
    metrics: Arc<Metrics>,
}

type Make = Box<dyn FnOnce() -> Vec<Box<dyn Service>> + Send>;

fn config() -> SocketConfig {
    SocketConfig { addr: LOCALHOST, ..SocketConfig::default() }
}

/// Builds the stack inside a new thread (services are not `Send`) and runs it.
fn try_start(config: SocketConfig, make: Make) -> io::Result<Running> {
    init_tracing();
    let metrics = Metrics::new();
    let m = Arc::clone(&metrics);
    let (ready_tx, ready_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    thread::spawn(move || {
        let setup = || -> io::Result<_> {
            let stack = SocketStack::new(config, make(), &m)?;
            let shutdown = Shutdown::new()?;
            let trigger = shutdown.trigger()?;
            Ok((stack, shutdown, trigger))
        };
        match setup() {
            Err(e) => {
                let _ = ready_tx.send(Err(e));
            }
            Ok((stack, shutdown, trigger)) => {
                let _ = ready_tx.send(Ok((stack.bound(), trigger)));
                let _ = done_tx.send(stack.run(shutdown, Clock::new()));
            }
        }
    });
    let (bound, trigger) = ready_rx.recv_timeout(PATIENCE).expect("the stack thread answers")?;
    Ok(Running { bound, trigger, done: done_rx, metrics })
}

fn start(config: SocketConfig, make: Make) -> Running {
    try_start(config, make).expect("stack starts")
}

impl Running {
    fn addr(&self, service: &str, proto: Proto) -> SocketAddr {
        self.bound
            .iter()
            .find(|(n, p, _)| n == service && *p == proto)
            .map(|(_, _, a)| *a)
            .unwrap_or_else(|| panic!("{service} {proto} not bound: {:?}", self.bound))
    }

    /// Fires the shutdown and waits (bounded) for `run` to return.
    fn stop(&self) {
        self.trigger.fire();
        self.wait_stopped();
    }

    fn wait_stopped(&self) {
        self.done.recv_timeout(PATIENCE).expect("run() returns after shutdown").expect("run() succeeds");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A failed test must not leave a stack running.
        self.trigger.fire();
    }
}

/// Polls `f` until it holds or `PATIENCE` runs out.
fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while !f() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        thread::sleep(StdDuration::from_millis(5));
    }
}

fn client(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, PATIENCE).expect("connect");
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s.set_write_timeout(Some(PATIENCE)).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

/// Reads until EOF (bounded by the socket's read timeout).
fn read_to_eof(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("read to EOF");
    out
}

/// Deterministic test bytes.
fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

// ---------------------------------------------------------- test services

/// What a service saw, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ev {
    Open(ConnId, ConnInfo),
    Data(ConnId, usize),
    PeerClose(ConnId),
    Closed(ConnId),
    Shutdown,
}

type Log = Arc<Mutex<Vec<Ev>>>;

fn count(log: &Log, f: impl Fn(&Ev) -> bool) -> usize {
    lock(log).iter().filter(|e| f(e)).count()
}

/// TCP echo by the back-pressure rules: consumes what it could write; the
/// rest comes back after `on_writable`. Closes when the peer does.
struct Echo {
    log: Log,
}

impl Service for Echo {
    fn name(&self) -> &str {
        "echo"
    }
    fn listen(&self) -> Listen {
        Listen::tcp(0)
    }
    fn on_open(&mut self, _: Instant, _: &mut dyn Net, conn: ConnId, info: ConnInfo) {
        lock(&self.log).push(Ev::Open(conn, info));
    }
    fn on_data(&mut self, _: Instant, net: &mut dyn Net, conn: ConnId, data: &[u8]) -> usize {
        assert!(data.len() <= net.recv_window(conn), "offer beyond the window");
        let n = net.write(conn, data);
        lock(&self.log).push(Ev::Data(conn, n));
        n
    }
    fn on_peer_close(&mut self, _: Instant, net: &mut dyn Net, conn: ConnId) {
        lock(&self.log).push(Ev::PeerClose(conn));
        net.close(conn);
    }
    fn on_closed(&mut self, _: Instant, conn: ConnId) {
        lock(&self.log).push(Ev::Closed(conn));
    }
    fn on_shutdown(&mut self, _: Instant, _: &mut dyn Net) {
        lock(&self.log).push(Ev::Shutdown);
    }
}

fn echo(log: &Log) -> Make {
    let log = Arc::clone(log);
    Box::new(move || vec![Box::new(Echo { log }) as Box<dyn Service>])
}

/// UDP echo; a datagram "probe" instead reports what sending from an
/// address we do not own returns.
struct UdpEcho;

impl Service for UdpEcho {
    fn name(&self) -> &str {
        "uecho"
    }
    fn listen(&self) -> Listen {
        Listen::udp(0)
    }
    fn on_datagram(&mut self, _: Instant, net: &mut dyn Net, d: Datagram<'_>) {
        if d.payload == b"probe" {
            let bogus = SocketAddr::new(d.local.ip(), d.local.port().wrapping_add(1));
            let sent = net.send_datagram(bogus, d.peer, b"x");
            let answer = format!("unknown local -> {sent}");
            net.send_datagram(d.local, d.peer, answer.as_bytes());
        } else {
            net.send_datagram(d.local, d.peer, d.payload);
        }
    }
}

/// Counts the bytes of each connection and answers the total (decimal) when
/// the peer closes.
struct Counter {
    totals: std::collections::HashMap<ConnId, usize>,
}

impl Service for Counter {
    fn name(&self) -> &str {
        "count"
    }
    fn listen(&self) -> Listen {
        Listen::tcp(0)
    }
    fn on_data(&mut self, _: Instant, _: &mut dyn Net, conn: ConnId, data: &[u8]) -> usize {
        *self.totals.entry(conn).or_default() += data.len();
        data.len()
    }
    fn on_peer_close(&mut self, _: Instant, net: &mut dyn Net, conn: ConnId) {
        let total = self.totals.remove(&conn).unwrap_or(0).to_string();
        assert_eq!(net.write(conn, total.as_bytes()), total.len());
        net.close(conn);
    }
}

/// What the framed service saw.
#[derive(Default)]
struct FramedLog {
    messages: Vec<Vec<u8>>,
    offers: usize,
    partial_offers: usize,
    short_writes: usize,
}

/// Consumes only whole 4-byte-big-endian-length-prefixed messages (0 for a
/// partial one) and echoes each message, framed, back.
struct Framed {
    log: Arc<Mutex<FramedLog>>,
}

impl Service for Framed {
    fn name(&self) -> &str {
        "framed"
    }
    fn listen(&self) -> Listen {
        Listen::tcp(0)
    }
    fn on_data(&mut self, _: Instant, net: &mut dyn Net, conn: ConnId, data: &[u8]) -> usize {
        let mut log = lock(&self.log);
        log.offers += 1;
        let mut used = 0;
        loop {
            let rest = &data[used..];
            let Some(head) = rest.first_chunk::<4>() else {
                break;
            };
            let len = u32::from_be_bytes(*head) as usize;
            let Some(whole) = rest.get(..4 + len) else {
                break;
            };
            if net.write(conn, whole) != whole.len() {
                log.short_writes += 1;
            }
            log.messages.push(whole[4..].to_vec());
            used += whole.len();
        }
        if used < data.len() {
            log.partial_offers += 1;
        }
        used
    }
    fn on_peer_close(&mut self, _: Instant, net: &mut dyn Net, conn: ConnId) {
        net.close(conn);
    }
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

/// Aborts (RST) a connection on its first bytes, from inside `on_data`.
struct Reset {
    log: Log,
}

impl Service for Reset {
    fn name(&self) -> &str {
        "reset"
    }
    fn listen(&self) -> Listen {
        Listen::tcp(0)
    }
    fn on_data(&mut self, _: Instant, net: &mut dyn Net, conn: ConnId, data: &[u8]) -> usize {
        lock(&self.log).push(Ev::Data(conn, data.len()));
        net.abort(conn);
        // The connection is gone: everything on it is now a no-op.
        assert_eq!(net.write(conn, b"late"), 0);
        net.close(conn);
        net.abort(conn);
        0
    }
    fn on_closed(&mut self, _: Instant, conn: ConnId) {
        lock(&self.log).push(Ev::Closed(conn));
    }
}

/// What the client service saw.
#[derive(Default, Debug)]
struct ClientLog {
    started: Option<Option<ConnId>>,
    opened: Option<(ConnId, ConnInfo)>,
    received: Vec<u8>,
    peer_closed: bool,
    closed: Vec<ConnId>,
}

/// Connects to `target` from `on_timer`, says "ping", collects the answer.
struct Client {
    target: SocketAddr,
    started: bool,
    log: Arc<Mutex<ClientLog>>,
}

impl Service for Client {
    fn name(&self) -> &str {
        "client"
    }
    fn listen(&self) -> Listen {
        Listen::default()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        (!self.started).then_some(Instant::ZERO)
    }
    fn on_timer(&mut self, _: Instant, net: &mut dyn Net) {
        self.started = true;
        let id = net.connect(self.target);
        lock(&self.log).started = Some(id);
    }
    fn on_open(&mut self, _: Instant, net: &mut dyn Net, conn: ConnId, info: ConnInfo) {
        lock(&self.log).opened = Some((conn, info));
        assert_eq!(net.write(conn, b"ping"), 4);
    }
    fn on_data(&mut self, _: Instant, _: &mut dyn Net, _: ConnId, data: &[u8]) -> usize {
        lock(&self.log).received.extend_from_slice(data);
        data.len()
    }
    fn on_peer_close(&mut self, _: Instant, net: &mut dyn Net, conn: ConnId) {
        lock(&self.log).peer_closed = true;
        net.close(conn);
    }
    fn on_closed(&mut self, _: Instant, conn: ConnId) {
        lock(&self.log).closed.push(conn);
    }
}

fn client_service(target: SocketAddr, log: &Arc<Mutex<ClientLog>>) -> Make {
    let log = Arc::clone(log);
    Box::new(move || vec![Box::new(Client { target, started: false, log }) as Box<dyn Service>])
}

/// Listens on a fixed port (for the bind error test).
struct Fixed(u16);

impl Service for Fixed {
    fn name(&self) -> &str {
        "busy"
    }
    fn listen(&self) -> Listen {
        Listen::tcp(self.0)
    }
}

// ------------------------------------------------------------------ tests

#[test]
fn udp_echo_round_trips() {
    let stack = start(config(), Box::new(|| vec![Box::new(UdpEcho) as Box<dyn Service>]));
    let server = stack.addr("uecho", Proto::Udp);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut buf = vec![0u8; 65_536];
    let sizes = [0usize, 1, 2, 100, 512, 1400, 1500, 9000, 65_000];
    for (i, &size) in sizes.iter().cycle().take(60).enumerate() {
        let payload = pattern(i as u64, size);
        sock.send_to(&payload, server).unwrap();
        let (n, from) = sock.recv_from(&mut buf).expect("echo arrives");
        assert_eq!(from, server);
        assert_eq!(&buf[..n], &payload[..], "datagram {i} of {size} bytes");
    }
    sock.send_to(b"probe", server).unwrap();
    let (n, _) = sock.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"unknown local -> false");

    // Counters are added after each sendmmsg returns: read them once the
    // stack has stopped, not racing the last answer.
    stack.stop();
    let c = stack.metrics.service("uecho");
    assert_eq!(c.datagrams_rx.get(), 61);
    assert_eq!(c.datagrams_tx.get(), 61);
    assert_eq!(c.datagrams_dropped.get(), 1);
}

#[test]
fn tcp_echo_of_10_mb_is_intact() {
    const TOTAL: usize = 10 * 1024 * 1024;
    let log = Log::default();
    let stack = start(config(), echo(&log));
    let addr = stack.addr("echo", Proto::Tcp);
    let data = Arc::new(pattern(7, TOTAL));

    let mut writer = client(addr);
    let mut reader = writer.try_clone().unwrap();
    let to_send = Arc::clone(&data);
    let w = thread::spawn(move || {
        for chunk in to_send.chunks(100_000) {
            writer.write_all(chunk).expect("write");
        }
        writer.shutdown(HalfClose::Write).unwrap();
    });
    let r = thread::spawn(move || read_to_eof(&mut reader));
    w.join().expect("writer");
    let echoed = r.join().expect("reader");
    assert_eq!(echoed.len(), TOTAL);
    assert!(echoed == *data, "echoed bytes differ");

    wait_until("on_closed", || count(&log, |e| matches!(e, Ev::Closed(_))) == 1);
    let c = stack.metrics.service("echo");
    assert_eq!(c.bytes_rx.get(), TOTAL as u64);
    assert_eq!(c.bytes_tx.get(), TOTAL as u64);
    assert_eq!(c.connections.get(), 1);
    assert_eq!(c.connections_open.get(), 0);
    stack.stop();
}

#[test]
fn concurrent_connections_echo_independently() {
    const CLIENTS: u64 = 8;
    const CHUNK: usize = 16 * 1024;
    const ROUNDS: usize = 32;
    let log = Log::default();
    // An odd, small receive buffer exercises partial offers and re-offers.
    let stack = start(SocketConfig { read_chunk: 1000, ..config() }, echo(&log));
    let addr = stack.addr("echo", Proto::Tcp);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            thread::spawn(move || {
                let mut s = client(addr);
                let data = pattern(100 + i, CHUNK * ROUNDS);
                let mut back = vec![0u8; CHUNK];
                for chunk in data.chunks(CHUNK) {
                    s.write_all(chunk).unwrap();
                    s.read_exact(&mut back).unwrap();
                    assert_eq!(&back[..], chunk, "client {i}");
                }
                s.shutdown(HalfClose::Write).unwrap();
                assert!(read_to_eof(&mut s).is_empty());
            })
        })
        .collect();
    for c in clients {
        c.join().expect("client thread");
    }
    wait_until("all closed", || count(&log, |e| matches!(e, Ev::Closed(_))) == CLIENTS as usize);
    assert_eq!(count(&log, |e| matches!(e, Ev::Open(..))), CLIENTS as usize);
    assert_eq!(count(&log, |e| matches!(e, Ev::PeerClose(_))), CLIENTS as usize);
    let c = stack.metrics.service("echo");
    assert_eq!(c.connections.get(), CLIENTS);
    assert_eq!(c.connections_open.get(), 0);
    assert_eq!(c.bytes_tx.get(), CLIENTS * (CHUNK * ROUNDS) as u64);
    stack.stop();
}

#[test]
fn partial_messages_are_offered_again_whole() {
    let log = Arc::new(Mutex::new(FramedLog::default()));
    let l = Arc::clone(&log);
    let stack = start(config(), Box::new(move || vec![Box::new(Framed { log: l }) as Box<dyn Service>]));
    let addr = stack.addr("framed", Proto::Tcp);
    let bodies: Vec<Vec<u8>> = (0..150u64).map(|i| pattern(i, (i as usize * 37) % 700)).collect();
    let mut s = client(addr);
    let mut r = s.try_clone().unwrap();
    let expected: Vec<u8> = bodies.iter().flat_map(|b| frame(b)).collect();
    let reader = thread::spawn(move || read_to_eof(&mut r));
    // The first 30 messages one byte per write (each write its own segment),
    // then the rest pipelined in a single write.
    let (slow, fast) = bodies.split_at(30);
    for (i, body) in slow.iter().enumerate() {
        for byte in frame(body) {
            s.write_all(&[byte]).unwrap();
            if i % 10 == 0 {
                thread::sleep(StdDuration::from_micros(200));
            }
        }
    }
    let pipelined: Vec<u8> = fast.iter().flat_map(|b| frame(b)).collect();
    s.write_all(&pipelined).unwrap();
    s.shutdown(HalfClose::Write).unwrap();
    let echoed = reader.join().expect("reader");
    assert!(echoed == expected, "framed echo differs");

    let log = lock(&log);
    assert_eq!(log.messages, bodies);
    assert_eq!(log.short_writes, 0);
    assert!(
        log.partial_offers > 0,
        "one-byte writes must have produced partial offers ({} offers)",
        log.offers
    );
    drop(log);
    stack.stop();
}

#[test]
fn peer_close_then_close_then_closed() {
    let log = Log::default();
    let stack = start(config(), echo(&log));
    let addr = stack.addr("echo", Proto::Tcp);
    let mut s = client(addr);
    let me = s.local_addr().unwrap();
    s.write_all(b"hello").unwrap();
    s.shutdown(HalfClose::Write).unwrap();
    assert_eq!(read_to_eof(&mut s), b"hello");
    wait_until("on_closed", || count(&log, |e| matches!(e, Ev::Closed(_))) == 1);

    let events = lock(&log).clone();
    let Some(Ev::Open(id, info)) = events.first().cloned() else {
        panic!("first event is not Open: {events:?}");
    };
    assert_eq!(info.peer, me);
    assert_eq!(info.local, addr);
    assert!(!info.initiated);
    let data: usize = events
        .iter()
        .map(|e| match e {
            Ev::Data(c, n) if *c == id => *n,
            _ => 0,
        })
        .sum();
    assert_eq!(data, 5);
    let tail: Vec<_> = events.iter().filter(|e| !matches!(e, Ev::Data(..))).cloned().collect();
    assert_eq!(tail, vec![Ev::Open(id, info), Ev::PeerClose(id), Ev::Closed(id)]);
    assert_eq!(events.last(), Some(&Ev::Closed(id)));
    stack.stop();
}

#[test]
fn abort_from_inside_on_data_resets_the_peer() {
    let log = Log::default();
    let l = Arc::clone(&log);
    let stack = start(config(), Box::new(move || vec![Box::new(Reset { log: l }) as Box<dyn Service>]));
    let mut s = client(stack.addr("reset", Proto::Tcp));
    s.write_all(b"boom").unwrap();
    let mut buf = [0u8; 16];
    let err = s.read(&mut buf).expect_err("the peer sees a reset");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    wait_until("on_closed", || count(&log, |e| matches!(e, Ev::Closed(_))) == 1);
    let events = lock(&log).clone();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(matches!(events[0], Ev::Data(_, 4)));
    stack.stop();
}

#[test]
fn connections_beyond_the_limit_are_refused() {
    let stack = start(
        SocketConfig { max_connections: 2, ..config() },
        Box::new(|| vec![Box::new(Counter { totals: Default::default() }) as Box<dyn Service>]),
    );
    let addr = stack.addr("count", Proto::Tcp);
    let c = stack.metrics.service("count");
    let mut a = client(addr);
    let mut b = client(addr);
    a.write_all(&[1; 1000]).unwrap();
    b.write_all(&[2; 2000]).unwrap();
    wait_until("both accepted", || c.connections_open.get() == 2);

    // The kernel completes the handshake; the stack accepts and closes it.
    let mut refused = client(addr);
    let mut buf = [0u8; 8];
    match refused.read(&mut buf) {
        Ok(0) => {}
        Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {}
        other => panic!("expected the third connection closed, got {other:?}"),
    }
    wait_until("refusal counted", || c.connections_refused.get() == 1);

    a.shutdown(HalfClose::Write).unwrap();
    assert_eq!(read_to_eof(&mut a), b"1000");
    wait_until("a slot frees up", || c.connections_open.get() == 1);
    let mut d = client(addr);
    d.write_all(b"abc").unwrap();
    d.shutdown(HalfClose::Write).unwrap();
    assert_eq!(read_to_eof(&mut d), b"3");
    b.shutdown(HalfClose::Write).unwrap();
    assert_eq!(read_to_eof(&mut b), b"2000");
    assert_eq!(c.connections.get(), 3);
    assert_eq!(c.connections_refused.get(), 1);
    stack.stop();
}

#[test]
fn connect_reaches_a_std_listener() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut ping = [0u8; 4];
        s.read_exact(&mut ping).unwrap();
        assert_eq!(&ping, b"ping");
        s.write_all(b"pong").unwrap();
        s.shutdown(HalfClose::Write).unwrap();
        // The client closes after our FIN.
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
    });
    let log = Arc::new(Mutex::new(ClientLog::default()));
    let stack = start(config(), client_service(target, &log));
    wait_until("client closed", || !lock(&log).closed.is_empty());
    server.join().expect("server thread");

    let log = lock(&log);
    let id = log.started.flatten().expect("connect started");
    let (opened, info) = log.opened.expect("on_open");
    assert_eq!(opened, id);
    assert!(info.initiated);
    assert_eq!(info.peer, target);
    assert_eq!(info.local.ip(), target.ip());
    assert_eq!(log.received, b"pong");
    assert!(log.peer_closed);
    assert_eq!(log.closed, vec![id]);
    drop(log);
    let c = stack.metrics.service("client");
    assert_eq!(c.connections.get(), 1);
    assert_eq!(c.connections_open.get(), 0);
    stack.stop();
}

#[test]
fn failed_connect_reports_closed_without_open() {
    // A port nobody listens on: bind one, then let it go.
    let target = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let log = Arc::new(Mutex::new(ClientLog::default()));
    let stack = start(config(), client_service(target, &log));
    wait_until("client closed", || !lock(&log).closed.is_empty());
    let log = lock(&log);
    let id = log.started.flatten().expect("connect started");
    assert_eq!(log.closed, vec![id]);
    assert!(log.opened.is_none());
    drop(log);
    let c = stack.metrics.service("client");
    assert_eq!(c.connections.get(), 0);
    assert_eq!(c.errors.get(), 1);
    stack.stop();
}

#[test]
fn shutdown_stops_run_and_closes_connections() {
    let log = Log::default();
    let stack = start(config(), echo(&log));
    let addr = stack.addr("echo", Proto::Tcp);
    let mut clients: Vec<TcpStream> = (0..3).map(|_| client(addr)).collect();
    for (i, s) in clients.iter_mut().enumerate() {
        let msg = format!("hi {i}");
        s.write_all(msg.as_bytes()).unwrap();
        let mut back = vec![0u8; msg.len()];
        s.read_exact(&mut back).unwrap();
        assert_eq!(back, msg.as_bytes());
    }

    let started = std::time::Instant::now();
    stack.trigger.fire();
    // Every client sees a FIN (graceful close), then closes its side.
    for s in &mut clients {
        assert!(read_to_eof(s).is_empty());
    }
    drop(clients);
    stack.wait_stopped();
    let took = started.elapsed();

    let events = lock(&log).clone();
    assert_eq!(count(&log, |e| matches!(e, Ev::Closed(_))), 3, "{events:?}");
    assert_eq!(count(&log, |e| *e == Ev::Shutdown), 1);
    assert_eq!(stack.metrics.service("echo").connections_open.get(), 0);
    // Not a speed assertion: the 2 s grace period was not needed.
    assert!(took < StdDuration::from_secs(10), "took {took:?}");
    // The listener is gone.
    assert!(TcpStream::connect_timeout(&addr, StdDuration::from_secs(2)).is_err());
}

#[test]
fn bind_errors_name_the_service_protocol_and_address() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = try_start(config(), Box::new(move || vec![Box::new(Fixed(port)) as Box<dyn Service>]))
        .err()
        .expect("the port is taken");
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
    let text = err.to_string();
    assert!(text.starts_with(&format!("busy: bind tcp 127.0.0.1:{port}: ")), "{text}");
}

// ------------------------------------------------------- UDP batching

/// Answers every datagram with "LOCAL PAYLOAD": the address the stack says
/// it arrived at, then the payload.
struct WhoAmI;

impl Service for WhoAmI {
    fn name(&self) -> &str {
        "whoami"
    }
    fn listen(&self) -> Listen {
        Listen::udp(0)
    }
    fn on_datagram(&mut self, _: Instant, net: &mut dyn Net, d: Datagram<'_>) {
        let mut answer = format!("{} ", d.local).into_bytes();
        answer.extend_from_slice(d.payload);
        net.send_datagram(d.local, d.peer, &answer);
    }
}

fn whoami() -> Make {
    Box::new(|| vec![Box::new(WhoAmI) as Box<dyn Service>])
}

/// Sends `per_client` datagrams from each of `clients` sockets to `server`
/// (interleaved, all before reading), then checks that every socket gets
/// exactly its own answers, from `server`, naming `server` as the local
/// address. Loss-free on loopback: the stack's receive buffer holds the
/// burst.
fn burst(server: SocketAddr, bind: &str, clients: usize, per_client: usize) {
    let socks: Vec<UdpSocket> = (0..clients).map(|_| UdpSocket::bind(bind).unwrap()).collect();
    for seq in 0..per_client {
        for (c, sock) in socks.iter().enumerate() {
            sock.send_to(format!("c{c} q{seq}").as_bytes(), server).unwrap();
        }
    }
    let mut buf = [0u8; 256];
    for (c, sock) in socks.iter().enumerate() {
        sock.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut seen = vec![false; per_client];
        for _ in 0..per_client {
            let (n, from) = sock.recv_from(&mut buf).expect("every query is answered");
            assert_eq!(from, server, "answers come from the address asked");
            let text = std::str::from_utf8(&buf[..n]).unwrap();
            let rest = text
                .strip_prefix(&format!("{server} c{c} q"))
                .unwrap_or_else(|| panic!("client {c} got {text:?}"));
            let seq: usize = rest.parse().unwrap();
            assert!(!std::mem::replace(&mut seen[seq], true), "client {c}: answer {seq} twice");
        }
        assert!(seen.iter().all(|&s| s));
    }
}

#[test]
fn udp_bursts_larger_than_a_batch_are_all_answered_to_their_senders() {
    let stack = start(SocketConfig { udp_batch: 8, ..config() }, whoami());
    let server = stack.addr("whoami", Proto::Udp);
    burst(server, "127.0.0.1:0", 6, 50);
    stack.stop();
    let c = stack.metrics.service("whoami");
    assert_eq!(c.datagrams_rx.get(), 300);
    assert_eq!(c.datagrams_tx.get(), 300);
    assert_eq!(c.datagrams_dropped.get(), 0);
}

#[test]
fn wildcard_udp_answers_from_the_address_each_datagram_came_to() {
    let any = std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);
    let stack = start(SocketConfig { addr: any, udp_batch: 4, ..config() }, whoami());
    let port = stack.addr("whoami", Proto::Udp).port();
    for ip in ["127.0.0.1", "127.0.0.2", "127.0.0.3"] {
        burst(SocketAddr::new(ip.parse().unwrap(), port), "127.0.0.1:0", 3, 5);
    }
    stack.stop();
}

/// A socket on IPv6 loopback, or None (printing why) when the host has none.
fn ipv6_loopback() -> Option<UdpSocket> {
    match UdpSocket::bind("[::1]:0") {
        Ok(s) => Some(s),
        Err(e) => {
            println!("SKIPPED: no IPv6 loopback ({e})");
            None
        }
    }
}

#[test]
fn ipv6_udp_is_batched_and_addressed_too() {
    if ipv6_loopback().is_none() {
        return;
    }
    let v6 = std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST);
    let stack = start(SocketConfig { addr: v6, udp_batch: 8, ..config() }, whoami());
    burst(stack.addr("whoami", Proto::Udp), "[::1]:0", 4, 30);
    stack.stop();

    // The wildcard `::` socket learns each destination from IPV6_PKTINFO,
    // for IPv6 peers and for IPv4 peers (as v4-mapped addresses).
    let any = std::net::IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED);
    let stack = start(SocketConfig { addr: any, udp_batch: 8, ..config() }, whoami());
    let port = stack.addr("whoami", Proto::Udp).port();
    burst(SocketAddr::new(v6, port), "[::1]:0", 3, 20);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(PATIENCE)).unwrap();
    sock.send_to(b"v4", ("127.0.0.1", port)).unwrap();
    let mut buf = [0u8; 128];
    let (n, from) = sock.recv_from(&mut buf).expect("the IPv4 query is answered");
    assert_eq!(from, SocketAddr::new(LOCALHOST, port));
    assert_eq!(&buf[..n], format!("[::ffff:127.0.0.1]:{port} v4").as_bytes());
    stack.stop();
}

#[test]
fn several_instances_share_the_ports_and_all_answer() {
    init_tracing();
    let metrics = Metrics::new();
    let shutdown = Shutdown::new().unwrap();
    let trigger = shutdown.trigger().unwrap();
    let config = SocketConfig { instances: 3, udp_batch: 8, ..config() };
    let (bound_tx, bound_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    let m = Arc::clone(&metrics);
    thread::spawn(move || {
        let build =
            |_: usize| Ok(vec![Box::new(WhoAmI) as Box<dyn Service>, Box::new(UdpEcho) as Box<dyn Service>]);
        let first = build(0).unwrap();
        let result = run_instances(&config, first, build, &m, shutdown, |bound| {
            let _ = bound_tx.send(bound.to_vec());
        });
        let _ = done_tx.send(result);
    });
    let bound = bound_rx.recv_timeout(PATIENCE).expect("all instances start");
    let server = bound.iter().find(|(n, p, _)| n == "whoami" && *p == Proto::Udp).map(|b| b.2).unwrap();
    assert_ne!(server.port(), 0);
    // Many source ports: SO_REUSEPORT spreads them over the instances.
    burst(server, "127.0.0.1:0", 16, 10);
    trigger.fire();
    done_rx.recv_timeout(PATIENCE).expect("run_instances returns").expect("and succeeds");
    let c = metrics.service("whoami");
    assert_eq!(c.datagrams_rx.get(), 160, "every instance counts into the same service counters");
    assert_eq!(c.datagrams_tx.get(), 160);
}

#[test]
fn instances_with_different_services_are_refused() {
    init_tracing();
    let metrics = Metrics::new();
    let shutdown = Shutdown::new().unwrap();
    let config = SocketConfig { instances: 2, ..config() };
    // Instance 1 would listen for another service than instance 0.
    let build = |i: usize| -> io::Result<Vec<Box<dyn Service>>> {
        Ok(if i == 0 { vec![Box::new(WhoAmI)] } else { vec![Box::new(UdpEcho)] })
    };
    let first = build(0).unwrap();
    let e =
        run_instances(&config, first, build, &metrics, shutdown, |_| panic!("must not start")).unwrap_err();
    assert!(e.to_string().contains("instance 1"), "{e}");
    assert!(e.to_string().contains("same services"), "{e}");
}
