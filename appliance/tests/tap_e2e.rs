//! End to end on a real TAP device: the test makes its own network namespace
//! with a TAP interface, runs the `appliance` binary on it (the direct
//! stack), and talks to it from the kernel side with real tools: `ping`,
//! `ping -6`, and TCP/UDP clients of the kernel's own stack. Then it stops the
//! appliance by PID with SIGTERM and reads the pcap of the run with tshark.
//!
//! Needs root (namespaces, TAP); otherwise it says it is skipped and why.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const TAP: &str = "aptap0";
const KERNEL_IP: &str = "10.99.0.1";
const STACK_IP: &str = "10.99.0.2";

use common::Netns;

/// Why this machine cannot run the test, if it cannot.
fn skip_reason() -> Option<String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Some("needs root for network namespaces and TAP devices".into());
    }
    if !Path::new("/dev/net/tun").exists() {
        return Some("/dev/net/tun is missing".into());
    }
    for tool in ["ip", "ping"] {
        if Command::new(tool).arg("-V").output().is_err() {
            return Some(format!("`{tool}` is not installed (apt-get install iproute2 iputils-ping)"));
        }
    }
    None
}

/// The appliance process; SIGTERM then (if needed) SIGKILL by its PID on drop.
struct Appliance(Child);

impl Appliance {
    fn stop(&mut self) -> std::process::ExitStatus {
        // SAFETY: kill on our own child's PID, which is still ours to signal.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.0.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.0.kill();
                return self.0.wait().expect("wait");
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Appliance {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn pattern(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// Sends `data` through TCP echo and reads it all back, concurrently.
fn tcp_echo(addr: SocketAddr, data: Vec<u8>) -> Vec<u8> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let len = data.len();
    let sender = thread::spawn(move || {
        writer.write_all(&data).expect("write");
        writer.shutdown(std::net::Shutdown::Write).unwrap();
    });
    let mut back = Vec::with_capacity(len);
    (&stream).read_to_end(&mut back).expect("read echo");
    sender.join().unwrap();
    back
}

/// Creates TAP `name` (`ip tuntap add` plus `extra`, e.g. `multi_queue`) in
/// `ns` with the kernel side's address, up.
fn add_tap(ns: &Netns, name: &str, extra: &[&str]) {
    let mut add = vec!["ip", "tuntap", "add", "dev", name, "mode", "tap"];
    add.extend_from_slice(extra);
    let out = ns.exec(&add);
    assert!(out.status.success(), "tuntap add: {}", String::from_utf8_lossy(&out.stderr));
    for cmd in [
        vec!["ip", "link", "set", "lo", "up"],
        vec!["ip", "addr", "add", &format!("{KERNEL_IP}/24"), "dev", name],
    ] {
        let out = ns.exec(&cmd);
        assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Starts the appliance in `ns` with config file `config`, logging to
/// `log` (at info level).
fn start_appliance(ns: &Netns, config: &Path, log: &Path) -> Appliance {
    let log = std::fs::File::create(log).unwrap();
    let child = Command::new("ip")
        .args(["netns", "exec", &ns.0, env!("CARGO_BIN_EXE_appliance"), "run", "--config"])
        .arg(config)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start appliance");
    // `ip netns exec` execs the program, so this PID is the appliance's.
    Appliance(child)
}

/// Sends `count` datagrams (`{prefix}datagram {i}`) from one fresh socket
/// to UDP echo at `echo`, one at a time; returns how many came back intact
/// from `echo`.
fn udp_echo(echo: SocketAddr, prefix: &str, count: u32) -> usize {
    let udp = UdpSocket::bind("0.0.0.0:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut ok = 0;
    for i in 0..count {
        let msg = format!("{prefix}datagram {i}");
        udp.send_to(msg.as_bytes(), echo).unwrap();
        let mut buf = [0u8; 64];
        if let Ok((n, from)) = udp.recv_from(&mut buf)
            && &buf[..n] == msg.as_bytes()
            && from == echo
        {
            ok += 1;
        }
    }
    ok
}

#[test]
fn direct_stack_on_tap_serves_the_kernel_side() {
    if let Some(reason) = skip_reason() {
        eprintln!("SKIPPED direct_stack_on_tap_serves_the_kernel_side: {reason}");
        return;
    }
    let ns = Netns::create(&format!("apl-tap-{}", std::process::id()));
    add_tap(&ns, TAP, &[]);
    for cmd in [
        vec!["ip", "-6", "addr", "add", "fd99::1/64", "dev", TAP, "nodad"],
        vec!["ip", "link", "set", TAP, "up"],
    ] {
        let out = ns.exec(&cmd);
        assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("run.pcap");
    let config = dir.path().join("tap.toml");
    std::fs::write(
        &config,
        format!(
            "[net]\nstack = \"tap:{TAP}\"\naddr = \"{STACK_IP}/24\"\ngateway = \"{KERNEL_IP}\"\n\
             addr6 = \"fd99::2/64\"\npcap = \"{}\"\n\n[[service]]\nkind = \"echo\"\nport = 7\n\n\
             [[service]]\nkind = \"discard\"\nport = 9\n",
            pcap.display()
        ),
    )
    .unwrap();
    let mut appliance = start_appliance(&ns, &config, &dir.path().join("appliance.log"));
    let log_text = || std::fs::read_to_string(dir.path().join("appliance.log")).unwrap_or_default();

    // ping: ARP, then ICMP echo answered by smoltcp.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = ns.exec(&["ping", "-c", "3", "-i", "0.2", "-W", "1", STACK_IP]);
        if out.status.success() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "ping never answered\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            log_text()
        );
        thread::sleep(Duration::from_millis(200));
    }
    let out = ns.exec(&["ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", "fd99::2"]);
    assert!(out.status.success(), "ping -6: {}\n{}", String::from_utf8_lossy(&out.stdout), log_text());
    // From an address outside the stack's prefix: the answer must take the gateway.
    let out = ns.exec(&["ip", "addr", "add", "10.98.50.1/32", "dev", "lo"]);
    assert!(out.status.success());
    let out = ns.exec(&["ping", "-I", "10.98.50.1", "-c", "2", "-i", "0.2", "-W", "2", STACK_IP]);
    assert!(
        out.status.success(),
        "ping via gateway: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        log_text()
    );

    let echo: SocketAddr = format!("{STACK_IP}:7").parse().unwrap();
    let discard: SocketAddr = format!("{STACK_IP}:9").parse().unwrap();
    let (small, big, udp_ok, sent_to_discard) = ns.on_thread(move || {
        let small = tcp_echo(echo, b"hello, direct stack\n".to_vec());
        let data = pattern(10 * 1024 * 1024);
        let big = tcp_echo(echo, data.clone()) == data;

        let udp_ok = udp_echo(echo, "", 20);

        let mut sink = TcpStream::connect_timeout(&discard, Duration::from_secs(5)).unwrap();
        let chunk = pattern(1 << 20);
        for _ in 0..10 {
            sink.write_all(&chunk).unwrap();
        }
        sink.shutdown(std::net::Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        sink.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = sink.read_to_end(&mut rest);
        (small, big, udp_ok, 10 << 20)
    });
    assert_eq!(small, b"hello, direct stack\n");
    assert!(big, "10 MB through TCP echo came back different\n{}", log_text());
    assert!(udp_ok >= 19, "UDP echo: {udp_ok}/20 round trips");

    let status = appliance.stop();
    let log = log_text();
    assert!(status.success(), "appliance exit {status:?}\n{log}");
    assert!(log.contains("counters"), "no counters at shutdown:\n{log}");
    assert!(
        log.contains(&format!(
            "service discard: datagrams_rx=0 datagrams_tx=0 datagrams_dropped=0 bytes_rx={sent_to_discard}"
        )),
        "discard did not count {sent_to_discard} bytes:\n{log}"
    );

    // The capture is complete and readable by tshark.
    let meta = std::fs::metadata(&pcap).expect("pcap written");
    assert!(meta.len() > 20 * 1024 * 1024, "pcap too small: {} bytes", meta.len());
    match Command::new("tshark").args(["-r"]).arg(&pcap).args(["-q", "-z", "io,phs"]).output() {
        Err(_) => eprintln!("tshark not installed: pcap not decoded (apt-get install tshark)"),
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "tshark: {}", String::from_utf8_lossy(&out.stderr));
            for proto in ["arp", "icmp", "icmpv6", "tcp", "udp"] {
                assert!(
                    text.contains(&format!("  {proto} ")) || text.contains(&format!(" {proto} ")),
                    "no {proto} in capture:\n{text}"
                );
            }
        }
    }
}

#[test]
fn direct_stack_leases_its_address_over_dhcp() {
    if let Some(reason) = skip_reason() {
        eprintln!("SKIPPED direct_stack_leases_its_address_over_dhcp: {reason}");
        return;
    }
    let Some(dnsmasq) = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"].into_iter().find(|p| Path::new(p).exists())
    else {
        eprintln!(
            "SKIPPED direct_stack_leases_its_address_over_dhcp: dnsmasq is not installed (apt-get install dnsmasq-base)"
        );
        return;
    };
    let ns = Netns::create(&format!("apl-dhcp-{}", std::process::id()));
    for cmd in [
        vec!["ip", "link", "set", "lo", "up"],
        vec!["ip", "tuntap", "add", "dev", "aptap1", "mode", "tap"],
        vec!["ip", "addr", "add", "10.97.0.1/24", "dev", "aptap1"],
        vec!["ip", "link", "set", "aptap1", "up"],
    ] {
        let out = ns.exec(&cmd);
        assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let dir = tempfile::tempdir().unwrap();
    let leases = dir.path().join("leases");
    // A real DHCP server on the kernel side of the TAP, in the foreground,
    // stopped by PID on drop.
    let server = Command::new("ip")
        .args(["netns", "exec", &ns.0, dnsmasq, "--no-daemon", "--conf-file=/dev/null", "--port=0"])
        .args(["--interface=aptap1", "--bind-interfaces", "--dhcp-range=10.97.0.50,10.97.0.59,1h"])
        .arg("--dhcp-option=option:router,10.97.0.1")
        .arg(format!("--dhcp-leasefile={}", leases.display()))
        .arg("--pid-file")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dnsmasq");
    let _server = Appliance(server);

    let log = std::fs::File::create(dir.path().join("appliance.log")).unwrap();
    let child = Command::new("ip")
        .args(["netns", "exec", &ns.0, env!("CARGO_BIN_EXE_appliance"), "echo", "--port", "7"])
        .args(["--net", "tap:aptap1", "--addr", "dhcp"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start appliance");
    let mut appliance = Appliance(child);
    let log_text = || std::fs::read_to_string(dir.path().join("appliance.log")).unwrap_or_default();

    // The lease: the appliance logs it, and it answers at a pool address.
    let deadline = Instant::now() + Duration::from_secs(20);
    let leased = loop {
        let log = log_text();
        if let Some(line) = log.lines().find(|l| l.contains("DHCPv4 lease address=")) {
            let addr = line.split("address=").nth(1).and_then(|a| a.split('/').next()).map(str::to_string);
            break addr.expect("lease line names the address");
        }
        assert!(Instant::now() < deadline, "no DHCP lease in 20 s:\n{log}");
        thread::sleep(Duration::from_millis(100));
    };
    assert!(leased.starts_with("10.97.0.5"), "leased {leased}, outside the pool");
    let out = ns.exec(&["ping", "-c", "2", "-i", "0.2", "-W", "2", &leased]);
    assert!(out.status.success(), "ping {leased}: {}\n{}", String::from_utf8_lossy(&out.stdout), log_text());
    let echo: SocketAddr = format!("{leased}:7").parse().unwrap();
    let back = ns.on_thread(move || tcp_echo(echo, b"leased and serving".to_vec()));
    assert_eq!(back, b"leased and serving");
    assert!(appliance.stop().success(), "{}", log_text());
}

/// Two direct-stack instances on two queues of one multi-queue TAP (same MAC
/// and address): the kernel spreads connections over the queues by flow
/// hash, and every one must be answered, so each instance must learn the
/// kernel side's MAC whichever queue the ARP frames land on.
#[test]
fn two_instances_on_a_multi_queue_tap_answer_every_connection() {
    if let Some(reason) = skip_reason() {
        eprintln!("SKIPPED two_instances_on_a_multi_queue_tap_answer_every_connection: {reason}");
        return;
    }
    const MQ_TAP: &str = "aptapmq0";
    let ns = Netns::create(&format!("apl-tapmq-{}", std::process::id()));
    add_tap(&ns, MQ_TAP, &["multi_queue"]);
    let out = ns.exec(&["ip", "link", "set", MQ_TAP, "up"]);
    assert!(out.status.success(), "link up: {}", String::from_utf8_lossy(&out.stderr));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tap.toml");
    std::fs::write(
        &config,
        format!(
            "[net]\nstack = \"tap:{MQ_TAP}\"\naddr = \"{STACK_IP}/24\"\ninstances = 2\n\n\
             [[service]]\nkind = \"echo\"\nport = 7\n"
        ),
    )
    .unwrap();
    let mut appliance = start_appliance(&ns, &config, &dir.path().join("appliance.log"));
    let log_text = || std::fs::read_to_string(dir.path().join("appliance.log")).unwrap_or_default();

    // Both queues attached: the kernel shows two transmit queues.
    let deadline = Instant::now() + Duration::from_secs(10);
    let queues = || {
        let out = ns.exec(&["ls", &format!("/sys/class/net/{MQ_TAP}/queues")]);
        String::from_utf8_lossy(&out.stdout).split_whitespace().filter(|q| q.starts_with("tx-")).count()
    };
    while queues() < 2 {
        assert!(Instant::now() < deadline, "the appliance never attached 2 queues\n{}", log_text());
        thread::sleep(Duration::from_millis(100));
    }

    let echo: SocketAddr = format!("{STACK_IP}:7").parse().unwrap();
    let (tcp_ok, udp_ok) = ns.on_thread(move || {
        // 8 connections at once, each from its own port: several flows per queue.
        let clients: Vec<_> = (0..8u8)
            .map(|i| {
                thread::spawn(move || {
                    let data = pattern(64 * 1024 + usize::from(i));
                    tcp_echo(echo, data.clone()) == data
                })
            })
            .collect();
        let tcp_ok = clients.into_iter().filter_map(|c| c.join().ok()).filter(|&ok| ok).count();
        // UDP from 8 sockets (8 flows), 5 datagrams each.
        let udp_ok: usize = (0..8).map(|s| udp_echo(echo, &format!("socket {s} "), 5)).sum();
        (tcp_ok, udp_ok)
    });
    let status = appliance.stop();
    let log = log_text();
    assert_eq!(tcp_ok, 8, "TCP echo answered on {tcp_ok}/8 connections\n{log}");
    assert!(udp_ok >= 38, "UDP echo: {udp_ok}/40 round trips\n{log}");
    assert!(status.success(), "appliance exit {status:?}\n{log}");
    assert!(log.contains("instances=2"), "no multi-queue start in the log:\n{log}");
}
