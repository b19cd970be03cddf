//! A sans-IO TLS session over rustls's unbuffered API.
//!
//! ```text
//!  transport ──receive(ciphertext)──▶ incoming ──rustls decrypts in place──▶ process(sink)
//!  transport ◀──ciphertext()/consume_ciphertext(n)── outgoing ◀──encrypt── send_plaintext(data)
//! ```
//!
//! Copies: ciphertext is copied once into the session (rustls decrypts in place there);
//! rustls moves each decrypted record into its own chunk, which `process` hands to the
//! sink as is. Only plaintext the sink leaves unconsumed is copied into the session's
//! plaintext buffer. `send_plaintext` encrypts straight into the outgoing buffer, which
//! the transport reads from directly.

use alloc::string::String;
use alloc::sync::Arc;
use core::ops::Deref;

use rustls::client::{ClientConnectionData, UnbufferedClientConnection};
use rustls::server::{ServerConnectionData, UnbufferedServerConnection};
use rustls::unbuffered::{
    ConnectionState, EncodeError, EncodeTlsData, EncryptError, InsufficientSizeError,
    UnbufferedConnectionCommon, UnbufferedStatus, WriteTraffic,
};
use rustls::{ClientConfig, CommonState, HandshakeKind, ProtocolVersion, ServerConfig};
use rustls_pki_types::{CertificateDer, ServerName};

use crate::window::Window;
use crate::{hello, record};

/// Largest handshake message rustls accepts; it is reassembled inside the incoming buffer.
const MAX_HANDSHAKE: usize = 0xffff;
/// Largest record on the wire: TLS 1.2 allows 2^14 + 2048 bytes of fragment.
const MAX_WIRE_RECORD: usize = record::RecordHeader::LEN + (1 << 14) + 2048;
/// Ciphertext overhead reserved per plaintext record when encrypting (TLS 1.3: 5-byte
/// header, content type, 16-byte tag; TLS 1.2 AEAD: header, 8-byte nonce, tag).
const RECORD_OVERHEAD: usize = 64;
/// Plaintext per record rustls emits by default.
const MAX_FRAGMENT: usize = 1 << 14;

/// Why a session ended. Once a session reports an error it stays failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// rustls rejected the peer or the configuration (bad record, bad certificate, alert
    /// received, ...). The alert rustls produced is in [`Session::ciphertext`].
    #[error("TLS: {0}")]
    Tls(rustls::Error),
    /// The peer sent 0-RTT data; this glue does not enable early data, so a server
    /// config with `max_early_data_size > 0` is not supported.
    #[error("TLS early data is not supported")]
    EarlyData,
    /// The incoming buffer is full and rustls still cannot make progress.
    #[error("TLS incoming buffer full ({limit} bytes) without a complete message")]
    IncomingFull {
        /// The configured limit.
        limit: usize,
    },
    /// The record-layer sequence numbers are exhausted (encryption must stop).
    #[error("TLS encrypter exhausted")]
    EncryptExhausted,
    /// rustls reported a state this glue does not know (a newer rustls).
    #[error("TLS connection state not handled")]
    UnexpectedState,
}

impl From<rustls::Error> for TlsError {
    fn from(e: rustls::Error) -> Self {
        TlsError::Tls(e)
    }
}

/// Buffer bounds of one session; they bound its memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Ciphertext buffered before rustls takes it: [`Session::receive`] takes no more.
    /// At least one largest handshake message plus two records, so rustls can always
    /// make progress.
    pub incoming: usize,
    /// Outgoing ciphertext backlog above which [`Session::send_plaintext`] takes nothing;
    /// one call may exceed it by the overhead of the records it writes.
    pub outgoing: usize,
    /// Unconsumed plaintext at which decryption pauses (back-pressure).
    pub plaintext: usize,
}

impl Limits {
    /// The smallest `incoming` limit that lets every valid peer make progress.
    pub const MIN_INCOMING: usize = MAX_HANDSHAKE + 2 * MAX_WIRE_RECORD;
}

impl Default for Limits {
    fn default() -> Self {
        Limits { incoming: Self::MIN_INCOMING, outgoing: 256 * 1024, plaintext: 64 * 1024 }
    }
}

/// What one [`Session::process`] call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Plaintext bytes the sink consumed.
    pub consumed: usize,
    /// Plaintext left unconsumed in the session; offered first next time.
    pub pending: usize,
}

/// rustls's two unbuffered connection types behind one interface.
trait Engine: Deref<Target = UnbufferedConnectionCommon<Self::Data>> {
    type Data;
    fn records<'c, 'i>(&'c mut self, incoming: &'i mut [u8]) -> UnbufferedStatus<'c, 'i, Self::Data>;
}

impl Engine for UnbufferedServerConnection {
    type Data = ServerConnectionData;
    fn records<'c, 'i>(&'c mut self, incoming: &'i mut [u8]) -> UnbufferedStatus<'c, 'i, Self::Data> {
        self.process_tls_records(incoming)
    }
}

impl Engine for UnbufferedClientConnection {
    type Data = ClientConnectionData;
    fn records<'c, 'i>(&'c mut self, incoming: &'i mut [u8]) -> UnbufferedStatus<'c, 'i, Self::Data> {
        self.process_tls_records(incoming)
    }
}

enum Conn {
    Server(UnbufferedServerConnection),
    Client(UnbufferedClientConnection),
}

/// What a drive of the state machine should do once rustls allows application data.
enum Action<'a> {
    Read(&'a mut dyn FnMut(&[u8]) -> usize),
    Write(&'a [u8]),
    Close,
}

/// Everything but the rustls connection, so both can be borrowed at once.
#[derive(Debug, Default)]
struct Io {
    incoming: Window,
    outgoing: Window,
    plaintext: Window,
    limits: Limits,
    peer_closed: bool,
    closed: bool,
    close_sent: bool,
    error: Option<TlsError>,
    /// SNI read from the ClientHello (servers); `sni_checked` once the first record was seen.
    sni: Option<String>,
    sni_checked: bool,
}

/// One TLS connection, server or client, fed bytes by any transport.
///
/// Drive it with [`receive`](Session::receive) + [`process`](Session::process) on input,
/// [`send_plaintext`](Session::send_plaintext) for output, and after every call send
/// [`ciphertext`](Session::ciphertext) and [`consume_ciphertext`](Session::consume_ciphertext)
/// what the transport took.
///
/// Errors: a peer protocol error makes the session queue the alert rustls produced
/// into [`ciphertext`](Session::ciphertext), report [`TlsError`], and fail: every later
/// call returns the same error (or takes nothing); the caller sends the alert and closes.
pub struct Session {
    conn: Conn,
    io: Io,
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let side = match self.conn {
            Conn::Server(_) => "server",
            Conn::Client(_) => "client",
        };
        f.debug_struct("Session").field("side", &side).field("io", &self.io).finish()
    }
}

impl Session {
    /// A server session. Fails only when rustls rejects `config`.
    pub fn server(config: Arc<ServerConfig>) -> Result<Session, TlsError> {
        Ok(Self::new(Conn::Server(UnbufferedServerConnection::new(config)?)))
    }

    /// A client session to `name`; its ClientHello is ready in
    /// [`ciphertext`](Session::ciphertext) after the first [`process`](Session::process).
    pub fn client(config: Arc<ClientConfig>, name: ServerName<'static>) -> Result<Session, TlsError> {
        Ok(Self::new(Conn::Client(UnbufferedClientConnection::new(config, name)?)))
    }

    fn new(conn: Conn) -> Session {
        Session { conn, io: Io::default() }
    }

    /// Replaces the buffer bounds (see [`Limits`]); `incoming` is raised to
    /// [`Limits::MIN_INCOMING`] if lower.
    pub fn with_limits(mut self, limits: Limits) -> Session {
        self.io.limits = Limits { incoming: limits.incoming.max(Limits::MIN_INCOMING), ..limits };
        self
    }

    /// Takes ciphertext from the transport (copied once into the session) and returns how
    /// much it took: less than offered while the incoming buffer is full or decryption is
    /// paused by unconsumed plaintext; the transport keeps the rest for later. After an
    /// error or the peer's close_notify, input is meaningless and is all taken (dropped).
    pub fn receive(&mut self, ciphertext: &[u8]) -> usize {
        let io = &mut self.io;
        if io.error.is_some() || io.peer_closed || io.closed {
            return ciphertext.len();
        }
        if io.plaintext.len() >= io.limits.plaintext {
            return 0;
        }
        let n = ciphertext.len().min(io.limits.incoming.saturating_sub(io.incoming.len()));
        io.incoming.extend(&ciphertext[..n]);
        n
    }

    /// Runs the handshake and decrypts records, offering plaintext to `sink`, which
    /// returns how much it consumed. Unconsumed plaintext stays in the session (copied
    /// once) and is offered again first, with later plaintext appended, on the next call;
    /// decryption pauses while [`Limits::plaintext`] bytes are pending. Handshake records
    /// and alerts to send land in [`ciphertext`](Session::ciphertext).
    pub fn process(&mut self, mut sink: impl FnMut(&[u8]) -> usize) -> Result<Progress, TlsError> {
        if let Some(e) = &self.io.error {
            return Err(e.clone());
        }
        self.peek_sni();
        let mut action = Action::Read(&mut sink);
        let result = match &mut self.conn {
            Conn::Server(c) => drive(c, &mut self.io, &mut action),
            Conn::Client(c) => drive(c, &mut self.io, &mut action),
        };
        let io = &self.io;
        let stalled = io.plaintext.len() < io.limits.plaintext && io.incoming.len() >= io.limits.incoming;
        match result {
            Ok(_) if stalled => Err(self.fail(TlsError::IncomingFull { limit: io.limits.incoming })),
            Ok(consumed) => Ok(Progress { consumed, pending: self.io.plaintext.len() }),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Encrypts as much of `data` as the outgoing backlog allows (see
    /// [`Limits::outgoing`]) and returns how much it took. Returns 0 until the handshake
    /// is complete (nothing is buffered before that), after close_notify was sent, and
    /// after an error.
    pub fn send_plaintext(&mut self, data: &[u8]) -> usize {
        if self.io.error.is_some() || self.io.close_sent || self.io.closed || data.is_empty() {
            return 0;
        }
        if self.io.outgoing.len() >= self.io.limits.outgoing {
            return 0;
        }
        match self.drive(Action::Write(data)) {
            Ok(n) => n,
            Err(e) => {
                self.fail(e);
                0
            }
        }
    }

    /// Queues close_notify (once) and returns true when it is in
    /// [`ciphertext`](Session::ciphertext). Before the handshake completes rustls cannot
    /// send one: returns false and the caller just closes the transport.
    pub fn close_notify(&mut self) -> bool {
        if self.io.close_sent {
            return true;
        }
        if self.io.error.is_some() || self.is_handshaking() {
            return false;
        }
        match self.drive(Action::Close) {
            Ok(_) => self.io.close_sent,
            Err(e) => {
                self.fail(e);
                false
            }
        }
    }

    fn drive(&mut self, mut action: Action<'_>) -> Result<usize, TlsError> {
        match &mut self.conn {
            Conn::Server(c) => drive(c, &mut self.io, &mut action),
            Conn::Client(c) => drive(c, &mut self.io, &mut action),
        }
    }

    /// Records `e`, moves the alert rustls queued into the outgoing ciphertext, returns `e`.
    fn fail(&mut self, e: TlsError) -> TlsError {
        match &mut self.conn {
            Conn::Server(c) => flush_alerts(c, &mut self.io),
            Conn::Client(c) => flush_alerts(c, &mut self.io),
        }
        self.io.error = Some(e.clone());
        e
    }

    /// On a server, reads the SNI from the first record once it is whole.
    fn peek_sni(&mut self) {
        if self.io.sni_checked || !matches!(self.conn, Conn::Server(_)) {
            return;
        }
        let data = self.io.incoming.data();
        match record::record_len(data) {
            Ok(None) => {}
            Ok(Some(n)) => {
                self.io.sni_checked = true;
                let name = hello::server_name(&data[..n]).filter(|s| ServerName::try_from(*s).is_ok());
                self.io.sni = name.map(|s| s.to_ascii_lowercase());
            }
            Err(_) => self.io.sni_checked = true,
        }
    }

    /// Ciphertext waiting for the transport: handshake records, alerts, application data.
    pub fn ciphertext(&self) -> &[u8] {
        self.io.outgoing.data()
    }

    /// Drops the first `n` bytes of [`ciphertext`](Session::ciphertext): the transport sent them.
    pub fn consume_ciphertext(&mut self, n: usize) {
        self.io.outgoing.consume(n);
    }

    /// Unconsumed plaintext the session holds (offered again by the next `process`).
    pub fn pending_plaintext(&self) -> usize {
        self.io.plaintext.len()
    }

    fn common(&self) -> &CommonState {
        match &self.conn {
            Conn::Server(c) => c,
            Conn::Client(c) => c,
        }
    }

    /// True until the handshake is complete.
    pub fn is_handshaking(&self) -> bool {
        self.common().is_handshaking()
    }

    /// True once the peer's close_notify was received: no more plaintext will come.
    pub fn peer_closed(&self) -> bool {
        self.io.peer_closed
    }

    /// True once close_notify went both ways, or the session failed.
    pub fn is_closed(&self) -> bool {
        self.io.closed || self.io.error.is_some()
    }

    /// True once this side queued close_notify.
    pub fn close_sent(&self) -> bool {
        self.io.close_sent
    }

    /// The error that ended the session, if one did.
    pub fn error(&self) -> Option<&TlsError> {
        self.io.error.as_ref()
    }

    /// The negotiated ALPN protocol.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.common().alpn_protocol()
    }

    /// On a server, the SNI host name the client sent (lower case); None on a client.
    pub fn server_name(&self) -> Option<&str> {
        self.io.sni.as_deref()
    }

    /// The negotiated protocol version, once known.
    pub fn protocol_version(&self) -> Option<ProtocolVersion> {
        self.common().protocol_version()
    }

    /// The peer's certificate chain, end entity first (a client's only with mutual TLS).
    pub fn peer_certificates(&self) -> Option<&[CertificateDer<'static>]> {
        self.common().peer_certificates()
    }

    /// True when the handshake resumed an earlier session (ticket or cache).
    pub fn is_resumed(&self) -> bool {
        self.common().handshake_kind() == Some(HandshakeKind::Resumed)
    }

    /// True when there is ciphertext to send.
    pub fn wants_write(&self) -> bool {
        !self.io.outgoing.is_empty() || self.common().wants_write()
    }
}

/// Runs rustls until it needs input, or the action is done. Returns the bytes the sink
/// consumed (`Read`) or the plaintext bytes encrypted (`Write`).
fn drive<E: Engine>(conn: &mut E, io: &mut Io, action: &mut Action<'_>) -> Result<usize, TlsError> {
    let mut done = 0;
    let mut offer = true;
    loop {
        if let Action::Read(sink) = action {
            if offer && !io.plaintext.is_empty() {
                let n = sink(io.plaintext.data()).min(io.plaintext.len());
                io.plaintext.consume(n);
                done += n;
            }
            offer = false;
            if io.plaintext.len() >= io.limits.plaintext {
                return Ok(done);
            }
        }
        let status = conn.records(io.incoming.data_mut());
        let mut discard = status.discard;
        let finished = match status.state.map_err(TlsError::Tls)? {
            ConnectionState::ReadTraffic(mut r) => {
                while let Some(rec) = r.next_record() {
                    let rec = rec?;
                    discard += rec.discard;
                    match action {
                        Action::Read(sink) if io.plaintext.is_empty() => {
                            let n = sink(rec.payload).min(rec.payload.len());
                            done += n;
                            io.plaintext.extend(&rec.payload[n..]);
                        }
                        _ => {
                            io.plaintext.extend(rec.payload);
                            offer = true;
                        }
                    }
                }
                false
            }
            ConnectionState::EncodeTlsData(mut e) => {
                encode(&mut e, &mut io.outgoing);
                false
            }
            ConnectionState::TransmitTlsData(t) => {
                // The records are already in `outgoing`, which the transport drains.
                t.done();
                false
            }
            ConnectionState::BlockedHandshake => true,
            ConnectionState::WriteTraffic(mut w) => match action {
                Action::Read(_) => !offer,
                Action::Write(data) => {
                    done = encrypt(&mut w, io, data)?;
                    true
                }
                Action::Close => {
                    encrypt_with(&mut io.outgoing, 8, |out| w.queue_close_notify(out))?;
                    io.close_sent = true;
                    true
                }
            },
            ConnectionState::PeerClosed => {
                io.peer_closed = true;
                false
            }
            ConnectionState::Closed => {
                io.closed = true;
                true
            }
            ConnectionState::ReadEarlyData(_) => return Err(TlsError::EarlyData),
            _ => return Err(TlsError::UnexpectedState),
        };
        io.incoming.consume(discard);
        if finished {
            return Ok(done);
        }
    }
}

fn encode<Data>(e: &mut EncodeTlsData<'_, Data>, outgoing: &mut Window) {
    let mut need = 0;
    loop {
        match e.encode(outgoing.spare(need)) {
            Ok(n) => return outgoing.commit(n),
            Err(EncodeError::InsufficientSize(InsufficientSizeError { required_size })) => {
                need = required_size;
            }
            Err(EncodeError::AlreadyEncoded) => return,
        }
    }
}

/// Calls `f` with room in `outgoing` (at least `need` bytes, more when `f` asks for it)
/// and commits what it wrote.
fn encrypt_with(
    outgoing: &mut Window,
    mut need: usize,
    mut f: impl FnMut(&mut [u8]) -> Result<usize, EncryptError>,
) -> Result<usize, TlsError> {
    loop {
        match f(outgoing.spare(need)) {
            Ok(n) => {
                outgoing.commit(n);
                return Ok(n);
            }
            Err(EncryptError::InsufficientSize(InsufficientSizeError { required_size })) => {
                need = required_size;
            }
            Err(EncryptError::EncryptExhausted) => return Err(TlsError::EncryptExhausted),
        }
    }
}

fn encrypt<Data>(w: &mut WriteTraffic<'_, Data>, io: &mut Io, data: &[u8]) -> Result<usize, TlsError> {
    let room = io.limits.outgoing.saturating_sub(io.outgoing.len());
    let n = data.len().min(room);
    if n == 0 {
        return Ok(0);
    }
    let need = n + (n / MAX_FRAGMENT + 1) * RECORD_OVERHEAD;
    encrypt_with(&mut io.outgoing, need, |out| w.encrypt(&data[..n], out))?;
    Ok(n)
}

/// After an error: moves what rustls queued (the fatal alert) into `outgoing`. Stops
/// as soon as rustls has nothing queued, so it never parses input again.
fn flush_alerts<E: Engine>(conn: &mut E, io: &mut Io) {
    while conn.wants_write() {
        let status = conn.records(io.incoming.data_mut());
        match status.state {
            Ok(ConnectionState::EncodeTlsData(mut e)) => encode(&mut e, &mut io.outgoing),
            Ok(ConnectionState::TransmitTlsData(t)) => t.done(),
            _ => return,
        }
    }
}
