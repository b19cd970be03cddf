//! `Tls<S>`: TLS termination in front of any stream [`Service`].
//!
//! HTTPS = `Tls<Http>`, DNS over TLS = `Tls<Dns>` (TCP), OpenFlow over TLS =
//! `Tls<Controller>`. Each accepted connection gets a [`tls_glue::Session`]:
//!
//! ```text
//!  stack ──on_data(ciphertext)──▶ Tls ──receive/process──▶ plaintext ──on_data──▶ inner S
//!  stack ◀──write(ciphertext)──── Tls ◀──send_plaintext──── TlsNet::write ◀──────── inner S
//! ```
//!
//! The inner service sees a plain stream: `on_open` once the handshake is complete
//! (with the outer [`ConnInfo`]), `on_data` with plaintext, `on_peer_close` on the
//! peer's close_notify or FIN, `on_closed` when the stack reports the connection gone.
//! Its `close` sends close_notify and then closes the TCP connection.
//!
//! Back-pressure holds both ways: `on_data` returns how much ciphertext the session
//! took (it takes none while the inner service leaves [`Limits::plaintext`] bytes
//! unconsumed), and the inner service's writes return short counts while the session's
//! unsent ciphertext is over [`Limits::outgoing`]; `on_writable` then follows once the
//! stack took the backlog.
//!
//! Handshakes are bounded in time ([`TlsOptions::handshake_timeout`]) and number
//! ([`TlsOptions::max_handshakes`]), so silent or slow clients cannot hold resources.
//! A TLS error sends the alert, closes that connection and logs a warning; other
//! connections go on.

#[allow(unused_imports)]
use crate::prelude::*;
use alloc::collections::BTreeSet;
use alloc::sync::Arc;
use core::net::SocketAddr;
use hashbrown::HashMap;

use tls_glue::rustls::ServerConfig;
use tls_glue::{Limits, Session};

use crate::service::{ConnId, ConnInfo, Datagram, Duration, Instant, Listen, Net, Service};

/// Settings of the TLS adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptions {
    /// TCP ports to accept TLS on; the inner service's own `listen` is not used.
    pub ports: Vec<u16>,
    /// Time from accept to a complete handshake before the connection is reset.
    pub handshake_timeout: Duration,
    /// Most handshakes in progress at once; connections beyond it are reset at accept.
    pub max_handshakes: usize,
    /// Per-connection buffer bounds of the TLS session.
    pub limits: Limits,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions {
            ports: vec![443],
            handshake_timeout: Duration::from_secs(10),
            max_handshakes: 1024,
            limits: Limits::default(),
        }
    }
}

/// One TLS connection.
#[derive(Debug)]
struct Conn {
    session: Session,
    info: ConnInfo,
    /// Handshake deadline while the handshake is in progress.
    deadline: Option<Instant>,
    /// The inner service saw `on_open`.
    opened: bool,
    /// Plaintext decrypted but not yet consumed by the inner service.
    plain: Vec<u8>,
    /// The inner service got a short write and waits for `on_writable`.
    wants_writable: bool,
    /// The inner service was told about the peer's close (close_notify or FIN).
    peer_close_told: bool,
    /// Close the TCP connection once the ciphertext backlog is sent.
    closing: bool,
    /// `Net::close` or `Net::abort` was called: nothing more goes out.
    outer_closed: bool,
}

impl Conn {
    /// Sends what ciphertext the stack takes; closes the TCP connection once a close was
    /// asked for and nothing is left.
    fn flush(&mut self, net: &mut dyn Net, id: ConnId) {
        if self.outer_closed {
            return;
        }
        let out = self.session.ciphertext();
        if !out.is_empty() {
            let n = net.write(id, out);
            self.session.consume_ciphertext(n);
        }
        if self.closing && self.session.ciphertext().is_empty() {
            net.close(id);
            self.outer_closed = true;
        }
    }
}

/// Wraps a stream service `S` in TLS (see the [module docs](self)).
pub struct Tls<S> {
    inner: S,
    config: Arc<ServerConfig>,
    options: TlsOptions,
    name: String,
    conns: HashMap<ConnId, Conn>,
    /// Handshake deadlines, earliest first.
    deadlines: BTreeSet<(Instant, ConnId)>,
}

impl<S: Service> Tls<S> {
    /// Terminates TLS with `config` (see [`tls_glue::config::ServerSettings`]) in front of `inner`.
    pub fn new(inner: S, config: Arc<ServerConfig>, options: TlsOptions) -> Self {
        let name = format!("tls+{}", inner.name());
        Tls { inner, config, options, name, conns: HashMap::new(), deadlines: BTreeSet::new() }
    }

    /// The wrapped service.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Handshakes in progress.
    pub fn handshakes(&self) -> usize {
        self.deadlines.len()
    }

    /// Runs the session on `id` and the inner service on what it decrypted, until neither
    /// makes progress; then sends the ciphertext.
    fn pump(&mut self, now: Instant, net: &mut dyn Net, id: ConnId) {
        let cap = self.options.limits.plaintext;
        for _ in 0..64 {
            let Some(c) = self.conns.get_mut(&id) else { return };
            if c.outer_closed {
                return;
            }
            let plain = &mut c.plain;
            let result = c.session.process(|pt| {
                let n = pt.len().min(cap.saturating_sub(plain.len()));
                plain.extend_from_slice(&pt[..n]);
                n
            });
            if let Err(e) = result {
                tracing::warn!(service = %self.name, peer = %c.info.peer, error = %e, "TLS error, closing");
                self.deadlines.remove(&(c.deadline.take().unwrap_or(Instant::ZERO), id));
                c.closing = true;
                c.flush(net, id);
                return;
            }
            if !c.opened && !c.session.is_handshaking() {
                if let Some(d) = c.deadline.take() {
                    self.deadlines.remove(&(d, id));
                }
                c.opened = true;
                let info = c.info;
                tracing::debug!(service = %self.name, peer = %info.peer, version = ?c.session.protocol_version(),
                    resumed = c.session.is_resumed(), "TLS handshake complete");
                self.inner.on_open(now, &mut TlsNet { net, conns: &mut self.conns, window: cap }, id, info);
            }
            let Some(c) = self.conns.get_mut(&id) else { return };
            let mut progressed = false;
            if c.opened && !c.closing && !c.plain.is_empty() {
                let plain = core::mem::take(&mut c.plain);
                let n = self
                    .inner
                    .on_data(now, &mut TlsNet { net, conns: &mut self.conns, window: cap }, id, &plain)
                    .min(plain.len());
                progressed = n > 0;
                if let Some(c) = self.conns.get_mut(&id) {
                    c.plain = plain;
                    c.plain.drain(..n);
                }
            }
            let Some(c) = self.conns.get_mut(&id) else { return };
            if c.opened && !c.closing && c.session.peer_closed() && c.plain.is_empty() && !c.peer_close_told {
                c.peer_close_told = true;
                self.inner.on_peer_close(now, &mut TlsNet { net, conns: &mut self.conns, window: cap }, id);
            }
            let Some(c) = self.conns.get_mut(&id) else { return };
            c.flush(net, id);
            // More to decrypt only if the inner service made room.
            if !progressed || c.session.pending_plaintext() == 0 {
                return;
            }
        }
    }

    fn forget(&mut self, id: ConnId) -> Option<Conn> {
        let c = self.conns.remove(&id)?;
        if let Some(d) = c.deadline {
            self.deadlines.remove(&(d, id));
        }
        Some(c)
    }
}

/// The [`Net`] the inner service sees: writes are encrypted, closes send close_notify.
struct TlsNet<'a> {
    net: &'a mut dyn Net,
    conns: &'a mut HashMap<ConnId, Conn>,
    window: usize,
}

impl Net for TlsNet<'_> {
    fn send_datagram(&mut self, local: SocketAddr, peer: SocketAddr, payload: &[u8]) -> bool {
        self.net.send_datagram(local, peer, payload)
    }

    fn write(&mut self, conn: ConnId, data: &[u8]) -> usize {
        let Some(c) = self.conns.get_mut(&conn) else { return 0 };
        if !c.opened || c.closing || c.outer_closed {
            return 0;
        }
        // Encrypt and hand over until the data is in or the stack is full: a short
        // count with an empty backlog would leave the inner service waiting for an
        // `on_writable` the stack never sends (it only follows a short outer write).
        let mut taken = 0;
        loop {
            let n = c.session.send_plaintext(&data[taken..]);
            taken += n;
            c.flush(self.net, conn);
            if taken == data.len() || n == 0 || !c.session.ciphertext().is_empty() {
                break;
            }
        }
        if taken < data.len() {
            c.wants_writable = true;
        }
        taken
    }

    fn recv_window(&self, _conn: ConnId) -> usize {
        self.window
    }

    fn close(&mut self, conn: ConnId) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if !c.closing {
            c.session.close_notify();
            c.closing = true;
        }
        c.flush(self.net, conn);
    }

    fn abort(&mut self, conn: ConnId) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if !c.outer_closed {
            self.net.abort(conn);
        }
        c.closing = true;
        c.outer_closed = true;
    }

    /// Outgoing connections would need a client config; this adapter only accepts.
    fn connect(&mut self, _peer: SocketAddr) -> Option<ConnId> {
        None
    }
}

impl<S: Service> Service for Tls<S> {
    fn name(&self) -> &str {
        &self.name
    }

    fn listen(&self) -> Listen {
        Listen { udp: Vec::new(), tcp: self.options.ports.clone() }
    }

    fn on_datagram(&mut self, _now: Instant, _net: &mut dyn Net, _dgram: Datagram<'_>) {}

    fn on_open(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId, info: ConnInfo) {
        if self.deadlines.len() >= self.options.max_handshakes {
            tracing::warn!(service = %self.name, peer = %info.peer, limit = self.options.max_handshakes,
                "too many TLS handshakes in progress, connection reset");
            net.abort(conn);
            return;
        }
        let session = match Session::server(Arc::clone(&self.config)) {
            Ok(s) => s.with_limits(self.options.limits),
            Err(e) => {
                tracing::warn!(service = %self.name, peer = %info.peer, error = %e, "TLS session refused");
                net.abort(conn);
                return;
            }
        };
        let deadline = now + self.options.handshake_timeout;
        self.deadlines.insert((deadline, conn));
        let c = Conn {
            session,
            info,
            deadline: Some(deadline),
            opened: false,
            plain: Vec::new(),
            wants_writable: false,
            peer_close_told: false,
            closing: false,
            outer_closed: false,
        };
        self.conns.insert(conn, c);
    }

    fn on_data(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId, data: &[u8]) -> usize {
        let Some(c) = self.conns.get_mut(&conn) else { return data.len() };
        if c.outer_closed {
            return data.len();
        }
        let taken = c.session.receive(data);
        self.pump(now, net, conn);
        taken
    }

    fn on_writable(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId) {
        let cap = self.options.limits.plaintext;
        let Some(c) = self.conns.get_mut(&conn) else { return };
        c.flush(net, conn);
        // Offer held plaintext again (the inner service may consume now), then let the
        // inner service write if it was waiting and the backlog has room.
        self.pump(now, net, conn);
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if c.wants_writable && !c.outer_closed && c.session.ciphertext().len() < self.options.limits.outgoing
        {
            c.wants_writable = false;
            self.inner.on_writable(now, &mut TlsNet { net, conns: &mut self.conns, window: cap }, conn);
        }
    }

    fn on_peer_close(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId) {
        let cap = self.options.limits.plaintext;
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if !c.opened {
            // Gone before the handshake finished: nothing to say.
            c.closing = true;
            c.flush(net, conn);
            return;
        }
        if !c.peer_close_told && !c.closing {
            c.peer_close_told = true;
            self.inner.on_peer_close(now, &mut TlsNet { net, conns: &mut self.conns, window: cap }, conn);
        }
    }

    fn on_closed(&mut self, now: Instant, conn: ConnId) {
        if self.forget(conn).is_some_and(|c| c.opened) {
            self.inner.on_closed(now, conn);
        }
    }

    fn on_timer(&mut self, now: Instant, net: &mut dyn Net) {
        let cap = self.options.limits.plaintext;
        while let Some(&(deadline, id)) = self.deadlines.first() {
            if deadline > now {
                break;
            }
            self.deadlines.pop_first();
            if let Some(c) = self.conns.get_mut(&id) {
                tracing::warn!(service = %self.name, peer = %c.info.peer, "TLS handshake timed out, connection reset");
                c.deadline = None;
                c.closing = true;
                c.outer_closed = true;
                net.abort(id);
            }
        }
        if self.inner.poll_timeout().is_some_and(|t| t <= now) {
            self.inner.on_timer(now, &mut TlsNet { net, conns: &mut self.conns, window: cap });
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let handshake = self.deadlines.first().map(|&(d, _)| d);
        match (handshake, self.inner.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn on_shutdown(&mut self, now: Instant, net: &mut dyn Net) {
        let cap = self.options.limits.plaintext;
        self.inner.on_shutdown(now, &mut TlsNet { net, conns: &mut self.conns, window: cap });
        for (&id, c) in self.conns.iter_mut() {
            if c.opened && !c.closing {
                c.session.close_notify();
                c.closing = true;
                c.flush(net, id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::testing::RecordingNet;
    use tls_glue::config::{CertSource, ClientSettings, ServerSettings};
    use tls_glue::pki_types::ServerName;
    use tls_glue::rustls::{AlertDescription, ClientConfig};
    use tls_glue::{Limits, TlsError};

    fn configs() -> (Arc<ServerConfig>, Arc<ClientConfig>) {
        let settings = ServerSettings { self_signed_names: vec!["localhost".into()], ..Default::default() };
        let (server, source) = settings.build().unwrap();
        let CertSource::SelfSigned(cert) = source else { panic!("self-signed expected") };
        let client = ClientSettings { roots: vec![cert], ..Default::default() }.build().unwrap();
        (server, client)
    }

    /// Echo that records what happened to it, to check what the adapter passes on.
    #[derive(Default)]
    struct Probe {
        events: Vec<String>,
        /// Bytes to send at open, continued in `on_writable` (a large response).
        blast: Vec<u8>,
        blasted: usize,
    }

    impl Probe {
        fn push_blast(&mut self, net: &mut dyn Net, conn: ConnId) {
            while self.blasted < self.blast.len() {
                let n = net.write(conn, &self.blast[self.blasted..]);
                if n == 0 {
                    return;
                }
                self.blasted += n;
            }
        }
    }

    impl Service for Probe {
        fn name(&self) -> &str {
            "probe"
        }
        fn listen(&self) -> Listen {
            Listen::tcp(7)
        }
        fn on_open(&mut self, _now: Instant, net: &mut dyn Net, conn: ConnId, info: ConnInfo) {
            self.events.push(format!("open {} {}", conn.0, info.peer));
            self.push_blast(net, conn);
        }
        fn on_writable(&mut self, _now: Instant, net: &mut dyn Net, conn: ConnId) {
            self.push_blast(net, conn);
        }
        fn on_data(&mut self, _now: Instant, net: &mut dyn Net, conn: ConnId, data: &[u8]) -> usize {
            assert!(data.len() <= net.recv_window(conn));
            net.write(conn, data)
        }
        fn on_peer_close(&mut self, _now: Instant, net: &mut dyn Net, conn: ConnId) {
            self.events.push(format!("peer_close {}", conn.0));
            net.close(conn);
        }
        fn on_closed(&mut self, _now: Instant, conn: ConnId) {
            self.events.push(format!("closed {}", conn.0));
        }
    }

    fn info(port: u16) -> ConnInfo {
        ConnInfo {
            local: "127.0.0.1:443".parse().unwrap(),
            peer: SocketAddr::from(([127, 0, 0, 1], port)),
            initiated: false,
        }
    }

    /// A TLS client on the far end of one connection.
    struct Peer {
        conn: ConnId,
        session: Session,
        got: Vec<u8>,
        /// Server ciphertext the client session has not taken yet.
        inbox: Vec<u8>,
        error: Option<TlsError>,
        /// Call `on_writable` every step, as a stack does after short writes.
        poke_writable: bool,
    }

    impl Peer {
        fn new(tls: &mut Tls<Probe>, net: &mut RecordingNet, client: &Arc<ClientConfig>, id: u64) -> Peer {
            let conn = ConnId(id);
            tls.on_open(Instant::ZERO, net, conn, info(40000 + id as u16));
            let name = ServerName::try_from("localhost").unwrap();
            let session = Session::client(Arc::clone(client), name).unwrap();
            Peer { conn, session, got: Vec::new(), inbox: Vec::new(), error: None, poke_writable: true }
        }

        /// One round trip of bytes between this client and the adapter; true if any moved.
        fn step(&mut self, tls: &mut Tls<Probe>, net: &mut RecordingNet) -> bool {
            let got = &mut self.got;
            if let Err(e) = self.session.process(|d| {
                got.extend_from_slice(d);
                d.len()
            }) {
                self.error = Some(e);
            }
            let mut moved = 0;
            let out = self.session.ciphertext().to_vec();
            if !out.is_empty() {
                let n = tls.on_data(Instant::ZERO, net, self.conn, &out);
                self.session.consume_ciphertext(n);
                moved += n;
            }
            net.writes.retain(|(c, d)| {
                if *c == self.conn {
                    self.inbox.extend_from_slice(d);
                }
                *c != self.conn
            });
            let n = self.session.receive(&self.inbox);
            self.inbox.drain(..n);
            moved += n;
            if self.poke_writable {
                tls.on_writable(Instant::ZERO, net, self.conn);
            }
            moved > 0 || !net.writes.is_empty()
        }

        fn run(&mut self, tls: &mut Tls<Probe>, net: &mut RecordingNet) {
            for _ in 0..100_000 {
                if !self.step(tls, net) && !self.step(tls, net) {
                    return;
                }
            }
            panic!("no quiet after 100 000 steps");
        }
    }

    fn adapter(options: TlsOptions) -> (Tls<Probe>, Arc<ClientConfig>) {
        let (server, client) = configs();
        (Tls::new(Probe::default(), server, options), client)
    }

    #[test]
    fn echo_through_tls_and_open_only_after_the_handshake() {
        let (mut tls, client) = adapter(TlsOptions::default());
        assert_eq!(tls.name(), "tls+probe");
        assert_eq!(tls.listen(), Listen::tcp(443));
        let mut net = RecordingNet::default();
        let mut peer = Peer::new(&mut tls, &mut net, &client, 1);
        assert!(tls.inner().events.is_empty(), "no on_open before the handshake");
        assert_eq!(tls.handshakes(), 1);
        peer.run(&mut tls, &mut net);
        assert_eq!(tls.inner().events, ["open 1 127.0.0.1:40001"]);
        assert_eq!(tls.handshakes(), 0);
        assert_eq!(tls.poll_timeout(), None, "no handshake deadline left");
        assert_eq!(peer.session.send_plaintext(b"hello over tls"), 14);
        peer.run(&mut tls, &mut net);
        assert_eq!(peer.got, b"hello over tls");
        // close_notify from the client: the inner service hears a peer close, closes,
        // and the adapter answers with close_notify before closing TCP.
        assert!(peer.session.close_notify());
        peer.run(&mut tls, &mut net);
        assert_eq!(tls.inner().events[1..], ["peer_close 1"]);
        assert_eq!(net.closed, [ConnId(1)]);
        assert!(peer.session.is_closed() && peer.error.is_none(), "{:?}", peer.error);
        tls.on_closed(Instant::ZERO, ConnId(1));
        assert_eq!(tls.inner().events[2..], ["closed 1"]);
    }

    #[test]
    fn large_transfer_with_small_write_room() {
        let options = TlsOptions {
            limits: Limits { outgoing: 20_000, plaintext: 8_000, ..Limits::default() },
            ..TlsOptions::default()
        };
        let (mut tls, client) = adapter(options);
        let mut net = RecordingNet { write_room: 1000, ..Default::default() };
        let mut peer = Peer::new(&mut tls, &mut net, &client, 7);
        peer.run(&mut tls, &mut net);
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        let mut sent = 0;
        for _ in 0..100_000 {
            sent += peer.session.send_plaintext(&data[sent..]);
            let moved = peer.step(&mut tls, &mut net);
            if sent == data.len() && !moved && peer.got.len() == data.len() {
                break;
            }
        }
        assert!(peer.got == data, "echoed {} of {} bytes", peer.got.len(), data.len());
        assert!(net.writes.iter().all(|(_, d)| d.len() <= 1000));
        assert!(peer.error.is_none());
    }

    /// A stack whose writes never come up short never calls `on_writable`: a large
    /// inner write must still go out whole, not stall on the session's backlog bound.
    #[test]
    fn a_large_write_goes_out_whole_when_the_stack_takes_everything() {
        let options =
            TlsOptions { limits: Limits { outgoing: 20_000, ..Limits::default() }, ..TlsOptions::default() };
        let (server, client) = configs();
        let blast: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
        let probe = Probe { blast: blast.clone(), ..Probe::default() };
        let mut tls = Tls::new(probe, server, options);
        let mut net = RecordingNet::default();
        let mut peer = Peer::new(&mut tls, &mut net, &client, 5);
        peer.poke_writable = false;
        peer.run(&mut tls, &mut net);
        assert!(peer.got == blast, "got {} of {} bytes", peer.got.len(), blast.len());
        assert!(peer.error.is_none());
    }

    #[test]
    fn handshake_timeout_resets_a_silent_client() {
        let (mut tls, _) = adapter(TlsOptions::default());
        let mut net = RecordingNet::default();
        let start = Instant::from_secs(100);
        tls.on_open(start, &mut net, ConnId(3), info(3));
        let deadline = start + Duration::from_secs(10);
        assert_eq!(tls.poll_timeout(), Some(deadline));
        tls.on_timer(deadline - Duration::from_millis(1), &mut net);
        assert!(net.closed.is_empty());
        tls.on_timer(deadline, &mut net);
        assert_eq!(net.closed, [ConnId(3)]);
        assert_eq!(tls.poll_timeout(), None);
        assert_eq!(tls.handshakes(), 0);
        // Late bytes are dropped, and the inner service never heard of it.
        assert_eq!(tls.on_data(deadline, &mut net, ConnId(3), b"\x16\x03\x01"), 3);
        tls.on_closed(deadline, ConnId(3));
        assert!(tls.inner().events.is_empty());
    }

    #[test]
    fn handshakes_beyond_the_limit_are_reset() {
        let (mut tls, client) = adapter(TlsOptions { max_handshakes: 1, ..TlsOptions::default() });
        let mut net = RecordingNet::default();
        let mut first = Peer::new(&mut tls, &mut net, &client, 1);
        tls.on_open(Instant::ZERO, &mut net, ConnId(2), info(2));
        assert_eq!(net.closed, [ConnId(2)], "second handshake over the limit");
        first.run(&mut tls, &mut net);
        assert_eq!(tls.inner().events, ["open 1 127.0.0.1:40001"]);
        // With the first handshake done, a new one is accepted.
        let mut third = Peer::new(&mut tls, &mut net, &client, 3);
        third.run(&mut tls, &mut net);
        assert_eq!(tls.inner().events.len(), 2);
        assert_eq!(net.closed, [ConnId(2)]);
    }

    #[test]
    fn garbage_gets_an_alert_and_a_close_and_others_go_on() {
        let (mut tls, client) = adapter(TlsOptions::default());
        let mut net = RecordingNet::default();
        let mut good = Peer::new(&mut tls, &mut net, &client, 1);
        good.step(&mut tls, &mut net);
        tls.on_open(Instant::ZERO, &mut net, ConnId(2), info(2));
        let garbage = b"GET / HTTP/1.1\r\n\r\n";
        assert_eq!(tls.on_data(Instant::ZERO, &mut net, ConnId(2), garbage), garbage.len());
        let alert = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, u8::from(AlertDescription::DecodeError)];
        assert_eq!(net.written(ConnId(2)), alert);
        net.writes.retain(|(c, _)| *c != ConnId(2));
        assert_eq!(net.closed, [ConnId(2)]);
        assert_eq!(tls.handshakes(), 1);
        tls.on_closed(Instant::ZERO, ConnId(2));
        good.run(&mut tls, &mut net);
        good.session.send_plaintext(b"still here");
        good.run(&mut tls, &mut net);
        assert_eq!(good.got, b"still here");
        assert_eq!(tls.inner().events, ["open 1 127.0.0.1:40001"]);
    }

    #[test]
    fn fin_during_the_handshake_closes_without_telling_the_inner_service() {
        let (mut tls, client) = adapter(TlsOptions::default());
        let mut net = RecordingNet::default();
        let mut peer = Peer::new(&mut tls, &mut net, &client, 1);
        peer.step(&mut tls, &mut net);
        tls.on_peer_close(Instant::ZERO, &mut net, ConnId(1));
        assert_eq!(net.closed, [ConnId(1)]);
        tls.on_closed(Instant::ZERO, ConnId(1));
        assert!(tls.inner().events.is_empty());
        assert_eq!(tls.handshakes(), 0);
    }
}
