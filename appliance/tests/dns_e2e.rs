//! The `dns` service end to end, with real clients and real peers:
//!
//! - the appliance on the socket stack (127.0.0.1, a free port) answers `dig`
//!   and `kdig` over UDP and TCP: several queries on one connection,
//!   pipelined queries, TC over UDP then the whole answer over TCP, hostile
//!   input, the connection limit and the idle timeout;
//! - the same on the direct stack: a TAP device in a network namespace the
//!   test makes, `dig` and `kdig` from the kernel side (needs root);
//! - differential: NSD (and Knot, when installed) serve the same zone file
//!   and get the same `dig +norecurse` queries; rcode, flags, counts and every
//!   section must be identical to NSD's (ignoring record order within a
//!   section), and rcode, flags and answer identical to Knot's where Knot
//!   and NSD agree;
//! - SIGHUP reloads a changed zone; a broken one keeps the old serving and
//!   the log names file:line;
//! - `appliance zone check` and config errors.
//!
//! Tools missing (`dig`, `kdig`, `nsd`, `knotd`) or not root (TAP): the test
//! says SKIPPED and why. Every process started here is stopped by its PID.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Command, Output};
use std::thread;
use std::time::{Duration, Instant};

mod common;

use common::{BIN, Netns, Proc, free_port, have, is_root};

/// The test zone: every answer shape the differential test asks about.
const ZONE: &str = r#"$ORIGIN example.test.
$TTL 3600
@       IN SOA  ns1.example.test. hostmaster.example.test. (
                2024010101 ; serial
                7200       ; refresh
                3600       ; retry
                1209600    ; expire
                300 )      ; negative TTL
@       IN NS    ns1
@       IN NS    ns2
@       IN A     192.0.2.1
@       IN AAAA  2001:db8::1
@       IN MX    10 mail
@       IN MX    20 mail2
@       IN TXT   "v=spf1 mx -all"
@       IN CAA   0 issue "ca.example.net"
ns1     IN A     192.0.2.53
ns1     IN AAAA  2001:db8::53
ns2     IN A     198.51.100.53
mail    IN A     192.0.2.25
mail    IN AAAA  2001:db8::25
mail2   IN A     198.51.100.25
www     IN A     192.0.2.80
www     IN AAAA  2001:db8::80
www     600 IN TXT "short ttl"
alias   IN CNAME www
chain   IN CNAME alias
chain3  IN CNAME chain
ext     IN CNAME www.example.org.
loop1   IN CNAME loop2
loop2   IN CNAME loop1
dangling IN CNAME nothere
txt     IN TXT   "hello world" "second string"
*.wild  IN A     192.0.2.99
*.wild  IN TXT   "wildcard match"
*.cw    IN CNAME www
exact.wild IN A  192.0.2.98
a.b.ent IN A     192.0.2.77
_sip._tcp IN SRV 10 60 5060 sip
sip     IN A     192.0.2.60
naptr   IN NAPTR 100 10 "S" "SIP+D2U" "" _sip._tcp.example.test.
sshfp   IN SSHFP 1 1 dd465c09cfa51fb45020cc83316fff21b9ec74ac
tlsa    IN TLSA  3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6
svc     IN HTTPS 1 . alpn="h2,h3" port=8443
svc2    IN SVCB  0 svc.example.test.
loc     IN LOC   52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m
hinfo   IN HINFO "PC" "Linux"
rp      IN RP    hostmaster.example.test. txt.example.test.
ptr     IN PTR   www.example.test.
unk     IN TYPE65534 \# 4 0a000001
dn      IN DNAME sub.example.test.
www.sub IN A     192.0.2.200
dnx     IN DNAME example.org.
; a delegation with glue, and one without
child   IN NS    ns1.child
child   IN NS    ns2.child
ns1.child IN A   192.0.2.153
ns2.child IN AAAA 2001:db8::153
outside IN NS    ns.example.org.
"#;

/// The zone file text: [`ZONE`], 40 TXT records at `big` (about 2.4 KB:
/// truncated over UDP at 512 and 1232 bytes, whole at 4096) and 40 hosts.
fn zone_text() -> String {
    let mut z = ZONE.to_string();
    for i in 1..=40 {
        z += &format!("big\tIN TXT\t\"{}-{i:02}\"\n", "x".repeat(50));
    }
    for i in 1..=40 {
        z += &format!("h{i}\tIN A\t192.0.2.{}\n", 100 + i);
    }
    z
}

// ---- DNS by hand (for pipelining and hostile input) ----------------------------

/// A query message: id, one question, RD clear, no EDNS.
fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.').filter(|l| !l.is_empty()) {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.push(0);
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes());
    m
}

fn framed(msg: &[u8]) -> Vec<u8> {
    let mut v = (msg.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(msg);
    v
}

/// (id, rcode, AA, TC, ANCOUNT) of a response.
fn summary(resp: &[u8]) -> (u16, u8, bool, bool, u16) {
    assert!(resp.len() >= 12, "response shorter than a header: {resp:?}");
    let id = u16::from_be_bytes([resp[0], resp[1]]);
    assert!(resp[2] & 0x80 != 0, "QR clear in a response");
    (id, resp[3] & 0x0f, resp[2] & 0x04 != 0, resp[2] & 0x02 != 0, u16::from_be_bytes([resp[6], resp[7]]))
}

fn read_framed(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len)?;
    let mut msg = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut msg)?;
    Ok(msg)
}

fn udp_ask(server: SocketAddr, msg: &[u8]) -> Option<Vec<u8>> {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    sock.send_to(msg, server).unwrap();
    let mut buf = [0u8; 65536];
    sock.recv_from(&mut buf).ok().map(|(n, _)| buf[..n].to_vec())
}

/// Waits until `server` answers an SOA query over UDP.
fn wait_ready(server: SocketAddr, what: &dyn Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while udp_ask(server, &query(1, "example.test", 6)).is_none() {
        assert!(Instant::now() < deadline, "{server} never answered\n{}", what());
        thread::sleep(Duration::from_millis(50));
    }
}

// ---- dig / kdig output -----------------------------------------------------------

/// One response as dig or kdig prints it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Printed {
    opcode: String,
    status: String,
    /// The flags, sorted (`aa qr`).
    flags: String,
    /// QUERY/ANSWER/AUTHORITY/ADDITIONAL counts.
    counts: String,
    /// The EDNS line (dig: `; EDNS: version: 0, flags:; udp: 1232`).
    edns: Option<String>,
    answer: Vec<String>,
    authority: Vec<String>,
    additional: Vec<String>,
}

impl Printed {
    fn has_flag(&self, f: &str) -> bool {
        self.flags.split(' ').any(|x| x == f)
    }
    /// Sections with records sorted: the order inside an RRset is free.
    fn sorted(&self) -> Printed {
        let mut p = self.clone();
        p.answer.sort();
        p.authority.sort();
        p.additional.sort();
        p
    }
}

/// Every response in a dig or kdig output, in order.
fn parse_printed(text: &str) -> Vec<Printed> {
    let mut out: Vec<Printed> = Vec::new();
    let mut section: Option<u8> = None;
    for line in text.lines() {
        let l = line.trim();
        if let Some(rest) = l.strip_prefix(";; ->>HEADER<<- ") {
            let field = |k: &str| {
                rest.split([',', ';'])
                    .find_map(|f| f.trim().strip_prefix(k).map(|v| v.trim().to_string()))
                    .unwrap_or_default()
            };
            out.push(Printed { opcode: field("opcode:"), status: field("status:"), ..Printed::default() });
            section = None;
            continue;
        }
        let Some(cur) = out.last_mut() else { continue };
        let lower = l.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix(";; flags:") {
            let (flags, counts) = rest.split_once(';').unwrap_or((rest, ""));
            let mut f: Vec<&str> = flags.split_whitespace().collect();
            f.sort_unstable();
            cur.flags = f.join(" ");
            cur.counts = counts.replace(';', ",").split_whitespace().collect::<Vec<_>>().join(" ");
            continue;
        }
        if l.starts_with("; EDNS:") || l.starts_with(";; Version:") {
            cur.edns = Some(l.split_whitespace().collect::<Vec<_>>().join(" "));
            continue;
        }
        match l {
            ";; ANSWER SECTION:" => section = Some(1),
            ";; AUTHORITY SECTION:" => section = Some(2),
            ";; ADDITIONAL SECTION:" => section = Some(3),
            "" => section = None,
            _ if l.starts_with(';') => {}
            _ => {
                let rr = l.split_whitespace().collect::<Vec<_>>().join(" ");
                match section {
                    Some(1) => cur.answer.push(rr),
                    Some(2) => cur.authority.push(rr),
                    Some(3) => cur.additional.push(rr),
                    _ => {}
                }
            }
        }
    }
    out
}

/// Runs dig (or kdig) with `args` against `server`, optionally inside a
/// network namespace; returns the parsed responses and the raw text.
fn ask(tool: &str, netns: Option<&str>, server: SocketAddr, args: &[&str]) -> (Vec<Printed>, String) {
    let mut cmd = match netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns, tool]);
            c
        }
        None => Command::new(tool),
    };
    cmd.arg(format!("@{}", server.ip())).args(["-p", &server.port().to_string()]);
    if tool == "dig" {
        cmd.args(["+time=2", "+tries=1", "+nocookie"]);
    } else {
        cmd.args(["+timeout=2", "+retry=0"]);
    }
    let out = cmd.args(args).output().unwrap_or_else(|e| panic!("{tool}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (parse_printed(&text), text)
}

fn one(tool: &str, netns: Option<&str>, server: SocketAddr, args: &[&str]) -> Printed {
    let (mut all, text) = ask(tool, netns, server, args);
    assert_eq!(all.len(), 1, "{tool} {args:?}: expected one response:\n{text}");
    all.remove(0)
}

/// The client checks shared by the socket-stack and direct-stack tests.
fn client_checks(netns: Option<&str>, server: SocketAddr, log: &dyn Fn() -> String) {
    for tool in ["dig", "kdig"] {
        if !have(tool, "-v") {
            eprintln!(
                "note: {tool} is not installed (apt-get install bind9-dnsutils knot-dnsutils): not used"
            );
            continue;
        }
        for transport in ["+notcp", "+tcp"] {
            let p = one(tool, netns, server, &[transport, "+norec", "www.example.test", "A"]);
            assert_eq!(p.status, "NOERROR", "{tool} {transport}\n{}", log());
            assert!(p.has_flag("aa") && p.has_flag("qr"), "{tool} {transport}: flags {}", p.flags);
            assert_eq!(p.answer, vec!["www.example.test. 3600 IN A 192.0.2.80"], "{tool} {transport}");
        }
        // Several queries on one TCP connection.
        let (all, text) = ask(
            tool,
            netns,
            server,
            &[
                "+tcp",
                "+keepopen",
                "+norec",
                "www.example.test",
                "AAAA",
                "mail.example.test",
                "A",
                "nope.example.test",
                "A",
            ],
        );
        assert_eq!(all.len(), 3, "{tool} +keepopen:\n{text}");
        assert_eq!(all[0].answer, vec!["www.example.test. 3600 IN AAAA 2001:db8::80"]);
        assert_eq!(all[1].answer, vec!["mail.example.test. 3600 IN A 192.0.2.25"]);
        assert_eq!(all[2].status, "NXDOMAIN");

        // A big answer: TC over UDP without EDNS, whole over TCP.
        let ignore = "+ignore";
        let p = one(tool, netns, server, &["+noedns", ignore, "+norec", "big.example.test", "TXT"]);
        assert!(p.has_flag("tc"), "{tool}: no TC on a 2.4 KB answer over UDP: {p:?}");
        let p = one(tool, netns, server, &["+tcp", "+norec", "big.example.test", "TXT"]);
        assert!(!p.has_flag("tc"), "{tool}: TC over TCP");
        assert_eq!(p.answer.len(), 40, "{tool}: the whole RRset over TCP");
        // Without +ignore the client retries over TCP by itself.
        if tool == "dig" {
            let (all, text) = ask(tool, netns, server, &["+noedns", "+norec", "big.example.test", "TXT"]);
            let last = all.last().unwrap_or_else(|| panic!("no answer:\n{text}"));
            assert_eq!(last.answer.len(), 40, "dig's TCP retry:\n{text}");
            assert!(text.contains("Truncated, retrying in TCP mode"), "{text}");
        }
    }
}

/// The appliance's `dns` command on the socket stack.
fn start_socket_appliance(dir: &Path, zone: &Path, port: u16, extra: &[&str]) -> Proc {
    let log = dir.join(format!("appliance-{port}.log"));
    let mut cmd = Command::new(BIN);
    cmd.args(["dns", "--zone"]).arg(zone).args(["--origin", "example.test", "--port", &port.to_string()]);
    cmd.args(["--net", "socket", "--addr", "127.0.0.1"]).args(extra).env("RUST_LOG", "info");
    let p = Proc::spawn(&mut cmd, Some(&log));
    wait_ready(SocketAddr::from(([127, 0, 0, 1], port)), &|| p.log());
    p
}

#[test]
fn socket_stack_answers_dig_and_kdig_over_udp_and_tcp() {
    if !have("dig", "-v") && !have("kdig", "-V") {
        eprintln!(
            "SKIPPED socket_stack_answers_dig_and_kdig_over_udp_and_tcp: neither dig nor kdig is installed"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("example.test.zone");
    std::fs::write(&zone, zone_text()).unwrap();
    let port = free_port();
    let metrics_port = free_port();
    let mut app =
        start_socket_appliance(dir.path(), &zone, port, &["--metrics-port", &metrics_port.to_string()]);
    let server = SocketAddr::from(([127, 0, 0, 1], port));
    client_checks(None, server, &|| app.log());

    // kdig +keepopen put its three queries on one connection.
    if have("kdig", "-V") {
        let before = scrape(metrics_port, "appliance_service_connections_total{service=\"dns\"}");
        let (all, text) = ask(
            "kdig",
            None,
            server,
            &["+tcp", "+keepopen", "www.example.test", "A", "ns1.example.test", "A", "h1.example.test", "A"],
        );
        assert_eq!(all.len(), 3, "{text}");
        let after = scrape(metrics_port, "appliance_service_connections_total{service=\"dns\"}");
        assert_eq!(after - before, 1, "three queries, one connection");
    }

    // Pipelining (RFC 7766 §6.2.1.1): 100 queries in one write, answers in order.
    let mut stream = TcpStream::connect(server).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let names = ["www.example.test", "nope.example.test", "big.example.test", "alias.example.test"];
    let mut burst = Vec::new();
    for i in 0..100u16 {
        burst.extend(framed(&query(1000 + i, names[usize::from(i) % 4], if i % 4 == 2 { 16 } else { 1 })));
    }
    stream.write_all(&burst).unwrap();
    for i in 0..100u16 {
        let resp = read_framed(&mut stream).expect("pipelined answer");
        let (id, rcode, aa, tc, ancount) = summary(&resp);
        assert_eq!(id, 1000 + i, "answers come in query order");
        assert!(aa && !tc);
        match i % 4 {
            0 => assert_eq!((rcode, ancount), (0, 1)),
            1 => assert_eq!((rcode, ancount), (3, 0)),
            2 => assert_eq!((rcode, ancount), (0, 40)),
            _ => assert_eq!((rcode, ancount), (0, 2)),
        }
    }
    // A message split across writes is answered once whole.
    let q = framed(&query(7, "h7.example.test", 1));
    stream.write_all(&q[..5]).unwrap();
    thread::sleep(Duration::from_millis(100));
    stream.write_all(&q[5..]).unwrap();
    assert_eq!(summary(&read_framed(&mut stream).unwrap()).0, 7);

    // Hostile input: nothing crashes, the service keeps answering.
    for junk in [&[][..], &[0u8; 5][..], &[0xff; 12][..], &[0x12, 0x34, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0][..]]
    {
        let _ = udp_ask(server, junk);
    }
    let (_, rcode, ..) =
        summary(&udp_ask(server, &[0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9]).expect("FORMERR"));
    assert_eq!(rcode, 1, "a question cut short is FORMERR");
    let mut zero = TcpStream::connect(server).unwrap();
    zero.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    zero.write_all(&[0, 0]).unwrap();
    let mut rest = Vec::new();
    assert_eq!(zero.read_to_end(&mut rest).unwrap_or(0), 0, "a zero-length message ends the connection");
    let mut cut = TcpStream::connect(server).unwrap();
    cut.write_all(&framed(&query(9, "www.example.test", 1))[..8]).unwrap();
    drop(cut);
    assert!(udp_ask(server, &query(2, "www.example.test", 1)).is_some(), "still serving\n{}", app.log());

    let status = app.stop();
    assert!(status.success(), "exit {status:?}\n{}", app.log());
    assert!(app.log().contains("service dns:"), "counters at shutdown:\n{}", app.log());
}

/// VmRSS of a process, in kB.
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:").and_then(|v| v.split_whitespace().next()?.parse().ok()))
        .unwrap_or(0)
}

#[test]
fn a_client_that_does_not_read_is_not_read_and_memory_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("example.test.zone");
    std::fs::write(&zone, zone_text()).unwrap();
    let port = free_port();
    let app = start_socket_appliance(dir.path(), &zone, port, &[]);
    let server = SocketAddr::from(([127, 0, 0, 1], port));
    let before = rss_kb(app.pid());

    // 40,000 pipelined queries for the 2.4 KB answer: ~100 MB of answers,
    // and the client reads nothing for a while.
    const N: u16 = 40_000;
    let stream = TcpStream::connect(server).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let sender = thread::spawn(move || {
        let mut burst = Vec::new();
        for i in 0..N {
            burst.extend(framed(&query(i, "big.example.test", 16)));
        }
        // Blocks once the server stops reading (its window closes).
        writer.write_all(&burst).is_ok()
    });
    thread::sleep(Duration::from_secs(2));
    let stalled = rss_kb(app.pid());
    eprintln!("RSS before: {before} kB; with a client that does not read: {stalled} kB");
    assert!(
        stalled < before + 16 * 1024,
        "RSS grew from {before} kB to {stalled} kB while the client did not read\n{}",
        app.log()
    );
    // Now read everything: all answers, in order.
    let mut reader = stream;
    reader.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    for i in 0..N {
        let resp = read_framed(&mut reader).unwrap_or_else(|e| panic!("answer {i}: {e}\n{}", app.log()));
        let (id, rcode, _, tc, ancount) = summary(&resp);
        assert_eq!((id, rcode, tc, ancount), (i, 0, false, 40));
    }
    assert!(sender.join().unwrap(), "the sender finished");
}

/// One counter's value from the metrics endpoint.
fn scrape(port: u16, key: &str) -> i64 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|v| v.trim().parse().ok()))
        .unwrap_or_else(|| panic!("{key} not in\n{text}"))
}

#[test]
fn connection_limit_and_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("example.test.zone");
    std::fs::write(&zone, zone_text()).unwrap();
    let port = free_port();
    let config = dir.path().join("dns.toml");
    std::fs::write(
        &config,
        format!(
            "[[service]]\nkind = \"dns\"\nport = {port}\nmax_tcp_connections = 2\ntcp_idle_timeout = 1\n\
             zones = [{{ file = \"{}\", origin = \"example.test.\" }}]\n",
            zone.display()
        ),
    )
    .unwrap();
    let log = dir.path().join("appliance.log");
    let app = Proc::spawn(
        Command::new(BIN).args(["run", "--config"]).arg(&config).env("RUST_LOG", "info"),
        Some(&log),
    );
    let server = SocketAddr::from(([127, 0, 0, 1], port));
    wait_ready(server, &|| app.log());

    let open = || {
        let s = TcpStream::connect(server).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s
    };
    let (mut a, mut b) = (open(), open());
    for (i, s) in [&mut a, &mut b].into_iter().enumerate() {
        s.write_all(&framed(&query(i as u16, "www.example.test", 1))).unwrap();
        assert_eq!(summary(&read_framed(s).unwrap()).0, i as u16);
    }
    // The third is over the limit: closed at once, unanswered.
    let mut c = open();
    let _ = c.write_all(&framed(&query(3, "www.example.test", 1)));
    let mut rest = Vec::new();
    assert_eq!(c.read_to_end(&mut rest).unwrap_or(0), 0, "third connection is closed");

    // Idle: after a second without a query both are closed by the server;
    // a half-sent message does not keep one alive.
    a.write_all(&[0, 40, 1, 2, 3]).unwrap();
    let t = Instant::now();
    for s in [&mut a, &mut b] {
        let mut rest = Vec::new();
        assert_eq!(s.read_to_end(&mut rest).unwrap_or(0), 0);
    }
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(700) && waited < Duration::from_secs(4),
        "closed after {waited:?}"
    );
    // With both gone there is room again.
    let mut d = open();
    d.write_all(&framed(&query(4, "www.example.test", 1))).unwrap();
    assert_eq!(summary(&read_framed(&mut d).unwrap()).0, 4);
}

// ---- direct stack ------------------------------------------------------------------

#[test]
fn direct_stack_on_tap_answers_dig_from_the_kernel_side() {
    let skip = if !is_root() {
        Some("needs root for network namespaces and TAP devices".to_string())
    } else if !Path::new("/dev/net/tun").exists() {
        Some("/dev/net/tun is missing".into())
    } else if !have("ip", "-V") {
        Some("`ip` is not installed (apt-get install iproute2)".into())
    } else if !have("dig", "-v") {
        Some("`dig` is not installed (apt-get install bind9-dnsutils)".into())
    } else {
        None
    };
    if let Some(reason) = skip {
        eprintln!("SKIPPED direct_stack_on_tap_answers_dig_from_the_kernel_side: {reason}");
        return;
    }
    const TAP: &str = "apdns0";
    let ns = Netns::create(&format!("apl-dns-{}", std::process::id()));
    for cmd in [
        vec!["ip", "link", "set", "lo", "up"],
        vec!["ip", "tuntap", "add", "dev", TAP, "mode", "tap"],
        vec!["ip", "addr", "add", "10.96.0.1/24", "dev", TAP],
        vec!["ip", "link", "set", TAP, "up"],
    ] {
        let out = ns.exec(&cmd);
        assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("example.test.zone");
    std::fs::write(&zone, zone_text()).unwrap();
    let log = dir.path().join("appliance.log");
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &ns.0, BIN, "dns", "--zone"]).arg(&zone);
    cmd.args(["--port", "53", "--net", &format!("tap:{TAP}"), "--addr", "10.96.0.2/24"])
        .env("RUST_LOG", "info");
    // `ip netns exec` execs the program, so this PID is the appliance's.
    let mut app = Proc::spawn(&mut cmd, Some(&log));
    let server: SocketAddr = "10.96.0.2:53".parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (all, _) = ask("dig", Some(&ns.0), server, &["+norec", "example.test", "SOA"]);
        if all.first().is_some_and(|p| p.status == "NOERROR") {
            break;
        }
        assert!(Instant::now() < deadline, "the direct stack never answered\n{}", app.log());
        thread::sleep(Duration::from_millis(200));
    }
    client_checks(Some(&ns.0), server, &|| app.log());

    // Pipelined queries over the direct stack's TCP.
    let ok = ns.on_thread(move || {
        let mut stream = TcpStream::connect_timeout(&server, Duration::from_secs(5)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut burst = Vec::new();
        for i in 0..50u16 {
            burst.extend(framed(&query(
                i,
                if i % 2 == 0 { "big.example.test" } else { "h3.example.test" },
                16 - 15 * (i % 2),
            )));
        }
        stream.write_all(&burst).unwrap();
        (0..50u16).all(|i| {
            let resp = read_framed(&mut stream).expect("answer");
            let (id, rcode, _, tc, ancount) = summary(&resp);
            id == i && rcode == 0 && !tc && ancount == if i % 2 == 0 { 40 } else { 1 }
        })
    });
    assert!(ok, "pipelined answers over the direct stack\n{}", app.log());
    let status = app.stop();
    assert!(status.success(), "exit {status:?}\n{}", app.log());
}

// ---- differential: NSD and Knot ----------------------------------------------------

/// NSD on `port` serving `zone` (a file in `dir`), in the foreground.
fn start_nsd(dir: &Path, zone: &Path, port: u16) -> Proc {
    let d = dir.display();
    let conf = dir.join("nsd.conf");
    std::fs::write(
        &conf,
        format!(
            "server:\n    ip-address: 127.0.0.1@{port}\n    port: {port}\n    username: \"\"\n    chroot: \"\"\n\
             \x20   zonesdir: \"{d}\"\n    database: \"\"\n    zonelistfile: \"{d}/zone.list\"\n\
             \x20   xfrdfile: \"{d}/xfrd.state\"\n    xfrdir: \"{d}\"\n    pidfile: \"{d}/nsd.pid\"\n\
             \x20   logfile: \"{d}/nsd.log\"\n    server-count: 1\n    rrl-ratelimit: 0\n\
             \x20   rrl-whitelist-ratelimit: 0\n    verbosity: 1\nremote-control:\n    control-enable: no\n\
             zone:\n    name: example.test\n    zonefile: {}\n",
            zone.display()
        ),
    )
    .unwrap();
    // -d: NSD's main process stays in the foreground; its children die with it.
    let p = Proc::spawn(Command::new("nsd").args(["-d", "-c"]).arg(&conf), Some(&dir.join("nsd.stderr")));
    wait_ready(SocketAddr::from(([127, 0, 0, 1], port)), &|| {
        format!("{}{}", p.log(), std::fs::read_to_string(dir.join("nsd.log")).unwrap_or_default())
    });
    p
}

/// Knot on `port` serving `zone`, in the foreground.
fn start_knot(dir: &Path, zone: &Path, port: u16) -> Proc {
    let d = dir.display();
    std::fs::create_dir_all(dir.join("db")).unwrap();
    let conf = dir.join("knot.conf");
    std::fs::write(
        &conf,
        format!(
            "server:\n    rundir: \"{d}\"\n    pidfile: \"{d}/knot.pid\"\n    listen: 127.0.0.1@{port}\n\
             \x20   udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n\
             log:\n  - target: \"{d}/knot.log\"\n    any: info\ndatabase:\n    storage: \"{d}/db\"\n\
             control:\n    listen: \"{d}/knot.sock\"\ntemplate:\n  - id: default\n    storage: \"{d}\"\n\
             \x20   semantic-checks: on\n    journal-content: none\n    zonefile-sync: -1\n    zonefile-load: whole\n\
             zone:\n  - domain: example.test\n    file: \"{}\"\n",
            zone.display()
        ),
    )
    .unwrap();
    let p = Proc::spawn(Command::new("knotd").arg("-c").arg(&conf), Some(&dir.join("knot.stderr")));
    wait_ready(SocketAddr::from(([127, 0, 0, 1], port)), &|| {
        format!("{}{}", p.log(), std::fs::read_to_string(dir.join("knot.log")).unwrap_or_default())
    });
    p
}

/// The differential queries: (what, dig arguments).
const QUERIES: &[(&str, &[&str])] = &[
    ("apex SOA", &["example.test", "SOA"]),
    ("apex NS", &["example.test", "NS"]),
    ("apex MX, additional addresses", &["example.test", "MX"]),
    ("apex CAA", &["example.test", "CAA"]),
    ("A", &["www.example.test", "A"]),
    ("AAAA", &["www.example.test", "AAAA"]),
    ("TXT with a short TTL", &["www.example.test", "TXT"]),
    ("TXT, two strings", &["txt.example.test", "TXT"]),
    ("mixed-case name", &["WwW.ExAmPlE.TeSt", "A"]),
    ("NODATA", &["www.example.test", "MX"]),
    ("NODATA at an empty non-terminal", &["b.ent.example.test", "A"]),
    ("NXDOMAIN", &["nope.example.test", "A"]),
    ("NXDOMAIN below an empty non-terminal", &["x.b.ent.example.test", "A"]),
    ("CNAME", &["alias.example.test", "A"]),
    ("CNAME chain of three", &["chain3.example.test", "AAAA"]),
    ("CNAME out of the zone", &["ext.example.test", "A"]),
    ("CNAME loop", &["loop1.example.test", "A"]),
    ("CNAME to a missing name", &["dangling.example.test", "A"]),
    ("CNAME asked for itself", &["alias.example.test", "CNAME"]),
    ("CNAME chain, NODATA at the end", &["chain.example.test", "MX"]),
    ("wildcard A", &["foo.wild.example.test", "A"]),
    ("wildcard two labels deep", &["a.b.wild.example.test", "TXT"]),
    ("wildcard NODATA", &["foo.wild.example.test", "MX"]),
    ("name beside a wildcard", &["exact.wild.example.test", "TXT"]),
    ("wildcard CNAME", &["x.cw.example.test", "A"]),
    ("referral with glue", &["host.child.example.test", "A"]),
    ("referral at the cut", &["child.example.test", "NS"]),
    ("glue name below the cut", &["ns1.child.example.test", "A"]),
    ("referral without glue", &["a.outside.example.test", "A"]),
    ("DNAME", &["www.dn.example.test", "A"]),
    ("DNAME out of the zone", &["www.dnx.example.test", "A"]),
    ("DNAME asked for itself", &["dn.example.test", "DNAME"]),
    ("at the DNAME owner", &["dn.example.test", "A"]),
    ("SRV, target address", &["_sip._tcp.example.test", "SRV"]),
    ("NAPTR", &["naptr.example.test", "NAPTR"]),
    ("SSHFP", &["sshfp.example.test", "SSHFP"]),
    ("TLSA", &["tlsa.example.test", "TLSA"]),
    ("HTTPS", &["svc.example.test", "HTTPS"]),
    ("SVCB", &["svc2.example.test", "SVCB"]),
    ("LOC", &["loc.example.test", "LOC"]),
    ("HINFO", &["hinfo.example.test", "HINFO"]),
    ("RP", &["rp.example.test", "RP"]),
    ("PTR", &["ptr.example.test", "PTR"]),
    ("unknown type (RFC 3597)", &["unk.example.test", "TYPE65534"]),
    ("out of zone: REFUSED", &["www.example.org", "A"]),
    ("the root: REFUSED", &[".", "SOA"]),
    ("ANY at the apex (RFC 8482)", &["example.test", "ANY"]),
    ("ANY at a name", &["www.example.test", "ANY"]),
    ("ANY at a missing name", &["nope.example.test", "ANY"]),
    ("big answer, EDNS 512", &["+bufsize=512", "+ignore", "big.example.test", "TXT"]),
    ("big answer, EDNS 1232", &["+bufsize=1232", "+ignore", "big.example.test", "TXT"]),
    ("big answer, EDNS 4096", &["+bufsize=4096", "+ignore", "big.example.test", "TXT"]),
    ("big answer, no EDNS", &["+noedns", "+ignore", "big.example.test", "TXT"]),
    ("big answer over TCP", &["+tcp", "big.example.test", "TXT"]),
    ("no EDNS, additional section", &["+noedns", "example.test", "MX"]),
    ("EDNS 4096, apex MX", &["+bufsize=4096", "example.test", "MX"]),
    ("DO bit", &["+dnssec", "www.example.test", "A"]),
    ("EDNS version 1: BADVERS", &["+edns=1", "+noednsneg", "www.example.test", "A"]),
    ("RD set", &["+rec", "www.example.test", "A"]),
    ("unknown opcode", &["+opcode=15", "example.test", "SOA"]),
    ("unknown opcode, no EDNS", &["+opcode=15", "+noedns", "example.test", "SOA"]),
    ("NXDOMAIN over TCP", &["+tcp", "nope.example.test", "A"]),
    ("referral over TCP", &["+tcp", "host.child.example.test", "AAAA"]),
];

#[test]
fn differential_answers_equal_nsd_and_knot() {
    if !have("dig", "-v") || !have("nsd", "-v") {
        eprintln!(
            "SKIPPED differential_answers_equal_nsd_and_knot: needs dig and nsd (apt-get install bind9-dnsutils nsd)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("example.test.zone");
    std::fs::write(&zone, zone_text()).unwrap();
    let (ours, nsd_port) = (free_port(), free_port());
    let mut app = start_socket_appliance(dir.path(), &zone, ours, &[]);
    let nsd_dir = dir.path().join("nsd");
    std::fs::create_dir_all(&nsd_dir).unwrap();
    let mut nsd = start_nsd(&nsd_dir, &zone, nsd_port);
    let knot = if have("knotd", "-V") {
        let port = free_port();
        let knot_dir = dir.path().join("knot");
        std::fs::create_dir_all(&knot_dir).unwrap();
        Some((start_knot(&knot_dir, &zone, port), port))
    } else {
        eprintln!("note: knotd is not installed (apt-get install knot): compared with NSD only");
        None
    };
    let at = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));

    let mut failures = Vec::new();
    let mut knot_notes = Vec::new();
    for (what, args) in QUERIES {
        let mut full = vec!["+norec"];
        if args.contains(&"+rec") {
            full.clear();
        }
        full.extend_from_slice(args);
        let (a, a_text) = ask("dig", None, at(ours), &full);
        let (n, n_text) = ask("dig", None, at(nsd_port), &full);
        let (a, n) = (a.last().cloned(), n.last().cloned());
        if let Some(n) = &n {
            assert!(
                !n.status.is_empty() && !n.flags.is_empty(),
                "{what}: NSD's answer did not parse:\n{n_text}"
            );
        }
        match (&a, &n) {
            (Some(a), Some(n)) if a.sorted() == n.sorted() => {}
            (_, None) => failures.push(format!("-- {what} {args:?}: NSD gave no answer:\n{n_text}")),
            _ => failures.push(format!("-- {what} {args:?}: differs\n   ours:\n{a_text}\n   NSD:\n{n_text}")),
        }
        if let (Some((_, port)), Some(a), Some(n)) = (&knot, &a, &n) {
            let (k, k_text) = ask("dig", None, at(*port), &full);
            let Some(k) = k.last() else { continue };
            let key = |p: &Printed| (p.status.clone(), p.flags.clone(), p.sorted().answer);
            if key(k) == key(n) && key(a) != key(k) {
                failures
                    .push(format!("-- {what} {args:?}: differs from Knot (which agrees with NSD)\n{k_text}"));
            } else if key(k) != key(n) {
                knot_notes.push(format!("{what}: Knot and NSD differ ({} vs {})", k.status, n.status));
            }
        }
    }
    for note in &knot_notes {
        eprintln!("note: {note}");
    }
    eprintln!(
        "{} queries: {} identical to NSD's answers{}",
        QUERIES.len(),
        QUERIES.len() - failures.len(),
        if knot.is_some() { format!("; Knot and NSD differ on {}", knot_notes.len()) } else { String::new() }
    );
    let knot_done = knot.map(|(mut k, _)| k.stop());
    nsd.stop();
    let _ = knot_done;
    assert!(
        failures.is_empty(),
        "{} of {} queries differ:\n{}\n{}",
        failures.len(),
        QUERIES.len(),
        failures.join("\n"),
        app.log()
    );
    assert!(app.stop().success());
}

// ---- SIGHUP reload -------------------------------------------------------------------

#[test]
fn sighup_reloads_changed_zones_and_keeps_the_old_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("example.test.zone");
    std::fs::write(&zone, zone_text()).unwrap();
    let port = free_port();
    let app = start_socket_appliance(dir.path(), &zone, port, &[]);
    let server = SocketAddr::from(([127, 0, 0, 1], port));
    let ask_a = |name: &str| summary(&udp_ask(server, &query(5, name, 1)).expect("answer"));
    assert_eq!(ask_a("fresh.example.test").1, 3, "NXDOMAIN before the reload");

    // A new serial and a new record, then SIGHUP: the new record is served.
    let changed = zone_text().replace("2024010101", "2024010102") + "fresh\tIN A\t192.0.2.222\n";
    std::fs::write(&zone, &changed).unwrap();
    app.signal(libc::SIGHUP);
    let deadline = Instant::now() + Duration::from_secs(10);
    while ask_a("fresh.example.test").1 != 0 {
        assert!(Instant::now() < deadline, "new record not served after SIGHUP\n{}", app.log());
        thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(ask_a("fresh.example.test"), (5, 0, true, false, 1));
    let log = app.log();
    assert!(log.contains("2024010102"), "the log names the new serial:\n{log}");

    // A broken zone: the old one keeps serving, the log says where.
    let mut broken: Vec<String> = changed.lines().map(str::to_string).collect();
    let bad_line = 20;
    broken[bad_line - 1] = "www     IN A     192.0.2.999".into();
    std::fs::write(&zone, broken.join("\n") + "\n").unwrap();
    app.signal(libc::SIGHUP);
    let needle = format!("{}:{bad_line}:", zone.display());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !app.log().contains(&needle) {
        assert!(Instant::now() < deadline, "no `{needle}` in the log after a bad reload:\n{}", app.log());
        thread::sleep(Duration::from_millis(50));
    }
    assert!(app.log().contains("old zones keep serving"), "{}", app.log());
    assert_eq!(ask_a("fresh.example.test"), (5, 0, true, false, 1), "the old zone still serves");
    assert_eq!(ask_a("www.example.test").1, 0);
    // The process is alive and well.
    let mut app = app;
    assert!(app.stop().success(), "{}", app.log());
}

// ---- zone check and config errors -------------------------------------------------

fn appliance(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run appliance")
}

#[test]
fn zone_check_reports_file_line_column_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("example.test.zone");
    std::fs::write(&good, zone_text()).unwrap();
    let out = appliance(&["zone", "check", good.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("zone example.test. is ok"), "{stdout}");

    // A syntax error: file:line:column.
    let bad = dir.path().join("bad.zone");
    std::fs::write(&bad, "$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.300\n")
        .unwrap();
    let out = appliance(&["zone", "check", bad.to_str().unwrap(), "--origin", "bad.test"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}:5:", bad.display())), "{stderr}");
    let col = stderr.split(&format!("{}:5:", bad.display())).nth(1).and_then(|r| r.split(':').next());
    assert!(col.is_some_and(|c| c.parse::<u32>().is_ok()), "a column after the line: {stderr}");

    // A semantic error: CNAME beside other data.
    std::fs::write(&bad, "$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nns CNAME www\n").unwrap();
    let out = appliance(&["zone", "check", bad.to_str().unwrap(), "--origin", "bad.test."]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&bad.display().to_string()));

    // Missing file.
    let out = appliance(&["zone", "check", dir.path().join("missing.zone").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));

    // `appliance dns` with a broken zone does not start.
    let port = free_port().to_string();
    let out = appliance(&["dns", "--zone", bad.to_str().unwrap(), "--origin", "bad.test", "--port", &port]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&bad.display().to_string()));
    // More --origin than --zone.
    let out = appliance(&["dns", "--zone", good.to_str().unwrap(), "--origin", "a.", "--origin", "b."]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn bad_dns_config_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("example.test.zone");
    std::fs::write(&zone, zone_text()).unwrap();
    let config = dir.path().join("dns.toml");
    let check = |text: &str| {
        std::fs::write(&config, text).unwrap();
        appliance(&["check-config", config.to_str().unwrap()])
    };
    let z = zone.display();
    let out = check(&format!("[[service]]\nkind = \"dns\"\nport = 5353\nzone = [\"{z}\"]\n"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for (text, needle) in [
        ("[[service]]\nkind = \"dns\"\nzones = []\n".to_string(), "service[0].zones"),
        (
            format!("[[service]]\nkind = \"dns\"\nmax_udp_payload = 100\nzones = [\"{z}\"]\n"),
            "max_udp_payload",
        ),
        (
            format!("[[service]]\nkind = \"dns\"\ntcp_idle_timeout = 0\nzones = [\"{z}\"]\n"),
            "tcp_idle_timeout",
        ),
        (format!("[[service]]\nkind = \"dns\"\nzones = [{{ file = \"{z}\", orign = \"x.\" }}]\n"), "orign"),
        ("[[service]]\nkind = \"dns\"\nzones = [\"/nonexistent/x.zone\"]\n".to_string(), "cannot read"),
    ] {
        let out = check(&text);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(needle),
            "{text}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
