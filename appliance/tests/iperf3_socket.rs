//! The iperf3 service on the host-socket stack, driven by the real `iperf3`
//! client on 127.0.0.1: TCP, `-P 2`, `-R`, UDP `-u -b 100M -l 1400`, and a
//! second client while busy. Every client run is bounded by `timeout`; each
//! test runs its own server on its own port and stops it via its
//! [`Shutdown`].
//!
//! Needs `iperf3` and `timeout` (coreutils); otherwise each test says it is
//! skipped and why.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};

use appliance::metrics::Metrics;
use appliance::services::iperf3::{Iperf3, Iperf3Stats};
use appliance::stack::socket::{SocketConfig, SocketStack};
use appliance::stack::{Clock, Shutdown, ShutdownTrigger};
use serde_json::Value;

/// Why this machine cannot run the tests, if it cannot.
fn skip_reason() -> Option<String> {
    match Command::new("iperf3").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        _ => return Some("`iperf3` is not installed (apt-get install -y iperf3)".into()),
    }
    if Command::new("timeout").arg("--version").output().is_err() {
        return Some("`timeout` (coreutils) is not installed".into());
    }
    None
}

macro_rules! skip_unless_ready {
    () => {
        if let Some(why) = skip_reason() {
            eprintln!("skipped: {why}");
            return;
        }
    };
}

/// An Iperf3 server on the socket stack, on its own thread.
struct Server {
    port: u16,
    stats: Arc<Iperf3Stats>,
    stop: ShutdownTrigger,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Starts one on a port that is free over both TCP and UDP (iperf3 uses
    /// the same number for both).
    fn start() -> Server {
        for _ in 0..20 {
            let port = free_port();
            let shutdown = Shutdown::new().expect("shutdown");
            let stop = shutdown.trigger().expect("trigger");
            let (tx, rx) = mpsc::channel();
            // Services are not Send: build the stack on the thread that runs it.
            let thread = thread::spawn(move || {
                let iperf3 = Iperf3::new(port);
                let stats = iperf3.stats();
                let config = SocketConfig { addr: Ipv4Addr::LOCALHOST.into(), ..SocketConfig::default() };
                let metrics = Metrics::new();
                match SocketStack::new(config, vec![Box::new(iperf3)], &metrics) {
                    Ok(stack) => {
                        let _ = tx.send(Ok(stats));
                        stack.run(shutdown, Clock::new())
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                        Ok(())
                    }
                }
            });
            match rx.recv().expect("server thread") {
                Ok(stats) => return Server { port, stats, stop, thread: Some(thread) },
                Err(e) => {
                    eprintln!("port {port} taken ({e}); trying another");
                    let _ = thread.join();
                }
            }
        }
        panic!("no port free over both TCP and UDP");
    }

    /// Runs `iperf3 -c 127.0.0.1 -p PORT -J <args>`, bounded by `timeout`.
    fn client(&self, args: &[&str]) -> Output {
        self.client_cmd(args).output().expect("run iperf3")
    }

    fn client_cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("timeout");
        cmd.args(["-k", "5", "30", "iperf3", "-c", "127.0.0.1", "-p", &self.port.to_string(), "-J"]);
        cmd.args(args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd
    }

    fn stop(mut self) -> Arc<Iperf3Stats> {
        self.stop.fire();
        let result = self.thread.take().expect("running").join().expect("server thread panicked");
        result.expect("socket stack failed");
        Arc::clone(&self.stats)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.stop.fire();
            let _ = thread.join();
        }
    }
}

/// A port that was free over TCP and UDP on 127.0.0.1 a moment ago.
fn free_port() -> u16 {
    loop {
        let tcp = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind tcp");
        let port = tcp.local_addr().expect("local addr").port();
        if UdpSocket::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).is_ok() {
            return port;
        }
    }
}

/// Checks the client succeeded and its JSON reports a clean test; returns
/// the JSON.
fn check_run(out: &Output, what: &str) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{what}: iperf3 exited with {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{what}: output is not JSON ({e}):\n{stdout}\nstderr:\n{stderr}"));
    assert!(json.get("error").is_none(), "{what}: iperf3 reports an error: {}", json["error"]);
    json
}

fn end_bytes(json: &Value, sum: &str) -> u64 {
    json["end"][sum]["bytes"].as_u64().unwrap_or_else(|| panic!("no end.{sum}.bytes in {}", json["end"]))
}

#[test]
fn iperf3_tcp_upload() {
    skip_unless_ready!();
    let server = Server::start();
    let json = check_run(&server.client(&["-t", "2"]), "tcp");
    let received = end_bytes(&json, "sum_received");
    assert!(received > 0);
    assert!(end_bytes(&json, "sum_sent") >= received);
    let stats = server.stop();
    assert_eq!(stats.tests_completed(), 1);
    assert_eq!(stats.tests_aborted(), 0);
    assert!(stats.bytes_received() >= received, "{} < {received}", stats.bytes_received());
}

#[test]
fn iperf3_tcp_parallel_streams() {
    skip_unless_ready!();
    let server = Server::start();
    let json = check_run(&server.client(&["-t", "2", "-P", "2"]), "tcp -P 2");
    assert!(end_bytes(&json, "sum_received") > 0);
    let streams = json["end"]["streams"].as_array().expect("end.streams");
    assert_eq!(streams.len(), 2);
    for s in streams {
        assert!(s["receiver"]["bytes"].as_u64().unwrap_or(0) > 0, "stream without data: {s}");
    }
    assert_eq!(server.stop().tests_completed(), 1);
}

#[test]
fn iperf3_tcp_reverse() {
    skip_unless_ready!();
    let server = Server::start();
    let json = check_run(&server.client(&["-t", "2", "-R"]), "tcp -R");
    let received = end_bytes(&json, "sum_received");
    assert!(received > 0);
    let stats = server.stop();
    assert_eq!(stats.tests_completed(), 1);
    assert!(
        stats.bytes_sent() >= received,
        "server sent {} < client received {received}",
        stats.bytes_sent()
    );
}

#[test]
fn iperf3_udp_100m() {
    skip_unless_ready!();
    let server = Server::start();
    let json = check_run(&server.client(&["-t", "2", "-u", "-b", "100M", "-l", "1400"]), "udp");
    assert!(end_bytes(&json, "sum_received") > 0);
    let sum = &json["end"]["sum"];
    let packets = sum["packets"].as_u64().expect("end.sum.packets");
    let lost = sum["lost_packets"].as_u64().expect("end.sum.lost_packets");
    // ~17,800 datagrams at 100 Mbit/s for 2 s; loopback may drop a few under load.
    assert!(packets > 10_000, "{packets} packets");
    assert!(lost * 10 < packets, "{lost} of {packets} lost");
    assert!(sum["jitter_ms"].as_f64().is_some());
    assert_eq!(server.stop().tests_completed(), 1);
}

#[test]
fn iperf3_second_client_is_told_the_server_is_busy() {
    skip_unless_ready!();
    let server = Server::start();
    let first: Child = server.client_cmd(&["-t", "3"]).spawn().expect("run iperf3");
    // Wait until the first test runs (its data arrives).
    let t0 = std::time::Instant::now();
    while server.stats.bytes_received() == 0 {
        assert!(t0.elapsed() < std::time::Duration::from_secs(10), "the first client never started");
        thread::sleep(std::time::Duration::from_millis(20));
    }
    let second = server.client(&["-t", "1"]);
    let text = String::from_utf8_lossy(&second.stdout).to_string() + &String::from_utf8_lossy(&second.stderr);
    assert!(text.contains("busy"), "second client was not refused:\n{text}");
    let first = first.wait_with_output().expect("first iperf3");
    check_run(&first, "first client");
    let stats = server.stop();
    assert_eq!(stats.tests_completed(), 1);
    assert!(stats.access_denied() >= 1);
}
