//! The HTTP service over a recording `Net`: every status, pipelining,
//! split input, back-pressure, limits, keep-alive, both site modes.

use std::fs;
use std::net::SocketAddr;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::services::testing::RecordingNet;

const C: ConnId = ConnId(7);

fn info() -> ConnInfo {
    ConnInfo {
        local: "127.0.0.1:80".parse().unwrap(),
        peer: "127.0.0.1:5555".parse().unwrap(),
        initiated: false,
    }
}

/// Deterministic test bytes.
fn pattern(len: usize) -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

const BIG: usize = 300_000;

/// A site with files, directories, an internal link and links to /etc.
fn make_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::write(p.join("index.html"), "<h1>home</h1>\n").unwrap();
    fs::write(p.join("a.txt"), "hello, world\n").unwrap();
    fs::write(p.join("empty.txt"), "").unwrap();
    fs::write(p.join("big.bin"), pattern(BIG)).unwrap();
    fs::write(p.join("style.css"), "body{}").unwrap();
    fs::write(p.join("caf\u{e9} x.txt"), "accent").unwrap();
    fs::create_dir(p.join("sub")).unwrap();
    fs::write(p.join("sub/index.html"), "sub index").unwrap();
    fs::write(p.join("sub/page.json"), "{}").unwrap();
    fs::create_dir(p.join("noindex")).unwrap();
    fs::write(p.join("noindex/x.txt"), "x").unwrap();
    symlink("/etc", p.join("etc")).unwrap();
    symlink("/etc/passwd", p.join("passwd")).unwrap();
    symlink("a.txt", p.join("alias.txt")).unwrap();
    symlink("sub", p.join("sublink")).unwrap();
    symlink("nowhere", p.join("dangling")).unwrap();
    symlink("..", p.join("sub/up")).unwrap(); // a cycle back to the root
    dir
}

struct T {
    http: Http,
    net: RecordingNet,
    _root: tempfile::TempDir,
    /// What the stack would keep: offered and not consumed.
    pending: Vec<u8>,
}

impl T {
    fn new(mode: SiteMode) -> T {
        T::with(mode, HttpOptions::default())
    }

    fn with(mode: SiteMode, opts: HttpOptions) -> T {
        let root = make_root();
        let site = Arc::new(Site::load(root.path(), mode).unwrap());
        let mut t =
            T { http: Http::new(site, opts), net: RecordingNet::default(), _root: root, pending: vec![] };
        t.http.on_open(Instant::ZERO, &mut t.net, C, info());
        t
    }

    /// Offers `bytes` the way a stack does: after what is still pending;
    /// offers the rest again while the service makes progress.
    fn send(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        self.pump();
    }

    fn pump(&mut self) {
        while !self.pending.is_empty() {
            let n = self.http.on_data(Instant::ZERO, &mut self.net, C, &self.pending);
            assert!(n <= self.pending.len());
            self.pending.drain(..n);
            if n == 0 {
                break;
            }
        }
    }

    fn writable(&mut self) {
        self.http.on_writable(Instant::ZERO, &mut self.net, C);
        self.pump();
    }

    fn out(&self) -> Vec<u8> {
        self.net.written(C)
    }

    fn closed(&self) -> bool {
        self.net.closed.contains(&C)
    }

    /// The answers so far; `heads` says which requests were HEAD.
    fn answers(&self, heads: &[bool]) -> Vec<Resp> {
        let (answers, rest) = parse_answers(&self.out(), heads);
        assert!(rest.is_empty(), "trailing bytes: {:?}", String::from_utf8_lossy(&rest));
        answers
    }

    fn one(&mut self, req: &str) -> Resp {
        let before = self.out().len();
        self.send(req.as_bytes());
        let head = req.starts_with("HEAD ");
        let (mut answers, rest) = parse_answers(&self.out()[before..], &[head]);
        assert!(rest.is_empty(), "trailing bytes after one answer to {req:?}");
        assert_eq!(answers.len(), 1, "{req:?}");
        answers.remove(0)
    }

    fn get(&mut self, path: &str) -> Resp {
        self.one(&format!("GET {path} HTTP/1.1\r\nHost: example.test\r\n\r\n"))
    }
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Splits bytes into whole answers (Content-Length framed; none for HEAD,
/// 304 and 1xx); returns them and what is left.
fn parse_answers(mut out: &[u8], heads: &[bool]) -> (Vec<Resp>, Vec<u8>) {
    let mut answers = vec![];
    loop {
        if out.is_empty() {
            return (answers, vec![]);
        }
        let mut fields = [httparse::EMPTY_HEADER; 32];
        let mut r = httparse::Response::new(&mut fields);
        let Ok(httparse::Status::Complete(len)) = r.parse(out) else { return (answers, out.to_vec()) };
        assert_eq!(r.version, Some(1));
        let status = r.code.unwrap();
        let headers: Vec<(String, String)> = r
            .headers
            .iter()
            .map(|h| (h.name.to_string(), String::from_utf8(h.value.to_vec()).unwrap()))
            .collect();
        let cl = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-length"));
        let head = heads.get(answers.len()).copied().unwrap_or(false);
        let body_len =
            if head || status == 304 { 0 } else { cl.map_or(0, |(_, v)| v.parse::<usize>().unwrap()) };
        if out.len() < len + body_len {
            return (answers, out.to_vec());
        }
        answers.push(Resp { status, headers, body: out[len..len + body_len].to_vec() });
        out = &out[len + body_len..];
    }
}

fn both_modes(f: impl Fn(SiteMode)) {
    f(SiteMode::Memory);
    f(SiteMode::Disk);
}

#[test]
fn serves_files_with_their_headers() {
    both_modes(|mode| {
        let mut t = T::new(mode);
        let r = t.get("/a.txt");
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"hello, world\n");
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
        assert_eq!(r.header("content-length"), Some("13"));
        assert_eq!(r.header("accept-ranges"), Some("bytes"));
        assert_eq!(r.header("server"), Some("appliance"));
        assert!(date::parse(r.header("date").unwrap().as_bytes()).is_some());
        assert!(date::parse(r.header("last-modified").unwrap().as_bytes()).is_some());
        let etag = r.header("etag").unwrap();
        assert!(etag.starts_with('"') && etag.ends_with('"') && etag.len() > 4, "{etag}");
        assert_eq!(r.header("connection"), None);
        assert_eq!(t.get("/style.css").header("content-type"), Some("text/css; charset=utf-8"));
        assert_eq!(t.get("/sub/page.json").header("content-type"), Some("application/json"));
        let e = t.get("/empty.txt");
        assert_eq!((e.status, e.header("content-length"), e.body.len()), (200, Some("0"), 0));
        assert_eq!(t.get("/caf%C3%A9%20x.txt").body, b"accent");
        assert_eq!(t.get("/a.txt?query=ignored&x=/../..").body, b"hello, world\n");
        assert_eq!(t.get("http://example.test/a.txt").body, b"hello, world\n");
        let big = t.get("/big.bin");
        assert_eq!(big.body, pattern(BIG));
        assert_eq!(big.header("content-type"), Some("application/octet-stream"));
        assert!(!t.closed());
    });
}

#[test]
fn head_has_the_same_head_and_no_body() {
    both_modes(|mode| {
        let mut t = T::new(mode);
        let get = t.get("/big.bin");
        let head = t.one("HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(head.status, 200);
        assert!(head.body.is_empty());
        let names = |r: &Resp| r.headers.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(names(&get), names(&head));
        for h in ["content-length", "etag", "content-type", "last-modified"] {
            assert_eq!(get.header(h), head.header(h));
        }
        // HEAD of an error: headers only.
        let r = t.one("HEAD /missing HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!((r.status, r.body.len()), (404, 0));
        assert!(!t.closed());
    });
}

#[test]
fn directories_index_and_redirect() {
    both_modes(|mode| {
        let mut t = T::new(mode);
        assert_eq!(t.get("/").body, b"<h1>home</h1>\n");
        assert_eq!(t.get("/sub/").body, b"sub index");
        let r = t.get("/sub");
        assert_eq!(r.status, 301);
        assert_eq!(r.header("location"), Some("/sub/"));
        assert_eq!(t.get("/sub?a=1").header("location"), Some("/sub/?a=1"));
        assert_eq!(t.get("/sub/.").body, b"sub index");
        assert_eq!(t.get("/noindex/").status, 404);
        assert_eq!(t.get("/noindex").status, 301);
        assert_eq!(t.get("/noindex/x.txt").body, b"x");
        assert_eq!(t.get("/a.txt/").status, 404);
        assert_eq!(t.get("/missing.html").status, 404);
        assert_eq!(t.get("/sub/missing/").status, 404);
        // An internal link to a directory, and one to a file.
        assert_eq!(t.get("/sublink/page.json").body, b"{}");
        assert_eq!(t.get("/alias.txt").body, b"hello, world\n");
        assert_eq!(t.get("/dangling").status, 404);
        assert!(!t.closed());
    });
}

#[test]
fn no_path_leaves_the_root() {
    both_modes(|mode| {
        let mut t = T::new(mode);
        for (path, status) in [
            ("/../etc/passwd", 400),
            ("/../../../../etc/passwd", 400),
            ("/%2e%2e/etc/passwd", 400),
            ("/%2E%2E/%2E%2E/etc/passwd", 400),
            ("/sub/../../etc/passwd", 400),
            ("/.%2e/etc/passwd", 400),
            ("/sub%2f..%2f..%2fetc/passwd", 400),
            ("/..%5c..%5cetc/passwd", 400),
            ("/..\\..\\etc\\passwd", 400),
            ("/a.txt%00.html", 400),
            ("/%zz", 400),
            ("/etc/passwd", 404), // a link to /etc: not followed
            ("/etc/", 404),
            ("/passwd", 404), // a link to /etc/passwd
        ] {
            let r = t.get(path);
            assert_eq!(r.status, status, "{mode:?} {path}");
            assert!(!String::from_utf8_lossy(&r.body).contains("root:"), "{path}");
        }
        let r = t.one("GET * HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(r.status, 400);
    });
}

#[test]
fn other_methods_get_405_and_their_bodies_are_skipped() {
    let mut t = T::new(SiteMode::Memory);
    let r = t.one("POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    assert!(!t.closed());
    // The body arriving later, split, is skipped too, then the next request.
    let before = t.out().len();
    t.send(b"PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    t.send(b"defg");
    t.send(b"hijGET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    let (answers, rest) = parse_answers(&t.out()[before..], &[]);
    assert!(rest.is_empty());
    assert_eq!(answers.iter().map(|a| a.status).collect::<Vec<_>>(), [405, 200]);
    assert_eq!(answers[1].body, b"hello, world\n");
    for m in ["DELETE", "OPTIONS", "PATCH", "get", "CONNECT"] {
        assert_eq!(t.one(&format!("{m} /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")).status, 405, "{m}");
    }
    // A GET with a body is answered, and its body skipped.
    let before = t.out().len();
    t.send(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyzGET /style.css HTTP/1.1\r\nHost: x\r\n\r\n");
    let (answers, _) = parse_answers(&t.out()[before..], &[]);
    assert_eq!(answers.iter().map(|a| a.status).collect::<Vec<_>>(), [200, 200]);
    assert!(!t.closed());
}

fn closes_with(req: &[u8], status: u16, opts: HttpOptions) {
    let mut t = T::with(SiteMode::Memory, opts);
    t.send(req);
    let answers = t.answers(&[]);
    assert_eq!(answers.len(), 1, "{}", String::from_utf8_lossy(req));
    assert_eq!(answers[0].status, status, "{}", String::from_utf8_lossy(req));
    assert_eq!(answers[0].header("connection"), Some("close"));
    assert!(t.closed());
    // Whatever follows is never answered.
    t.send(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(t.answers(&[]).len(), 1);
}

#[test]
fn bad_requests_get_400_and_close() {
    let d = HttpOptions::default;
    closes_with(b"GET /a.txt HTTP/1.1\r\n\r\n", 400, d()); // no Host
    closes_with(b"GET /a.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, d());
    closes_with(b"GET /a.txt HTTP/1.1\r\nHost: a b\r\n\r\n", 400, d());
    closes_with(b"GET /a.txt HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, d());
    closes_with(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", 400, d());
    closes_with(
        b"GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        400,
        d(),
    );
    closes_with(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, d());
    closes_with(
        b"GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        400,
        d(),
    );
    closes_with(b"GET /a.txt HTTP/9.1\r\nHost: x\r\n\r\n", 400, d());
    closes_with(b"GET /a.txt\r\n\r\n", 400, d());
    closes_with(b"GET  /a.txt HTTP/1.1\r\nHost: x\r\n\r\n", 400, d());
    closes_with(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400, d()); // a TLS ClientHello
    closes_with(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n", 400, d());
    closes_with(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n", 400, d());
    // Chunked request bodies are not decoded.
    closes_with(b"POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411, d());
    closes_with(
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
        400,
        d(),
    );
}

#[test]
fn limits_give_413_414_431() {
    let d = HttpOptions::default;
    closes_with(b"POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\n", 413, d());
    let long = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(4096));
    closes_with(long.as_bytes(), 414, d());
    // Too long while still partial: no end of line in sight.
    closes_with(format!("GET /{}", "a".repeat(5000)).as_bytes(), 414, d());
    let many: String = (0..65).map(|i| format!("X-{i}: v\r\n")).collect();
    closes_with(format!("GET / HTTP/1.1\r\nHost: x\r\n{many}\r\n").as_bytes(), 431, d());
    let big = format!("GET / HTTP/1.1\r\nHost: x\r\nX: {}\r\n\r\n", "v".repeat(8200));
    closes_with(big.as_bytes(), 431, d());
    // Partial and over the limit already.
    closes_with(format!("GET / HTTP/1.1\r\nHost: x\r\nX: {}", "v".repeat(8200)).as_bytes(), 431, d());
    // Just under the limits: served.
    let mut t = T::new(SiteMode::Memory);
    let many: String = (0..63).map(|i| format!("X-{i}: v\r\n")).collect();
    assert_eq!(t.one(&format!("GET /a.txt HTTP/1.1\r\nHost: x\r\n{many}\r\n")).status, 200);
    let r = t.one("POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n");
    assert_eq!(r.status, 405);
    t.send(&vec![b'z'; 65536]);
    assert_eq!(t.get("/a.txt").status, 200);
    // Smaller limits from the options.
    let small =
        || HttpOptions { max_uri_bytes: 10, max_headers: 2, max_body_bytes: 0, ..HttpOptions::default() };
    closes_with(b"GET /0123456789 HTTP/1.1\r\nHost: x\r\n\r\n", 414, small());
    closes_with(b"GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n", 431, small());
    closes_with(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n", 413, small());
}

#[test]
fn conditional_requests() {
    both_modes(|mode| {
        let mut t = T::new(mode);
        let r = t.get("/a.txt");
        let etag = r.header("etag").unwrap().to_string();
        let lm = r.header("last-modified").unwrap().to_string();
        let cond = |t: &mut T, h: &str| t.one(&format!("GET /a.txt HTTP/1.1\r\nHost: x\r\n{h}\r\n\r\n"));
        for h in [
            format!("If-None-Match: {etag}"),
            format!("If-None-Match: W/{etag}"),
            format!("If-None-Match: \"nope\", {etag}"),
            "If-None-Match: *".to_string(),
            format!("If-Modified-Since: {lm}"),
            "If-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT".to_string(),
        ] {
            let r = cond(&mut t, &h);
            assert_eq!(r.status, 304, "{h}");
            assert!(r.body.is_empty());
            assert_eq!(r.header("etag"), Some(etag.as_str()));
            assert_eq!(r.header("last-modified"), Some(lm.as_str()));
            assert_eq!(r.header("content-length"), None);
        }
        for h in [
            "If-None-Match: \"nope\"".to_string(),
            format!("If-None-Match: {}", &etag[..etag.len() - 2]),
            "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT".to_string(),
            "If-Modified-Since: not a date".to_string(),
            // If-None-Match decides when both are present.
            format!("If-None-Match: \"nope\"\r\nIf-Modified-Since: {lm}"),
        ] {
            assert_eq!(cond(&mut t, &h).status, 200, "{h}");
        }
        let r = t.one(&format!("HEAD /a.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: {etag}\r\n\r\n"));
        assert_eq!(r.status, 304);
        // Different files, different tags.
        assert_ne!(t.get("/style.css").header("etag"), Some(etag.as_str()));
    });
}

#[test]
fn ranges() {
    both_modes(|mode| {
        let mut t = T::new(mode);
        let body = pattern(BIG);
        let range = |t: &mut T, h: &str| t.one(&format!("GET /big.bin HTTP/1.1\r\nHost: x\r\n{h}\r\n\r\n"));
        let r = range(&mut t, "Range: bytes=0-99");
        assert_eq!(r.status, 206);
        assert_eq!(r.body, &body[..100]);
        assert_eq!(r.header("content-range"), Some(format!("bytes 0-99/{BIG}").as_str()));
        assert_eq!(r.header("content-length"), Some("100"));
        assert_eq!(r.header("content-type"), Some("application/octet-stream"));
        assert!(r.header("etag").is_some());
        let r = range(&mut t, "Range: bytes=1000-");
        assert_eq!((r.status, &r.body[..]), (206, &body[1000..]));
        let r = range(&mut t, "Range: bytes=-10");
        assert_eq!((r.status, &r.body[..]), (206, &body[BIG - 10..]));
        let r = range(&mut t, &format!("Range: bytes={}-{}", BIG - 1, BIG + 100));
        assert_eq!((r.status, &r.body[..]), (206, &body[BIG - 1..]));
        let r = range(&mut t, &format!("Range: bytes={BIG}-"));
        assert_eq!(r.status, 416);
        assert_eq!(r.header("content-range"), Some(format!("bytes */{BIG}").as_str()));
        assert!(!t.closed());
        assert_eq!(range(&mut t, "Range: bytes=-0").status, 416);
        // Several ranges, bad syntax, other units: the whole file.
        for h in ["Range: bytes=0-1,5-6", "Range: bytes=5-1", "Range: lines=1-2", "Range: bytes=x-"] {
            let r = range(&mut t, h);
            assert_eq!((r.status, r.body.len()), (200, BIG), "{h}");
        }
        // If-Range: the current ETag or date applies the range; else 200.
        let etag = t.get("/big.bin").header("etag").unwrap().to_string();
        let lm = t.get("/big.bin").header("last-modified").unwrap().to_string();
        assert_eq!(range(&mut t, &format!("Range: bytes=0-0\r\nIf-Range: {etag}")).status, 206);
        assert_eq!(range(&mut t, &format!("Range: bytes=0-0\r\nIf-Range: {lm}")).status, 206);
        assert_eq!(range(&mut t, "Range: bytes=0-0\r\nIf-Range: \"old\"").status, 200);
        assert_eq!(range(&mut t, &format!("Range: bytes=0-0\r\nIf-Range: W/{etag}")).status, 200);
        // HEAD ignores Range (RFC 9110 §14.2: GET only).
        let r = t.one("HEAD /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1\r\n\r\n");
        assert_eq!(r.status, 200);
        // An empty file has no satisfiable range.
        let r = t.one("GET /empty.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-\r\n\r\n");
        assert_eq!((r.status, r.header("content-range")), (416, Some("bytes */0")));
        let r = t.one("GET /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=7-11\r\n\r\n");
        assert_eq!((r.status, &r.body[..]), (206, &b"world"[..]));
    });
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    both_modes(|mode| {
        let mut t = T::new(mode);
        let mut reqs = String::new();
        let paths = ["/a.txt", "/missing", "/big.bin", "/style.css", "/sub", "/"];
        for p in paths {
            reqs += &format!("GET {p} HTTP/1.1\r\nHost: x\r\n\r\n");
        }
        reqs += "HEAD /a.txt HTTP/1.1\r\nHost: x\r\n\r\n";
        t.send(reqs.as_bytes());
        let answers = t.answers(&[false, false, false, false, false, false, true]);
        assert_eq!(answers.iter().map(|a| a.status).collect::<Vec<_>>(), [200, 404, 200, 200, 301, 200, 200]);
        assert_eq!(answers[0].body, b"hello, world\n");
        assert_eq!(answers[2].body, pattern(BIG));
        assert_eq!(answers[3].body, b"body{}");
        assert!(t.pending.is_empty());
    });
}

#[test]
fn requests_split_byte_by_byte() {
    both_modes(|mode| {
        let mut t = T::new(mode);
        let reqs = b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=5-9\r\n\r\nPOST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbodyGET /sub/ HTTP/1.1\r\nHost: x\r\n\r\n";
        for b in reqs {
            t.send(&[*b]);
        }
        let answers = t.answers(&[]);
        assert_eq!(answers.iter().map(|a| a.status).collect::<Vec<_>>(), [200, 206, 405, 200]);
        assert_eq!(answers[1].body, &pattern(BIG)[5..10]);
        assert_eq!(answers[3].body, b"sub index");
        assert!(t.pending.is_empty());
        assert!(!t.closed());
    });
}

#[test]
fn large_answer_through_a_small_window() {
    both_modes(|mode| {
        let mut t = T::new(mode);
        t.net.write_room = 1000;
        t.send(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        // Blocked: the second request stays with the stack.
        assert!(!t.pending.is_empty());
        assert!(t.out().len() < 2000);
        // More requests arriving meanwhile are not consumed either.
        t.send(b"GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(t.pending.len(), 32 + 36);
        let mut rounds = 0;
        while !t.pending.is_empty() || !t.http.engine.conns.get(&C).unwrap().body.is_none() {
            t.writable();
            rounds += 1;
            assert!(rounds < 1000, "no progress");
            // Never more than one batch plus one head held per connection.
            let c = &t.http.engine.conns.get(&C).unwrap();
            assert!(c.out.len() <= WRITE_BATCH + 1024);
        }
        assert!(rounds > 250);
        let answers = t.answers(&[]);
        assert_eq!(answers.len(), 3);
        assert_eq!(answers[0].body, pattern(BIG));
        assert_eq!(answers[1].body, b"hello, world\n");
        assert_eq!(answers[2].body, b"body{}");
        // Every write honoured the room given.
        assert!(t.net.writes.iter().all(|(_, w)| w.len() <= 1000));
    });
}

#[test]
fn write_room_zero_then_room() {
    let mut t = T::new(SiteMode::Memory);
    t.net.write_room = 0;
    t.send(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(t.out().is_empty());
    // Both answers fit one batch; while it waits, nothing more is consumed.
    assert!(t.pending.is_empty());
    t.send(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(t.pending.len(), 32);
    t.net.write_room = usize::MAX;
    t.writable();
    assert_eq!(t.answers(&[]).len(), 3);
}

#[test]
fn keep_alive_and_close() {
    let mut t = T::new(SiteMode::Memory);
    let r = t.one("GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
    assert_eq!(r.header("connection"), None);
    assert!(!t.closed());
    let r = t.one("GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, Close\r\n\r\n");
    assert_eq!(r.header("connection"), Some("close"));
    assert!(t.closed());

    // HTTP/1.0: closes unless asked; no Host needed.
    let mut t = T::new(SiteMode::Memory);
    let r = t.one("GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_eq!((r.status, r.header("connection")), (200, Some("keep-alive")));
    assert!(!t.closed());
    let r = t.one("GET /a.txt HTTP/1.0\r\n\r\n");
    assert_eq!((r.status, r.header("connection")), (200, Some("close")));
    assert_eq!(r.body, b"hello, world\n");
    assert!(t.closed());

    // Requests pipelined behind a close are not answered.
    let mut t = T::new(SiteMode::Memory);
    t.send(
        b"GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert_eq!(t.answers(&[]).len(), 1);
    assert!(t.closed());

    // A close after a blocked large answer waits for it to be written.
    let mut t = T::new(SiteMode::Memory);
    t.net.write_room = 50_000;
    t.send(b"GET /big.bin HTTP/1.0\r\n\r\n");
    assert!(!t.closed());
    for _ in 0..10 {
        t.writable();
    }
    assert!(t.closed());
    assert_eq!(t.answers(&[])[0].body, pattern(BIG));
}

#[test]
fn peer_close_finishes_pending_answers() {
    let mut t = T::new(SiteMode::Memory);
    t.net.write_room = 10_000;
    t.send(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /partial");
    t.http.on_peer_close(Instant::ZERO, &mut t.net, C);
    assert!(!t.closed());
    for _ in 0..40 {
        t.writable();
    }
    assert!(t.closed());
    assert_eq!(t.answers(&[]).len(), 1);
    t.http.on_closed(Instant::ZERO, C);
    assert_eq!(t.http.connections(), 0);
}

#[test]
fn idle_connections_are_closed() {
    let opts = HttpOptions { idle_timeout: Duration::from_secs(5), ..HttpOptions::default() };
    let mut t = T::with(SiteMode::Memory, opts);
    let deadline = t.http.poll_timeout().expect("a deadline");
    assert_eq!(deadline, Instant::from_secs(5));
    // A partial request is not activity.
    t.send(b"GET /a.txt HTTP/1.1\r\nHo");
    t.http.on_timer(Instant::from_secs(4), &mut t.net);
    assert!(!t.closed());
    t.http.on_timer(Instant::from_secs(5), &mut t.net);
    assert!(t.closed());
    assert_eq!(t.http.connections(), 0);
    assert_eq!(t.http.poll_timeout(), None);
}

#[test]
fn connection_limit() {
    let opts = HttpOptions { max_connections: 1, ..HttpOptions::default() };
    let mut t = T::with(SiteMode::Memory, opts);
    t.http.on_open(Instant::ZERO, &mut t.net, ConnId(8), info());
    assert_eq!(t.net.closed, [ConnId(8)]);
    assert_eq!(t.http.on_data(Instant::ZERO, &mut t.net, ConnId(8), b"GET / HTTP/1.0\r\n\r\n"), 18);
    assert!(t.net.written(ConnId(8)).is_empty());
    assert_eq!(t.get("/a.txt").status, 200);
    assert_eq!(t.http.connections(), 1);
}

#[test]
fn redirect_to_https() {
    let mut r = Redirect::new(80, 8443);
    assert_eq!(r.listen(), Listen::tcp(80));
    let mut net = RecordingNet::default();
    r.on_open(Instant::ZERO, &mut net, C, info());
    let reqs = b"GET /a/b?c=d HTTP/1.1\r\nHost: example.test:80\r\n\r\nPOST /x HTTP/1.1\r\nHost: [::1]\r\nContent-Length: 2\r\n\r\nhiGET http://other.test/p HTTP/1.1\r\nHost: example.test\r\n\r\n";
    assert_eq!(r.on_data(Instant::ZERO, &mut net, C, reqs), reqs.len());
    let (answers, rest) = parse_answers(&net.written(C), &[]);
    assert!(rest.is_empty());
    let loc: Vec<_> = answers.iter().map(|a| (a.status, a.header("location").unwrap_or(""))).collect();
    assert_eq!(
        loc,
        [
            (301, "https://example.test:8443/a/b?c=d"),
            (301, "https://[::1]:8443/x"),
            (301, "https://example.test:8443/p")
        ]
    );
    assert!(net.closed.is_empty());
    // No Host to redirect to: 400; the default port is left out.
    let mut r = Redirect::new(80, 443);
    let mut net = RecordingNet::default();
    r.on_open(Instant::ZERO, &mut net, C, info());
    let reqs = b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /x HTTP/1.0\r\nHost: h\r\n\r\n";
    r.on_data(Instant::ZERO, &mut net, C, reqs);
    let (answers, _) = parse_answers(&net.written(C), &[]);
    assert_eq!(answers[0].status, 400);
    assert_eq!(answers[1].header("location"), Some("https://h/x"));
    assert!(net.closed.contains(&C)); // HTTP/1.0 without keep-alive
}

#[test]
fn site_load_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let e = Site::load(&missing, SiteMode::Memory).unwrap_err();
    assert!(matches!(e, SiteError::NoRoot(_)));
    assert!(e.to_string().contains(&missing.display().to_string()), "{e}");
    let file = dir.path().join("file");
    fs::write(&file, "x").unwrap();
    let e = Site::load(&file, SiteMode::Disk).unwrap_err();
    assert!(matches!(e, SiteError::NotADirectory(_)), "{e}");
    assert!(e.to_string().contains("not a directory"));

    let root = make_root();
    let e = Site::load_with_limit(root.path(), SiteMode::Memory, 1000).unwrap_err();
    assert!(matches!(e, SiteError::TooLarge { .. }), "{e}");
    let site = Site::load(root.path(), SiteMode::Memory).unwrap();
    // Links out of the root and dangling ones are not loaded; the file
    // reached by two names is held once.
    for (path, dir) in [("passwd", false), ("etc", true), ("etc/passwd", false), ("dangling", false)] {
        assert!(matches!(site.find(path, dir), Found::Nothing), "{path}");
    }
    assert!(matches!(site.find("alias.txt", false), Found::Mem(_)));
    assert!(matches!(site.find("sublink/page.json", false), Found::Mem(_)));
    let unique: u64 = [14u64, 13, 0, BIG as u64, 6, 6, 9, 2, 1].iter().sum();
    assert_eq!(site.total_bytes(), unique);
    assert_eq!(site.root(), fs::canonicalize(root.path()).unwrap());
}

#[test]
fn unreadable_file_fails_the_load() {
    let root = tempfile::tempdir().unwrap();
    // A directory we cannot list (root can, so use a file we cannot read as
    // a directory: a FIFO is skipped, a file that vanishes is an error).
    let fifo = root.path().join("fifo");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status();
    if status.is_ok_and(|s| s.success()) {
        let site = Site::load(root.path(), SiteMode::Memory).unwrap();
        assert_eq!(site.files(), 0);
    }
    let e = Site::load(Path::new(""), SiteMode::Memory).unwrap_err();
    assert!(matches!(e, SiteError::NoRoot(_) | SiteError::Read { .. }), "{e}");
}

fn peer() -> SocketAddr {
    "127.0.0.1:1".parse().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary bytes, split anywhere, with arbitrary write room: no panic,
    /// and what comes out is whole answers (or nothing), never garbage.
    #[test]
    fn arbitrary_input_never_panics(
        input in prop::collection::vec(prop_oneof![
            Just(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
            Just(b"HEAD / HTTP/1.0\r\n\r\n".to_vec()),
            Just(b"Range: bytes=1-3\r\n".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"Content-Length: 3\r\n".to_vec()),
            Just(b"POST /../x%2f HTTP/1.1\r\n".to_vec()),
            prop::collection::vec(any::<u8>(), 0..40),
        ], 0..12),
        splits in prop::collection::vec(1usize..64, 1..20),
        room in prop_oneof![Just(usize::MAX), 1usize..5000],
    ) {
        let mut t = T::new(SiteMode::Memory);
        t.net.write_room = room;
        let bytes: Vec<u8> = input.concat();
        let mut pos = 0;
        let mut i = 0;
        while pos < bytes.len() {
            let n = splits[i % splits.len()].min(bytes.len() - pos);
            t.send(&bytes[pos..pos + n]);
            t.writable();
            pos += n;
            i += 1;
        }
        for _ in 0..400 {
            t.writable();
        }
        t.http.on_peer_close(Instant::ZERO, &mut t.net, C);
        for _ in 0..400 {
            t.writable();
        }
        // Everything written parses as whole answers (HEADs unknown here,
        // so only check that each starts as an HTTP/1.1 status line).
        let out = t.out();
        if !out.is_empty() {
            prop_assert!(out.starts_with(b"HTTP/1.1 "));
        }
        let mut fields = [httparse::EMPTY_HEADER; 32];
        let mut r = httparse::Response::new(&mut fields);
        if !out.is_empty() {
            prop_assert!(matches!(r.parse(&out), Ok(httparse::Status::Complete(_))));
        }
        prop_assert!(t.closed() || !t.pending.is_empty() || t.http.connections() == 1);
        let _ = peer();
    }
}
