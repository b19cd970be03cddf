//! TLS through tls-glue's sans-IO `Session` vs plain rustls `ServerConnection` /
//! `ClientConnection`, both over memory, in the same run.
//!
//! - bulk: 1 MiB from server to client in 16 KiB writes, TLS 1.3
//!   TLS13_AES_128_GCM_SHA256; both encryption and decryption are counted (goal from
//!   issue 5: tls-glue ≥ 95 % of rustls).
//! - handshakes: full and resumed (TLS 1.3 ticket) handshakes with an ECDSA P-256
//!   certificate, client and server both in this thread.
//!
//! Run with `cargo bench -p benches --bench tls` (add `-- --quick` for a short run).

use std::hint::black_box;
use std::io::{Read, Write};
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tls_glue::Session;
use tls_glue::config::{CertSource, ServerSettings};
use tls_glue::pki_types::{CertificateDer, ServerName};
use tls_glue::rustls::client::Resumption;
use tls_glue::rustls::crypto::ring;
use tls_glue::rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};

const CHUNK: usize = 16 * 1024;
const BULK: usize = 1 << 20;

fn server_config() -> (Arc<ServerConfig>, CertificateDer<'static>) {
    let settings = ServerSettings { self_signed_names: vec!["bench.example".into()], ..Default::default() };
    let (config, source) = settings.build().expect("server config");
    let CertSource::SelfSigned(cert) = source else { unreachable!("no files configured") };
    (config, cert)
}

/// A TLS 1.3 client offering only AES-128-GCM, so that suite is what is measured.
fn client_config(cert: &CertificateDer<'static>, resume: bool) -> Arc<ClientConfig> {
    let mut provider = ring::default_provider();
    provider.cipher_suites = vec![ring::cipher_suite::TLS13_AES_128_GCM_SHA256];
    let mut roots = RootCertStore::empty();
    roots.add(cert.clone()).expect("root");
    let mut config = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&tls_glue::rustls::version::TLS13])
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.resumption = if resume { Resumption::in_memory_sessions(64) } else { Resumption::disabled() };
    Arc::new(config)
}

fn name() -> ServerName<'static> {
    ServerName::try_from("bench.example").expect("name")
}

// ---- tls-glue ----

fn glue_move(from: &mut Session, to: &mut Session) -> usize {
    let n = to.receive(from.ciphertext());
    from.consume_ciphertext(n);
    n
}

/// Pumps both sessions until nothing moves; returns the plaintext the client received.
fn glue_settle(client: &mut Session, server: &mut Session) -> usize {
    let mut got = 0;
    loop {
        client
            .process(|d| {
                got += d.len();
                d.len()
            })
            .expect("client");
        server.process(|d| d.len()).expect("server");
        if glue_move(client, server) + glue_move(server, client) == 0 {
            return got;
        }
    }
}

fn glue_pair(server: &Arc<ServerConfig>, client: &Arc<ClientConfig>) -> (Session, Session) {
    let mut c = Session::client(Arc::clone(client), name()).expect("client session");
    let mut s = Session::server(Arc::clone(server)).expect("server session");
    glue_settle(&mut c, &mut s);
    assert!(!c.is_handshaking() && !s.is_handshaking());
    (c, s)
}

fn glue_bulk(client: &mut Session, server: &mut Session, data: &[u8]) {
    let mut got = 0;
    for chunk in data.chunks(CHUNK) {
        assert_eq!(server.send_plaintext(chunk), chunk.len());
        glue_move(server, client);
        client
            .process(|d| {
                got += black_box(d).len();
                d.len()
            })
            .expect("client");
    }
    assert_eq!(got, data.len());
}

// ---- plain rustls ----

fn rustls_move(from: &mut impl DerefConn, to: &mut impl DerefConn, buf: &mut Vec<u8>) -> usize {
    buf.clear();
    while from.conn().wants_write() {
        from.conn().write_tls(buf).expect("write_tls");
    }
    let mut rd = &buf[..];
    while !rd.is_empty() {
        to.conn().read_tls(&mut rd).expect("read_tls");
        to.conn().process_new_packets().expect("process");
    }
    buf.len()
}

/// Both rustls connection types as the one `Connection` enum, for shared helpers.
trait DerefConn {
    fn conn(&mut self) -> &mut tls_glue::rustls::ConnectionCommon<Self::Data>;
    type Data;
}

impl DerefConn for ClientConnection {
    type Data = tls_glue::rustls::client::ClientConnectionData;
    fn conn(&mut self) -> &mut tls_glue::rustls::ConnectionCommon<Self::Data> {
        self
    }
}

impl DerefConn for ServerConnection {
    type Data = tls_glue::rustls::server::ServerConnectionData;
    fn conn(&mut self) -> &mut tls_glue::rustls::ConnectionCommon<Self::Data> {
        self
    }
}

fn rustls_pair(
    server: &Arc<ServerConfig>,
    client: &Arc<ClientConfig>,
) -> (ClientConnection, ServerConnection) {
    let mut c = ClientConnection::new(Arc::clone(client), name()).expect("client");
    let mut s = ServerConnection::new(Arc::clone(server)).expect("server");
    let mut buf = Vec::new();
    while rustls_move(&mut c, &mut s, &mut buf) + rustls_move(&mut s, &mut c, &mut buf) > 0 {}
    assert!(!c.is_handshaking() && !s.is_handshaking());
    (c, s)
}

fn rustls_bulk(client: &mut ClientConnection, server: &mut ServerConnection, data: &[u8], buf: &mut Vec<u8>) {
    let mut plain = vec![0; CHUNK];
    let mut got = 0;
    for chunk in data.chunks(CHUNK) {
        server.writer().write_all(chunk).expect("write");
        rustls_move(server, client, buf);
        loop {
            match client.reader().read(&mut plain) {
                Ok(n) => got += black_box(&plain[..n]).len(),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("read: {e}"),
            }
        }
    }
    assert_eq!(got, data.len());
}

fn bulk(c: &mut Criterion) {
    let (server, cert) = server_config();
    let client = client_config(&cert, false);
    let data: Vec<u8> = (0..BULK).map(|i| i as u8).collect();
    let mut g = c.benchmark_group("tls13_aes128gcm_bulk_1MiB_16KiB_writes");
    g.throughput(Throughput::Bytes(BULK as u64));
    let (mut gc, mut gs) = glue_pair(&server, &client);
    assert_eq!(gc.protocol_version(), Some(tls_glue::rustls::ProtocolVersion::TLSv1_3), "TLS 1.3 negotiated");
    g.bench_function("tls_glue", |b| b.iter(|| glue_bulk(&mut gc, &mut gs, &data)));
    let (mut rc, mut rs) = rustls_pair(&server, &client);
    let mut buf = Vec::new();
    g.bench_function("rustls_buffered", |b| b.iter(|| rustls_bulk(&mut rc, &mut rs, &data, &mut buf)));
    g.finish();
}

fn handshakes(c: &mut Criterion) {
    let (server, cert) = server_config();
    let full = client_config(&cert, false);
    let resuming = client_config(&cert, true);
    let mut g = c.benchmark_group("tls13_ecdsa_p256_handshake");
    g.throughput(Throughput::Elements(1));
    g.bench_function("full/tls_glue", |b| b.iter(|| glue_pair(&server, &full)));
    g.bench_function("full/rustls_buffered", |b| b.iter(|| rustls_pair(&server, &full)));
    // The first connection leaves tickets in the client's cache; each resumed
    // connection uses one and receives new ones.
    let (c0, _) = glue_pair(&server, &resuming);
    assert!(!c0.is_resumed());
    let (c1, _) = glue_pair(&server, &resuming);
    assert!(c1.is_resumed(), "second handshake resumed");
    g.bench_function("resumed/tls_glue", |b| b.iter(|| glue_pair(&server, &resuming)));
    let (r1, _) = rustls_pair(&server, &resuming);
    assert!(r1.handshake_kind() == Some(tls_glue::rustls::HandshakeKind::Resumed));
    g.bench_function("resumed/rustls_buffered", |b| b.iter(|| rustls_pair(&server, &resuming)));
    g.finish();
}

criterion_group!(benches, bulk, handshakes);
criterion_main!(benches);
