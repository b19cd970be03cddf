//! A static-site HTTP/1.1 server (RFC 9110, RFC 9112) over any byte stream,
//! and a redirect-to-HTTPS service. HTTPS is `Tls<Http>`: this module knows
//! nothing of TLS.
//!
//! ```text
//!   on_data ─▶ request::parse (httparse, limits) ─▶ normalize path ─▶ Site::find
//!           ─▶ head (preformatted per file) + body ─▶ write batch ─▶ Net::write
//!                                  (short write: rest waits for on_writable,
//!                                   no more requests are consumed meanwhile)
//! ```
//!
//! - **Requests**: GET and HEAD (HEAD: the same head, no body); any other
//!   method gets 405 with `Allow: GET, HEAD`, after its Content-Length body
//!   is read and discarded so the connection stays in step. Bodies sent with
//!   Transfer-Encoding are not decoded: 411 and close (400 when
//!   Content-Length is there too: a smuggling attempt).
//! - **Connections**: HTTP/1.1 keeps them open unless `Connection: close`;
//!   HTTP/1.0 only with `Connection: keep-alive` (answered with the same).
//!   Pipelined requests are answered in order, their answers gathered into
//!   one write of up to 16 KiB.
//! - **Answers**: 200, 206 (one byte range), 301 (a directory without its
//!   trailing slash; `index.html` serves a directory), 304 (If-None-Match
//!   with weak comparison and `*`, else If-Modified-Since), 400 (malformed
//!   head, missing/bad/duplicate Host in 1.1, bad percent-encoding, a path
//!   that leaves the root), 404, 405, 411, 413, 414, 416, 431. Answers
//!   after which the stream cannot go on (a head that could not be parsed or
//!   is over a limit, a body that is not read) carry `Connection: close`
//!   and the connection closes once they are sent.
//! - **Paths** are percent-decoded once, dot segments resolved; `..` above
//!   the root, encoded `/`, backslashes and NUL are refused (400); the query
//!   is ignored. Symlinks: see [`site`].
//! - **Back-pressure and memory**: a file body is written straight from the
//!   site's `Bytes` (memory) or in 64 KiB chunks (disk); while any of an
//!   answer waits for room, nothing more is consumed and the stack keeps the
//!   pipelined requests (its receive window closes). Per connection the
//!   service holds at most one 16 KiB batch plus one answer head, and one
//!   file chunk in disk mode.
//! - **Speed**: the constant head lines of every file are formatted at
//!   load; `Date` is formatted at most once a second; a request in the
//!   common case allocates nothing.
//! - **Access log**: one `info!` line per answer, target `access` (peer,
//!   method, path, status, bytes of body); filter it out with
//!   `RUST_LOG=...,access=off` at no cost per request.
//! - **Idle connections** (no complete request and no write progress for
//!   `idle_timeout`) are closed; beyond `max_connections`, new connections
//!   are closed at once.

#[allow(unused_imports)]
use crate::prelude::*;
pub mod date;
pub mod mime;
pub mod range;
pub mod request;
pub mod site;

#[cfg(test)]
mod tests;

use alloc::sync::Arc;
use core::fmt::{self, Write as _};
use core::net::SocketAddr;
#[cfg(feature = "std")]
use std::fs::File;
#[cfg(feature = "std")]
use std::io::{Read, Seek, SeekFrom};

use bytes::{Buf, Bytes};

use crate::service::{ConnId, ConnInfo, Duration, Instant, Listen, Net, Service};
use crate::services::conns::Conns;
use date::DateCache;
use range::Ranged;
use request::{BadPath, Head, Method, Parsed, Status};
use site::{Found, Meta};
pub use site::{Site, SiteError, SiteMode};

/// Answers are gathered up to about this many bytes before a write.
const WRITE_BATCH: usize = 16 * 1024;
/// Bodies up to this size are copied into the write batch (one write for
/// head and body); larger ones are written from where they are.
const INLINE_BODY: usize = 16 * 1024;
/// Disk mode reads a file in chunks of this size.
#[cfg(feature = "std")]
const FILE_CHUNK: usize = 64 * 1024;

/// Settings of an [`Http`] (and [`Redirect`]) service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpOptions {
    /// TCP port to listen on.
    pub port: u16,
    /// The largest request head (request line and fields); more: 431.
    pub max_request_header_bytes: usize,
    /// The longest request target; longer: 414.
    pub max_uri_bytes: usize,
    /// The most header fields in a request (capped at 256); more: 431.
    pub max_headers: usize,
    /// The largest request body (read and discarded); larger: 413.
    pub max_body_bytes: u64,
    /// A connection with no complete request and no write progress for this
    /// long is closed.
    pub idle_timeout: Duration,
    /// Connections beyond this many are closed as soon as they open.
    pub max_connections: usize,
    /// The `Server` header value (empty: no Server header).
    pub server_name: String,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            port: 80,
            max_request_header_bytes: 8 * 1024,
            max_uri_bytes: 4 * 1024,
            max_headers: 64,
            max_body_bytes: 64 * 1024,
            idle_timeout: Duration::from_secs(30),
            max_connections: 1024,
            server_name: "appliance".to_string(),
        }
    }
}

/// The rest of a response body, after the bytes in the write batch.
#[derive(Debug, Default)]
enum Body {
    #[default]
    None,
    /// From memory: what is left of it.
    Mem(Bytes),
    /// From a file: `left` bytes still to read; `buf[pos..]` read, not yet written.
    #[cfg(feature = "std")]
    File { file: File, left: u64, buf: Vec<u8>, pos: usize },
}

impl Body {
    fn is_none(&self) -> bool {
        matches!(self, Body::None)
    }
}

/// One connection's state.
#[derive(Debug)]
struct Conn {
    peer: SocketAddr,
    /// Answers not yet taken by the connection: `out[sent..]`, then `body`.
    out: Vec<u8>,
    sent: usize,
    body: Body,
    /// Request body bytes still to skip.
    discard: u64,
    /// Close once everything is written; consume no more requests.
    close_after: bool,
}

enum Flush {
    Drained,
    Blocked,
    /// A file could not be read: the promised length cannot be sent.
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    Failed,
}

impl Conn {
    fn new(peer: SocketAddr) -> Conn {
        Conn { peer, out: Vec::new(), sent: 0, body: Body::None, discard: 0, close_after: false }
    }

    /// Writes what it can of the pending answers. Returns whether anything
    /// went out, and how far it got.
    fn flush(&mut self, net: &mut dyn Net, id: ConnId) -> (bool, Flush) {
        let mut wrote = false;
        if self.sent < self.out.len() {
            let n = net.write(id, &self.out[self.sent..]);
            self.sent += n;
            wrote |= n > 0;
            if self.sent < self.out.len() {
                return (wrote, Flush::Blocked);
            }
        }
        self.out.clear();
        self.sent = 0;
        if self.out.capacity() > 4 * WRITE_BATCH {
            self.out = Vec::new();
        }
        loop {
            match &mut self.body {
                Body::None => return (wrote, Flush::Drained),
                Body::Mem(bytes) => {
                    let n = net.write(id, bytes);
                    wrote |= n > 0;
                    bytes.advance(n);
                    if !bytes.is_empty() {
                        return (wrote, Flush::Blocked);
                    }
                    self.body = Body::None;
                }
                #[cfg(feature = "std")]
                Body::File { file, left, buf, pos } => {
                    if *pos == buf.len() {
                        if *left == 0 {
                            self.body = Body::None;
                            continue;
                        }
                        let want = (*left).min(FILE_CHUNK as u64) as usize;
                        buf.resize(want, 0);
                        *pos = 0;
                        if let Err(e) = file.read_exact(buf) {
                            tracing::warn!(conn = id.0, "http: file read failed mid-answer: {e}");
                            return (wrote, Flush::Failed);
                        }
                        *left -= want as u64;
                    }
                    let n = net.write(id, &buf[*pos..]);
                    wrote |= n > 0;
                    *pos += n;
                    if *pos < buf.len() {
                        return (wrote, Flush::Blocked);
                    }
                }
            }
        }
    }
}

/// Who answers the requests.
enum Responder {
    Site(Arc<Site>),
    Redirect { https_port: u16 },
}

/// The `Server` field for `name` (controls removed: a header value may not
/// hold CR, LF or other controls), or nothing for an empty name.
pub(crate) fn server_field(name: &str) -> Box<[u8]> {
    if name.is_empty() {
        return Box::default();
    }
    let name: String = name.chars().filter(|c| !c.is_control()).collect();
    format!("Server: {name}\r\n").into_bytes().into()
}

/// Starts a response head: the status line, `server` (from [`server_field`])
/// and `Date` (`date` as [`date::DateCache`] formats it).
pub(crate) fn head_start(out: &mut Vec<u8>, status: Status, server: &[u8], date: &[u8]) {
    out.extend_from_slice(status.line());
    out.extend_from_slice(server);
    out.extend_from_slice(b"Date: ");
    out.extend_from_slice(date);
    out.extend_from_slice(b"\r\n");
}

/// Ends a response head: `Connection` as the keep-alive decision and the
/// request's HTTP version (`minor`) require, then the blank line.
pub(crate) fn head_end(out: &mut Vec<u8>, keep_alive: bool, minor: u8) {
    if !keep_alive {
        out.extend_from_slice(b"Connection: close\r\n\r\n");
    } else if minor == 0 {
        out.extend_from_slice(b"Connection: keep-alive\r\n\r\n");
    } else {
        out.extend_from_slice(b"\r\n");
    }
}

/// One answer being written: the head goes into `out`, the body (if any)
/// into `out` when small, else into `body`.
struct Reply<'a> {
    out: &'a mut Vec<u8>,
    body: &'a mut Body,
    server: &'a [u8],
    date: &'a [u8; date::LEN],
    keep_alive: bool,
    minor: u8,
    head_only: bool,
    /// For the access log.
    status: Status,
    bytes: u64,
}

impl Reply<'_> {
    fn start(&mut self, status: Status) {
        self.status = status;
        head_start(self.out, status, self.server, self.date);
    }

    fn end(&mut self) {
        head_end(self.out, self.keep_alive, self.minor);
    }

    /// A complete error (or other body-less) answer with a small text body.
    fn error(&mut self, status: Status, extra: &[u8]) {
        let text = status.text();
        self.start(status);
        self.out.extend_from_slice(extra);
        self.out.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\r\n");
        let _ = write!(Put(self.out), "Content-Length: {}\r\n", text.len());
        self.end();
        if !self.head_only {
            self.out.extend_from_slice(text);
            self.bytes = text.len() as u64;
        }
    }

    /// Queues `len` bytes of a memory body from `start`.
    fn mem_body(&mut self, body: &Bytes, start: u64, len: u64) {
        if self.head_only {
            return;
        }
        let (start, len) = (start as usize, len as usize);
        self.bytes = len as u64;
        if len <= INLINE_BODY {
            self.out.extend_from_slice(&body[start..start + len]);
        } else {
            *self.body = Body::Mem(body.slice(start..start + len));
        }
    }

    fn serve(&mut self, head: &Head<'_>, meta: &Meta, source: Source<'_>) {
        if not_modified(head, meta) {
            self.start(Status::NotModified);
            meta.write_validators(self.out);
            self.end();
            return;
        }
        let ranged = match head.range {
            Some(r) if head.kind == Method::Get && if_range(head.if_range, meta) => range::parse(r, meta.len),
            _ => Ranged::Full,
        };
        let (start, len) = match ranged {
            Ranged::Full => (0, meta.len),
            Ranged::Part { start, end } => (start, end - start + 1),
            Ranged::Unsatisfiable => {
                let mut extra = Vec::with_capacity(64);
                let _ = write!(Put(&mut extra), "Content-Range: bytes */{}\r\n", meta.len);
                return self.error(Status::RangeNotSatisfiable, &extra);
            }
        };
        #[cfg(feature = "std")]
        if let Source::File(file) = &source
            && !self.head_only
            && start > 0
            && let Err(e) = { file }.seek(SeekFrom::Start(start))
        {
            tracing::warn!("http: seek failed: {e}");
            return self.error(Status::InternalServerError, b"");
        }
        if let Ranged::Part { start, end } = ranged {
            self.start(Status::PartialContent);
            let _ = write!(
                Put(self.out),
                "Content-Type: {}\r\nContent-Range: bytes {start}-{end}/{}\r\nContent-Length: {len}\r\n",
                meta.content_type,
                meta.len
            );
            meta.write_validators(self.out);
            self.out.extend_from_slice(b"Accept-Ranges: bytes\r\n");
        } else {
            self.start(Status::Ok);
            self.out.extend_from_slice(&meta.head);
        }
        self.end();
        match source {
            Source::Mem(body) => self.mem_body(body, start, len),
            #[cfg(feature = "std")]
            Source::File(file) if !self.head_only && len > 0 => {
                self.bytes = len;
                *self.body = Body::File { file, left: len, buf: Vec::new(), pos: 0 };
            }
            #[cfg(feature = "std")]
            Source::File(_) => {}
        }
    }
}

enum Source<'a> {
    Mem(&'a Bytes),
    #[cfg(feature = "std")]
    File(File),
}

/// `write!` into a byte buffer (core's `fmt::Write`, as std's `io::Write` is
/// not there without std).
struct Put<'a>(&'a mut Vec<u8>);

impl fmt::Write for Put<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// RFC 9110 §13.2.2: If-None-Match (weak comparison, `*`) decides when
/// present; else If-Modified-Since, for GET and HEAD.
fn not_modified(head: &Head<'_>, meta: &Meta) -> bool {
    if let Some(inm) = head.if_none_match {
        let inm = inm.trim_ascii();
        return inm == b"*"
            || inm.split(|&b| b == b',').any(|tag| {
                let tag = tag.trim_ascii();
                tag.strip_prefix(b"W/").unwrap_or(tag) == meta.etag.as_bytes()
            });
    }
    head.if_modified_since.and_then(date::parse).is_some_and(|since| meta.modified <= since)
}

/// RFC 9110 §13.1.5: a Range applies only if If-Range (when present) names
/// the current representation: the same strong ETag, or its exact date.
fn if_range(value: Option<&[u8]>, meta: &Meta) -> bool {
    match value {
        None => true,
        Some(v) if v.first() == Some(&b'"') => v == meta.etag.as_bytes(),
        Some(v) => date::parse(v) == Some(meta.modified),
    }
}

/// The connection engine shared by [`Http`] and [`Redirect`].
struct Engine {
    opts: HttpOptions,
    responder: Responder,
    conns: Conns<Conn>,
    /// `Server: ...\r\n`, or empty.
    server: Box<[u8]>,
    date: DateCache,
    /// Where a request path is decoded (reused).
    path: Vec<u8>,
}

impl Engine {
    fn new(opts: HttpOptions, responder: Responder) -> Engine {
        Engine {
            server: server_field(&opts.server_name),
            // Idle connections are looked for at most once a second, however many there are.
            conns: Conns::new(opts.max_connections, opts.idle_timeout, Duration::from_secs(1)),
            opts,
            responder,
            date: DateCache::default(),
            path: Vec::with_capacity(256),
        }
    }

    /// Closes `id`, dropping what it had still to send.
    fn close(&mut self, net: &mut dyn Net, id: ConnId, abort: bool) {
        if let Some(c) = self.conns.get_mut(&id)
            && !c.closing
        {
            c.out = Vec::new();
            c.sent = 0;
            c.body = Body::None;
        }
        self.conns.close(net, id, abort);
    }

    /// Writes what is pending on `id`, closes it when done and due to close.
    /// True when nothing is left.
    fn flush(&mut self, now: Instant, net: &mut dyn Net, id: ConnId) -> bool {
        let Some(c) = self.conns.get_mut(&id) else { return true };
        if c.closing {
            return true;
        }
        let (wrote, state) = c.flush(net, id);
        let close_after = c.close_after;
        if wrote {
            self.conns.touch(now, id);
        }
        match state {
            Flush::Drained if close_after => {
                self.close(net, id, false);
                true
            }
            Flush::Drained => true,
            Flush::Blocked => false,
            Flush::Failed => {
                self.close(net, id, true);
                true
            }
        }
    }

    fn on_open(&mut self, now: Instant, net: &mut dyn Net, id: ConnId, info: ConnInfo) {
        if info.initiated {
            return; // the service opens no connections
        }
        if !self.conns.admit(now, id, Conn::new(info.peer)) {
            tracing::debug!(peer = %info.peer, "http: connection limit {} reached; closing", self.opts.max_connections);
            net.close(id);
        }
    }

    fn on_data(&mut self, now: Instant, net: &mut dyn Net, id: ConnId, data: &[u8]) -> usize {
        let Some(c) = self.conns.get(&id) else {
            return data.len(); // refused at the limit: nobody reads it
        };
        if c.closing || c.close_after {
            return data.len();
        }
        if !c.out.is_empty() || !c.body.is_none() {
            return 0; // an answer still waits for room: consume nothing more
        }
        let window = net.recv_window(id);
        let mut pos = 0;
        let mut answered = false;
        let mut blocked = false;
        while let Some(tracked) = self.conns.get_mut(&id) {
            let c: &mut Conn = tracked;
            if c.discard > 0 {
                let n = c.discard.min((data.len() - pos) as u64);
                pos += n as usize;
                c.discard -= n;
                if c.discard > 0 {
                    break;
                }
            }
            if pos == data.len() || c.close_after {
                break;
            }
            let date = self.date.get(now);
            let mut reply = Reply {
                out: &mut c.out,
                body: &mut c.body,
                server: &self.server,
                date,
                keep_alive: false,
                minor: 1,
                head_only: false,
                status: Status::Ok,
                bytes: 0,
            };
            match request::parse(&data[pos..], &self.opts, window) {
                Parsed::Partial => break,
                Parsed::Reject(r) => {
                    tracing::debug!(peer = %c.peer, conn = id.0, "http: {} ({})", r.status.code(), r.why);
                    reply.error(r.status, b"");
                    tracing::info!(target: "access", peer = %c.peer, method = "-", path = "-", status = r.status.code(), bytes = reply.bytes);
                    c.close_after = true;
                    pos = data.len();
                }
                Parsed::Complete(head, len) => {
                    pos += len;
                    reply.keep_alive = head.keep_alive;
                    reply.minor = head.minor;
                    reply.head_only = head.kind == Method::Head;
                    match &self.responder {
                        Responder::Site(site) => respond_site(site, &head, &mut self.path, &mut reply),
                        Responder::Redirect { https_port } => {
                            respond_redirect(*https_port, &head, &mut reply)
                        }
                    }
                    tracing::info!(
                        target: "access",
                        peer = %c.peer,
                        method = head.method,
                        path = head.target,
                        status = reply.status.code(),
                        bytes = reply.bytes
                    );
                    c.discard = head.content_length;
                    c.close_after = !head.keep_alive;
                    answered = true;
                }
            }
            if c.out.len() >= WRITE_BATCH || !c.body.is_none() || c.close_after {
                if !self.flush(now, net, id) {
                    blocked = true;
                    break;
                }
                if self.conns.get(&id).is_none_or(|c| c.closing) {
                    break;
                }
            }
        }
        if answered {
            self.conns.touch(now, id);
        }
        if !blocked {
            self.flush(now, net, id);
        }
        match self.conns.get(&id) {
            Some(c) if !c.closing && !c.close_after => pos,
            _ => data.len(), // closing: the rest is never read
        }
    }

    fn on_writable(&mut self, now: Instant, net: &mut dyn Net, id: ConnId) {
        self.flush(now, net, id);
    }

    fn on_peer_close(&mut self, now: Instant, net: &mut dyn Net, id: ConnId) {
        // Every whole request has been consumed (or is waiting behind a
        // blocked answer); finish what is pending, then close.
        match self.conns.get_mut(&id) {
            Some(c) if !c.closing => {
                c.close_after = true;
                self.flush(now, net, id);
            }
            Some(_) => {}
            None => net.close(id),
        }
    }

    fn on_closed(&mut self, id: ConnId) {
        self.conns.remove(id);
    }

    fn on_timer(&mut self, now: Instant, net: &mut dyn Net) {
        for id in self.conns.expired(now) {
            tracing::debug!(conn = id.0, "http: connection idle; closing");
            self.close(net, id, false);
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.conns.poll_timeout()
    }
}

/// Answers one request from the site.
fn respond_site(site: &Site, head: &Head<'_>, path: &mut Vec<u8>, reply: &mut Reply<'_>) {
    if head.kind == Method::Other {
        return reply.error(Status::MethodNotAllowed, b"Allow: GET, HEAD\r\n");
    }
    let (rel, dir) = match request::normalize(head.target, path) {
        Ok(p) => p,
        Err(BadPath::Malformed | BadPath::Escapes) => return reply.error(Status::BadRequest, b""),
    };
    match site.find(rel, dir) {
        Found::Nothing => reply.error(Status::NotFound, b""),
        Found::AddSlash => {
            let mut location = Vec::with_capacity(rel.len() + 16);
            location.extend_from_slice(b"Location: /");
            request::encode_path(rel.as_bytes(), &mut location);
            location.extend_from_slice(b"/");
            if let Some(q) = request::origin(head.target).and_then(|o| o.find('?').map(|i| &o[i..])) {
                location.extend_from_slice(q.as_bytes());
            }
            location.extend_from_slice(b"\r\n");
            reply.error(Status::MovedPermanently, &location);
        }
        Found::Mem(file) => reply.serve(head, &file.meta, Source::Mem(&file.body)),
        #[cfg(feature = "std")]
        Found::Disk(file) => reply.serve(head, &file.meta, Source::File(file.file)),
    }
}

/// Answers one request with a redirect to the same path over HTTPS.
fn respond_redirect(https_port: u16, head: &Head<'_>, reply: &mut Reply<'_>) {
    let Some(host) = head.host.map(request::host_without_port).filter(|h| !h.is_empty()) else {
        return reply.error(Status::BadRequest, b""); // nowhere to redirect to
    };
    let origin = request::origin(head.target).unwrap_or("/");
    let mut location = Vec::with_capacity(host.len() + origin.len() + 32);
    location.extend_from_slice(b"Location: https://");
    location.extend_from_slice(host);
    if https_port != 443 {
        let _ = write!(Put(&mut location), ":{https_port}");
    }
    location.extend_from_slice(origin.as_bytes());
    location.extend_from_slice(b"\r\n");
    reply.error(Status::MovedPermanently, &location);
}

/// Implements [`Service`] for a wrapper of [`Engine`].
macro_rules! engine_service {
    ($ty:ty, $name:literal) => {
        impl Service for $ty {
            fn name(&self) -> &str {
                $name
            }
            fn listen(&self) -> Listen {
                Listen::tcp(self.engine.opts.port)
            }
            fn on_open(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId, info: ConnInfo) {
                self.engine.on_open(now, net, conn, info)
            }
            fn on_data(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId, data: &[u8]) -> usize {
                self.engine.on_data(now, net, conn, data)
            }
            fn on_writable(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId) {
                self.engine.on_writable(now, net, conn)
            }
            fn on_peer_close(&mut self, now: Instant, net: &mut dyn Net, conn: ConnId) {
                self.engine.on_peer_close(now, net, conn)
            }
            fn on_closed(&mut self, _now: Instant, conn: ConnId) {
                self.engine.on_closed(conn)
            }
            fn on_timer(&mut self, now: Instant, net: &mut dyn Net) {
                self.engine.on_timer(now, net)
            }
            fn poll_timeout(&self) -> Option<Instant> {
                self.engine.poll_timeout()
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("options", &self.engine.opts)
                    .field("connections", &self.engine.conns.live())
                    .finish_non_exhaustive()
            }
        }
    };
}

/// The static-site HTTP/1.1 service (see the [module docs](self)).
pub struct Http {
    engine: Engine,
}

impl Http {
    /// Serves `site` with `options`.
    pub fn new(site: Arc<Site>, options: HttpOptions) -> Http {
        Http { engine: Engine::new(options, Responder::Site(site)) }
    }

    /// Open connections (not counting those closing).
    pub fn connections(&self) -> usize {
        self.engine.conns.live()
    }
}

engine_service!(Http, "http");

/// The plain-HTTP listener next to an HTTPS site: every request gets a 301
/// to `https://<Host without port>[:https_port]<path and query>`, with the
/// same parser, limits and keep-alive rules as [`Http`].
pub struct Redirect {
    engine: Engine,
}

impl Redirect {
    /// Listens on `port`, redirecting to HTTPS on `https_port`.
    pub fn new(port: u16, https_port: u16) -> Redirect {
        Redirect::with_options(HttpOptions { port, ..HttpOptions::default() }, https_port)
    }

    /// Like [`Redirect::new`], with every setting given (`options.port` is
    /// the plain-HTTP port).
    pub fn with_options(options: HttpOptions, https_port: u16) -> Redirect {
        Redirect { engine: Engine::new(options, Responder::Redirect { https_port }) }
    }
}

engine_service!(Redirect, "http-redirect");
