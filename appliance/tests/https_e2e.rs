//! The `https` appliance (Tls<Http>) and DNS over TLS end to end, with real
//! clients:
//!
//! - on the socket stack (127.0.0.1): `curl` gets files byte-identical to the
//!   site (keep-alive reuse, Range, HEAD, 304 on If-None-Match, 404, the
//!   directory redirect, path escapes refused), `openssl s_client` with TLS
//!   1.2 and 1.3, ALPN, SNI choosing between two certificates and session
//!   resumption (-sess_out / -sess_in), `gnutls-cli` with both versions,
//!   mutual TLS, the plain-HTTP redirect listener; garbage on the TLS port
//!   gets an alert and the server goes on serving;
//! - the same clients against the direct stack: a TAP device in a network
//!   namespace the test makes (needs root);
//! - `kdig +tls` against DNS over TLS (RFC 7858);
//! - start-up errors: a key that does not match its certificate, a missing
//!   file; no certificate at all gives a self-signed one and a warning.
//!
//! Certificates are made at test time with `openssl req`. Tools missing or
//! not root (TAP): the test says SKIPPED and why. Every process started here
//! is stopped by its PID.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::thread;
use std::time::{Duration, Instant};

use common::{BIN, Netns, Proc, free_port, have, tap_skip_reason};

/// A self-signed certificate for `cn` with these SANs (`DNS:...`/`IP:...`).
fn make_cert(dir: &Path, stem: &str, cn: &str, sans: &str) -> (PathBuf, PathBuf) {
    common::self_signed(dir, stem, cn, &[&format!("subjectAltName={sans}")])
}

/// A client certificate for `cn` signed by the CA `ca`: not a CA itself,
/// for TLS client authentication.
fn make_client_cert(dir: &Path, stem: &str, cn: &str, ca: &(PathBuf, PathBuf)) -> (PathBuf, PathBuf) {
    common::signed(
        dir,
        stem,
        cn,
        ca,
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n",
    )
}

/// The site: an HTML index, a 300 KB binary, CSS, a subdirectory with its
/// own index. Returns the root and the binary's bytes.
fn make_site(dir: &Path) -> (PathBuf, Vec<u8>) {
    let root = dir.join("site");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("index.html"), "<!doctype html><title>home</title><p>hello over TLS</p>\n")
        .unwrap();
    std::fs::write(root.join("style.css"), "body { color: #123456 }\n").unwrap();
    std::fs::write(root.join("sub/index.html"), "<p>the sub index</p>\n").unwrap();
    let mut x: u32 = 0x1234_5678;
    let big: Vec<u8> = (0..300_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    std::fs::write(root.join("big.bin"), &big).unwrap();
    (root, big)
}

/// Runs a tool (inside `ns` when given) bounded by `timeout 30`.
fn tool(ns: Option<&Netns>, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = match ns {
        Some(ns) => ns.command("timeout"),
        None => Command::new("timeout"),
    };
    cmd.arg("30").args(args);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("start {args:?}: {e}"));
    let mut input = child.stdin.take().unwrap();
    if let Some(data) = stdin {
        input.write_all(data).unwrap();
    }
    // s_client and gnutls-cli read standard input until it ends, so the
    // request is written, then input closes a moment later.
    let keep = stdin.is_some_and(|d| !d.is_empty());
    let closer = thread::spawn(move || {
        if keep {
            thread::sleep(Duration::from_millis(1500));
        }
        drop(input);
    });
    let out = child.wait_with_output().unwrap();
    closer.join().unwrap();
    out
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Where a server is and the CA that checks it.
struct Target<'a> {
    ns: Option<&'a Netns>,
    ip: &'a str,
    port: u16,
    ca: &'a Path,
}

impl Target<'_> {
    fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port)
    }
    fn resolve(&self) -> String {
        format!("localhost:{}:{}", self.port, self.ip)
    }
    /// `curl` with the CA and `localhost` resolved to the server.
    fn curl(&self, extra: &[&str]) -> Output {
        let (resolve, ca) = (self.resolve(), self.ca.display().to_string());
        let mut args = vec!["curl", "-sS", "--http1.1", "--resolve", &resolve, "--cacert", &ca];
        args.extend_from_slice(extra);
        tool(self.ns, &args, None)
    }
}

/// Runs `attempt` until it gives a value, for at most 20 s (the appliance
/// is starting); then fails with the last attempt's output and `app`'s log.
fn retry<T>(what: &str, app: &Proc, mut attempt: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match attempt() {
            Ok(value) => return value,
            Err(last) if Instant::now() > deadline => panic!("{what}: {last}\n{}", app.log()),
            Err(_) => thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// Ok when the command printed exactly `want` on stdout.
fn printed(out: Output, want: &str) -> Result<(), String> {
    if out.stdout == want.as_bytes() { Ok(()) } else { Err(text(&out)) }
}

fn wait_until_serving(t: &Target<'_>, app: &Proc) {
    retry("never served", app, || {
        printed(t.curl(&["-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2", &t.url("/")]), "200")
    });
}

/// Everything curl checks: bodies, keep-alive, Range, HEAD, 304, errors.
fn curl_checks(t: &Target<'_>, dir: &Path, big: &[u8], app: &Proc) {
    let log = || app.log();
    // A whole binary file, byte for byte, with its type and length.
    let got = dir.join("got.bin");
    let got_s = got.display().to_string();
    let out =
        t.curl(&["-o", &got_s, "-w", "%{http_code} %{content_type} %{size_download}", &t.url("/big.bin")]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200 application/octet-stream 300000", "{}", text(&out));
    assert!(std::fs::read(&got).unwrap() == big, "big.bin differs\n{}", log());
    // Two URLs, one connection (keep-alive), both bodies right.
    let out = t.curl(&["-v", &t.url("/index.html"), &t.url("/style.css")]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("Re-using existing connection"), "no keep-alive reuse:\n{all}");
    assert!(all.contains("hello over TLS") && all.contains("#123456"), "{all}");
    assert!(all.to_ascii_lowercase().contains("content-type: text/css"), "{all}");
    // Range: 206 with exactly those bytes.
    let out = t.curl(&["-r", "1000-1999", "-o", &got_s, "-w", "%{http_code}", &t.url("/big.bin")]);
    assert_eq!(out.stdout, b"206", "{}", text(&out));
    assert!(std::fs::read(&got).unwrap() == big[1000..2000], "range bytes differ");
    let out = t.curl(&["-r", "400000-", "-o", "/dev/null", "-w", "%{http_code}", &t.url("/big.bin")]);
    assert_eq!(out.stdout, b"416", "{}", text(&out));
    // HEAD: the headers of a GET, no body.
    let out = t.curl(&["-I", &t.url("/big.bin")]);
    let head = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-length: 300000"), "{head}");
    let etag = head
        .lines()
        .find_map(|l| l.strip_prefix("etag: "))
        .unwrap_or_else(|| panic!("no ETag in {head}"))
        .trim()
        .to_string();
    // If-None-Match with that ETag: 304, no body.
    let inm = format!("If-None-Match: {etag}");
    let out = t.curl(&["-H", &inm, "-o", &got_s, "-w", "%{http_code} %{size_download}", &t.url("/big.bin")]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "304 0", "{}", text(&out));
    // Errors, directories, escapes.
    for (path, want) in [
        ("/nope.html", "404"),
        ("/sub", "301"),
        ("/sub/", "200"),
        ("/../../../etc/passwd", "400"),
        ("/sub/../../etc/passwd", "400"),
        ("/%2e%2e/%2e%2e/etc/passwd", "400"),
    ] {
        let out = t.curl(&["--path-as-is", "-o", &got_s, "-w", "%{http_code}", &t.url(path)]);
        let code = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            code == want || (want == "400" && code == "404"),
            "{path}: {code}, want {want}\n{}",
            text(&out)
        );
        let body = std::fs::read_to_string(&got).unwrap_or_default();
        assert!(!body.contains("root:"), "{path} escaped the root");
    }
    let out = t.curl(&["-o", &got_s, &t.url("/sub/")]);
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(&got).unwrap(), "<p>the sub index</p>\n");
    // Another method: 405.
    let out = t.curl(&["-X", "DELETE", "-o", "/dev/null", "-w", "%{http_code}", &t.url("/index.html")]);
    assert_eq!(out.stdout, b"405", "{}", text(&out));
}

const REQUEST: &[u8] = b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

/// `openssl s_client`: both versions, ALPN, SNI over two certificates,
/// resumption with -sess_out / -sess_in.
fn openssl_checks(t: &Target<'_>, dir: &Path, other_ca: &Path) {
    let connect = format!("{}:{}", t.ip, t.port);
    let ca = t.ca.display().to_string();
    for version in ["-tls1_2", "-tls1_3"] {
        let sess = dir.join(format!("sess{version}")).display().to_string();
        let first = tool(
            t.ns,
            &[
                "openssl",
                "s_client",
                "-connect",
                &connect,
                "-servername",
                "localhost",
                version,
                "-alpn",
                "http/1.1",
                "-CAfile",
                &ca,
                "-verify_return_error",
                "-sess_out",
                &sess,
            ],
            Some(REQUEST),
        );
        let out = text(&first);
        let name = if version == "-tls1_2" { "TLSv1.2" } else { "TLSv1.3" };
        assert!(
            out.contains(&format!("Protocol: {name}")) || out.contains(&format!("Protocol  : {name}")),
            "{version}: {out}"
        );
        assert!(out.contains("ALPN protocol: http/1.1"), "{version}: {out}");
        assert!(out.contains("Verify return code: 0 (ok)"), "{version}: {out}");
        assert!(out.contains("hello over TLS"), "{version}: no body\n{out}");
        assert!(out.contains("New, "), "{version}: {out}");
        let again = tool(
            t.ns,
            &[
                "openssl",
                "s_client",
                "-connect",
                &connect,
                "-servername",
                "localhost",
                version,
                "-CAfile",
                &ca,
                "-sess_in",
                &sess,
            ],
            Some(REQUEST),
        );
        let out = text(&again);
        assert!(out.contains("Reused, "), "{version}: the session was not resumed:\n{out}");
        assert!(out.contains("hello over TLS"), "{version}: no body after resumption\n{out}");
    }
    // SNI picks the second certificate.
    let other = other_ca.display().to_string();
    let sni = tool(
        t.ns,
        &[
            "openssl",
            "s_client",
            "-connect",
            &connect,
            "-servername",
            "other.test",
            "-CAfile",
            &other,
            "-verify_return_error",
        ],
        Some(REQUEST),
    );
    let out = text(&sni);
    assert!(out.contains("CN = other.test") || out.contains("CN=other.test"), "SNI: {out}");
    assert!(out.contains("Verify return code: 0 (ok)"), "SNI: {out}");
}

/// `gnutls-cli` with TLS 1.3 and with TLS 1.2 only.
fn gnutls_checks(t: &Target<'_>) {
    let (port, ca) = (t.port.to_string(), format!("--x509cafile={}", t.ca.display()));
    for priority in ["NORMAL", "NORMAL:-VERS-ALL:+VERS-TLS1.2"] {
        let out = tool(
            t.ns,
            &[
                "gnutls-cli",
                &ca,
                "--sni-hostname=localhost",
                "--verify-hostname=localhost",
                "-p",
                &port,
                &format!("--priority={priority}"),
                t.ip,
            ],
            Some(REQUEST),
        );
        let all = text(&out);
        let version = if priority == "NORMAL" { "TLS1.3" } else { "TLS1.2" };
        assert!(all.contains(&format!("Description: ({version}-")), "gnutls-cli {priority}: {all}");
        assert!(
            all.contains("HTTP/1.1 200") && all.contains("hello over TLS"),
            "gnutls-cli {priority}: {all}"
        );
    }
}

/// Plaintext HTTP and an oversized record on the TLS port: an alert record, then
/// the connection closes; the server goes on.
fn garbage_gets_an_alert(server: SocketAddr) {
    for garbage in
        [&b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..], &[0x16, 0x03, 0x03, 0x4f, 0xff, 1, 2, 3, 4, 5][..]]
    {
        let mut s = TcpStream::connect_timeout(&server, Duration::from_secs(5)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(garbage).unwrap();
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got);
        assert!(got.len() >= 7 && got[0] == 0x15, "no TLS alert for {garbage:?}: {got:?}");
    }
}

fn start_https(dir: &Path, args: &[&str]) -> Proc {
    let log = dir.join(format!("https-{}.log", free_port()));
    let mut cmd = Command::new(BIN);
    cmd.arg("https").args(args).env("RUST_LOG", "info");
    Proc::spawn(&mut cmd, Some(&log))
}

#[test]
fn socket_stack_serves_curl_openssl_and_gnutls() {
    for (t, arg) in [("curl", "--version"), ("openssl", "version"), ("gnutls-cli", "--version")] {
        if !have(t, arg) {
            eprintln!("SKIPPED socket_stack_serves_curl_openssl_and_gnutls: `{t}` is not installed");
            return;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let (site, big) = make_site(dir.path());
    let (crt, key) = make_cert(dir.path(), "local", "localhost", "DNS:localhost,IP:127.0.0.1");
    let (crt2, key2) = make_cert(dir.path(), "other", "other.test", "DNS:other.test");
    let (port, http_port) = (free_port(), free_port());
    let (p, hp) = (port.to_string(), http_port.to_string());
    let s = |p: &Path| p.display().to_string();
    let mut app = start_https(
        dir.path(),
        &[
            "--root",
            &s(&site),
            "--cert",
            &s(&crt),
            "--key",
            &s(&key),
            "--cert",
            &s(&crt2),
            "--key",
            &s(&key2),
            "--port",
            &p,
            "--http-port",
            &hp,
            "--addr",
            "127.0.0.1",
        ],
    );
    let t = Target { ns: None, ip: "127.0.0.1", port, ca: &crt };
    wait_until_serving(&t, &app);
    curl_checks(&t, dir.path(), &big, &app);
    openssl_checks(&t, dir.path(), &crt2);
    gnutls_checks(&t);
    let server: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    garbage_gets_an_alert(server);
    // Still serving after the garbage.
    let out = t.curl(&["-o", "/dev/null", "-w", "%{http_code}", &t.url("/")]);
    assert_eq!(out.stdout, b"200", "{}", text(&out));
    // The plain-HTTP listener redirects to HTTPS.
    let out = tool(
        None,
        &[
            "curl",
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{redirect_url}",
            &format!("http://127.0.0.1:{hp}/sub/x?y=1"),
        ],
        None,
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("301 https://127.0.0.1:{port}/sub/x?y=1"),
        "{}",
        text(&out)
    );
    // The access log names requests; the TLS errors name the peer.
    let log = app.log();
    assert!(log.contains("/big.bin") && log.contains("206"), "no access log lines:\n{log}");
    let status = app.stop();
    assert!(status.success(), "exit {status:?}\n{}", app.log());
}

#[test]
fn mutual_tls_requires_a_client_certificate_from_the_ca() {
    if !have("curl", "--version") || !have("openssl", "version") {
        eprintln!("SKIPPED mutual_tls_requires_a_client_certificate_from_the_ca: curl or openssl missing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (site, _) = make_site(dir.path());
    let (crt, key) = make_cert(dir.path(), "local", "localhost", "DNS:localhost,IP:127.0.0.1");
    let ca = make_cert(dir.path(), "ca", "switch CA", "DNS:ca.test");
    let other_ca = make_cert(dir.path(), "other-ca", "other CA", "DNS:other-ca.test");
    let (client_crt, client_key) = make_client_cert(dir.path(), "client", "switch-1", &ca);
    let (stranger_crt, stranger_key) = make_client_cert(dir.path(), "stranger", "stranger", &other_ca);
    let port = free_port();
    let s = |p: &Path| p.display().to_string();
    let p = port.to_string();
    let app = start_https(
        dir.path(),
        &["--root", &s(&site), "--cert", &s(&crt), "--key", &s(&key), "--client-ca", &s(&ca.0), "--port", &p],
    );
    let t = Target { ns: None, ip: "127.0.0.1", port, ca: &crt };
    let (cc, ck) = (s(&client_crt), s(&client_key));
    retry("never served with a client certificate", &app, || {
        printed(
            t.curl(&["--cert", &cc, "--key", &ck, "-o", "/dev/null", "-w", "%{http_code}", &t.url("/")]),
            "200",
        )
    });
    let out = t.curl(&["-o", "/dev/null", "-w", "%{http_code}", &t.url("/")]);
    assert!(out.stdout != b"200", "served without a client certificate");
    let (sc, sk) = (s(&stranger_crt), s(&stranger_key));
    let out = t.curl(&["--cert", &sc, "--key", &sk, "-o", "/dev/null", "-w", "%{http_code}", &t.url("/")]);
    assert!(out.stdout != b"200", "served a client certificate from another CA");
}

#[test]
fn direct_stack_on_tap_serves_curl_and_openssl() {
    let tools = [
        ("curl", "--version", "curl"),
        ("openssl", "version", "openssl"),
        ("gnutls-cli", "--version", "gnutls-bin"),
    ];
    if let Some(reason) = tap_skip_reason(&tools) {
        eprintln!("SKIPPED direct_stack_on_tap_serves_curl_and_openssl: {reason}");
        return;
    }
    const TAP: &str = "aptls0";
    let ns = Netns::create(&format!("apl-tls-{}", std::process::id()));
    ns.setup(&[
        &["ip", "link", "set", "lo", "up"],
        &["ip", "tuntap", "add", "dev", TAP, "mode", "tap"],
        &["ip", "addr", "add", "10.95.0.1/24", "dev", TAP],
        &["ip", "link", "set", TAP, "up"],
    ]);
    let dir = tempfile::tempdir().unwrap();
    let (site, big) = make_site(dir.path());
    let (crt, key) = make_cert(dir.path(), "local", "localhost", "DNS:localhost,IP:10.95.0.2");
    let (crt2, key2) = make_cert(dir.path(), "other", "other.test", "DNS:other.test");
    let s = |p: &Path| p.display().to_string();
    let log = dir.path().join("appliance.log");
    let mut cmd = ns.command(BIN);
    cmd.args(["https", "--root", &s(&site), "--cert", &s(&crt), "--key", &s(&key), "--cert", &s(&crt2)])
        .args(["--key", &s(&key2), "--port", "443", "--net", &format!("tap:{TAP}"), "--addr", "10.95.0.2/24"])
        .env("RUST_LOG", "info");
    // `ip netns exec` execs the program, so this PID is the appliance's.
    let mut app = Proc::spawn(&mut cmd, Some(&log));
    let t = Target { ns: Some(&ns), ip: "10.95.0.2", port: 443, ca: &crt };
    wait_until_serving(&t, &app);
    curl_checks(&t, dir.path(), &big, &app);
    openssl_checks(&t, dir.path(), &crt2);
    gnutls_checks(&t);
    ns.on_thread(|| garbage_gets_an_alert("10.95.0.2:443".parse().unwrap()));
    let out = t.curl(&["-o", "/dev/null", "-w", "%{http_code}", &t.url("/")]);
    assert_eq!(out.stdout, b"200", "{}", text(&out));
    let status = app.stop();
    assert!(status.success(), "exit {status:?}\n{}", app.log());
}

#[test]
fn dns_over_tls_answers_kdig() {
    if !have("kdig", "--version") || !have("openssl", "version") {
        eprintln!("SKIPPED dns_over_tls_answers_kdig: kdig (knot-dnsutils) or openssl missing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("example.test.zone");
    std::fs::write(
        &zone,
        "$ORIGIN example.test.\n$TTL 300\n@ IN SOA ns1 host 1 7200 3600 1209600 300\n@ IN NS ns1\nns1 IN A 192.0.2.53\nwww IN A 192.0.2.80\n",
    )
    .unwrap();
    let (crt, key) = make_cert(dir.path(), "dot", "localhost", "DNS:localhost,IP:127.0.0.1");
    let (port, tls_port) = (free_port(), free_port());
    let s = |p: &Path| p.display().to_string();
    let log = dir.path().join("dns.log");
    let mut cmd = Command::new(BIN);
    cmd.args(["dns", "--zone", &s(&zone), "--port", &port.to_string(), "--tls-port", &tls_port.to_string()])
        .args(["--cert", &s(&crt), "--key", &s(&key), "--addr", "127.0.0.1"])
        .env("RUST_LOG", "info");
    let app = Proc::spawn(&mut cmd, Some(&log));
    let (p, ca) = (tls_port.to_string(), format!("+tls-ca={}", crt.display()));
    let args = [
        "kdig",
        "@127.0.0.1",
        "-p",
        &p,
        "+tls",
        &ca,
        "+tls-hostname=localhost",
        "+time=2",
        "www.example.test",
        "A",
    ];
    let all = retry("DNS over TLS never answered", &app, || {
        let all = text(&tool(None, &args, None));
        if all.contains("status: NOERROR") { Ok(all) } else { Err(all) }
    });
    assert!(all.contains("192.0.2.80"), "{all}");
    // kdig names the TLS session it used.
    assert!(all.contains("TLS"), "{all}");
}

#[test]
fn bad_certificates_stop_at_start_and_none_gives_a_self_signed_one() {
    if !have("openssl", "version") || !have("curl", "--version") {
        eprintln!(
            "SKIPPED bad_certificates_stop_at_start_and_none_gives_a_self_signed_one: openssl or curl missing"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (site, _) = make_site(dir.path());
    let (crt, _) = make_cert(dir.path(), "a", "localhost", "DNS:localhost");
    let (_, other_key) = make_cert(dir.path(), "b", "other", "DNS:other");
    let s = |p: &Path| p.display().to_string();
    let port = free_port().to_string();
    let run = |args: &[&str]| {
        let out = Command::new(BIN).arg("https").args(args).env("RUST_LOG", "warn").output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stderr).to_string())
    };
    let (ok, err) = run(&["--root", &s(&site), "--cert", &s(&crt), "--key", &s(&other_key), "--port", &port]);
    assert!(!ok && err.contains(&s(&other_key)) && err.contains("match"), "mismatched key: {err}");
    let missing = dir.path().join("missing.pem");
    let (ok, err) =
        run(&["--root", &s(&site), "--cert", &s(&missing), "--key", &s(&other_key), "--port", &port]);
    assert!(!ok && err.contains(&s(&missing)), "missing file: {err}");
    let (ok, err) = run(&["--root", &s(&dir.path().join("nosite")), "--port", &port]);
    assert!(!ok && err.contains("nosite"), "missing root: {err}");
    // No certificate: a self-signed one, with a warning, and it serves.
    let port = free_port();
    let app = start_https(dir.path(), &["--root", &s(&site), "--port", &port.to_string()]);
    let url = format!("https://127.0.0.1:{port}/");
    retry("self-signed never served", &app, || {
        printed(tool(None, &["curl", "-sSk", "-o", "/dev/null", "-w", "%{http_code}", &url], None), "200")
    });
    assert!(app.log().to_lowercase().contains("self-signed"), "no warning:\n{}", app.log());
}

/// With several socket-stack instances (SO_REUSEPORT), every instance
/// serves the same generated certificate and resumes sessions any instance
/// issued: the site and TLS config are loaded once and shared.
#[test]
fn instances_share_one_certificate_and_resume_each_others_sessions() {
    if !have("openssl", "version") {
        eprintln!("SKIPPED instances_share_one_certificate_and_resume_each_others_sessions: openssl missing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (site, _) = make_site(dir.path());
    let port = free_port();
    let s = |p: &Path| p.display().to_string();
    let app =
        start_https(dir.path(), &["--root", &s(&site), "--port", &port.to_string(), "--instances", "3"]);
    let connect = format!("127.0.0.1:{port}");
    let sess = dir.path().join("sess").display().to_string();
    let first = retry("never served", &app, || {
        let args = ["openssl", "s_client", "-connect", &connect, "-tls1_2", "-sess_out", &sess];
        let all = text(&tool(None, &args, Some(REQUEST)));
        if all.contains("hello over TLS") { Ok(all) } else { Err(all) }
    });
    let cert = |all: &str| {
        let begin = all.find("-----BEGIN CERTIFICATE-----").expect("a certificate");
        let end = all.find("-----END CERTIFICATE-----").expect("its end");
        all[begin..end].to_string()
    };
    // Fresh client ports spread the connections over the instances: full
    // handshakes all show the same certificate, resumed ones all resume.
    for _ in 0..5 {
        let out = tool(None, &["openssl", "s_client", "-connect", &connect, "-tls1_2"], Some(REQUEST));
        assert_eq!(cert(&text(&out)), cert(&first), "another certificate on some instance");
        let out = tool(
            None,
            &["openssl", "s_client", "-connect", &connect, "-tls1_2", "-sess_in", &sess],
            Some(REQUEST),
        );
        let all = text(&out);
        assert!(
            all.contains("Reused, ") && all.contains("hello over TLS"),
            "not resumed on some instance:\n{all}"
        );
    }
    assert!(app.log().contains("3 instances"), "{}", app.log());
}
