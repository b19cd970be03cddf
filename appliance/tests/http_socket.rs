//! The `Http` service on the socket stack (127.0.0.1, an ephemeral port),
//! checked with real `curl`: byte-identical bodies, keep-alive reuse of one
//! connection, Range, HEAD, 304 with If-None-Match, 404, HTTP/1.0, path
//! escape attempts sent as is (`--path-as-is`), and the site served from
//! disk. Plus raw pipelining and a slow reader over a std `TcpStream`.
//!
//! Without `curl` the curl tests print SKIPPED and why. Every wait is bounded.

use std::fs;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use appliance::metrics::Metrics;
use appliance::service::Service;
use appliance::services::http::{Http, HttpOptions, Site, SiteMode};
use appliance::stack::socket::{Proto, SocketConfig, SocketStack};
use appliance::stack::{Clock, Shutdown, ShutdownTrigger};

const PATIENCE: Duration = Duration::from_secs(20);

/// Deterministic test bytes.
fn pattern(len: usize) -> Vec<u8> {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

const BIG: usize = 3 * 1024 * 1024 + 17;

fn make_root(dir: &Path) {
    fs::write(dir.join("index.html"), "<!doctype html><title>home</title>\n").unwrap();
    fs::write(dir.join("a.txt"), "hello, world\n").unwrap();
    fs::write(dir.join("big.bin"), pattern(BIG)).unwrap();
    fs::create_dir(dir.join("sub")).unwrap();
    fs::write(dir.join("sub/index.html"), "sub").unwrap();
    symlink("/etc", dir.join("etc")).unwrap();
}

/// A stack serving one `Http` on its own thread; stopped on drop.
struct Server {
    addr: SocketAddr,
    trigger: ShutdownTrigger,
    done: mpsc::Receiver<io::Result<()>>,
    _root: tempfile::TempDir,
}

impl Server {
    fn start(mode: SiteMode) -> Server {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let root = tempfile::tempdir().unwrap();
        make_root(root.path());
        let site = Arc::new(Site::load(root.path(), mode).expect("site loads"));
        let (ready_tx, ready_rx) = mpsc::channel();
        let (done_tx, done_rx) = mpsc::channel();
        thread::spawn(move || {
            let setup = || -> io::Result<_> {
                let http = Http::new(site, HttpOptions { port: 0, ..HttpOptions::default() });
                let services: Vec<Box<dyn Service>> = vec![Box::new(http)];
                let config = SocketConfig { addr: "127.0.0.1".parse().unwrap(), ..SocketConfig::default() };
                let stack = SocketStack::new(config, services, &Metrics::new())?;
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
        let (bound, trigger) =
            ready_rx.recv_timeout(PATIENCE).expect("stack thread answers").expect("stack starts");
        let addr = bound.iter().find(|(n, p, _)| n == "http" && *p == Proto::Tcp).expect("http bound").2;
        Server { addr, trigger, done: done_rx, _root: root }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.trigger.fire();
        if !thread::panicking() {
            self.done.recv_timeout(PATIENCE).expect("run() returns").expect("run() succeeds");
        }
    }
}

fn have_curl() -> bool {
    let ok = Command::new("curl").arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    if !ok {
        println!("SKIPPED: curl not installed (apt-get install curl)");
    }
    ok
}

/// Runs curl with a time limit; its output.
fn curl(args: &[&str]) -> Output {
    let out = Command::new("curl").args(["-sS", "--max-time", "20"]).args(args).output().expect("curl runs");
    assert!(out.status.success(), "curl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// The status code curl saw for one request.
fn status(args: &[&str]) -> String {
    let mut all = vec!["-o", "/dev/null", "-w", "%{http_code}"];
    all.extend_from_slice(args);
    String::from_utf8(curl(&all).stdout).unwrap()
}

#[test]
fn curl_gets_identical_bodies_and_reuses_the_connection() {
    if !have_curl() {
        return;
    }
    for mode in [SiteMode::Memory, SiteMode::Disk] {
        let s = Server::start(mode);
        assert_eq!(curl(&[&s.url("/big.bin")]).stdout, pattern(BIG), "{mode:?}");
        assert_eq!(curl(&[&s.url("/")]).stdout, b"<!doctype html><title>home</title>\n");
        assert_eq!(curl(&["-L", &s.url("/sub")]).stdout, b"sub");
        // Two URLs, one connection.
        let out = curl(&["-v", &s.url("/a.txt"), &s.url("/big.bin")]);
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(
            log.contains("Re-using existing connection") || log.contains("Reusing existing connection"),
            "{log}"
        );
        assert_eq!(log.matches("Connected to").count(), 1, "{log}");
        let mut want = b"hello, world\n".to_vec();
        want.extend_from_slice(&pattern(BIG));
        assert_eq!(out.stdout, want);
        // HTTP/1.0.
        assert_eq!(curl(&["-0", &s.url("/a.txt")]).stdout, b"hello, world\n");
    }
}

#[test]
fn curl_range_head_304_404() {
    if !have_curl() {
        return;
    }
    let s = Server::start(SiteMode::Memory);
    let big = pattern(BIG);
    assert_eq!(curl(&["-r", "1000-1999", &s.url("/big.bin")]).stdout, &big[1000..2000]);
    assert_eq!(curl(&["-r", "-100", &s.url("/big.bin")]).stdout, &big[BIG - 100..]);
    assert_eq!(status(&["-r", "1000-1999", &s.url("/big.bin")]), "206");
    assert_eq!(status(&["-r", &format!("{BIG}-"), &s.url("/big.bin")]), "416");
    // HEAD: the headers, no body.
    let out = curl(&["-I", &s.url("/big.bin")]);
    let head = String::from_utf8(out.stdout).unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains(&format!("Content-Length: {BIG}\r\n")), "{head}");
    let etag = head.lines().find_map(|l| l.strip_prefix("ETag: ")).expect("an ETag").trim().to_string();
    // If-None-Match with the current tag: 304.
    assert_eq!(status(&["-H", &format!("If-None-Match: {etag}"), &s.url("/big.bin")]), "304");
    assert_eq!(status(&["-H", "If-None-Match: \"other\"", &s.url("/big.bin")]), "200");
    assert_eq!(status(&[&s.url("/missing")]), "404");
    assert_eq!(status(&["-X", "DELETE", &s.url("/a.txt")]), "405");
}

#[test]
fn curl_cannot_escape_the_root() {
    if !have_curl() {
        return;
    }
    let s = Server::start(SiteMode::Memory);
    for (path, code) in [
        ("/../../../../etc/passwd", "400"),
        ("/sub/../../etc/passwd", "400"),
        ("/%2e%2e/%2e%2e/etc/passwd", "400"),
        ("/..%2f..%2fetc/passwd", "400"),
        ("/etc/passwd", "404"),
    ] {
        let out = curl(&["--path-as-is", "-w", "\n%{http_code}", &s.url(path)]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.ends_with(code), "{path}: {text}");
        assert!(!text.contains("root:"), "{path}: {text}");
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, PATIENCE).unwrap();
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s.set_write_timeout(Some(PATIENCE)).unwrap();
    s
}

/// Reads one Content-Length framed answer; its status line and body.
fn read_answer(s: &mut TcpStream, buf: &mut Vec<u8>) -> (String, Vec<u8>) {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8(buf[..end].to_vec()).unwrap();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .map_or(0, |v| v.trim().parse().unwrap());
            while buf.len() < end + 4 + len {
                let mut chunk = [0u8; 65536];
                let n = s.read(&mut chunk).unwrap();
                assert!(n > 0, "EOF inside an answer");
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = buf[end + 4..end + 4 + len].to_vec();
            buf.drain(..end + 4 + len);
            return (head.lines().next().unwrap().to_string(), body);
        }
        let mut chunk = [0u8; 65536];
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "EOF before an answer");
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[test]
fn pipelined_requests_and_a_slow_reader() {
    let s = Server::start(SiteMode::Memory);
    let mut c = connect(s.addr);
    // 20 large answers pipelined: the service must stop consuming while the
    // client does not read, and answer all in order once it does.
    let mut reqs = Vec::new();
    for i in 0..20 {
        let path = if i % 2 == 0 { "/big.bin" } else { "/a.txt" };
        reqs.extend_from_slice(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
    }
    c.write_all(&reqs).unwrap();
    thread::sleep(Duration::from_millis(200)); // let the server fill the socket
    let big = pattern(BIG);
    let mut buf = Vec::new();
    for i in 0..20 {
        let (line, body) = read_answer(&mut c, &mut buf);
        assert_eq!(line, "HTTP/1.1 200 OK");
        if i % 2 == 0 {
            assert!(body == big, "answer {i}");
        } else {
            assert_eq!(body, b"hello, world\n");
        }
    }
    // Then a close request: answered, then EOF.
    c.write_all(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let (line, _) = read_answer(&mut c, &mut buf);
    assert_eq!(line, "HTTP/1.1 200 OK");
    let mut rest = Vec::new();
    c.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty() && buf.is_empty());
}

/// Pins the calling thread to one CPU (best effort).
fn pin_to_cpu(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET writes inside
    // it; sched_setaffinity(0, ...) only reads the set for this thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set);
    }
}

/// h2load's requests/s from its output.
fn h2load(url: &str) -> Option<f64> {
    let out = Command::new("taskset")
        .args(["-c", "1", "h2load", "--h1", "-n", "200000", "-c", "16", url])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("finished in"))?;
    line.split(", ").nth(1)?.split_whitespace().next()?.parse().ok()
}

/// Side by side with nginx (plain HTTP/1.1, keep-alive, 1 KB file, server
/// on CPU 0, h2load on CPU 1); prints the ratio, asserts nothing about
/// speed. Run: `cargo test --release -p appliance --test http_socket --
/// --ignored --nocapture side_by_side`.
#[test]
#[ignore = "a measurement, not a test: run by hand with --release"]
fn side_by_side_with_nginx() {
    let have = |t: &str| Command::new(t).arg("-v").output().is_ok();
    if !have("nginx") || !have("h2load") || !have("taskset") {
        println!("SKIPPED: needs nginx, h2load and taskset");
        return;
    }
    let w = tempfile::tempdir().unwrap();
    let www = w.path().join("www");
    fs::create_dir_all(www.join("tmp")).unwrap();
    fs::write(www.join("1k.html"), vec![b'x'; 1024]).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let d = w.path().display();
    let conf = format!(
        "worker_processes 1;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 4096; }}\nhttp {{ access_log off; sendfile on; tcp_nodelay on;\n\
         keepalive_requests 1000000; client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp;\n\
         fastcgi_temp_path {d}/tmp; uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;\n\
         types {{ text/html html; }} root {d}/www;\n server {{ listen 127.0.0.1:{port}; }} }}\n"
    );
    fs::create_dir_all(w.path().join("tmp")).unwrap();
    fs::write(w.path().join("nginx.conf"), conf).unwrap();
    let cfg = w.path().join("nginx.conf");
    let mut nginx = Command::new("taskset")
        .args(["-c", "0", "nginx", "-p"])
        .arg(w.path())
        .arg("-c")
        .arg(&cfg)
        .arg("-e")
        .arg(w.path().join("error.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx starts");
    let nginx_url = format!("http://127.0.0.1:{port}/1k.html");
    for _ in 0..50 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        thread::sleep(Duration::from_millis(100));
    }
    let theirs = h2load(&nginx_url);
    let _ = Command::new("kill").arg(nginx.id().to_string()).status();
    let _ = nginx.wait();

    // Ours: the same file, the stack thread pinned to CPU 0.
    let root = www.clone();
    let site = Arc::new(Site::load(&root, SiteMode::Memory).unwrap());
    let (ready_tx, ready_rx) = mpsc::channel();
    thread::spawn(move || {
        pin_to_cpu(0);
        let http = Http::new(site, HttpOptions { port: 0, ..HttpOptions::default() });
        let config = SocketConfig { addr: "127.0.0.1".parse().unwrap(), ..SocketConfig::default() };
        let stack =
            SocketStack::new(config, vec![Box::new(http) as Box<dyn Service>], &Metrics::new()).unwrap();
        let shutdown = Shutdown::new().unwrap();
        let _ = ready_tx.send((stack.bound(), shutdown.trigger().unwrap()));
        let _ = stack.run(shutdown, Clock::new());
    });
    let (bound, trigger) = ready_rx.recv_timeout(PATIENCE).unwrap();
    let ours = h2load(&format!("http://{}/1k.html", bound[0].2));
    trigger.fire();
    println!("h2load --h1 -n 200000 -c 16, 1 KB, server on CPU 0, h2load on CPU 1");
    println!("nginx {theirs:?} req/s, appliance Http (socket stack) {ours:?} req/s");
    if let (Some(o), Some(t)) = (ours, theirs) {
        println!("ratio appliance/nginx = {:.2}", o / t);
    }
}
