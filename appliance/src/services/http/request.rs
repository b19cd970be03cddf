//! Request heads (RFC 9112 §2–§3, §6; RFC 9110 §7.2) and request targets.
//!
//! [`parse`] reads one request line and its header fields with `httparse`
//! and pulls out only what a static server acts on, borrowing from the input
//! (nothing is allocated). Limits are checked while the head is still
//! partial, so a client can never make the stack hold more than
//! `max_request_header_bytes` of one head.

#[allow(unused_imports)]
use crate::prelude::*;
use core::mem::MaybeUninit;

use super::HttpOptions;

/// The most header fields ever parsed (larger `max_headers` are capped):
/// the field array lives on the stack, uninitialised until used.
pub const HEADER_CAP: usize = 256;

/// An HTTP status code this server sends, with its reason phrase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// 200
    Ok,
    /// 206
    PartialContent,
    /// 301
    MovedPermanently,
    /// 304
    NotModified,
    /// 400
    BadRequest,
    /// 404
    NotFound,
    /// 405
    MethodNotAllowed,
    /// 411
    LengthRequired,
    /// 413
    ContentTooLarge,
    /// 414
    UriTooLong,
    /// 416
    RangeNotSatisfiable,
    /// 431
    HeaderFieldsTooLarge,
    /// 500
    InternalServerError,
    /// 502 (the controller's API: the switch refused or went away)
    BadGateway,
    /// 504 (the controller's API: no answer from the switch in time)
    GatewayTimeout,
}

impl Status {
    /// The numeric code.
    pub fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::PartialContent => 206,
            Status::MovedPermanently => 301,
            Status::NotModified => 304,
            Status::BadRequest => 400,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::LengthRequired => 411,
            Status::ContentTooLarge => 413,
            Status::UriTooLong => 414,
            Status::RangeNotSatisfiable => 416,
            Status::HeaderFieldsTooLarge => 431,
            Status::InternalServerError => 500,
            Status::BadGateway => 502,
            Status::GatewayTimeout => 504,
        }
    }

    /// The status line, CRLF included.
    pub fn line(self) -> &'static [u8] {
        match self {
            Status::Ok => b"HTTP/1.1 200 OK\r\n",
            Status::PartialContent => b"HTTP/1.1 206 Partial Content\r\n",
            Status::MovedPermanently => b"HTTP/1.1 301 Moved Permanently\r\n",
            Status::NotModified => b"HTTP/1.1 304 Not Modified\r\n",
            Status::BadRequest => b"HTTP/1.1 400 Bad Request\r\n",
            Status::NotFound => b"HTTP/1.1 404 Not Found\r\n",
            Status::MethodNotAllowed => b"HTTP/1.1 405 Method Not Allowed\r\n",
            Status::LengthRequired => b"HTTP/1.1 411 Length Required\r\n",
            Status::ContentTooLarge => b"HTTP/1.1 413 Content Too Large\r\n",
            Status::UriTooLong => b"HTTP/1.1 414 URI Too Long\r\n",
            Status::RangeNotSatisfiable => b"HTTP/1.1 416 Range Not Satisfiable\r\n",
            Status::HeaderFieldsTooLarge => b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
            Status::InternalServerError => b"HTTP/1.1 500 Internal Server Error\r\n",
            Status::BadGateway => b"HTTP/1.1 502 Bad Gateway\r\n",
            Status::GatewayTimeout => b"HTTP/1.1 504 Gateway Timeout\r\n",
        }
    }

    /// The small body of an error answer: code and phrase.
    pub fn text(self) -> &'static [u8] {
        let line = self.line();
        &line[9..] // "NNN Phrase\r\n"
    }
}

/// What a request asks to do, as far as a static server cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// HEAD: GET's headers without the body.
    Head,
    /// Anything else: 405.
    Other,
}

/// The parts of one request head the server acts on.
#[derive(Clone, Copy, Debug)]
pub struct Head<'a> {
    /// The method as sent (for the access log).
    pub method: &'a str,
    /// What it means here.
    pub kind: Method,
    /// The request target as sent.
    pub target: &'a str,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor: u8,
    /// The Host field value (validated), when present.
    pub host: Option<&'a [u8]>,
    /// Whether the connection stays open after the answer (RFC 9112 §9.3).
    pub keep_alive: bool,
    /// The request body's length (Content-Length; 0 without).
    pub content_length: u64,
    /// If-None-Match (RFC 9110 §13.1.2).
    pub if_none_match: Option<&'a [u8]>,
    /// If-Modified-Since (RFC 9110 §13.1.3).
    pub if_modified_since: Option<&'a [u8]>,
    /// Range (RFC 9110 §14.2).
    pub range: Option<&'a [u8]>,
    /// If-Range (RFC 9110 §13.1.5).
    pub if_range: Option<&'a [u8]>,
}

/// Why a head cannot be served; the connection closes after the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reject {
    /// The answer.
    pub status: Status,
    /// Why, for the debug log.
    pub why: &'static str,
}

/// The outcome of [`parse`].
#[derive(Debug)]
pub enum Parsed<'a> {
    /// More bytes are needed (and allowed).
    Partial,
    /// One head, and its length in bytes.
    Complete(Head<'a>, usize),
    /// The head is unacceptable.
    Reject(Reject),
}

const fn reject(status: Status, why: &'static str) -> Parsed<'static> {
    Parsed::Reject(Reject { status, why })
}

/// Parses one request head at the start of `data`. `window` is the most the
/// stack can ever offer at once (a head must fit in it).
pub fn parse<'a>(data: &'a [u8], opts: &HttpOptions, window: usize) -> Parsed<'a> {
    let mut fields = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; HEADER_CAP];
    let cap = opts.max_headers.clamp(1, HEADER_CAP);
    let mut req = httparse::Request::new(&mut []);
    let len = match req.parse_with_uninit_headers(data, &mut fields[..cap]) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return partial(data, opts, window),
        Err(httparse::Error::TooManyHeaders) => {
            return reject(Status::HeaderFieldsTooLarge, "too many header fields");
        }
        Err(_) => return reject(Status::BadRequest, "malformed request head"),
    };
    if len > opts.max_request_header_bytes {
        return reject(Status::HeaderFieldsTooLarge, "request head too large");
    }
    let (Some(method), Some(target), Some(minor)) = (req.method, req.path, req.version) else {
        return reject(Status::BadRequest, "incomplete request line");
    };
    if target.len() > opts.max_uri_bytes {
        return reject(Status::UriTooLong, "request target too long");
    }
    let mut head = Head {
        method,
        kind: match method {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            _ => Method::Other,
        },
        target,
        minor,
        host: None,
        keep_alive: false,
        content_length: 0,
        if_none_match: None,
        if_modified_since: None,
        range: None,
        if_range: None,
    };
    let (mut close, mut keep_alive, mut chunked, mut length) = (false, false, false, None);
    for h in req.headers.iter() {
        let name = h.name.as_bytes();
        let value = h.value.trim_ascii();
        if name.eq_ignore_ascii_case(b"host") {
            if head.host.is_some() {
                return reject(Status::BadRequest, "more than one Host");
            }
            if !valid_host(value) {
                return reject(Status::BadRequest, "malformed Host");
            }
            head.host = Some(value);
        } else if name.eq_ignore_ascii_case(b"connection") {
            for token in value.split(|&b| b == b',') {
                let token = token.trim_ascii();
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name.eq_ignore_ascii_case(b"content-length") {
            // RFC 9112 §6.3: several values must all be the same number.
            for v in value.split(|&b| b == b',') {
                let Some(n) = content_length(v.trim_ascii()) else {
                    return reject(Status::BadRequest, "malformed Content-Length");
                };
                if length.is_some_and(|l| l != n) {
                    return reject(Status::BadRequest, "conflicting Content-Length");
                }
                length = Some(n);
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            chunked = true;
        } else if name.eq_ignore_ascii_case(b"if-none-match") {
            head.if_none_match.get_or_insert(value);
        } else if name.eq_ignore_ascii_case(b"if-modified-since") {
            head.if_modified_since.get_or_insert(value);
        } else if name.eq_ignore_ascii_case(b"range") {
            head.range.get_or_insert(value);
        } else if name.eq_ignore_ascii_case(b"if-range") {
            head.if_range.get_or_insert(value);
        }
    }
    if minor == 1 && head.host.is_none() {
        return reject(Status::BadRequest, "HTTP/1.1 request without Host");
    }
    if chunked {
        // RFC 9112 §6.1/§6.3: with Content-Length too it is a smuggling
        // attempt; alone, the body length is only known by decoding it, and
        // a static server refuses such bodies instead (411, then close).
        return if length.is_some() {
            reject(Status::BadRequest, "Transfer-Encoding with Content-Length")
        } else {
            reject(Status::LengthRequired, "request body with Transfer-Encoding")
        };
    }
    head.content_length = length.unwrap_or(0);
    if head.content_length > opts.max_body_bytes {
        return reject(Status::ContentTooLarge, "request body too large");
    }
    head.keep_alive = !close && (minor == 1 || keep_alive);
    Parsed::Complete(head, len)
}

/// A partial head: allowed to grow, or already over a limit?
fn partial<'a>(data: &'a [u8], opts: &HttpOptions, window: usize) -> Parsed<'a> {
    // The request line is method SP target SP version; allow the target
    // limit plus room for a method and version before calling it too long.
    let line = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    if line > opts.max_uri_bytes.saturating_add(64) {
        return reject(Status::UriTooLong, "request line too long");
    }
    if data.len() >= opts.max_request_header_bytes.min(window) {
        return reject(Status::HeaderFieldsTooLarge, "request head too large");
    }
    Parsed::Partial
}

fn content_length(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    v.iter().try_fold(0u64, |acc, &d| acc.checked_mul(10)?.checked_add(u64::from(d - b'0')))
}

/// RFC 9110 §7.2 / RFC 3986 §3.2.2: `host [":" port]`, where host is a
/// reg-name or IPv4 address (unreserved and sub-delims, no percent forms) or a
/// bracketed IP literal. Empty is allowed (RFC 9112 §3.2).
fn valid_host(v: &[u8]) -> bool {
    let (host, port) = if v.first() == Some(&b'[') {
        let Some(close) = v.iter().position(|&b| b == b']') else { return false };
        let inner = &v[1..close];
        if inner.is_empty() || !inner.iter().all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.') {
            return false;
        }
        (&v[..=close], &v[close + 1..])
    } else {
        let end = v.iter().position(|&b| b == b':').unwrap_or(v.len());
        let host = &v[..end];
        let ok = |b: &u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+;=".contains(b);
        if !host.iter().all(ok) {
            return false;
        }
        (host, &v[end..])
    };
    let _ = host;
    match port {
        [] => true,
        [b':', digits @ ..] => digits.len() <= 5 && digits.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// The host part of a (valid) Host value, without the port.
pub fn host_without_port(host: &[u8]) -> &[u8] {
    if host.first() == Some(&b'[') {
        let end = host.iter().position(|&b| b == b']').map_or(host.len(), |i| i + 1);
        &host[..end]
    } else {
        let end = host.iter().position(|&b| b == b':').unwrap_or(host.len());
        &host[..end]
    }
}

/// Why a request target names no file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadPath {
    /// Not a path (e.g. `*` or an authority), or bad percent-encoding, NUL,
    /// an encoded `/` or a backslash in a segment, or not UTF-8.
    Malformed,
    /// `..` above the root.
    Escapes,
}

/// The path and query of a request target: origin-form as is,
/// absolute-form (`http://host/path?q`) without scheme and authority, any
/// fragment cut off. None for the asterisk and authority forms.
pub fn origin(target: &str) -> Option<&str> {
    let origin = if target.starts_with('/') {
        target
    } else {
        let scheme_end = target.find("://")?;
        let scheme = &target[..scheme_end];
        if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) {
            return None;
        }
        let rest = &target[scheme_end + 3..];
        match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => &rest[i..],
            _ => "/",
        }
    };
    Some(&origin[..origin.find('#').unwrap_or(origin.len())])
}

/// The path of a request target ([`origin`] without the query).
pub fn target_path(target: &str) -> Option<&str> {
    let origin = origin(target)?;
    Some(&origin[..origin.find('?').unwrap_or(origin.len())])
}

/// Turns a request target into a path relative to the site root: decoded
/// once, dot segments resolved (RFC 3986 §5.2.4), empty segments merged,
/// segments joined by `/`, no leading slash (`""` is the root). Writes it
/// into `out` (cleared first; reused so that a request allocates nothing)
/// and returns whether the target names a directory (ends in `/`, `/.` or
/// `/..`). Anything that would leave the root is refused, never clamped.
pub fn normalize<'o>(target: &str, out: &'o mut Vec<u8>) -> Result<(&'o str, bool), BadPath> {
    out.clear();
    let path = target_path(target).ok_or(BadPath::Malformed)?;
    let mut dir = false;
    for raw in path.split('/').skip(1) {
        if raw.contains('\\') {
            return Err(BadPath::Malformed);
        }
        let start = out.len();
        if start > 0 {
            out.push(b'/');
        }
        let seg_start = out.len();
        decode_into(raw.as_bytes(), out)?;
        let seg = &out[seg_start..];
        if seg.iter().any(|&b| matches!(b, b'/' | b'\\' | 0)) {
            return Err(BadPath::Malformed);
        }
        dir = matches!(seg, b"" | b"." | b"..");
        match seg {
            b"" | b"." => out.truncate(start),
            b".." => {
                out.truncate(start);
                if out.is_empty() && start == 0 {
                    return Err(BadPath::Escapes);
                }
                let parent = out.iter().rposition(|&b| b == b'/').unwrap_or(0);
                out.truncate(parent);
            }
            _ => {}
        }
    }
    let path = core::str::from_utf8(out).map_err(|_| BadPath::Malformed)?;
    Ok((path, dir))
}

fn decode_into(raw: &[u8], out: &mut Vec<u8>) -> Result<(), BadPath> {
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'%' {
            let hex = |b: u8| (b as char).to_digit(16);
            let (Some(hi), Some(lo)) =
                (raw.get(i + 1).and_then(|&b| hex(b)), raw.get(i + 2).and_then(|&b| hex(b)))
            else {
                return Err(BadPath::Malformed);
            };
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    Ok(())
}

/// Appends `path` percent-encoded for a Location header: everything but
/// unreserved characters, sub-delims, `:`, `@` and `/` is escaped.
pub fn encode_path(path: &[u8], out: &mut Vec<u8>) {
    for &b in path {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(t: &str) -> Result<(String, bool), BadPath> {
        let mut buf = Vec::new();
        normalize(t, &mut buf).map(|(p, d)| (p.to_string(), d))
    }

    #[test]
    fn normalizes_paths() {
        let ok = |t: &str, p: &str, d: bool| assert_eq!(norm(t), Ok((p.to_string(), d)), "{t}");
        ok("/", "", true);
        ok("/index.html", "index.html", false);
        ok("/a/b/", "a/b", true);
        ok("/a//b", "a/b", false);
        ok("/a/./b", "a/b", false);
        ok("/a/b/..", "a", true);
        ok("/a/b/../c?x=/../..", "a/c", false);
        ok("/a/%62%20c", "a/b c", false);
        ok("/a/%2e%2E/b", "b", false);
        ok("/caf%C3%A9.txt", "café.txt", false);
        ok("http://example.com/x/y", "x/y", false);
        ok("https://example.com", "", true);
        ok("/x#frag", "x", false);
        ok("/a/.", "a", true);
    }

    #[test]
    fn refuses_escapes_and_encoded_separators() {
        for t in [
            "/..",
            "/../etc/passwd",
            "/a/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/a/%2E%2E/%2e%2e/x",
            "/.%2e/x",
        ] {
            assert_eq!(norm(t), Err(BadPath::Escapes), "{t}");
        }
        for t in [
            "/a%2fb",
            "/a%2F..%2F..%2Fetc",
            "/a%5cb",
            "/a\\b",
            "/a%00b",
            "/%zz",
            "/%4",
            "/%",
            "/%ff",
            "*",
            "example.com:80",
            "ht tp://x/",
        ] {
            assert_eq!(norm(t), Err(BadPath::Malformed), "{t}");
        }
    }

    #[test]
    fn encodes_locations() {
        let mut out = Vec::new();
        encode_path("/a b/café/x?y".as_bytes(), &mut out);
        assert_eq!(out, b"/a%20b/caf%C3%A9/x%3Fy");
    }

    #[test]
    fn hosts() {
        for ok in [&b""[..], b"example.com", b"example.com:8080", b"[::1]", b"[::1]:443", b"127.0.0.1:1"] {
            assert!(valid_host(ok), "{}", String::from_utf8_lossy(ok));
        }
        for bad in [&b"a b"[..], b"a/b", b"a@b", b"[::1", b"x:port", b"x:123456", b"[zz]", b"a\\b", b"%41"] {
            assert!(!valid_host(bad), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(host_without_port(b"example.com:8080"), b"example.com");
        assert_eq!(host_without_port(b"[::1]:8080"), b"[::1]");
    }
}
