//! `tcp_rr`: TCP request/response rate, 1-byte ping-pong against an echo
//! server (netperf's TCP_RR, without needing netserver on the far side).
//!
//! Each of `--conns` connections (a thread each, TCP_NODELAY) writes one
//! byte and waits for it to come back, again and again, for `--seconds`;
//! every round trip is one transaction. The run is bounded: it stops at the
//! deadline, and a reply that takes over 2 s ends that connection as failed.
//!
//! ```text
//! tcp_rr --target 10.0.0.2:7 [--conns 16] [--seconds 5]
//! ```
//!
//! The last line is machine-readable:
//! `RESULT conns=16 seconds=5.00 transactions=... per_sec=... p50_us=... p99_us=... failed=0`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// One connection's work: transactions done and each one's latency in µs.
struct Run {
    latencies: Vec<u32>,
    failed: bool,
}

fn ping_pong(target: SocketAddr, until: Instant) -> Run {
    let mut run = Run { latencies: Vec::with_capacity(1 << 16), failed: false };
    let mut stream = match TcpStream::connect_timeout(&target, Duration::from_secs(2)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tcp_rr: connect {target}: {e}");
            run.failed = true;
            return run;
        }
    };
    let setup = stream.set_nodelay(true).and_then(|()| stream.set_read_timeout(Some(Duration::from_secs(2))));
    if let Err(e) = setup {
        eprintln!("tcp_rr: socket options: {e}");
        run.failed = true;
        return run;
    }
    let mut byte = [0u8; 1];
    while Instant::now() < until {
        let start = Instant::now();
        if let Err(e) = stream.write_all(b"x").and_then(|()| stream.read_exact(&mut byte)) {
            eprintln!("tcp_rr: round trip on {target}: {e}");
            run.failed = true;
            break;
        }
        run.latencies.push(start.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
    }
    run
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} needs a value of the right kind")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let parsed = (|| -> Result<(SocketAddr, usize, f64), String> {
        let target: SocketAddr = arg(&args, "--target", "127.0.0.1:7".parse().unwrap())?;
        let conns: usize = arg(&args, "--conns", 16)?;
        let seconds: f64 = arg(&args, "--seconds", 5.0)?;
        if conns == 0 || !(0.1..=600.0).contains(&seconds) {
            return Err("--conns must be at least 1, --seconds within 0.1..=600".into());
        }
        Ok((target, conns, seconds))
    })();
    let (target, conns, seconds) = match parsed {
        Ok(p) => p,
        Err(e) => {
            eprintln!("tcp_rr: {e}\nusage: tcp_rr --target ADDR:PORT [--conns 16] [--seconds 5]");
            return ExitCode::from(2);
        }
    };
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(seconds);
    let threads: Vec<_> = (0..conns).map(|_| std::thread::spawn(move || ping_pong(target, until))).collect();
    let runs: Vec<Run> =
        threads.into_iter().map(|t| t.join().expect("a connection thread panicked")).collect();
    let elapsed = start.elapsed().as_secs_f64();
    let failed = runs.iter().filter(|r| r.failed).count();
    let mut all: Vec<u32> = runs.into_iter().flat_map(|r| r.latencies).collect();
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1))).copied().unwrap_or(0)
    };
    println!(
        "RESULT conns={conns} seconds={elapsed:.2} transactions={} per_sec={:.0} p50_us={} p99_us={} failed={failed}",
        all.len(),
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99)
    );
    if failed > 0 || all.is_empty() { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
