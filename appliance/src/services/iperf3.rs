//! An iperf3-compatible server as a sans-IO [`Service`].
//!
//! A stock `iperf3 -c HOST -p PORT` client (iperf 3.x, as published by ESnet)
//! can drive it for TCP upload (the default), `-P N` parallel streams, `-R`
//! reverse (the server sends), `--bidir`, UDP `-u` with `-b`/`-l` and
//! `--udp-counters-64bit` in either direction, `-t`/`-n`/`-k` test ends,
//! `-O` omit, `-J` JSON output and `--get-server-output`.
//!
//! ## Protocol
//!
//! One TCP port carries the control connection and the TCP data streams; the
//! same port number over UDP carries UDP streams. Every TCP connection opens
//! with the client's 37-byte cookie (an ASCII UUID and a NUL), so the server
//! can tell the control connection (the first with a new cookie) from data
//! streams (later ones with the same cookie). Control messages are single
//! signed bytes (test states) or a 4-byte big-endian length and JSON.
//!
//! ```text
//! client                                          server
//!   control TCP connect, cookie           ──▶
//!                                         ◀──  PARAM_EXCHANGE (9)
//!   length + JSON parameters              ──▶
//!                                         ◀──  CREATE_STREAMS (10)
//!   each stream: TCP connect + cookie     ──▶      (UDP: 4-byte UDP_CONNECT_MSG
//!                                                   from the stream's port, answered
//!                                                   with UDP_CONNECT_REPLY)
//!                                         ◀──  TEST_START (1), TEST_RUNNING (2)
//!   data (client → server, or reverse)    ═══
//!   TEST_END (4)                          ──▶
//!                                         ◀──  EXCHANGE_RESULTS (13)
//!   length + JSON client results          ──▶
//!                                         ◀──  length + JSON server results,
//!                                              DISPLAY_RESULTS (14)
//!   IPERF_DONE (16)                       ──▶  the server closes
//! ```
//!
//! A client that connects while a test runs gets ACCESS_DENIED (-1) and a
//! close, as from iperf3. Errors go back as SERVER_ERROR (-2) followed by
//! two big-endian 32-bit integers: iperf3's error number and an errno (0).
//! UDP datagrams start with a header: send time (32-bit seconds, 32-bit
//! microseconds) and a packet counter (32 bits, or 64 with
//! `udp_counters_64bit`), all big-endian; the receiver derives loss,
//! reordering and RFC 3550 jitter from it.
//!
//! ## Sans-IO shape
//!
//! Nothing here owns a socket or the clock. Incoming bytes use the
//! consumed-count model of [`Service::on_data`]: a control message that is
//! not whole yet is left in the stack (0 consumed) and comes back whole,
//! unless it cannot fit the stack's receive window, when the service keeps
//! the partial message itself. Control messages are capped at
//! 64 KiB. Sending (reverse tests) writes what [`Net::write`] takes and
//! continues in [`Service::on_writable`]; rate-limited senders (`-b`) and UDP
//! senders are paced by [`Service::poll_timeout`] ticks (`--pacing-timer`).
//! Every phase has a deadline, so a vanished client ends its test.
//!
//! CPU utilisation (`cpu_util_*` in the results) comes from an injected
//! source, [`CpuTimes::process`] (`getrusage`) unless replaced with
//! [`Iperf3::with_cpu_times`].
//!
//! Not supported (ignored, as the socket options belong to the stack):
//! `-w` window, `-M` MSS, `-N` no-delay, `-S` TOS, `-L` flow label,
//! `--congestion`, `--dont-fragment`, `-Z` zero-copy (client-side anyway),
//! `--fq-rate`, server CPU affinity, retransmit counts (reported as
//! unknown), and authentication (`authtoken` is ignored, as by an iperf3
//! server with no users configured). SCTP is refused with an error.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value, json};
use tracing::{debug, info, warn};

use crate::service::{ConnId, ConnInfo, Datagram, Duration, Instant, Listen, Net, Service};

/// Bytes of the cookie that opens every TCP connection (`COOKIE_SIZE`).
const COOKIE_SIZE: usize = 37;

// Test states, sent as one signed byte (iperf_api.h).
const TEST_START: u8 = 1;
const TEST_RUNNING: u8 = 2;
const TEST_END: u8 = 4;
const PARAM_EXCHANGE: u8 = 9;
const CREATE_STREAMS: u8 = 10;
const SERVER_TERMINATE: u8 = 11;
const CLIENT_TERMINATE: u8 = 12;
const EXCHANGE_RESULTS: u8 = 13;
const DISPLAY_RESULTS: u8 = 14;
const IPERF_DONE: u8 = 16;
/// ACCESS_DENIED (-1) as a byte.
const ACCESS_DENIED: u8 = 0xff;
/// SERVER_ERROR (-2) as a byte.
const SERVER_ERROR: u8 = 0xfe;

// iperf3 error numbers (i_errno) sent after SERVER_ERROR.
const IEDURATION: i32 = 5;
const IENUMSTREAMS: i32 = 6;
const IEBLOCKSIZE: i32 = 7;
const IEOMIT: i32 = 12;
const IENOSCTP: i32 = 18;
const IEUDPBLOCKSIZE: i32 = 20;
const IEREVERSEBIDIR: i32 = 25;
const IEMESSAGE: i32 = 110;
const IERECVPARAMS: i32 = 114;
const IERECVRESULTS: i32 = 117;
const IENOMSG: i32 = 144;

/// The client's UDP "connect" datagram, `UDP_CONNECT_MSG`.
const UDP_CONNECT_MSG: u32 = 0x3637_3839;
/// The server's answer, `UDP_CONNECT_REPLY`.
const UDP_CONNECT_REPLY: u32 = 0x3938_3736;
/// The values pre-3.11 clients and servers used.
const LEGACY_UDP_CONNECT_MSG: u32 = 123_456_789;
const LEGACY_UDP_CONNECT_REPLY: u32 = 987_654_321;

/// Largest control JSON message accepted (parameters or results).
const MAX_CTRL_JSON: usize = 64 * 1024;
/// Largest control output kept while the stack cannot take it.
const MAX_CTRL_OUT: usize = 256 * 1024;
/// iperf3's `MAX_STREAMS`.
const MAX_STREAMS: u32 = 128;
/// iperf3's `MAX_TIME`, seconds.
const MAX_TIME: u32 = 86_400;
/// Longest `--omit`, seconds.
const MAX_OMIT: u32 = 600;
/// iperf3's `MIN_UDP_BLOCKSIZE` and `MAX_UDP_BLOCKSIZE`.
const MIN_UDP_BLOCKSIZE: usize = 16;
const MAX_UDP_BLOCKSIZE: usize = 65_535 - 8 - 20;
/// iperf3's `MAX_BLOCKSIZE` (TCP).
const MAX_TCP_BLOCKSIZE: usize = 1024 * 1024;
const DEFAULT_TCP_BLKSIZE: usize = 128 * 1024;
const DEFAULT_UDP_BLKSIZE: usize = 1460;
/// Default `--pacing-timer`, microseconds.
const DEFAULT_PACING_US: u64 = 1000;
/// Connections that have not sent a whole cookie yet.
const MAX_PENDING: usize = 32;
/// How long a new connection may take to send its cookie.
const PENDING_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the client may take for each step outside the data phase.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// Slack after `-t` + `-O` before a running test is given up (iperf3: 40 s).
const GRACE: Duration = Duration::from_secs(40);
/// A running test without `-t` (`-n`, `-k`) ends after this long idle
/// (iperf3's default `--rcv-timeout`).
const IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// Bytes written per TCP sender stream per call before yielding to the stack.
const SEND_BUDGET: usize = 1024 * 1024;
/// Datagrams sent per UDP sender stream per call before yielding.
const UDP_BUDGET: usize = 256;

const PAYLOAD_LEN: usize = 128 * 1024;
/// What senders send: iperf3's `--repeating-payload` pattern.
static PAYLOAD: [u8; PAYLOAD_LEN] = payload_pattern();

const fn payload_pattern() -> [u8; PAYLOAD_LEN] {
    let mut b = [0u8; PAYLOAD_LEN];
    let mut i = 0;
    while i < PAYLOAD_LEN {
        b[i] = b'0' + (i % 10) as u8;
        i += 1;
    }
    b
}

/// Counters of an [`Iperf3`] server, shared (`Arc`) with whoever reads them;
/// relaxed atomics, updated on the stack's thread.
#[derive(Debug, Default)]
pub struct Iperf3Stats {
    tests_completed: AtomicU64,
    tests_aborted: AtomicU64,
    access_denied: AtomicU64,
    bytes_received: AtomicU64,
    bytes_sent: AtomicU64,
}

impl Iperf3Stats {
    /// Tests that ran to the end (results delivered to the client).
    pub fn tests_completed(&self) -> u64 {
        self.tests_completed.load(Ordering::Relaxed)
    }
    /// Tests that ended early: client gone, protocol error, timeout, shutdown.
    pub fn tests_aborted(&self) -> u64 {
        self.tests_aborted.load(Ordering::Relaxed)
    }
    /// Connections turned away with ACCESS_DENIED (busy, or a wrong cookie).
    pub fn access_denied(&self) -> u64 {
        self.access_denied.load(Ordering::Relaxed)
    }
    /// Test payload bytes received on data streams (TCP and UDP) while tests ran.
    pub fn bytes_received(&self) -> u64 {
        self.bytes_received.load(Ordering::Relaxed)
    }
    /// Test payload bytes handed to the stack on data streams (reverse and
    /// bidirectional tests).
    pub fn bytes_sent(&self) -> u64 {
        self.bytes_sent.load(Ordering::Relaxed)
    }
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// CPU time a process has used, for the `cpu_util_*` fields of the results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTimes {
    /// Time in user mode.
    pub user: std::time::Duration,
    /// Time in the kernel.
    pub system: std::time::Duration,
}

impl CpuTimes {
    /// This process's CPU times, from `getrusage(RUSAGE_SELF)` (what iperf3
    /// reports too); None if that fails.
    #[cfg(unix)]
    pub fn process() -> Option<CpuTimes> {
        let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: `ru` is valid, writable memory for one `rusage`, which
        // getrusage fills; RUSAGE_SELF is a valid `who`.
        let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr()) };
        if rc != 0 {
            return None;
        }
        // SAFETY: zero bytes are a valid `rusage` (integers only), and the
        // successful call above wrote a complete one.
        let ru = unsafe { ru.assume_init() };
        let tv = |t: libc::timeval| {
            std::time::Duration::from_secs(t.tv_sec.max(0) as u64)
                + std::time::Duration::from_micros(t.tv_usec.clamp(0, 999_999) as u64)
        };
        Some(CpuTimes { user: tv(ru.ru_utime), system: tv(ru.ru_stime) })
    }

    /// Not available on this platform: always None.
    #[cfg(not(unix))]
    pub fn process() -> Option<CpuTimes> {
        None
    }
}

/// An iperf3-compatible server: TCP `port` for control and TCP data
/// streams, UDP `port` for UDP streams; one test at a time. See the
/// [module docs](self) for the protocol and what is supported.
pub struct Iperf3 {
    port: u16,
    stats: Arc<Iperf3Stats>,
    cpu: fn() -> Option<CpuTimes>,
    /// Connections that have sent their whole cookie (or are being refused).
    conns: HashMap<ConnId, Role>,
    /// Connections still sending their cookie.
    pending: Vec<Pending>,
    /// Accept order, so data streams get ids in the client's order.
    next_seq: u64,
    test: Option<Test>,
    /// Call `on_timer` at (or after) this time: more to send, or cleanup.
    wake: Option<Instant>,
    /// Connections to abort at the next call that has a `Net`.
    deferred_aborts: Vec<ConnId>,
}

impl std::fmt::Debug for Iperf3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iperf3")
            .field("port", &self.port)
            .field("conns", &self.conns.len())
            .field("pending", &self.pending.len())
            .field("test", &self.test.as_ref().map(|t| t.phase))
            .finish()
    }
}

struct Pending {
    conn: ConnId,
    peer: SocketAddr,
    opened: Instant,
    seq: u64,
}

enum Role {
    /// The control connection of the current test.
    Control,
    /// A data stream of the current test: index into `Test::streams`.
    Stream(usize),
    /// Sending a last message (ACCESS_DENIED, SERVER_ERROR, ...) before closing.
    Draining(Vec<u8>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for the client's parameters.
    ParamExchange,
    /// Waiting for the data streams.
    CreateStreams,
    /// Data flows until TEST_END.
    Running,
    /// Waiting for the client's results.
    ExchangeResults,
    /// Results sent; waiting for IPERF_DONE.
    DisplayResults,
}

impl Phase {
    fn expects_json(self) -> bool {
        matches!(self, Phase::ParamExchange | Phase::ExchangeResults)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transport {
    Tcp(ConnId),
    Udp { local: SocketAddr, peer: SocketAddr },
}

struct Stream {
    /// iperf3's numbering: 1, 3, 4, 5, ...
    id: u32,
    transport: Transport,
    /// Accept order.
    seq: u64,
    /// True when the server sends on this stream.
    sender: bool,
    /// TCP: still open for reading/writing.
    open: bool,
    /// TCP sender: waiting for `on_writable`.
    blocked: bool,
    bytes_received: u64,
    bytes_sent: u64,
    bytes_sent_omit: u64,
    /// UDP: highest counter seen (receiver) or datagrams sent (sender).
    packet_count: u64,
    /// UDP receiver: datagrams missing (counter gaps, less late arrivals).
    cnt_error: u64,
    out_of_order: u64,
    /// UDP receiver: RFC 3550 interarrival jitter, seconds.
    jitter: f64,
    prev_transit_us: i64,
    start: Instant,
    end: Instant,
}

impl Stream {
    fn new(transport: Transport, seq: u64, now: Instant) -> Self {
        Stream {
            id: 0,
            transport,
            seq,
            sender: false,
            open: true,
            blocked: false,
            bytes_received: 0,
            bytes_sent: 0,
            bytes_sent_omit: 0,
            packet_count: 0,
            cnt_error: 0,
            out_of_order: 0,
            jitter: 0.0,
            prev_transit_us: 0,
            start: now,
            end: now,
        }
    }

    /// Counts one UDP datagram received while the test runs (iperf_udp_recv).
    fn udp_received(&mut self, now: Instant, payload: &[u8], counters64: bool) {
        let first = self.bytes_received == 0;
        self.bytes_received += payload.len() as u64;
        let header = if counters64 { 16 } else { 12 };
        if payload.len() < header {
            return;
        }
        let be32 =
            |at: usize| u32::from_be_bytes([payload[at], payload[at + 1], payload[at + 2], payload[at + 3]]);
        let (sec, usec) = (be32(0), be32(4));
        let pcount =
            if counters64 { (u64::from(be32(8)) << 32) | u64::from(be32(12)) } else { u64::from(be32(8)) };
        if pcount > self.packet_count {
            // Forward; a gap counts as loss until the missing ones turn up.
            self.cnt_error = self.cnt_error.saturating_add(pcount - self.packet_count - 1);
            self.packet_count = pcount;
        } else {
            self.out_of_order += 1;
            self.cnt_error = self.cnt_error.saturating_sub(1);
        }
        // Only transit-time differences matter, so the sender's and our
        // clocks need not agree (RFC 3550 A.8).
        let sent_us = i64::from(sec) * 1_000_000 + i64::from(usec);
        let transit = now.total_micros().saturating_sub(sent_us);
        if first {
            self.prev_transit_us = transit;
        }
        let d = transit.saturating_sub(self.prev_transit_us).unsigned_abs() as f64 / 1e6;
        self.prev_transit_us = transit;
        self.jitter += (d - self.jitter) / 16.0;
    }
}

/// What the client asked for (iperf3's `send_parameters`).
#[derive(Clone, Debug, PartialEq)]
struct Params {
    udp: bool,
    reverse: bool,
    bidir: bool,
    parallel: u32,
    /// `-t`, seconds; 0 with `-n`/`-k`.
    time: u32,
    omit: u32,
    blksize: usize,
    /// `-b`, bits per second per stream; 0 = unlimited.
    rate: u64,
    pacing: Duration,
    counters64: bool,
    get_server_output: bool,
    client_version: String,
}

impl Params {
    fn parse(json: &[u8]) -> Result<Params, Fail> {
        let bad = |why: String| Fail::Error { code: IERECVPARAMS, why };
        let v: Value =
            serde_json::from_slice(json).map_err(|e| bad(format!("parameters are not JSON: {e}")))?;
        let obj = v.as_object().ok_or_else(|| bad("parameters are not a JSON object".into()))?;
        let flag = |k: &str| obj.get(k).is_some_and(|v| !matches!(v, Value::Bool(false) | Value::Null));
        let num = |k: &str| -> Result<Option<f64>, Fail> {
            match obj.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => match v.as_f64() {
                    Some(n) if n >= 0.0 => Ok(Some(n)),
                    _ => Err(bad(format!("parameter {k:?} is not a non-negative number: {v}"))),
                },
            }
        };
        let refuse = |code: i32, why: String| Fail::Error { code, why };
        if flag("sctp") {
            return Err(refuse(IENOSCTP, "SCTP is not supported".into()));
        }
        let udp = flag("udp");
        let parallel = num("parallel")?.unwrap_or(1.0);
        if !(1.0..=f64::from(MAX_STREAMS)).contains(&parallel) {
            return Err(refuse(IENUMSTREAMS, format!("{parallel} parallel streams (1..={MAX_STREAMS})")));
        }
        let time = num("time")?.unwrap_or(10.0);
        if time > f64::from(MAX_TIME) {
            return Err(refuse(IEDURATION, format!("test time {time} s (at most {MAX_TIME})")));
        }
        let omit = num("omit")?.unwrap_or(0.0);
        if omit > f64::from(MAX_OMIT) {
            return Err(refuse(IEOMIT, format!("omit {omit} s (at most {MAX_OMIT})")));
        }
        let (reverse, bidir) = (flag("reverse"), flag("bidirectional"));
        if reverse && bidir {
            return Err(refuse(IEREVERSEBIDIR, "both reverse and bidirectional".into()));
        }
        let blksize = match num("len")? {
            None | Some(0.0) => {
                if udp {
                    DEFAULT_UDP_BLKSIZE
                } else {
                    DEFAULT_TCP_BLKSIZE
                }
            }
            Some(n) => n.min(1e9) as usize,
        };
        if udp && !(MIN_UDP_BLOCKSIZE..=MAX_UDP_BLOCKSIZE).contains(&blksize) {
            return Err(refuse(IEUDPBLOCKSIZE, format!("UDP block size {blksize}")));
        }
        if !udp && blksize > MAX_TCP_BLOCKSIZE {
            return Err(refuse(IEBLOCKSIZE, format!("TCP block size {blksize}")));
        }
        let rate = num("bandwidth")?.unwrap_or(0.0).min(u64::MAX as f64) as u64;
        let pacing_us = num("pacing_timer")?.map_or(DEFAULT_PACING_US, |n| (n as u64).clamp(100, 1_000_000));
        let client_version = match obj.get("client_version") {
            Some(Value::String(s)) => s.chars().take(32).collect(),
            _ => String::new(),
        };
        Ok(Params {
            udp,
            reverse,
            bidir,
            parallel: parallel as u32,
            time: time as u32,
            omit: omit as u32,
            blksize,
            rate,
            pacing: Duration::from_micros(pacing_us),
            counters64: flag("udp_counters_64bit"),
            get_server_output: flag("get_server_output"),
            client_version,
        })
    }

    /// Streams on which the server receives.
    fn receivers(&self) -> usize {
        if self.reverse { 0 } else { self.parallel as usize }
    }
    /// Streams on which the server sends.
    fn senders(&self) -> usize {
        if self.reverse || self.bidir { self.parallel as usize } else { 0 }
    }
    fn streams(&self) -> usize {
        self.receivers() + self.senders()
    }
    fn mode(&self) -> &'static str {
        match (self.reverse, self.bidir) {
            (true, _) => "reverse",
            (_, true) => "bidirectional",
            _ => "normal",
        }
    }
}

/// Why a test ends early.
#[derive(Debug)]
enum Fail {
    /// Tell the client with SERVER_ERROR and `code`, then end the test.
    Error { code: i32, why: String },
    /// End the test without a message.
    Quiet(String),
}

impl Fail {
    fn why(&self) -> &str {
        match self {
            Fail::Error { why, .. } | Fail::Quiet(why) => why,
        }
    }
}

/// How a sender stream's turn ended.
enum Pump {
    /// Nothing to do (not a sender, closed, or waiting for `on_writable`).
    Idle,
    /// Ahead of its `-b` rate, or the stack is out of room for datagrams:
    /// try again at the next pacing tick.
    Paced,
    /// Used its per-call budget: more right away.
    Budget,
}

struct Test {
    cookie: [u8; COOKIE_SIZE],
    ctrl: ConnId,
    peer: SocketAddr,
    phase: Phase,
    /// When `phase` began.
    since: Instant,
    last_activity: Instant,
    params: Option<Params>,
    streams: Vec<Stream>,
    udp_peers: HashMap<SocketAddr, usize>,
    /// A partial control message too big for the stack's receive window.
    ctrl_in: Vec<u8>,
    /// Control bytes the stack could not take yet.
    ctrl_out: Vec<u8>,
    /// Start of the data phase (pacing reference).
    start: Instant,
    omit_end: Option<Instant>,
    cpu_start: Option<(Instant, CpuTimes)>,
    cpu_util: [f64; 3],
    next_pace: Option<Instant>,
    udp_buf: Vec<u8>,
}

impl Test {
    fn params(&self) -> Result<&Params, Fail> {
        self.params.as_ref().ok_or_else(|| Fail::Quiet("no parameters".into()))
    }

    fn set_phase(&mut self, phase: Phase, now: Instant) {
        self.phase = phase;
        self.since = now;
    }

    /// When this test is given up if nothing moves it on.
    fn deadline(&self) -> Instant {
        match (self.phase, &self.params) {
            (Phase::Running, Some(p)) if p.time > 0 => {
                self.start + Duration::from_secs(u64::from(p.time) + u64::from(p.omit)) + GRACE
            }
            (Phase::Running, _) => self.last_activity + IDLE_TIMEOUT,
            _ => self.since + STEP_TIMEOUT,
        }
    }

    /// Queues control bytes; false when the backlog is past its cap.
    fn ctrl_send(&mut self, net: &mut dyn Net, bytes: &[u8]) -> bool {
        if self.ctrl_out.is_empty() {
            let n = net.write(self.ctrl, bytes);
            self.ctrl_out.extend_from_slice(&bytes[n.min(bytes.len())..]);
        } else {
            self.ctrl_out.extend_from_slice(bytes);
        }
        self.ctrl_out.len() <= MAX_CTRL_OUT
    }

    fn ctrl_json(&mut self, net: &mut dyn Net, v: &Value) -> bool {
        let body = v.to_string();
        let mut msg = Vec::with_capacity(4 + body.len());
        msg.extend_from_slice(&(body.len() as u32).to_be_bytes());
        msg.extend_from_slice(body.as_bytes());
        self.ctrl_send(net, &msg)
    }

    fn flush_ctrl(&mut self, net: &mut dyn Net) {
        if !self.ctrl_out.is_empty() {
            let n = net.write(self.ctrl, &self.ctrl_out);
            self.ctrl_out.drain(..n.min(self.ctrl_out.len()));
        }
    }

    /// `-b` allowance of a sender: how many bytes it may send now (None =
    /// unlimited), rounded up to whole blocks like iperf3's green light.
    fn allowance(&self, now: Instant, sent: u64) -> Option<u64> {
        let p = self.params.as_ref()?;
        if p.rate == 0 {
            return None;
        }
        let elapsed_us = now.total_micros().saturating_sub(self.start.total_micros()).max(0) as u128;
        let target = (u128::from(p.rate) * elapsed_us / 8_000_000).min(u128::from(u64::MAX)) as u64;
        let blk = p.blksize.max(1) as u64;
        Some(target.saturating_sub(sent).div_ceil(blk).saturating_mul(blk))
    }

    /// One turn of sender stream `i`.
    fn pump(&mut self, now: Instant, net: &mut dyn Net, stats: &Iperf3Stats, i: usize) -> Pump {
        let Some(s) = self.streams.get(i) else { return Pump::Idle };
        if !s.sender || !s.open || s.blocked || self.phase != Phase::Running {
            return Pump::Idle;
        }
        let (transport, sent0) = (s.transport, s.bytes_sent);
        let allowance = self.allowance(now, sent0);
        let (counters64, blksize) = match &self.params {
            Some(p) => (p.counters64, p.blksize),
            None => return Pump::Idle,
        };
        let mut sent = 0u64;
        let mut packets = 0u64;
        let result = match transport {
            Transport::Tcp(conn) => {
                let mut budget = SEND_BUDGET;
                loop {
                    let mut chunk = budget.min(PAYLOAD_LEN);
                    if let Some(a) = allowance {
                        let left = a.saturating_sub(sent);
                        if left == 0 {
                            break Pump::Paced;
                        }
                        chunk = chunk.min(usize::try_from(left).unwrap_or(usize::MAX));
                    }
                    let n = net.write(conn, &PAYLOAD[..chunk]).min(chunk);
                    sent += n as u64;
                    if n < chunk {
                        self.streams[i].blocked = true;
                        break Pump::Idle;
                    }
                    budget -= n;
                    if budget == 0 {
                        break Pump::Budget;
                    }
                }
            }
            Transport::Udp { local, peer } => {
                let mut result = Pump::Budget;
                let count0 = self.streams[i].packet_count;
                for _ in 0..UDP_BUDGET {
                    if allowance.is_some_and(|a| sent >= a) {
                        result = Pump::Paced;
                        break;
                    }
                    let count = count0 + packets + 1;
                    let us = now.total_micros().max(0);
                    let buf = &mut self.udp_buf;
                    buf[0..4].copy_from_slice(&((us / 1_000_000) as u32).to_be_bytes());
                    buf[4..8].copy_from_slice(&((us % 1_000_000) as u32).to_be_bytes());
                    if counters64 {
                        buf[8..16].copy_from_slice(&count.to_be_bytes());
                    } else {
                        buf[8..12].copy_from_slice(&(count as u32).to_be_bytes());
                    }
                    if !net.send_datagram(local, peer, &buf[..blksize]) {
                        // No room in the stack: like a blocking send, retry later.
                        result = Pump::Paced;
                        break;
                    }
                    packets += 1;
                    sent += blksize as u64;
                }
                result
            }
        };
        let s = &mut self.streams[i];
        s.bytes_sent += sent;
        s.packet_count += packets;
        Iperf3Stats::add(&stats.bytes_sent, sent);
        if sent > 0 {
            self.last_activity = now;
        }
        result
    }

    /// The server's half of EXCHANGE_RESULTS (iperf3's `send_results`).
    fn results(&self) -> Value {
        let sending = self.streams.iter().any(|s| s.sender);
        let streams: Vec<Value> = self
            .streams
            .iter()
            .map(|s| {
                let bytes = if s.sender { s.bytes_sent - s.bytes_sent_omit } else { s.bytes_received };
                json!({
                    "id": s.id,
                    "bytes": bytes,
                    "retransmits": -1,
                    "jitter": s.jitter,
                    "errors": s.cnt_error,
                    "packets": s.packet_count,
                    "start_time": 0.0,
                    "end_time": secs_between(s.start, s.end),
                })
            })
            .collect();
        let mut obj = Map::new();
        obj.insert("cpu_util_total".into(), json!(self.cpu_util[0]));
        obj.insert("cpu_util_user".into(), json!(self.cpu_util[1]));
        obj.insert("cpu_util_system".into(), json!(self.cpu_util[2]));
        // -1: we received only; 0: we sent but cannot see retransmits.
        obj.insert("sender_has_retransmits".into(), json!(if sending { 0 } else { -1 }));
        obj.insert("streams".into(), Value::Array(streams));
        if self.params.as_ref().is_some_and(|p| p.get_server_output) {
            obj.insert("server_output_text".into(), Value::String(self.summary_text()));
        }
        Value::Object(obj)
    }

    /// The text `--get-server-output` shows.
    fn summary_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = format!("Accepted connection from {}\n", self.peer);
        let _ = writeln!(out, "[ ID] Interval           Transfer     Bitrate");
        for s in &self.streams {
            let secs = secs_between(s.start, s.end);
            let (bytes, role) = if s.sender {
                (s.bytes_sent - s.bytes_sent_omit, "sender")
            } else {
                (s.bytes_received, "receiver")
            };
            let mbits = if secs > 0.0 { bytes as f64 * 8.0 / secs / 1e6 } else { 0.0 };
            let _ = write!(out, "[{:3}]   0.00-{secs:.2}  sec  {bytes} bytes  {mbits:.2} Mbits/sec", s.id);
            if matches!(s.transport, Transport::Udp { .. }) && !s.sender {
                let _ = write!(
                    out,
                    "  {:.3} ms  {}/{} lost  {} out of order",
                    s.jitter * 1e3,
                    s.cnt_error,
                    s.packet_count,
                    s.out_of_order
                );
            }
            let _ = writeln!(out, "  {role}");
        }
        out
    }
}

fn secs_between(a: Instant, b: Instant) -> f64 {
    b.total_micros().saturating_sub(a.total_micros()).max(0) as f64 / 1e6
}

/// The reply to a UDP stream's "connect" datagram, in the byte order the
/// client used; None if `payload` is not one.
fn udp_connect_reply(payload: &[u8]) -> Option<[u8; 4]> {
    let b: [u8; 4] = payload.try_into().ok()?;
    let (le, be) = (u32::from_le_bytes(b), u32::from_be_bytes(b));
    match (le, be) {
        (UDP_CONNECT_MSG, _) => Some(UDP_CONNECT_REPLY.to_le_bytes()),
        (_, UDP_CONNECT_MSG) => Some(UDP_CONNECT_REPLY.to_be_bytes()),
        (LEGACY_UDP_CONNECT_MSG, _) => Some(LEGACY_UDP_CONNECT_REPLY.to_le_bytes()),
        (_, LEGACY_UDP_CONNECT_MSG) => Some(LEGACY_UDP_CONNECT_REPLY.to_be_bytes()),
        _ => None,
    }
}

fn cpu_util(start: Option<(Instant, CpuTimes)>, now: Instant, end: Option<CpuTimes>) -> [f64; 3] {
    let (Some((t0, c0)), Some(c1)) = (start, end) else { return [0.0; 3] };
    let wall = now.total_micros().saturating_sub(t0.total_micros());
    if wall <= 0 {
        return [0.0; 3];
    }
    let pct = |a: std::time::Duration, b: std::time::Duration| {
        b.saturating_sub(a).as_micros() as f64 / wall as f64 * 100.0
    };
    let user = pct(c0.user, c1.user);
    let system = pct(c0.system, c1.system);
    [user + system, user, system]
}

impl Iperf3 {
    /// A server on TCP and UDP `port` (iperf3's default is 5201).
    pub fn new(port: u16) -> Self {
        Iperf3 {
            port,
            stats: Arc::default(),
            cpu: CpuTimes::process,
            conns: HashMap::new(),
            pending: Vec::new(),
            next_seq: 0,
            test: None,
            wake: None,
            deferred_aborts: Vec::new(),
        }
    }

    /// Replaces where the `cpu_util_*` results come from (default:
    /// [`CpuTimes::process`]); a source that returns None reports zeros.
    pub fn with_cpu_times(mut self, source: fn() -> Option<CpuTimes>) -> Self {
        self.cpu = source;
        self
    }

    /// The server's counters, shared: keep the `Arc` to read them while it runs.
    pub fn stats(&self) -> Arc<Iperf3Stats> {
        Arc::clone(&self.stats)
    }

    fn flush_deferred(&mut self, net: &mut dyn Net) {
        for conn in self.deferred_aborts.drain(..) {
            net.abort(conn);
        }
    }

    /// Turns `conn` away with ACCESS_DENIED.
    fn deny(&mut self, net: &mut dyn Net, conn: ConnId, why: &str) {
        debug!(?conn, "iperf3: access denied: {why}");
        Iperf3Stats::add(&self.stats.access_denied, 1);
        self.close_after(net, conn, vec![ACCESS_DENIED]);
    }

    /// Sends `last` on `conn`, then closes it (after `on_writable` if needed).
    fn close_after(&mut self, net: &mut dyn Net, conn: ConnId, mut last: Vec<u8>) {
        let n = net.write(conn, &last);
        last.drain(..n.min(last.len()));
        if last.is_empty() {
            self.conns.remove(&conn);
            net.close(conn);
        } else {
            self.conns.insert(conn, Role::Draining(last));
        }
    }

    /// Ends the current test early: logs why, tells the client if `fail`
    /// says so, and closes its connections.
    fn abort_test(&mut self, net: &mut dyn Net, fail: Fail) {
        let Some(mut t) = self.test.take() else { return };
        warn!(peer = %t.peer, phase = ?t.phase, "iperf3: test aborted: {}", fail.why());
        Iperf3Stats::add(&self.stats.tests_aborted, 1);
        for s in &t.streams {
            if let Transport::Tcp(conn) = s.transport {
                if self.conns.remove(&conn).is_some() {
                    net.abort(conn);
                }
            }
        }
        let mut out = std::mem::take(&mut t.ctrl_out);
        if let Fail::Error { code, .. } = fail {
            out.push(SERVER_ERROR);
            out.extend_from_slice(&code.to_be_bytes());
            out.extend_from_slice(&0i32.to_be_bytes());
        }
        self.close_after(net, t.ctrl, out);
    }

    /// The client acknowledged the results: the test is over.
    fn complete_test(&mut self, net: &mut dyn Net) {
        let Some(mut t) = self.test.take() else { return };
        Iperf3Stats::add(&self.stats.tests_completed, 1);
        let received: u64 = t.streams.iter().map(|s| s.bytes_received).sum();
        let sent: u64 = t.streams.iter().map(|s| s.bytes_sent - s.bytes_sent_omit).sum();
        let secs = t.streams.first().map_or(0.0, |s| secs_between(s.start, s.end));
        info!(
            peer = %t.peer,
            streams = t.streams.len(),
            received,
            sent,
            secs,
            "iperf3: test complete"
        );
        for s in &t.streams {
            if let Transport::Tcp(conn) = s.transport {
                if self.conns.remove(&conn).is_some() {
                    net.close(conn);
                }
            }
        }
        let out = std::mem::take(&mut t.ctrl_out);
        self.close_after(net, t.ctrl, out);
    }

    /// Bytes on a connection that has not finished its cookie yet.
    fn pending_data(&mut self, now: Instant, net: &mut dyn Net, pos: usize, data: &[u8]) -> usize {
        let conn = self.pending[pos].conn;
        if data.len() < COOKIE_SIZE {
            if data.len() >= net.recv_window(conn) {
                warn!(?conn, "iperf3: receive window too small for a cookie; aborting connection");
                self.pending.swap_remove(pos);
                net.abort(conn);
                return data.len();
            }
            return 0;
        }
        let pend = self.pending.swap_remove(pos);
        let mut cookie = [0u8; COOKIE_SIZE];
        cookie.copy_from_slice(&data[..COOKIE_SIZE]);
        let rest = &data[COOKIE_SIZE..];
        match &mut self.test {
            None => {
                // A new client: this is its control connection.
                let mut t = Test {
                    cookie,
                    ctrl: conn,
                    peer: pend.peer,
                    phase: Phase::ParamExchange,
                    since: now,
                    last_activity: now,
                    params: None,
                    streams: Vec::new(),
                    udp_peers: HashMap::new(),
                    ctrl_in: Vec::new(),
                    ctrl_out: Vec::new(),
                    start: now,
                    omit_end: None,
                    cpu_start: None,
                    cpu_util: [0.0; 3],
                    next_pace: None,
                    udp_buf: Vec::new(),
                };
                debug!(?conn, cookie = %String::from_utf8_lossy(&cookie[..36]), "iperf3: control connection");
                t.ctrl_send(net, &[PARAM_EXCHANGE]);
                self.test = Some(t);
                self.conns.insert(conn, Role::Control);
                COOKIE_SIZE + self.ctrl_data(now, net, conn, rest)
            }
            Some(t)
                if t.phase == Phase::CreateStreams
                    && t.cookie == cookie
                    && t.params.as_ref().is_some_and(|p| !p.udp && t.streams.len() < p.streams()) =>
            {
                t.last_activity = now;
                let idx = t.streams.len();
                t.streams.push(Stream::new(Transport::Tcp(conn), pend.seq, now));
                self.conns.insert(conn, Role::Stream(idx));
                debug!(?conn, "iperf3: TCP data stream {}", idx + 1);
                if t.params.as_ref().is_some_and(|p| t.streams.len() == p.streams()) {
                    self.start_test(now, net);
                }
                COOKIE_SIZE + self.on_data(now, net, conn, rest)
            }
            Some(_) => {
                self.deny(net, conn, "busy, or not this test's cookie");
                data.len()
            }
        }
    }

    /// Control connection bytes.
    fn ctrl_data(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId, data: &[u8]) -> usize {
        let Some(t) = self.test.as_mut().filter(|t| t.ctrl == conn) else { return data.len() };
        if !t.ctrl_in.is_empty() {
            // Slow path: a message bigger than the stack's window is building up here.
            let mut buf = std::mem::take(&mut t.ctrl_in);
            buf.extend_from_slice(data);
            let used = self.process_ctrl(now, net, conn, &buf);
            if let Some(t) = self.test.as_mut().filter(|t| t.ctrl == conn) {
                buf.drain(..used.min(buf.len()));
                t.ctrl_in = buf;
            }
            return data.len();
        }
        let used = self.process_ctrl(now, net, conn, data);
        if used < data.len() && data.len() >= net.recv_window(conn) {
            // The stack cannot offer more than this: keep the partial message.
            if let Some(t) = self.test.as_mut().filter(|t| t.ctrl == conn) {
                t.ctrl_in = data[used..].to_vec();
            }
            return data.len();
        }
        used
    }

    /// Handles the whole control messages at the front of `buf`; returns the
    /// bytes they used (all of `buf` once the test is gone).
    fn process_ctrl(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId, buf: &[u8]) -> usize {
        let mut off = 0;
        loop {
            let Some(t) = self.test.as_mut().filter(|t| t.ctrl == conn) else { return buf.len() };
            t.last_activity = now;
            let rest = &buf[off..];
            if rest.is_empty() {
                return off;
            }
            let result = if t.phase.expects_json() {
                let Some(len) = rest.first_chunk::<4>().map(|b| u32::from_be_bytes(*b) as usize) else {
                    return off;
                };
                if len > MAX_CTRL_JSON {
                    let code = if t.phase == Phase::ParamExchange { IERECVPARAMS } else { IERECVRESULTS };
                    Err(Fail::Error {
                        code,
                        why: format!("{len}-byte control message (cap {MAX_CTRL_JSON})"),
                    })
                } else if rest.len() < 4 + len {
                    return off;
                } else {
                    off += 4 + len;
                    self.handle_json(now, net, &rest[4..4 + len])
                }
            } else {
                off += 1;
                self.handle_state(now, net, rest[0])
            };
            if let Err(fail) = result {
                self.abort_test(net, fail);
                return buf.len();
            }
        }
    }

    /// One state byte from the client.
    fn handle_state(&mut self, now: Instant, net: &mut dyn Net, state: u8) -> Result<(), Fail> {
        let Some(t) = self.test.as_mut() else { return Ok(()) };
        match (t.phase, state) {
            (_, TEST_START) => Ok(()), // iperf3 servers ignore it too
            (Phase::CreateStreams | Phase::Running, TEST_END) => self.end_test(now, net),
            (Phase::DisplayResults, IPERF_DONE) => {
                self.complete_test(net);
                Ok(())
            }
            (_, CLIENT_TERMINATE) => Err(Fail::Quiet("the client terminated the test".into())),
            (_, IPERF_DONE) => Err(Fail::Quiet("the client ended before the results".into())),
            (phase, other) => Err(Fail::Error {
                code: IEMESSAGE,
                why: format!("unexpected message {} in phase {phase:?}", other as i8),
            }),
        }
    }

    /// One JSON message from the client.
    fn handle_json(&mut self, now: Instant, net: &mut dyn Net, json: &[u8]) -> Result<(), Fail> {
        let Some(t) = self.test.as_mut() else { return Ok(()) };
        match t.phase {
            Phase::ParamExchange => {
                let p = Params::parse(json)?;
                info!(
                    peer = %t.peer,
                    protocol = if p.udp { "udp" } else { "tcp" },
                    mode = p.mode(),
                    streams = p.parallel,
                    time = p.time,
                    rate = p.rate,
                    len = p.blksize,
                    client = %p.client_version,
                    "iperf3: test requested"
                );
                if p.udp {
                    t.udp_buf = PAYLOAD[..p.blksize].to_vec();
                }
                t.params = Some(p);
                t.set_phase(Phase::CreateStreams, now);
                if !t.ctrl_send(net, &[CREATE_STREAMS]) {
                    return Err(Fail::Quiet("control connection backlog".into()));
                }
                Ok(())
            }
            Phase::ExchangeResults => {
                let v: Value = serde_json::from_slice(json).map_err(|e| Fail::Error {
                    code: IERECVRESULTS,
                    why: format!("client results are not JSON: {e}"),
                })?;
                let streams = v.get("streams").and_then(Value::as_array).map(Vec::len);
                let Some(n) = streams else {
                    return Err(Fail::Error {
                        code: IERECVRESULTS,
                        why: "client results have no \"streams\" array".into(),
                    });
                };
                debug!(streams = n, "iperf3: client results");
                let results = t.results();
                let ok = t.ctrl_json(net, &results) && t.ctrl_send(net, &[DISPLAY_RESULTS]);
                t.set_phase(Phase::DisplayResults, now);
                if !ok {
                    return Err(Fail::Quiet("control connection backlog".into()));
                }
                Ok(())
            }
            phase => Err(Fail::Error { code: IEMESSAGE, why: format!("JSON in phase {phase:?}") }),
        }
    }

    /// All streams are there: TEST_START, TEST_RUNNING, and data flows.
    fn start_test(&mut self, now: Instant, net: &mut dyn Net) {
        let Some(t) = self.test.as_mut() else { return };
        let Ok(p) = t.params() else { return };
        let receivers = p.receivers();
        let omit = p.omit;
        // The client opens (and numbers) its streams in order: receivers
        // first (its senders), then senders.
        t.streams.sort_by_key(|s| s.seq);
        t.udp_peers.clear();
        for (k, s) in t.streams.iter_mut().enumerate() {
            s.sender = k >= receivers;
            s.id = if k == 0 { 1 } else { k as u32 + 2 };
            s.start = now;
            s.end = now;
            match s.transport {
                Transport::Tcp(conn) => {
                    self.conns.insert(conn, Role::Stream(k));
                }
                Transport::Udp { peer, .. } => {
                    t.udp_peers.insert(peer, k);
                }
            }
        }
        t.set_phase(Phase::Running, now);
        t.start = now;
        t.last_activity = now;
        t.omit_end = (omit > 0).then(|| now + Duration::from_secs(u64::from(omit)));
        t.cpu_start = (self.cpu)().map(|c| (now, c));
        info!(peer = %t.peer, streams = t.streams.len(), "iperf3: test running");
        if !t.ctrl_send(net, &[TEST_START, TEST_RUNNING]) {
            self.abort_test(net, Fail::Quiet("control connection backlog".into()));
            return;
        }
        self.pump_all(now, net);
    }

    /// TEST_END: stop the streams, ask for the client's results.
    fn end_test(&mut self, now: Instant, net: &mut dyn Net) -> Result<(), Fail> {
        let Some(t) = self.test.as_mut() else { return Ok(()) };
        t.cpu_util = cpu_util(t.cpu_start, now, (self.cpu)());
        for s in &mut t.streams {
            if t.phase == Phase::Running {
                s.end = now;
            }
            if let Transport::Tcp(conn) = s.transport {
                if s.open && self.conns.remove(&conn).is_some() {
                    net.close(conn);
                }
            }
            s.open = false;
        }
        t.omit_end = None;
        t.next_pace = None;
        t.set_phase(Phase::ExchangeResults, now);
        if !t.ctrl_send(net, &[EXCHANGE_RESULTS]) {
            return Err(Fail::Quiet("control connection backlog".into()));
        }
        Ok(())
    }

    /// Gives every sender stream a turn and schedules the next one.
    fn pump_all(&mut self, now: Instant, net: &mut dyn Net) {
        let Some(t) = self.test.as_mut() else { return };
        if t.phase != Phase::Running {
            return;
        }
        let (mut paced, mut more) = (false, false);
        for i in 0..t.streams.len() {
            match t.pump(now, net, &self.stats, i) {
                Pump::Idle => {}
                Pump::Paced => paced = true,
                Pump::Budget => more = true,
            }
        }
        if paced {
            let tick = t.params.as_ref().map_or(Duration::from_micros(DEFAULT_PACING_US), |p| p.pacing);
            let next = now + tick;
            t.next_pace = Some(t.next_pace.map_or(next, |n| n.min(next)));
        }
        if more {
            self.wake = Some(now);
        }
    }

    /// `-O`: the first seconds are over; start counting afresh (iperf_reset_stats).
    fn end_omit(&mut self, now: Instant) {
        let Some(t) = self.test.as_mut() else { return };
        t.omit_end = None;
        for s in &mut t.streams {
            s.bytes_sent_omit = s.bytes_sent;
            s.bytes_received = 0;
            s.jitter = 0.0;
            s.start = now;
        }
    }
}

impl Service for Iperf3 {
    fn name(&self) -> &str {
        "iperf3"
    }

    fn listen(&self) -> Listen {
        Listen::both(self.port)
    }

    fn on_datagram(&mut self, now: Instant, net: &mut dyn Net, dgram: Datagram<'_>) {
        self.flush_deferred(net);
        let Some(t) = self.test.as_mut() else {
            debug!(peer = %dgram.peer, "iperf3: UDP datagram with no test running; dropped");
            return;
        };
        let Some(p) = t.params.as_ref().filter(|p| p.udp) else { return };
        let (counters64, expected) = (p.counters64, p.streams());
        if let Some(&i) = t.udp_peers.get(&dgram.peer) {
            t.last_activity = now;
            let running = t.phase == Phase::Running;
            let Some(s) = t.streams.get_mut(i) else { return };
            if let (Some(reply), Phase::CreateStreams) = (udp_connect_reply(dgram.payload), t.phase) {
                // The client's connect again (our reply lost?): answer again.
                net.send_datagram(dgram.local, dgram.peer, &reply);
            } else if running && !s.sender {
                s.udp_received(now, dgram.payload, counters64);
                Iperf3Stats::add(&self.stats.bytes_received, dgram.payload.len() as u64);
            }
            return;
        }
        let reply = udp_connect_reply(dgram.payload);
        match reply {
            Some(reply) if t.phase == Phase::CreateStreams && t.streams.len() < expected => {
                t.last_activity = now;
                self.next_seq += 1;
                let idx = t.streams.len();
                let transport = Transport::Udp { local: dgram.local, peer: dgram.peer };
                t.streams.push(Stream::new(transport, self.next_seq, now));
                t.udp_peers.insert(dgram.peer, idx);
                debug!(peer = %dgram.peer, "iperf3: UDP data stream {}", idx + 1);
                net.send_datagram(dgram.local, dgram.peer, &reply);
                if t.streams.len() == expected {
                    self.start_test(now, net);
                }
            }
            _ => debug!(peer = %dgram.peer, len = dgram.payload.len(), "iperf3: stray UDP datagram; dropped"),
        }
    }

    fn on_open(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId, info: ConnInfo) {
        self.flush_deferred(net);
        if info.initiated {
            // We never connect out; nothing of ours can be on the other end.
            net.abort(conn);
            return;
        }
        // While a TCP test gathers its streams, new connections may be them;
        // at any other time during a test, iperf3 refuses at once.
        let gathering =
            |t: &Test| t.phase == Phase::CreateStreams && t.params.as_ref().is_some_and(|p| !p.udp);
        if self.test.as_ref().is_some_and(|t| !gathering(t)) {
            self.deny(net, conn, "a test is running");
            return;
        }
        if self.pending.len() >= MAX_PENDING {
            warn!(peer = %info.peer, "iperf3: too many connections without a cookie; aborting");
            net.abort(conn);
            return;
        }
        self.next_seq += 1;
        self.pending.push(Pending { conn, peer: info.peer, opened: now, seq: self.next_seq });
    }

    fn on_data(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId, data: &[u8]) -> usize {
        self.flush_deferred(net);
        match self.conns.get(&conn) {
            Some(Role::Stream(i)) => {
                let i = *i;
                if let Some(t) = self.test.as_mut() {
                    t.last_activity = now;
                    let running = t.phase == Phase::Running;
                    if let Some(s) = t.streams.get_mut(i).filter(|s| running && !s.sender) {
                        s.bytes_received += data.len() as u64;
                        Iperf3Stats::add(&self.stats.bytes_received, data.len() as u64);
                    }
                }
                data.len()
            }
            Some(Role::Control) => self.ctrl_data(now, net, conn, data),
            Some(Role::Draining(_)) => data.len(),
            None => match self.pending.iter().position(|p| p.conn == conn) {
                Some(pos) => self.pending_data(now, net, pos, data),
                // Closed or refused by us: discard.
                None => data.len(),
            },
        }
    }

    fn on_writable(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId) {
        self.flush_deferred(net);
        match self.conns.get_mut(&conn) {
            Some(Role::Control) => {
                if let Some(t) = self.test.as_mut() {
                    t.flush_ctrl(net);
                }
            }
            Some(Role::Stream(i)) => {
                let i = *i;
                if let Some(s) = self.test.as_mut().and_then(|t| t.streams.get_mut(i)) {
                    s.blocked = false;
                }
                self.pump_all(now, net);
            }
            Some(Role::Draining(out)) => {
                let n = net.write(conn, out);
                out.drain(..n.min(out.len()));
                if out.is_empty() {
                    self.conns.remove(&conn);
                    net.close(conn);
                }
            }
            None => {}
        }
    }

    fn on_peer_close(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId) {
        self.flush_deferred(net);
        match self.conns.get(&conn) {
            Some(Role::Control) => {
                let done = self.test.as_ref().is_some_and(|t| t.phase == Phase::DisplayResults);
                if done {
                    self.complete_test(net);
                } else {
                    self.abort_test(net, Fail::Quiet("the client closed the control connection".into()));
                }
            }
            Some(Role::Stream(i)) => {
                let i = *i;
                debug!(?conn, "iperf3: client closed a data stream");
                if let Some(s) = self.test.as_mut().and_then(|t| t.streams.get_mut(i)) {
                    s.open = false;
                }
                self.conns.remove(&conn);
                net.close(conn);
            }
            Some(Role::Draining(_)) => {}
            None => {
                if let Some(pos) = self.pending.iter().position(|p| p.conn == conn) {
                    self.pending.swap_remove(pos);
                    net.close(conn);
                }
            }
        }
        let _ = now;
    }

    fn on_closed(&mut self, now: Instant, conn: ConnId) {
        if let Some(pos) = self.pending.iter().position(|p| p.conn == conn) {
            self.pending.swap_remove(pos);
        }
        match self.conns.remove(&conn) {
            Some(Role::Control) => {
                let Some(t) = self.test.take_if(|t| t.ctrl == conn) else { return };
                if t.phase == Phase::DisplayResults {
                    info!(peer = %t.peer, "iperf3: test complete (control connection closed)");
                    Iperf3Stats::add(&self.stats.tests_completed, 1);
                } else {
                    warn!(peer = %t.peer, phase = ?t.phase, "iperf3: test aborted: control connection lost");
                    Iperf3Stats::add(&self.stats.tests_aborted, 1);
                }
                for s in &t.streams {
                    if let Transport::Tcp(c) = s.transport {
                        if self.conns.remove(&c).is_some() {
                            self.deferred_aborts.push(c);
                        }
                    }
                }
                if !self.deferred_aborts.is_empty() {
                    self.wake = Some(now);
                }
            }
            Some(Role::Stream(i)) => {
                if let Some(s) = self.test.as_mut().and_then(|t| t.streams.get_mut(i)) {
                    s.open = false;
                }
            }
            Some(Role::Draining(_)) | None => {}
        }
    }

    fn on_timer(&mut self, now: Instant, net: &mut dyn Net) {
        self.flush_deferred(net);
        if self.wake.is_some_and(|w| w <= now) {
            self.wake = None;
        }
        let mut i = 0;
        while i < self.pending.len() {
            if self.pending[i].opened + PENDING_TIMEOUT <= now {
                let p = self.pending.swap_remove(i);
                debug!(peer = %p.peer, "iperf3: no cookie in time; aborting connection");
                net.abort(p.conn);
            } else {
                i += 1;
            }
        }
        let Some(t) = self.test.as_mut() else { return };
        if t.deadline() <= now {
            let why = format!("the client went quiet in phase {:?}", t.phase);
            let fail =
                if t.phase == Phase::Running { Fail::Error { code: IENOMSG, why } } else { Fail::Quiet(why) };
            self.abort_test(net, fail);
            return;
        }
        if t.omit_end.is_some_and(|o| o <= now) {
            self.end_omit(now);
        }
        if let Some(t) = self.test.as_mut() {
            if t.next_pace.is_some_and(|p| p <= now) {
                t.next_pace = None;
            }
        }
        self.pump_all(now, net);
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let mut next = self.wake;
        let mut at = |t: Instant| next = Some(next.map_or(t, |n| n.min(t)));
        for p in &self.pending {
            at(p.opened + PENDING_TIMEOUT);
        }
        if let Some(t) = &self.test {
            at(t.deadline());
            if let Some(o) = t.omit_end {
                at(o);
            }
            if let Some(p) = t.next_pace {
                at(p);
            }
        }
        next
    }

    fn on_shutdown(&mut self, now: Instant, net: &mut dyn Net) {
        self.flush_deferred(net);
        if let Some(t) = self.test.as_mut() {
            t.ctrl_send(net, &[SERVER_TERMINATE]);
            self.abort_test(net, Fail::Quiet("the appliance is shutting down".into()));
        }
        for p in self.pending.drain(..) {
            net.close(p.conn);
        }
        let _ = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const SERVER: &str = "10.0.0.2:5201";
    const COOKIE: &[u8; COOKIE_SIZE] = b"abcdefghijklmnopqrstuvwxyz0123456789\0";
    const OTHER_COOKIE: &[u8; COOKIE_SIZE] = b"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\0";

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    /// A `Net` that records what the service does.
    #[derive(Default)]
    struct FakeNet {
        out: HashMap<ConnId, Vec<u8>>,
        /// Bytes a connection still takes; absent = unlimited.
        room: HashMap<ConnId, usize>,
        window: usize,
        closed: HashSet<ConnId>,
        aborted: HashSet<ConnId>,
        dgrams: Vec<(SocketAddr, SocketAddr, Vec<u8>)>,
        /// When false, send_datagram drops (no buffer room).
        udp_ok: bool,
    }

    impl Net for FakeNet {
        fn send_datagram(&mut self, local: SocketAddr, peer: SocketAddr, payload: &[u8]) -> bool {
            if self.udp_ok {
                self.dgrams.push((local, peer, payload.to_vec()));
            }
            self.udp_ok
        }
        fn write(&mut self, conn: ConnId, data: &[u8]) -> usize {
            if self.closed.contains(&conn) || self.aborted.contains(&conn) {
                return 0;
            }
            let n = match self.room.get_mut(&conn) {
                Some(r) => {
                    let n = (*r).min(data.len());
                    *r -= n;
                    n
                }
                None => data.len(),
            };
            self.out.entry(conn).or_default().extend_from_slice(&data[..n]);
            n
        }
        fn recv_window(&self, _: ConnId) -> usize {
            self.window
        }
        fn close(&mut self, conn: ConnId) {
            self.closed.insert(conn);
        }
        fn abort(&mut self, conn: ConnId) {
            self.aborted.insert(conn);
        }
        fn connect(&mut self, _: SocketAddr) -> Option<ConnId> {
            None
        }
    }

    /// Drives an `Iperf3` like a stack would: per-connection receive
    /// buffers (unconsumed bytes are offered again), timers, virtual time.
    struct Harness {
        svc: Iperf3,
        net: FakeNet,
        now: Instant,
        inbox: HashMap<ConnId, Vec<u8>>,
        next_conn: u64,
    }

    impl Harness {
        fn new() -> Self {
            Harness {
                svc: Iperf3::new(5201).with_cpu_times(|| None),
                net: FakeNet { window: 65536, udp_ok: true, ..FakeNet::default() },
                now: Instant::from_secs(1000),
                inbox: HashMap::new(),
                next_conn: 0,
            }
        }
        fn open(&mut self) -> ConnId {
            self.next_conn += 1;
            let conn = ConnId(self.next_conn);
            let peer = SocketAddr::new(addr("10.0.0.1:1").ip(), 40000 + self.next_conn as u16);
            let info = ConnInfo { local: addr(SERVER), peer, initiated: false };
            self.svc.on_open(self.now, &mut self.net, conn, info);
            conn
        }
        /// The client sends `bytes`; the stack offers at most its window.
        fn send(&mut self, conn: ConnId, bytes: &[u8]) {
            let buf = self.inbox.entry(conn).or_default();
            buf.extend_from_slice(bytes);
            loop {
                let offer = buf.len().min(self.net.window);
                if offer == 0 {
                    break;
                }
                let n = self.svc.on_data(self.now, &mut self.net, conn, &buf[..offer]);
                assert!(n <= offer, "consumed {n} of {offer}");
                buf.drain(..n);
                if n == 0 {
                    break;
                }
            }
        }
        fn unconsumed(&self, conn: ConnId) -> usize {
            self.inbox.get(&conn).map_or(0, Vec::len)
        }
        fn dgram(&mut self, peer: &str, payload: &[u8]) {
            let d = Datagram { local: addr(SERVER), peer: addr(peer), payload };
            self.svc.on_datagram(self.now, &mut self.net, d);
        }
        fn take(&mut self, conn: ConnId) -> Vec<u8> {
            self.net.out.remove(&conn).unwrap_or_default()
        }
        /// Moves time on, firing timers as a stack would.
        fn advance(&mut self, d: Duration) {
            let end = self.now + d;
            for _ in 0..100_000 {
                match self.svc.poll_timeout() {
                    Some(t) if t <= end => {
                        self.now = self.now.max(t);
                        self.svc.on_timer(self.now, &mut self.net);
                    }
                    _ => break,
                }
            }
            self.now = end;
        }
        fn closed(&self, conn: ConnId) -> bool {
            self.net.closed.contains(&conn) || self.net.aborted.contains(&conn)
        }
        fn stats(&self) -> Arc<Iperf3Stats> {
            self.svc.stats()
        }

        /// A client connects and sends `params`; returns the control connection.
        fn start(&mut self, params: Value) -> ConnId {
            let ctrl = self.open();
            self.send(ctrl, COOKIE);
            assert_eq!(self.take(ctrl), [PARAM_EXCHANGE]);
            self.send(ctrl, &framed(&params));
            assert_eq!(self.take(ctrl), [CREATE_STREAMS]);
            ctrl
        }
        /// Opens `n` TCP data streams with the cookie.
        fn tcp_streams(&mut self, n: usize) -> Vec<ConnId> {
            (0..n)
                .map(|_| {
                    let c = self.open();
                    self.send(c, COOKIE);
                    c
                })
                .collect()
        }
        /// TEST_END, client results, IPERF_DONE; returns the server's results.
        fn finish(&mut self, ctrl: ConnId) -> Value {
            self.take(ctrl);
            self.send(ctrl, &[TEST_END]);
            assert_eq!(self.take(ctrl), [EXCHANGE_RESULTS]);
            self.send(ctrl, &framed(&client_results()));
            let out = self.take(ctrl);
            let (results, rest) = unframe(&out);
            assert_eq!(rest, [DISPLAY_RESULTS]);
            self.send(ctrl, &[IPERF_DONE]);
            assert!(self.net.closed.contains(&ctrl));
            results
        }
    }

    fn framed(v: &Value) -> Vec<u8> {
        let body = v.to_string();
        let mut m = (body.len() as u32).to_be_bytes().to_vec();
        m.extend_from_slice(body.as_bytes());
        m
    }

    fn unframe(b: &[u8]) -> (Value, &[u8]) {
        let len = u32::from_be_bytes(b[..4].try_into().unwrap()) as usize;
        (serde_json::from_slice(&b[4..4 + len]).unwrap(), &b[4 + len..])
    }

    /// What iperf 3.12 sends for `iperf3 -c ... -t 2`, plus `extra`.
    fn params(extra: Value) -> Value {
        let mut p = json!({
            "tcp": true, "omit": 0, "time": 2, "num": 0, "blockcount": 0, "parallel": 1,
            "len": 131072, "pacing_timer": 1000, "client_version": "3.12"
        });
        if let (Some(p), Some(extra)) = (p.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                p.insert(k.clone(), v.clone());
            }
        }
        p
    }

    fn client_results() -> Value {
        json!({"cpu_util_total": 1.0, "cpu_util_user": 0.5, "cpu_util_system": 0.5,
               "sender_has_retransmits": 1, "streams": [{"id": 1, "bytes": 1, "retransmits": 0,
               "jitter": 0, "errors": 0, "packets": 0, "start_time": 0, "end_time": 2}]})
    }

    fn udp_packet(sec: u32, usec: u32, count: u64, counters64: bool, len: usize) -> Vec<u8> {
        let mut p = vec![0u8; len];
        p[0..4].copy_from_slice(&sec.to_be_bytes());
        p[4..8].copy_from_slice(&usec.to_be_bytes());
        if counters64 {
            p[8..16].copy_from_slice(&count.to_be_bytes());
        } else {
            p[8..12].copy_from_slice(&(count as u32).to_be_bytes());
        }
        p
    }

    fn stream(results: &Value, id: u64) -> &Value {
        results["streams"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap()
    }

    #[test]
    fn tcp_upload_full_exchange() {
        let mut h = Harness::new();
        let ctrl = h.start(params(json!({})));
        let [data] = h.tcp_streams(1)[..] else { unreachable!() };
        assert_eq!(h.take(ctrl), [TEST_START, TEST_RUNNING]);
        h.advance(Duration::from_millis(500));
        h.send(data, &[7u8; 1000]);
        h.advance(Duration::from_millis(1500));
        h.send(data, &[7u8; 234]);
        let r = h.finish(ctrl);
        assert!(h.closed(data));
        let s = stream(&r, 1);
        assert_eq!(s["bytes"], 1234);
        assert_eq!(s["retransmits"], -1);
        assert_eq!(s["start_time"], 0.0);
        assert_eq!(s["end_time"], 2.0);
        assert_eq!(r["sender_has_retransmits"], -1);
        for k in ["cpu_util_total", "cpu_util_user", "cpu_util_system"] {
            assert_eq!(r[k], 0.0, "{k}");
        }
        assert!(r.get("server_output_text").is_none());
        let st = h.stats();
        assert_eq!(
            (st.tests_completed(), st.tests_aborted(), st.bytes_received(), st.bytes_sent()),
            (1, 0, 1234, 0)
        );
        assert!(h.svc.test.is_none() && h.svc.conns.is_empty() && h.svc.pending.is_empty());
        // The server is free again.
        let ctrl2 = h.start(params(json!({})));
        assert_ne!(ctrl, ctrl2);
    }

    #[test]
    fn cookie_and_first_message_in_one_segment_and_byte_by_byte() {
        let mut h = Harness::new();
        let ctrl = h.open();
        let mut all = COOKIE.to_vec();
        all.extend_from_slice(&framed(&params(json!({}))));
        // Byte by byte: the service consumes nothing until a message is whole.
        for (i, b) in all.iter().enumerate() {
            h.send(ctrl, &[*b]);
            if i < COOKIE_SIZE - 1 {
                assert_eq!(h.unconsumed(ctrl), i + 1);
            }
        }
        assert_eq!(h.unconsumed(ctrl), 0);
        assert_eq!(h.take(ctrl), [PARAM_EXCHANGE, CREATE_STREAMS]);
        // Data stream: cookie and first data together.
        let data = h.open();
        let mut seg = COOKIE.to_vec();
        seg.extend_from_slice(&[1u8; 10]);
        h.send(data, &seg);
        assert_eq!(h.take(ctrl), [TEST_START, TEST_RUNNING]);
        assert_eq!(h.unconsumed(data), 0);
        // TEST_END and the client's results in one segment.
        let mut seg = vec![TEST_END];
        seg.extend_from_slice(&framed(&client_results()));
        h.send(ctrl, &seg);
        let out = h.take(ctrl);
        assert_eq!(out[0], EXCHANGE_RESULTS);
        let (r, rest) = unframe(&out[1..]);
        assert_eq!(rest, [DISPLAY_RESULTS]);
        // The test runs from the last cookie on, so bytes behind it count.
        assert_eq!(stream(&r, 1)["bytes"], 10);
    }

    #[test]
    fn parallel_streams_get_iperf3_ids_in_accept_order() {
        let mut h = Harness::new();
        let ctrl = h.start(params(json!({"parallel": 3})));
        // Accepted in order a, b, c, but cookies arrive c, a, b.
        let (a, b, c) = (h.open(), h.open(), h.open());
        h.send(c, COOKIE);
        h.send(a, COOKIE);
        assert!(h.take(ctrl).is_empty());
        h.send(b, COOKIE);
        assert_eq!(h.take(ctrl), [TEST_START, TEST_RUNNING]);
        h.send(a, &[0; 100]);
        h.send(b, &[0; 200]);
        h.send(c, &[0; 300]);
        let r = h.finish(ctrl);
        let ids: Vec<u64> =
            r["streams"].as_array().unwrap().iter().map(|s| s["id"].as_u64().unwrap()).collect();
        assert_eq!(ids, [1, 3, 4]);
        assert_eq!(stream(&r, 1)["bytes"], 100);
        assert_eq!(stream(&r, 3)["bytes"], 200);
        assert_eq!(stream(&r, 4)["bytes"], 300);
        assert_eq!(h.stats().bytes_received(), 600);
    }

    #[test]
    fn reverse_tcp_follows_write_back_pressure() {
        let mut h = Harness::new();
        let ctrl = h.start(params(json!({"reverse": true})));
        let data = h.open();
        h.net.room.insert(data, 100_000);
        h.send(data, COOKIE);
        assert_eq!(h.take(ctrl), [TEST_START, TEST_RUNNING]);
        // It filled what the connection took, then waits for on_writable.
        assert_eq!(h.take(data).len(), 100_000);
        assert_eq!(h.svc.poll_timeout(), Some(h.now + Duration::from_secs(2 + 40)));
        h.advance(Duration::from_millis(10));
        assert!(h.take(data).is_empty(), "no writes without room");
        h.net.room.insert(data, 50_000);
        h.svc.on_writable(h.now, &mut h.net, data);
        let got = h.take(data);
        assert_eq!(got.len(), 50_000);
        assert!(got.iter().all(u8::is_ascii_digit));
        // Client data on a sending stream is ignored, not counted.
        h.send(data, b"junk");
        let r = h.finish(ctrl);
        assert!(h.closed(data));
        let s = stream(&r, 1);
        assert_eq!(s["bytes"], 150_000);
        assert_eq!(r["sender_has_retransmits"], 0);
        assert_eq!(h.stats().bytes_sent(), 150_000);
        assert_eq!(h.stats().bytes_received(), 0);
    }

    #[test]
    fn reverse_tcp_with_unlimited_room_yields_per_call() {
        let mut h = Harness::new();
        let ctrl = h.start(params(json!({"reverse": true})));
        let data = h.open();
        h.send(data, COOKIE);
        assert_eq!(h.take(ctrl), [TEST_START, TEST_RUNNING]);
        assert_eq!(h.take(data).len(), SEND_BUDGET);
        // More right away, via the timer.
        assert_eq!(h.svc.poll_timeout(), Some(h.now));
        h.svc.on_timer(h.now, &mut h.net);
        assert_eq!(h.take(data).len(), SEND_BUDGET);
    }

    #[test]
    fn reverse_tcp_rate_limit_paces_by_timer() {
        let mut h = Harness::new();
        // 8 Mbit/s = 1 MB/s, 1000-byte blocks.
        let ctrl = h.start(params(json!({"reverse": true, "bandwidth": 8_000_000, "len": 1000})));
        let data = h.open();
        h.send(data, COOKIE);
        assert_eq!(h.take(ctrl), [TEST_START, TEST_RUNNING]);
        assert!(h.take(data).is_empty(), "nothing is due at t=0");
        h.advance(Duration::from_millis(100));
        let n = h.take(data).len();
        assert!((99_000..=101_000).contains(&n), "{n} bytes in 100 ms at 1 MB/s");
        h.advance(Duration::from_millis(900));
        let n = n + h.take(data).len();
        assert!((999_000..=1_001_000).contains(&n), "{n} bytes in 1 s at 1 MB/s");
    }

    #[test]
    fn bidirectional_tcp_receives_on_the_first_streams_and_sends_on_the_rest() {
        let mut h = Harness::new();
        let ctrl = h.start(params(json!({"bidirectional": true, "parallel": 2})));
        let conns: Vec<ConnId> = (0..4).map(|_| h.open()).collect();
        for &c in &conns {
            if c >= conns[2] {
                h.net.room.insert(c, 0);
            }
            h.send(c, COOKIE);
        }
        assert_eq!(h.take(ctrl), [TEST_START, TEST_RUNNING]);
        h.send(conns[0], &[0; 10]);
        h.send(conns[1], &[0; 20]);
        for &c in &conns[2..] {
            h.net.room.insert(c, 1000);
            h.svc.on_writable(h.now, &mut h.net, c);
        }
        let r = h.finish(ctrl);
        let bytes: Vec<u64> =
            [1, 3, 4, 5].iter().map(|&id| stream(&r, id)["bytes"].as_u64().unwrap()).collect();
        assert_eq!(bytes, [10, 20, 1000, 1000]);
        assert_eq!(r["sender_has_retransmits"], 0);
    }

    #[test]
    fn udp_counts_loss_reordering_and_jitter() {
        for counters64 in [false, true] {
            let mut h = Harness::new();
            let mut p = json!({"udp": true, "len": 100, "bandwidth": 1_000_000});
            if counters64 {
                p["udp_counters_64bit"] = json!(1);
            }
            let ctrl = h.start(params(p));
            let client = "10.0.0.1:50000";
            // The connect message as a little-endian client writes it ("9876").
            h.dgram(client, b"9876");
            assert_eq!(h.net.dgrams, [(addr(SERVER), addr(client), b"6789".to_vec())]);
            assert_eq!(h.take(ctrl), [TEST_START, TEST_RUNNING]);
            let base = h.now.total_micros();
            let (sec, usec) = ((base / 1_000_000) as u32, (base % 1_000_000) as u32);
            // Sent 1 ms apart; 1, 2 on time, 3 missing, 4 late by 1 ms, then 3 (reordered).
            let big = if counters64 { 1 << 40 } else { 0 };
            let sends = [(1u64, 0u32, 0u64), (2, 1000, 0), (4, 3000, 1000), (3, 2000, 2000)];
            for (count, sent_off, delay) in sends {
                h.now = Instant::from_micros(base + i64::from(sent_off) + delay as i64);
                h.dgram(client, &udp_packet(sec, usec + sent_off, big + count, counters64, 100));
            }
            // A runt, from the stream: counted as bytes only.
            h.dgram(client, &[1, 2, 3]);
            // From a stranger: ignored.
            h.dgram("10.0.0.9:1", &udp_packet(sec, usec, 99, counters64, 100));
            h.now = Instant::from_micros(base + 2_000_000);
            let r = h.finish(ctrl);
            let s = stream(&r, 1);
            assert_eq!(s["bytes"], 403);
            assert_eq!(s["packets"], big + 4);
            // The gap counted big + 1 (counter jumps from 0) then the late 3 cancels one.
            assert_eq!(s["errors"], big, "counters64={counters64}");
            // transit: 0, 0, +1 ms, +2 ms -> d = 0, 1 ms, 1 ms.
            let j1 = 0.001 / 16.0;
            let expect = j1 + (0.001 - j1) / 16.0;
            assert!((s["jitter"].as_f64().unwrap() - expect).abs() < 1e-12, "{}", s["jitter"]);
            assert_eq!(h.stats().bytes_received(), 403);
        }
    }

    #[test]
    fn udp_connect_in_every_byte_order_and_parallel_streams() {
        assert_eq!(udp_connect_reply(b"9876"), Some(*b"6789"));
        assert_eq!(udp_connect_reply(b"6789"), Some(*b"9876"));
        assert_eq!(udp_connect_reply(&123_456_789u32.to_le_bytes()), Some(987_654_321u32.to_le_bytes()));
        assert_eq!(udp_connect_reply(&123_456_789u32.to_be_bytes()), Some(987_654_321u32.to_be_bytes()));
        assert_eq!(udp_connect_reply(b"98765"), None);
        assert_eq!(udp_connect_reply(b"abcd"), None);

        let mut h = Harness::new();
        let ctrl = h.start(params(json!({"udp": true, "parallel": 2, "len": 1400})));
        h.dgram("10.0.0.1:50001", b"junk, not a connect");
        assert!(h.net.dgrams.is_empty());
        h.dgram("10.0.0.1:50001", b"9876");
        h.dgram("10.0.0.1:50001", b"9876"); // a repeat gets a repeat answer, no new stream
        assert!(h.take(ctrl).is_empty());
        h.dgram("10.0.0.1:50002", b"9876");
        assert_eq!(h.net.dgrams.len(), 3);
        assert_eq!(h.take(ctrl), [TEST_START, TEST_RUNNING]);
        // A late connect from a third port is not a stream.
        h.dgram("10.0.0.1:50003", b"9876");
        assert_eq!(h.net.dgrams.len(), 3);
        h.dgram("10.0.0.1:50002", &udp_packet(1, 0, 1, false, 1400));
        let r = h.finish(ctrl);
        assert_eq!(stream(&r, 1)["bytes"], 0);
        assert_eq!(stream(&r, 3)["bytes"], 1400);
        assert_eq!(stream(&r, 3)["packets"], 1);
    }

    #[test]
    fn reverse_udp_sends_paced_datagrams_with_headers() {
        for counters64 in [false, true] {
            let mut h = Harness::new();
            // 800 kbit/s of 1000-byte datagrams = 100 per second.
            let mut p = json!({"udp": true, "reverse": true, "len": 1000, "bandwidth": 800_000});
            if counters64 {
                p["udp_counters_64bit"] = json!(1);
            }
            let ctrl = h.start(params(p));
            let client = "10.0.0.1:50000";
            h.dgram(client, b"9876");
            assert_eq!(h.take(ctrl), [TEST_START, TEST_RUNNING]);
            h.net.dgrams.clear();
            h.advance(Duration::from_secs(1));
            let sent = std::mem::take(&mut h.net.dgrams);
            assert!((99..=101).contains(&sent.len()), "{} datagrams", sent.len());
            for (k, (local, peer, d)) in sent.iter().enumerate() {
                assert_eq!((*local, *peer, d.len()), (addr(SERVER), addr(client), 1000));
                let count = if counters64 {
                    u64::from_be_bytes(d[8..16].try_into().unwrap())
                } else {
                    u64::from(u32::from_be_bytes(d[8..12].try_into().unwrap()))
                };
                assert_eq!(count, k as u64 + 1);
            }
            // The stack out of buffer room: nothing counted, retried later.
            h.net.udp_ok = false;
            h.advance(Duration::from_millis(100));
            h.net.udp_ok = true;
            h.advance(Duration::from_millis(100));
            let more = h.net.dgrams.len();
            assert!((19..=21).contains(&more), "{more} datagrams catch up");
            let r = h.finish(ctrl);
            let s = stream(&r, 1);
            assert_eq!(s["packets"].as_u64().unwrap(), (sent.len() + more) as u64);
            assert_eq!(s["bytes"].as_u64().unwrap(), 1000 * (sent.len() + more) as u64);
        }
    }

    #[test]
    fn omit_restarts_the_counts() {
        let mut h = Harness::new();
        let ctrl = h.start(params(json!({"omit": 1})));
        let [data] = h.tcp_streams(1)[..] else { unreachable!() };
        h.send(data, &[0; 500]);
        h.advance(Duration::from_millis(1500));
        h.send(data, &[0; 70]);
        h.advance(Duration::from_millis(1500));
        let r = h.finish(ctrl);
        let s = stream(&r, 1);
        assert_eq!(s["bytes"], 70);
        assert_eq!(s["end_time"], 2.0);
        assert_eq!(h.stats().bytes_received(), 570);
    }

    #[test]
    fn server_output_and_cpu_util_when_asked() {
        let mut h = Harness::new();
        h.svc = Iperf3::new(5201).with_cpu_times(|| {
            // Each call reports 0.5 s more user and 0.25 s more system time.
            static CALLS: AtomicU64 = AtomicU64::new(0);
            let n = CALLS.fetch_add(1, Ordering::Relaxed) as u32;
            let ms = std::time::Duration::from_millis;
            Some(CpuTimes { user: ms(500) * n, system: ms(250) * n })
        });
        let ctrl = h.start(params(json!({"get_server_output": 1})));
        h.tcp_streams(1);
        h.advance(Duration::from_secs(1));
        let r = h.finish(ctrl);
        assert!(r["server_output_text"].as_str().unwrap().contains("receiver"));
        assert_eq!(r["cpu_util_user"], 50.0);
        assert_eq!(r["cpu_util_system"], 25.0);
        assert_eq!(r["cpu_util_total"], 75.0);
    }

    #[test]
    fn busy_server_denies_other_clients() {
        let mut h = Harness::new();
        let ctrl = h.start(params(json!({})));
        // During CREATE_STREAMS a connection must show its cookie first.
        let intruder = h.open();
        h.send(intruder, OTHER_COOKIE);
        assert_eq!(h.take(intruder), [ACCESS_DENIED]);
        assert!(h.net.closed.contains(&intruder));
        let data = h.tcp_streams(1)[0];
        assert_eq!(h.take(ctrl), [TEST_START, TEST_RUNNING]);
        // While running, a new connection is refused at once, as by iperf3.
        let second = h.open();
        assert_eq!(h.take(second), [ACCESS_DENIED]);
        assert!(h.net.closed.contains(&second));
        // Even one with the right cookie (a stream too many).
        let extra = h.open();
        h.send(extra, COOKIE);
        assert_eq!(h.take(extra), [ACCESS_DENIED]);
        // Refused connections' later bytes are dropped.
        h.svc.on_data(h.now, &mut h.net, second, b"whatever");
        h.send(data, &[0; 5]);
        let r = h.finish(ctrl);
        assert_eq!(stream(&r, 1)["bytes"], 5);
        assert_eq!(h.stats().access_denied(), 3);
    }

    #[test]
    fn denial_waits_for_room_before_closing() {
        let mut h = Harness::new();
        let _ctrl = h.start(params(json!({"udp": true, "len": 1400})));
        h.next_conn += 1;
        let conn = ConnId(h.next_conn);
        h.net.room.insert(conn, 0);
        let info = ConnInfo { local: addr(SERVER), peer: addr("10.0.0.1:1"), initiated: false };
        h.svc.on_open(h.now, &mut h.net, conn, info);
        assert!(!h.closed(conn));
        h.net.room.insert(conn, 10);
        h.svc.on_writable(h.now, &mut h.net, conn);
        assert_eq!(h.take(conn), [ACCESS_DENIED]);
        assert!(h.net.closed.contains(&conn));
    }

    /// A fresh client can run a whole test (the server is back to idle).
    fn assert_server_free(h: &mut Harness) {
        assert!(h.svc.test.is_none(), "test left over");
        let ctrl = h.start(params(json!({})));
        h.tcp_streams(1);
        assert_eq!(h.take(ctrl), [TEST_START, TEST_RUNNING]);
        h.finish(ctrl);
    }

    fn server_error(code: i32) -> Vec<u8> {
        let mut e = vec![SERVER_ERROR];
        e.extend_from_slice(&code.to_be_bytes());
        e.extend_from_slice(&0i32.to_be_bytes());
        e
    }

    #[test]
    fn malformed_or_refused_parameters_get_server_error() {
        let cases: Vec<(Vec<u8>, i32)> = vec![
            (b"{not json".to_vec(), IERECVPARAMS),
            (b"[1,2,3]".to_vec(), IERECVPARAMS),
            (b"".to_vec(), IERECVPARAMS),
            (serde_json::to_vec(&params(json!({"parallel": "two"}))).unwrap(), IERECVPARAMS),
            (serde_json::to_vec(&params(json!({"time": -1}))).unwrap(), IERECVPARAMS),
            (serde_json::to_vec(&params(json!({"parallel": 0}))).unwrap(), IENUMSTREAMS),
            (serde_json::to_vec(&params(json!({"parallel": 129}))).unwrap(), IENUMSTREAMS),
            (serde_json::to_vec(&params(json!({"time": 100_000}))).unwrap(), IEDURATION),
            (serde_json::to_vec(&params(json!({"omit": 100_000}))).unwrap(), IEOMIT),
            (serde_json::to_vec(&params(json!({"sctp": true}))).unwrap(), IENOSCTP),
            (serde_json::to_vec(&params(json!({"udp": true, "len": 8}))).unwrap(), IEUDPBLOCKSIZE),
            (serde_json::to_vec(&params(json!({"udp": true, "len": 70000}))).unwrap(), IEUDPBLOCKSIZE),
            (serde_json::to_vec(&params(json!({"len": 2_000_000}))).unwrap(), IEBLOCKSIZE),
            (
                serde_json::to_vec(&params(json!({"reverse": true, "bidirectional": true}))).unwrap(),
                IEREVERSEBIDIR,
            ),
        ];
        for (body, code) in cases {
            let mut h = Harness::new();
            let ctrl = h.open();
            h.send(ctrl, COOKIE);
            assert_eq!(h.take(ctrl), [PARAM_EXCHANGE]);
            let mut msg = (body.len() as u32).to_be_bytes().to_vec();
            msg.extend_from_slice(&body);
            h.send(ctrl, &msg);
            assert_eq!(h.take(ctrl), server_error(code), "{}", String::from_utf8_lossy(&body));
            assert!(h.net.closed.contains(&ctrl));
            assert_eq!(h.stats().tests_aborted(), 1);
            assert_server_free(&mut h);
        }
    }

    #[test]
    fn lenient_about_unknown_and_unsupported_parameters() {
        let mut h = Harness::new();
        let extra = json!({"MSS": 1400, "nodelay": true, "window": 1_000_000, "TOS": 16, "congestion": "bbr",
                           "authtoken": "xyz", "title": "t", "extra_data": "e", "zerocopy": 1,
                           "future_option": {"nested": [1, 2]}, "reverse": false, "bidirectional": null});
        let ctrl = h.start(params(extra));
        h.tcp_streams(1);
        assert_eq!(h.take(ctrl), [TEST_START, TEST_RUNNING]);
        let p = h.svc.test.as_ref().unwrap().params.clone().unwrap();
        assert!(!p.reverse && !p.bidir && !p.udp);
        assert_eq!((p.parallel, p.time, p.blksize, p.client_version.as_str()), (1, 2, 131_072, "3.12"));
        h.finish(ctrl);
    }

    #[test]
    fn oversized_control_message_is_refused_without_buffering_it() {
        let mut h = Harness::new();
        let ctrl = h.open();
        h.send(ctrl, COOKIE);
        h.take(ctrl);
        h.send(ctrl, &(MAX_CTRL_JSON as u32 + 1).to_be_bytes());
        assert_eq!(h.take(ctrl), server_error(IERECVPARAMS));
        assert!(h.net.closed.contains(&ctrl));
        assert_server_free(&mut h);
        // The same during the results exchange.
        let ctrl = h.start(params(json!({})));
        h.tcp_streams(1);
        h.send(ctrl, &[TEST_END]);
        h.take(ctrl);
        h.send(ctrl, &u32::MAX.to_be_bytes());
        assert_eq!(h.take(ctrl), server_error(IERECVRESULTS));
        assert_server_free(&mut h);
    }

    #[test]
    fn small_receive_window_buffers_partial_messages_inside() {
        let mut h = Harness::new();
        h.net.window = 64;
        let ctrl = h.open();
        h.send(ctrl, COOKIE);
        assert_eq!(h.take(ctrl), [PARAM_EXCHANGE]);
        // Parameters of ~200 bytes through a 64-byte window: no stall.
        let p = framed(&params(json!({"title": "x".repeat(100)})));
        assert!(p.len() > 64);
        h.send(ctrl, &p);
        assert_eq!(h.unconsumed(ctrl), 0);
        assert_eq!(h.take(ctrl), [CREATE_STREAMS]);
        h.tcp_streams(1);
        assert_eq!(h.take(ctrl), [TEST_START, TEST_RUNNING]);
        h.send(ctrl, &[TEST_END]);
        h.take(ctrl);
        let mut results = framed(&client_results());
        results.push(IPERF_DONE);
        h.send(ctrl, &results);
        let out = h.take(ctrl);
        let (_, rest) = unframe(&out);
        assert_eq!(rest, [DISPLAY_RESULTS]);
        assert!(h.net.closed.contains(&ctrl));
        assert_eq!(h.stats().tests_completed(), 1);
    }

    #[test]
    fn control_output_waits_for_room() {
        let mut h = Harness::new();
        let ctrl = h.start(params(json!({})));
        h.tcp_streams(1);
        h.take(ctrl);
        h.send(ctrl, &[TEST_END]);
        h.take(ctrl);
        h.net.room.insert(ctrl, 10);
        h.send(ctrl, &framed(&client_results()));
        assert_eq!(h.take(ctrl).len(), 10);
        h.net.room.insert(ctrl, 1 << 20);
        h.svc.on_writable(h.now, &mut h.net, ctrl);
        let rest = h.take(ctrl);
        assert_eq!(rest.last(), Some(&DISPLAY_RESULTS));
    }

    #[test]
    fn unexpected_messages_end_the_test() {
        // (state byte sent, phase reached first, expected reply)
        for (setup_streams, byte, reply) in [
            (false, 99u8, server_error(IEMESSAGE)),
            (true, 0x80, server_error(IEMESSAGE)),
            (true, DISPLAY_RESULTS, server_error(IEMESSAGE)),
            (true, IPERF_DONE, vec![]),
            (true, CLIENT_TERMINATE, vec![]),
        ] {
            let mut h = Harness::new();
            let ctrl = h.start(params(json!({})));
            let streams = if setup_streams { h.tcp_streams(1) } else { vec![] };
            h.take(ctrl);
            h.send(ctrl, &[byte]);
            assert_eq!(h.take(ctrl), reply, "byte {byte}");
            assert!(h.net.closed.contains(&ctrl));
            for s in streams {
                assert!(h.net.aborted.contains(&s));
            }
            assert_eq!(h.stats().tests_aborted(), 1);
            assert_server_free(&mut h);
        }
        // TEST_START is ignored, as by iperf3.
        let mut h = Harness::new();
        let ctrl = h.start(params(json!({})));
        h.send(ctrl, &[TEST_START]);
        assert!(h.take(ctrl).is_empty());
        assert!(h.svc.test.is_some());
    }

    #[test]
    fn malformed_client_results_get_server_error() {
        for body in [&b"{oops"[..], b"{\"no_streams\":1}", b"42"] {
            let mut h = Harness::new();
            let ctrl = h.start(params(json!({})));
            h.tcp_streams(1);
            h.send(ctrl, &[TEST_END]);
            h.take(ctrl);
            let mut msg = (body.len() as u32).to_be_bytes().to_vec();
            msg.extend_from_slice(body);
            h.send(ctrl, &msg);
            assert_eq!(h.take(ctrl), server_error(IERECVRESULTS));
            assert_server_free(&mut h);
        }
    }

    #[test]
    fn client_vanishing_mid_test_resets() {
        // The control connection closed by the peer (FIN).
        let mut h = Harness::new();
        let ctrl = h.start(params(json!({"parallel": 2})));
        let streams = h.tcp_streams(2);
        h.svc.on_peer_close(h.now, &mut h.net, ctrl);
        assert!(h.net.closed.contains(&ctrl));
        assert!(streams.iter().all(|s| h.net.aborted.contains(s)));
        h.svc.on_closed(h.now, ctrl);
        assert_eq!(h.stats().tests_aborted(), 1);
        assert_server_free(&mut h);

        // The control connection reset: streams are aborted at the next call.
        let mut h = Harness::new();
        let ctrl = h.start(params(json!({"reverse": true})));
        let data = h.tcp_streams(1)[0];
        h.svc.on_closed(h.now, ctrl);
        assert!(h.svc.test.is_none());
        assert_eq!(h.svc.poll_timeout(), Some(h.now));
        h.advance(Duration::ZERO);
        assert!(h.net.aborted.contains(&data));
        h.svc.on_closed(h.now, data);
        assert_eq!(h.stats().tests_aborted(), 1);
        assert_server_free(&mut h);
    }

    #[test]
    fn data_stream_closing_early_keeps_the_test() {
        let mut h = Harness::new();
        let ctrl = h.start(params(json!({"parallel": 2})));
        let s = h.tcp_streams(2);
        h.send(s[0], &[0; 10]);
        h.svc.on_peer_close(h.now, &mut h.net, s[0]);
        assert!(h.net.closed.contains(&s[0]));
        h.svc.on_closed(h.now, s[0]);
        h.send(s[1], &[0; 20]);
        let r = h.finish(ctrl);
        assert_eq!(stream(&r, 1)["bytes"], 10);
        assert_eq!(stream(&r, 3)["bytes"], 20);
    }

    #[test]
    fn stalled_clients_time_out_in_every_phase() {
        // Parameters never come.
        let mut h = Harness::new();
        let ctrl = h.open();
        h.send(ctrl, COOKIE);
        h.advance(STEP_TIMEOUT);
        assert!(h.net.closed.contains(&ctrl) && h.svc.test.is_none());
        assert_server_free(&mut h);

        // Streams never come.
        let mut h = Harness::new();
        let ctrl = h.start(params(json!({"parallel": 2})));
        let s = h.tcp_streams(1)[0];
        h.advance(STEP_TIMEOUT);
        assert!(h.net.closed.contains(&ctrl) && h.net.aborted.contains(&s));
        assert_server_free(&mut h);

        // TEST_END never comes: -t 2 plus grace.
        let mut h = Harness::new();
        let ctrl = h.start(params(json!({})));
        h.tcp_streams(1);
        h.take(ctrl);
        h.advance(Duration::from_secs(41));
        assert!(h.svc.test.is_some());
        h.advance(Duration::from_secs(1));
        assert_eq!(h.take(ctrl), server_error(IENOMSG));
        assert_server_free(&mut h);

        // -n without -t: idle for IDLE_TIMEOUT.
        let mut h = Harness::new();
        let ctrl = h.start(params(json!({"time": 0, "num": 1_000_000})));
        let s = h.tcp_streams(1)[0];
        h.advance(IDLE_TIMEOUT - Duration::from_secs(1));
        h.send(s, &[0; 10]);
        h.advance(IDLE_TIMEOUT - Duration::from_secs(1));
        assert!(h.svc.test.is_some(), "activity pushes the deadline");
        h.advance(Duration::from_secs(2));
        assert!(h.net.closed.contains(&ctrl));

        // Results never come.
        let mut h = Harness::new();
        let ctrl = h.start(params(json!({})));
        h.tcp_streams(1);
        h.send(ctrl, &[TEST_END]);
        h.advance(STEP_TIMEOUT);
        assert!(h.net.closed.contains(&ctrl));
        assert_eq!(h.stats().tests_aborted(), 1);
        assert_server_free(&mut h);
    }

    #[test]
    fn control_close_after_results_counts_as_complete() {
        let mut h = Harness::new();
        let ctrl = h.start(params(json!({})));
        h.tcp_streams(1);
        h.send(ctrl, &[TEST_END]);
        h.send(ctrl, &framed(&client_results()));
        h.svc.on_peer_close(h.now, &mut h.net, ctrl);
        assert_eq!((h.stats().tests_completed(), h.stats().tests_aborted()), (1, 0));
    }

    #[test]
    fn connections_without_a_cookie_are_bounded_and_time_out() {
        let mut h = Harness::new();
        let conns: Vec<ConnId> = (0..MAX_PENDING + 3).map(|_| h.open()).collect();
        assert_eq!(h.svc.pending.len(), MAX_PENDING);
        assert!(conns[MAX_PENDING..].iter().all(|c| h.net.aborted.contains(c)));
        h.send(conns[0], &COOKIE[..10]);
        assert_eq!(h.unconsumed(conns[0]), 10);
        h.advance(PENDING_TIMEOUT);
        assert!(h.svc.pending.is_empty());
        assert!(conns.iter().all(|c| h.net.aborted.contains(c)));
        // A peer that closes before its cookie is simply forgotten.
        let c = h.open();
        h.svc.on_peer_close(h.now, &mut h.net, c);
        h.svc.on_closed(h.now, c);
        assert!(h.svc.pending.is_empty());
        assert_eq!(h.svc.poll_timeout(), None);
    }

    #[test]
    fn stray_input_never_panics() {
        let mut h = Harness::new();
        // Events for connections the service never saw.
        let ghost = ConnId(999);
        assert_eq!(h.svc.on_data(h.now, &mut h.net, ghost, b"boo"), 3);
        h.svc.on_writable(h.now, &mut h.net, ghost);
        h.svc.on_peer_close(h.now, &mut h.net, ghost);
        h.svc.on_closed(h.now, ghost);
        h.svc.on_timer(h.now, &mut h.net);
        h.dgram("10.0.0.1:1", b"9876");
        h.dgram("10.0.0.1:1", &[]);
        assert!(h.net.dgrams.is_empty());
        // An outgoing connection we did not ask for.
        let info = ConnInfo { local: addr(SERVER), peer: addr("10.0.0.1:1"), initiated: true };
        h.svc.on_open(h.now, &mut h.net, ConnId(1000), info);
        assert!(h.net.aborted.contains(&ConnId(1000)));
        // UDP datagrams during a TCP test are ignored.
        let ctrl = h.start(params(json!({})));
        h.dgram("10.0.0.1:1", b"9876");
        assert!(h.net.dgrams.is_empty());
        h.tcp_streams(1);
        h.finish(ctrl);
        assert_eq!(h.stats().tests_completed(), 1);
    }

    #[test]
    fn random_control_bytes_never_panic() {
        // A deterministic xorshift stream of junk, in every phase.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..300 {
            let mut h = Harness::new();
            let ctrl = h.open();
            h.send(ctrl, COOKIE);
            if round % 3 >= 1 {
                h.send(ctrl, &framed(&params(json!({"parallel": 1 + round % 2}))));
            }
            if round % 3 == 2 {
                h.tcp_streams(1 + round % 2);
            }
            let len = (rnd() % 64) as usize;
            let mut junk: Vec<u8> = (0..len).map(|_| rnd() as u8).collect();
            if round % 5 == 0 && !junk.is_empty() {
                junk[0] = TEST_END;
            }
            h.send(ctrl, &junk);
            h.advance(Duration::from_secs(60));
            assert!(h.svc.test.is_none(), "round {round}: every test ends");
            assert_server_free(&mut h);
        }
    }

    #[test]
    fn shutdown_tells_the_client() {
        let mut h = Harness::new();
        let ctrl = h.start(params(json!({})));
        let s = h.tcp_streams(1)[0];
        h.take(ctrl);
        let waiting = h.open();
        h.svc.on_shutdown(h.now, &mut h.net);
        assert_eq!(h.take(ctrl), [SERVER_TERMINATE]);
        assert!(h.net.closed.contains(&ctrl) && h.net.aborted.contains(&s));
        assert!(h.closed(waiting));
    }

    #[test]
    fn service_surface() {
        let svc = Iperf3::new(5201);
        assert_eq!(svc.name(), "iperf3");
        assert_eq!(svc.listen(), Listen::both(5201));
        assert_eq!(svc.poll_timeout(), None);
        let stats = svc.stats();
        assert_eq!((stats.tests_completed(), stats.bytes_received(), stats.bytes_sent()), (0, 0, 0));
        #[cfg(unix)]
        assert!(CpuTimes::process().is_some());
        assert!(format!("{svc:?}").contains("5201"));
    }
}
