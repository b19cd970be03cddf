//! `ofbench`: a cbench-style OpenFlow 1.3 load generator.
//!
//! N emulated switches connect to a controller over TCP, complete the
//! handshake (HELLO, FEATURES, PORT_DESC, echo and barrier answered), then:
//!
//! 1. **learn**: each switch sends one PACKET_IN per emulated host (source
//!    MAC = the host, destination broadcast) so a learning switch knows every
//!    host's port; the generator waits for the floods (bounded);
//! 2. **measure**: each switch sends PACKET_INs for host pairs (source and
//!    destination both known, a new pair each time, cycling through all
//!    pairs), buffered on the "switch" (a buffer id), so a learning switch
//!    answers each with one FLOW_MOD (ours and os-ken's simple_switch_13
//!    alike). FLOW_MOD and PACKET_OUT answers are counted per second.
//!
//! Modes: `throughput` keeps up to `--window` PACKET_INs unanswered per
//! switch (cbench -t); `latency` sends the next one only after the answer
//! (cbench's default). Every run is bounded by `--seconds`; the generator
//! runs on one thread with non-blocking sockets.
//!
//! ```text
//! ofbench [--target 127.0.0.1:6653] [--switches 16] [--hosts 1000] [--seconds 10]
//!         [--mode throughput|latency] [--window 1000] [--settle-ms 1000]
//! ```
//!
//! The last line is machine-readable:
//! `RESULT mode=throughput switches=16 seconds=10.00 answers=... per_sec=... flow_mods=... packet_outs=...`.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use openflow::message::{Body, Message, SwitchConfig, SwitchFeatures};
use openflow::multipart::{MultipartReply, MultipartReplyBody, MultipartRequest};
use openflow::structs::Port;

const PORTS: u32 = 4;
const T_HELLO: u8 = 0;
const T_ECHO_REQUEST: u8 = 2;
const T_FEATURES_REQUEST: u8 = 5;
const T_GET_CONFIG_REQUEST: u8 = 7;
const T_PACKET_OUT: u8 = 13;
const T_FLOW_MOD: u8 = 14;
const T_MULTIPART_REQUEST: u8 = 18;
const T_BARRIER_REQUEST: u8 = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Throughput,
    Latency,
}

#[derive(Debug, Clone)]
struct Options {
    target: SocketAddr,
    switches: usize,
    hosts: u32,
    seconds: f64,
    mode: Mode,
    window: u64,
    settle_ms: u64,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        target: "127.0.0.1:6653".parse().unwrap(),
        switches: 16,
        hosts: 1000,
        seconds: 10.0,
        mode: Mode::Throughput,
        window: 1000,
        settle_ms: 1000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        let bad = |e: &dyn std::fmt::Display| format!("{flag}: {e}");
        match flag.as_str() {
            "--target" => o.target = value()?.parse().map_err(|e| bad(&e))?,
            "--switches" => o.switches = value()?.parse().map_err(|e| bad(&e))?,
            "--hosts" => o.hosts = value()?.parse().map_err(|e| bad(&e))?,
            "--seconds" => o.seconds = value()?.parse().map_err(|e| bad(&e))?,
            "--window" => o.window = value()?.parse().map_err(|e| bad(&e))?,
            "--settle-ms" => o.settle_ms = value()?.parse().map_err(|e| bad(&e))?,
            "--mode" => {
                o.mode = match value()?.as_str() {
                    "throughput" => Mode::Throughput,
                    "latency" => Mode::Latency,
                    m => return Err(format!("--mode: {m:?} is not throughput or latency")),
                }
            }
            "-h" | "--help" => return Err(String::new()),
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    if !(0.1..=3600.0).contains(&o.seconds)
        || o.switches == 0
        || o.switches > 4096
        || o.hosts < 5
        || o.window == 0
    {
        return Err(
            "need 0.1 <= --seconds <= 3600, 1 <= --switches <= 4096, --hosts >= 5, --window >= 1".into()
        );
    }
    Ok(o)
}

fn mac(host: u32) -> [u8; 6] {
    let b = host.to_be_bytes();
    [0x02, 0x00, b[0], b[1], b[2], b[3]]
}

/// The PACKET_IN template: header, fixed fields, an in_port match, a 60-byte frame.
fn packet_in_template() -> Vec<u8> {
    let mut m = Vec::with_capacity(110);
    m.extend_from_slice(&[4, 10, 0, 0, 0, 0, 0, 0]); // header; length patched below
    m.extend_from_slice(&[0, 0, 0, 0]); // buffer_id
    m.extend_from_slice(&60u16.to_be_bytes()); // total_len
    m.extend_from_slice(&[0, 0]); // reason NO_MATCH, table 0
    m.extend_from_slice(&[0; 8]); // cookie
    m.extend_from_slice(&[0, 1, 0, 12, 0x80, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0]); // OXM match, in_port, padded
    m.extend_from_slice(&[0, 0]); // pad
    let mut frame = [0u8; 60];
    frame[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    m.extend_from_slice(&frame);
    let len = m.len() as u16;
    m[2..4].copy_from_slice(&len.to_be_bytes());
    m
}

/// Offsets in the template.
const XID: usize = 4;
const BUFFER_ID: usize = 8;
const IN_PORT: usize = 32;
const FRAME: usize = 42;

struct Switch {
    dpid: u64,
    stream: TcpStream,
    rx: Vec<u8>,
    tx: Vec<u8>,
    up: bool,
    template: Vec<u8>,
    next_xid: u32,
    /// Pair counter for the measure phase.
    pair: u64,
    sent: u64,
    answered: u64,
    flow_mods: u64,
    packet_outs: u64,
    closed: bool,
}

impl Switch {
    fn port_of(host: u32) -> u32 {
        1 + host % PORTS
    }

    fn queue_packet_in(&mut self, src: u32, dst: Option<u32>, buffer_id: u32) {
        let t = &mut self.template;
        self.next_xid = self.next_xid.wrapping_add(1);
        t[XID..XID + 4].copy_from_slice(&self.next_xid.to_be_bytes());
        t[BUFFER_ID..BUFFER_ID + 4].copy_from_slice(&buffer_id.to_be_bytes());
        t[IN_PORT..IN_PORT + 4].copy_from_slice(&Self::port_of(src).to_be_bytes());
        t[FRAME..FRAME + 6].copy_from_slice(&dst.map_or([0xff; 6], mac));
        t[FRAME + 6..FRAME + 12].copy_from_slice(&mac(src));
        self.tx.extend_from_slice(t);
        self.sent += 1;
    }

    /// The next new pair (a, b) of hosts on different ports, cycling
    /// through all of them (hosts on one port need no flow: a learning
    /// switch may drop their packets without an answer).
    fn next_pair(&mut self, hosts: u32) -> (u32, u32) {
        let n = u64::from(hosts);
        loop {
            let i = self.pair % (n * (n - 1));
            self.pair += 1;
            let a = (i / (n - 1)) as u32;
            let mut b = (i % (n - 1)) as u32;
            if b >= a {
                b += 1;
            }
            if Self::port_of(a) != Self::port_of(b) {
                return (a, b);
            }
        }
    }

    fn reply(&mut self, xid: u32, body: impl Into<Body>) {
        Message::new(xid, body).encode_into(&mut self.tx);
    }

    /// Handles every whole message in `rx`.
    fn process(&mut self) {
        let mut at = 0;
        while let Some(h) = self.rx.get(at..at + 8) {
            let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
            if len < 8 {
                self.closed = true;
                return;
            }
            let Some(msg) = self.rx.get(at..at + len) else { break };
            let (t, xid) = (msg[1], u32::from_be_bytes([msg[4], msg[5], msg[6], msg[7]]));
            match t {
                T_FLOW_MOD => {
                    self.flow_mods += 1;
                    self.answered += 1;
                }
                T_PACKET_OUT => {
                    self.packet_outs += 1;
                    self.answered += 1;
                }
                T_HELLO => {}
                T_ECHO_REQUEST => {
                    let data = msg[8..].to_vec();
                    self.reply(xid, Body::EchoReply(data));
                }
                T_FEATURES_REQUEST => {
                    let f = SwitchFeatures {
                        datapath_id: self.dpid,
                        n_buffers: 256,
                        n_tables: 254,
                        capabilities: 0x4f,
                        ..Default::default()
                    };
                    self.reply(xid, f);
                    self.up = true;
                }
                T_GET_CONFIG_REQUEST => self.reply(xid, Body::GetConfigReply(SwitchConfig::default())),
                T_BARRIER_REQUEST => self.reply(xid, Body::BarrierReply),
                T_MULTIPART_REQUEST => {
                    let body = match Message::decode(msg).map(|m| m.body) {
                        Ok(Body::MultipartRequest(MultipartRequest {
                            body: openflow::multipart::MultipartRequestBody::PortDesc,
                            ..
                        })) => MultipartReplyBody::PortDesc(
                            (1..=PORTS)
                                .map(|p| {
                                    Port::new(
                                        p,
                                        [2, 0xfe, 0, self.dpid as u8, 0, p as u8],
                                        &format!("eth{p}"),
                                    )
                                })
                                .collect(),
                        ),
                        Ok(Body::MultipartRequest(r)) => {
                            MultipartReplyBody::Unknown { mp_type: r.mp_type().into(), body: vec![] }
                        }
                        _ => MultipartReplyBody::Flow(vec![]),
                    };
                    self.reply(xid, MultipartReply { flags: 0, body });
                }
                _ => {}
            }
            at += len;
        }
        self.rx.drain(..at);
    }

    /// Reads and writes what the socket takes now; false on EOF or error.
    fn pump(&mut self) -> bool {
        let mut buf = [0u8; 65536];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    self.closed = true;
                    break;
                }
                Ok(n) => {
                    self.rx.extend_from_slice(&buf[..n]);
                    if n < buf.len() {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.closed = true;
                    break;
                }
            }
        }
        self.process();
        while !self.tx.is_empty() {
            match self.stream.write(&self.tx) {
                Ok(n) => {
                    self.tx.drain(..n);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.closed = true;
                    break;
                }
            }
        }
        !self.closed
    }
}

trait EncodeInto {
    fn encode_into(&self, out: &mut Vec<u8>);
}

impl EncodeInto for Message {
    fn encode_into(&self, out: &mut Vec<u8>) {
        openflow::wire::Encode::encode(self, out);
    }
}

fn pump_all(switches: &mut [Switch]) -> Result<(), String> {
    for s in switches.iter_mut() {
        if !s.pump() {
            return Err(format!("switch {:#x}: the controller closed the connection", s.dpid));
        }
    }
    Ok(())
}

fn run(o: &Options) -> Result<(), String> {
    let mut switches = Vec::with_capacity(o.switches);
    for i in 0..o.switches {
        let stream = TcpStream::connect_timeout(&o.target, Duration::from_secs(5))
            .map_err(|e| format!("connect {}: {e}", o.target))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        stream.set_nonblocking(true).map_err(|e| e.to_string())?;
        let mut s = Switch {
            dpid: i as u64 + 1,
            stream,
            rx: Vec::new(),
            tx: Vec::new(),
            up: false,
            template: packet_in_template(),
            next_xid: 0,
            pair: 0,
            sent: 0,
            answered: 0,
            flow_mods: 0,
            packet_outs: 0,
            closed: false,
        };
        s.reply(0, openflow::message::Hello::openflow13());
        switches.push(s);
    }

    // Handshake, then let the controller settle (os-ken drops packet-ins
    // until its handlers reach MAIN_DISPATCHER).
    let deadline = Instant::now() + Duration::from_secs(15);
    while !switches.iter().all(|s| s.up) {
        pump_all(&mut switches)?;
        if Instant::now() > deadline {
            return Err("handshake did not complete in 15 s".into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let settle = Instant::now() + Duration::from_millis(o.settle_ms);
    while Instant::now() < settle {
        pump_all(&mut switches)?;
        std::thread::sleep(Duration::from_millis(5));
    }

    // Learn: one broadcast per host, answered by a flood each.
    for s in switches.iter_mut() {
        for h in 0..o.hosts {
            s.queue_packet_in(h, None, 0xffff_ffff);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while switches.iter().any(|s| s.packet_outs < s.sent) {
        pump_all(&mut switches)?;
        if Instant::now() > deadline {
            let (a, n) = switches.iter().fold((0, 0), |(a, n), s| (a + s.packet_outs, n + s.sent));
            return Err(format!("learning phase: {a} of {n} packet-ins answered in 30 s"));
        }
        std::thread::yield_now();
    }
    // Anything still in flight is answered before the counters restart.
    let quiet = Instant::now() + Duration::from_millis(200);
    while Instant::now() < quiet {
        pump_all(&mut switches)?;
        std::thread::sleep(Duration::from_millis(5));
    }
    for s in switches.iter_mut() {
        (s.sent, s.answered, s.flow_mods, s.packet_outs) = (0, 0, 0, 0);
    }

    // Measure.
    let window = if o.mode == Mode::Latency { 1 } else { o.window };
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(o.seconds);
    let mut next_report = start + Duration::from_secs(1);
    let mut last_answers = 0u64;
    let mut buffer_id = 1u32;
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        for s in switches.iter_mut() {
            // Refill the window (batched writes, like a busy switch).
            while s.sent.saturating_sub(s.answered) < window && s.tx.len() < 256 * 1024 {
                let (a, b) = s.next_pair(o.hosts);
                buffer_id = buffer_id.wrapping_add(1) & 0x7fff_ffff;
                s.queue_packet_in(a, Some(b), buffer_id);
            }
            if !s.pump() {
                return Err(format!("switch {:#x}: the controller closed the connection", s.dpid));
            }
        }
        if now >= next_report {
            let answers: u64 = switches.iter().map(|s| s.answered).sum();
            println!("{:6.1} s  {:>10} answers/s", (now - start).as_secs_f64(), answers - last_answers);
            last_answers = answers;
            next_report += Duration::from_secs(1);
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let answers: u64 = switches.iter().map(|s| s.answered).sum();
    let flow_mods: u64 = switches.iter().map(|s| s.flow_mods).sum();
    let packet_outs: u64 = switches.iter().map(|s| s.packet_outs).sum();
    let mode = if o.mode == Mode::Latency { "latency" } else { "throughput" };
    println!(
        "RESULT mode={mode} switches={} hosts={} seconds={elapsed:.2} answers={answers} per_sec={:.0} flow_mods={flow_mods} packet_outs={packet_outs}",
        o.switches,
        o.hosts,
        answers as f64 / elapsed
    );
    Ok(())
}

fn main() -> ExitCode {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("ofbench: {e}");
            }
            eprintln!(
                "usage: ofbench [--target ADDR:PORT] [--switches N] [--hosts N] [--seconds S] \
                 [--mode throughput|latency] [--window N] [--settle-ms MS]"
            );
            return ExitCode::from(2);
        }
    };
    match run(&o) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ofbench: {e}");
            ExitCode::FAILURE
        }
    }
}
