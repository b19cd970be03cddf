//! The `appliance` binary as a user runs it: flags, config errors, and the
//! echo service on the socket stack over 127.0.0.1 with real clients,
//! metrics scraped over HTTP, and a graceful SIGTERM.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

fn appliance(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_appliance")).args(args).output().expect("run appliance")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn unknown_flags_and_commands_exit_non_zero_with_a_message() {
    let out = appliance(&["echo", "--prot", "7"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("unexpected argument '--prot'"), "{}", stderr(&out));

    let out = appliance(&["frobnicate"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("unrecognized subcommand"), "{}", stderr(&out));

    let out = appliance(&["echo", "--net", "ethernet"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("use `socket`, `tap:IFNAME`"), "{}", stderr(&out));

    let out = appliance(&["echo", "--net", "socket", "--addr", "10.0.0.2/24"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("`net.addr`"), "{}", stderr(&out));
}

#[test]
fn bad_config_files_are_refused_with_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[net]\nstack = \"tap:tap0\"\naddr = \"10.0.0.2/33\"\n\n[[service]]\nkind = \"echo\"\n",
    )
    .unwrap();
    for args in [vec!["check-config", bad.to_str().unwrap()], vec!["run", "--config", bad.to_str().unwrap()]]
    {
        let out = appliance(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(&format!("{}:3: `net.addr`: ", bad.display())), "{err}");
        assert!(err.contains("prefix length is 0 to 32"), "{err}");
    }

    std::fs::write(&bad, "[net]\nstack = \"socket\"\nspeed = 9\n[[service]]\nkind = \"echo\"\n").unwrap();
    let out = appliance(&["check-config", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(":3: unknown field `speed`"), "{}", stderr(&out));

    let out = appliance(&["check-config", dir.path().join("missing.toml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot read"), "{}", stderr(&out));

    let good = dir.path().join("good.toml");
    std::fs::write(&good, "[[service]]\nkind = \"discard\"\nport = 9999\n").unwrap();
    let out = appliance(&["check-config", good.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("OK (1 service(s))"));
}

/// A port free on 127.0.0.1 for both TCP and UDP right now.
fn free_port() -> u16 {
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

struct Running(Child);

impl Running {
    fn sigterm_and_wait(&mut self) -> (bool, String) {
        // SAFETY: signalling our own child by its PID.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.0.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "appliance ignored SIGTERM");
            thread::sleep(Duration::from_millis(20));
        }
        let status = self.0.wait().unwrap();
        let mut err = String::new();
        self.0.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        (status.success(), err)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn connect_retrying(port: u16) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => return s,
            Err(e) => assert!(Instant::now() < deadline, "appliance never listened on {port}: {e}"),
        }
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn echo_on_the_socket_stack_serves_tcp_udp_and_metrics_then_stops_on_sigterm() {
    let port = free_port();
    let metrics_port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_appliance"))
        .args(["echo", "--port", &port.to_string(), "--net", "socket", "--addr", "127.0.0.1"])
        .args(["--metrics-port", &metrics_port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut running = Running(child);

    let mut tcp = connect_retrying(port);
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    tcp.write_all(b"hello over tcp").unwrap();
    let mut back = [0u8; 14];
    tcp.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"hello over tcp");

    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    udp.send_to(b"hello over udp", ("127.0.0.1", port)).unwrap();
    let mut buf = [0u8; 64];
    let (n, _) = udp.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello over udp");

    // Counters are bumped just after the send, so a loaded machine may let
    // the reply overtake them: scrape until they show, within a bound.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut scrape = connect_retrying(metrics_port);
        scrape.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
        let mut text = String::new();
        scrape.read_to_string(&mut text).unwrap();
        let want = [
            "appliance_service_connections_open{service=\"echo\"} 1",
            "appliance_service_datagrams_tx_total{service=\"echo\"} 1",
        ];
        if want.iter().all(|w| text.contains(w)) {
            break;
        }
        assert!(Instant::now() < deadline, "metrics never showed {want:?}:\n{text}");
        thread::sleep(Duration::from_millis(50));
    }

    // SIGTERM with a connection open: it is closed, then the process exits 0.
    let (ok, log) = running.sigterm_and_wait();
    assert!(ok, "exit status not 0:\n{log}");
    let mut rest = Vec::new();
    assert_eq!(tcp.read_to_end(&mut rest).unwrap(), 0, "connection closed cleanly at shutdown");
    assert!(log.contains("service echo: datagrams_rx=1 datagrams_tx=1"), "{log}");
    assert!(log.contains("bytes_rx=28 bytes_tx=28 connections=1"), "{log}");
}
