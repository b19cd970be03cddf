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

#[test]
fn direct_stack_on_tap_serves_the_kernel_side() {
    if let Some(reason) = skip_reason() {
        eprintln!("SKIPPED direct_stack_on_tap_serves_the_kernel_side: {reason}");
        return;
    }
    let ns = Netns::create(&format!("apl-tap-{}", std::process::id()));
    let out = ns.exec(&["ip", "tuntap", "add", "dev", TAP, "mode", "tap"]);
    assert!(out.status.success(), "tuntap add: {}", String::from_utf8_lossy(&out.stderr));
    for cmd in [
        vec!["ip", "link", "set", "lo", "up"],
        vec!["ip", "addr", "add", &format!("{KERNEL_IP}/24"), "dev", TAP],
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
    let log = std::fs::File::create(dir.path().join("appliance.log")).unwrap();
    let child = Command::new("ip")
        .args(["netns", "exec", &ns.0, env!("CARGO_BIN_EXE_appliance"), "run", "--config"])
        .arg(&config)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start appliance");
    // `ip netns exec` execs the program, so this PID is the appliance's.
    let mut appliance = Appliance(child);
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

        let udp = UdpSocket::bind("0.0.0.0:0").unwrap();
        udp.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut udp_ok = 0;
        for i in 0..20u32 {
            let msg = format!("datagram {i}");
            udp.send_to(msg.as_bytes(), echo).unwrap();
            let mut buf = [0u8; 64];
            if let Ok((n, from)) = udp.recv_from(&mut buf)
                && &buf[..n] == msg.as_bytes()
                && from == echo
            {
                udp_ok += 1;
            }
        }

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
