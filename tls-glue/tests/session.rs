//! Client and server sessions wired together over an in-memory pipe.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair};
use tls_glue::config::{CertSource, ClientSettings, ConfigError, Identity, ServerSettings, Versions};
use tls_glue::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tls_glue::rustls::{self, AlertDescription, ClientConfig, ProtocolVersion, ServerConfig};
use tls_glue::{Limits, Session, TlsError};

/// A test CA and the files it issued, in a temporary directory.
struct Pki {
    dir: tempfile::TempDir,
    ca_der: CertificateDer<'static>,
    ca_pem: String,
    issuer: Issuer<'static, KeyPair>,
    ca_key_pem: String,
}

struct Leaf {
    cert: PathBuf,
    key: PathBuf,
    der: CertificateDer<'static>,
    key_der: PrivateKeyDer<'static>,
}

impl Pki {
    fn new() -> Pki {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // Distinct names, so that a stranger CA is an unknown issuer, not a bad signature.
        static SERIAL: AtomicUsize = AtomicUsize::new(0);
        let cn = format!("test CA {}", SERIAL.fetch_add(1, Ordering::Relaxed));
        params.distinguished_name.push(DnType::CommonName, cn);
        let ca = params.self_signed(&key).unwrap();
        let (ca_der, ca_pem) = (ca.der().clone(), ca.pem());
        let ca_key_pem = key.serialize_pem();
        Pki {
            dir: tempfile::tempdir().unwrap(),
            ca_der,
            ca_pem,
            issuer: Issuer::new(params, key),
            ca_key_pem,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// A certificate for `names` signed by the CA, written as `<tag>.crt` / `<tag>.key`.
    fn leaf(&self, tag: &str, names: &[&str], usage: ExtendedKeyUsagePurpose) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert: self.write(&format!("{tag}.crt"), &cert.pem()),
            key: self.write(&format!("{tag}.key"), &key.serialize_pem()),
            der: cert.der().clone(),
            key_der: PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        }
    }

    fn server_leaf(&self, tag: &str, names: &[&str]) -> Leaf {
        self.leaf(tag, names, ExtendedKeyUsagePurpose::ServerAuth)
    }

    fn ca_file(&self) -> PathBuf {
        self.write("ca.crt", &self.ca_pem)
    }
}

fn server(settings: ServerSettings) -> Arc<ServerConfig> {
    settings.build().unwrap().0
}

fn client(settings: ClientSettings) -> Arc<ClientConfig> {
    settings.build().unwrap()
}

fn name(s: &str) -> ServerName<'static> {
    ServerName::try_from(s.to_string()).unwrap()
}

/// Both ends of a connection and the plaintext each received.
struct Pipe {
    client: Session,
    server: Session,
    at_client: Vec<u8>,
    at_server: Vec<u8>,
    /// Most plaintext a sink takes per offer (partial consumption).
    sink_bite: usize,
}

fn moved(from: &mut Session, to: &mut Session) -> usize {
    let n = to.receive(from.ciphertext());
    from.consume_ciphertext(n);
    n
}

/// Processes `session`, keeping at most `bite` bytes of each plaintext offer in `into`.
fn take(session: &mut Session, into: &mut Vec<u8>, bite: usize) -> Result<(), TlsError> {
    let sink = |d: &[u8]| {
        let n = d.len().min(bite);
        into.extend_from_slice(&d[..n]);
        n
    };
    session.process(sink).map(|_| ())
}

impl Pipe {
    fn new(client_config: Arc<ClientConfig>, server_config: Arc<ServerConfig>, sni: &str) -> Pipe {
        Pipe {
            client: Session::client(client_config, name(sni)).unwrap(),
            server: Session::server(server_config).unwrap(),
            at_client: Vec::new(),
            at_server: Vec::new(),
            sink_bite: usize::MAX,
        }
    }

    /// Moves bytes both ways until nothing moves (bounded); returns each side's result.
    fn run(&mut self) -> (Result<(), TlsError>, Result<(), TlsError>) {
        let (mut c, mut s) = (Ok(()), Ok(()));
        for _ in 0..10_000 {
            c = take(&mut self.client, &mut self.at_client, self.sink_bite);
            s = take(&mut self.server, &mut self.at_server, self.sink_bite);
            let m = moved(&mut self.client, &mut self.server) + moved(&mut self.server, &mut self.client);
            if m == 0 && self.client.pending_plaintext() == 0 && self.server.pending_plaintext() == 0 {
                break;
            }
        }
        (c, s)
    }

    /// Runs until quiet; both sides must be fine.
    fn settle(&mut self) {
        let (c, s) = self.run();
        c.unwrap();
        s.unwrap();
    }

    fn handshake(&mut self) {
        self.settle();
        assert!(!self.client.is_handshaking() && !self.server.is_handshaking());
    }
}

fn pki_server(pki: &Pki, versions: Versions) -> (Arc<ServerConfig>, Arc<ClientConfig>) {
    let leaf = pki.server_leaf("srv", &["srv.example"]);
    let s = ServerSettings {
        identities: vec![Identity { cert_pem_path: leaf.cert, key_pem_path: leaf.key }],
        versions,
        ..Default::default()
    };
    let c =
        ClientSettings { roots: vec![pki.ca_der.clone()], session_cache_entries: 8, ..Default::default() };
    (server(s), client(c))
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

fn bulk_both_ways(versions: Versions, want: ProtocolVersion) {
    let pki = Pki::new();
    let (s, c) = pki_server(&pki, versions);
    let mut pipe = Pipe::new(c, s, "srv.example");
    assert_eq!(pipe.client.send_plaintext(b"too early"), 0, "nothing is buffered before the handshake");
    pipe.handshake();
    assert_eq!(pipe.client.protocol_version(), Some(want));
    assert_eq!(pipe.server.protocol_version(), Some(want));
    assert!(!pipe.client.is_resumed());
    pipe.sink_bite = 1000;
    let up = pattern(1_000_000, 1);
    let down = pattern(700_001, 2);
    let (mut sent_up, mut sent_down) = (0, 0);
    for _ in 0..10_000 {
        sent_up += pipe.client.send_plaintext(&up[sent_up..]);
        sent_down += pipe.server.send_plaintext(&down[sent_down..]);
        let (c, s) = pipe.run();
        c.unwrap();
        s.unwrap();
        if sent_up == up.len() && sent_down == down.len() {
            break;
        }
    }
    assert!(pipe.at_server == up, "client to server: {} of {} bytes", pipe.at_server.len(), up.len());
    assert!(pipe.at_client == down, "server to client: {} of {} bytes", pipe.at_client.len(), down.len());
}

#[test]
fn tls13_bulk_both_ways_with_partial_consumption() {
    bulk_both_ways(Versions::Tls13, ProtocolVersion::TLSv1_3);
}

#[test]
fn tls12_bulk_both_ways_with_partial_consumption() {
    bulk_both_ways(Versions::Tls12, ProtocolVersion::TLSv1_2);
}

#[test]
fn outgoing_limit_and_plaintext_back_pressure() {
    let pki = Pki::new();
    let (s, c) = pki_server(&pki, Versions::Both);
    let mut pipe = Pipe::new(c, s, "srv.example");
    let limits = Limits { outgoing: 40_000, plaintext: 20_000, ..Limits::default() };
    pipe.client = pipe.client.with_limits(limits);
    pipe.server = pipe.server.with_limits(limits);
    pipe.handshake();
    let data = pattern(100_000, 3);
    let n = pipe.client.send_plaintext(&data);
    assert_eq!(n, 40_000, "takes up to the outgoing limit");
    assert_eq!(pipe.client.send_plaintext(&data[n..]), 0, "backlog full");
    // A server sink that takes nothing: decryption stops once 20 000 bytes are pending.
    assert!(moved(&mut pipe.client, &mut pipe.server) > 0);
    let p = pipe.server.process(|_| 0).unwrap();
    assert_eq!(p.consumed, 0);
    assert!(p.pending >= 20_000 && p.pending < 40_000, "pending {}", p.pending);
    assert_eq!(pipe.server.receive(pipe.client.ciphertext()), 0, "no ciphertext taken while paused");
    // Pending plaintext is offered first and whole, then the rest follows.
    let mut got = Vec::new();
    pipe.server
        .process(|d| {
            got.extend_from_slice(d);
            d.len()
        })
        .unwrap();
    assert!(got.len() >= p.pending);
    pipe.at_server = got;
    let (c, s) = pipe.run();
    c.unwrap();
    s.unwrap();
    assert_eq!(pipe.at_server, data[..n]);
}

/// Makes two connections with one client config; says whether the second resumed
/// (checked on both sides, which must agree).
fn second_handshake_resumed(versions: Versions, tickets: bool, cache: usize) -> bool {
    let pki = Pki::new();
    let leaf = pki.server_leaf("srv", &["srv.example"]);
    let s = server(ServerSettings {
        identities: vec![Identity { cert_pem_path: leaf.cert, key_pem_path: leaf.key }],
        versions,
        tickets,
        session_cache_entries: cache,
        ..Default::default()
    });
    let c = client(ClientSettings {
        roots: vec![pki.ca_der.clone()],
        session_cache_entries: 8,
        ..Default::default()
    });
    let mut first = Pipe::new(c.clone(), s.clone(), "srv.example");
    first.handshake();
    assert!(!first.client.is_resumed() && !first.server.is_resumed());
    // TLS 1.3 tickets arrive after the handshake, with the first data.
    first.server.send_plaintext(b"hi");
    first.settle();
    assert_eq!(first.at_client, b"hi");
    let mut second = Pipe::new(c, s, "srv.example");
    second.handshake();
    assert_eq!(second.client.is_resumed(), second.server.is_resumed());
    second.client.send_plaintext(b"again");
    second.settle();
    assert_eq!(second.at_server, b"again");
    second.client.is_resumed()
}

#[test]
fn resumption_by_ticket_and_by_server_cache_in_both_versions() {
    for versions in [Versions::Tls13, Versions::Tls12] {
        assert!(second_handshake_resumed(versions, true, 0), "{versions:?} tickets");
        assert!(second_handshake_resumed(versions, false, 16), "{versions:?} server cache");
        assert!(!second_handshake_resumed(versions, false, 0), "{versions:?} neither");
    }
}

#[test]
fn alpn_negotiated_and_mismatch_refused() {
    let pki = Pki::new();
    let leaf = pki.server_leaf("srv", &["srv.example"]);
    let s = server(ServerSettings {
        identities: vec![Identity { cert_pem_path: leaf.cert, key_pem_path: leaf.key }],
        alpn: vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        ..Default::default()
    });
    let roots = vec![pki.ca_der.clone()];
    let c = client(ClientSettings {
        roots: roots.clone(),
        alpn: vec![b"http/1.1".to_vec()],
        ..Default::default()
    });
    let mut pipe = Pipe::new(c, s.clone(), "srv.example");
    pipe.handshake();
    assert_eq!(pipe.server.alpn_protocol(), Some(&b"http/1.1"[..]));
    assert_eq!(pipe.client.alpn_protocol(), Some(&b"http/1.1"[..]));

    let c = client(ClientSettings { roots, alpn: vec![b"dot".to_vec()], ..Default::default() });
    let mut pipe = Pipe::new(c, s, "srv.example");
    let (c, s) = pipe.run();
    assert_eq!(s, Err(TlsError::Tls(rustls::Error::NoApplicationProtocol)));
    assert_eq!(c, Err(TlsError::Tls(rustls::Error::AlertReceived(AlertDescription::NoApplicationProtocol))));
}

#[test]
fn sni_selects_among_certificates() {
    let pki = Pki::new();
    let a = pki.server_leaf("a", &["a.example"]);
    let b = pki.server_leaf("b", &["*.b.example", "b.example"]);
    let s = server(ServerSettings {
        identities: vec![
            Identity { cert_pem_path: a.cert.clone(), key_pem_path: a.key.clone() },
            Identity { cert_pem_path: b.cert.clone(), key_pem_path: b.key.clone() },
        ],
        ..Default::default()
    });
    let c = client(ClientSettings { roots: vec![pki.ca_der.clone()], ..Default::default() });
    for (sni, want) in [("a.example", &a.der), ("www.B.example", &b.der), ("b.example", &b.der)] {
        let mut pipe = Pipe::new(c.clone(), s.clone(), sni);
        pipe.handshake();
        assert_eq!(&pipe.client.peer_certificates().unwrap()[0], want, "{sni}");
        assert_eq!(pipe.server.server_name(), Some(sni.to_ascii_lowercase().as_str()));
        assert_eq!(pipe.client.server_name(), None);
    }
}

#[test]
fn resolver_falls_back_to_the_first_certificate() {
    let provider = tls_glue::config::provider();
    let (a, a_der) = tls_glue::config::self_signed(&["a.example".into()], &provider).unwrap();
    let (b, b_der) = tls_glue::config::self_signed(&["*.b.example".into()], &provider).unwrap();
    let r = tls_glue::SniResolver::new(vec![Arc::new(a), Arc::new(b)]).unwrap();
    assert_eq!(r.select(Some("x.b.example")).cert[0], b_der);
    assert_eq!(r.select(Some("a.example")).cert[0], a_der);
    for other in [None, Some("c.example"), Some("b.example"), Some("y.x.b.example"), Some("not a name!")] {
        assert_eq!(r.select(other).cert[0], a_der, "{other:?}");
    }
    assert!(tls_glue::SniResolver::new(vec![]).is_none());
}

/// Which certificate the client presents in the mutual TLS tests.
#[derive(PartialEq)]
enum ClientCert {
    None,
    FromServersCa,
    FromOtherCa,
}

fn mtls(required: bool, which: ClientCert) -> (Result<(), TlsError>, Result<(), TlsError>, Pipe) {
    let pki = Pki::new();
    let leaf = pki.server_leaf("srv", &["srv.example"]);
    let s = server(ServerSettings {
        identities: vec![Identity { cert_pem_path: leaf.cert, key_pem_path: leaf.key }],
        client_ca: Some(pki.ca_file()),
        client_auth_required: required,
        ..Default::default()
    });
    let other = Pki::new();
    let identity = match which {
        ClientCert::None => None,
        ClientCert::FromServersCa => {
            Some(pki.leaf("cli", &["client.example"], ExtendedKeyUsagePurpose::ClientAuth))
        }
        ClientCert::FromOtherCa => {
            Some(other.leaf("cli", &["client.example"], ExtendedKeyUsagePurpose::ClientAuth))
        }
    };
    let identity = identity.map(|l| (vec![l.der], l.key_der));
    let c = client(ClientSettings { roots: vec![pki.ca_der.clone()], identity, ..Default::default() });
    let mut pipe = Pipe::new(c, s, "srv.example");
    let (c, s) = pipe.run();
    (c, s, pipe)
}

#[test]
fn mutual_tls_accepts_a_client_certificate_from_the_ca() {
    let (c, s, pipe) = mtls(true, ClientCert::FromServersCa);
    c.unwrap();
    s.unwrap();
    assert_eq!(pipe.server.peer_certificates().map(|c| c.len()), Some(1));
}

#[test]
fn mutual_tls_required_rejects_no_certificate_and_foreign_certificates() {
    let (_, s, _) = mtls(true, ClientCert::None);
    assert_eq!(s, Err(TlsError::Tls(rustls::Error::NoCertificatesPresented)));
    let (_, s, pipe) = mtls(true, ClientCert::FromOtherCa);
    assert!(matches!(s, Err(TlsError::Tls(rustls::Error::InvalidCertificate(_)))), "{s:?}");
    assert!(pipe.server.is_closed());
}

#[test]
fn mutual_tls_optional_accepts_no_certificate() {
    let (c, s, pipe) = mtls(false, ClientCert::None);
    c.unwrap();
    s.unwrap();
    assert!(pipe.server.peer_certificates().is_none());
}

#[test]
fn untrusted_and_wrong_name_certificates_fail_with_an_alert() {
    let pki = Pki::new();
    let (s, _) = pki_server(&pki, Versions::Both);
    let stranger = Pki::new();
    for (roots, sni) in
        [(vec![stranger.ca_der.clone()], "srv.example"), (vec![pki.ca_der.clone()], "other.example")]
    {
        let c = client(ClientSettings { roots, ..Default::default() });
        let mut pipe = Pipe::new(c, s.clone(), sni);
        let (c, s) = pipe.run();
        let Err(TlsError::Tls(rustls::Error::InvalidCertificate(why))) = c else { panic!("{c:?}") };
        let alert = if sni == "other.example" {
            AlertDescription::BadCertificate
        } else {
            AlertDescription::UnknownCA
        };
        assert!(
            matches!(
                why,
                rustls::CertificateError::NotValidForNameContext { .. }
                    | rustls::CertificateError::UnknownIssuer
            ),
            "{why:?}"
        );
        // The client's alert went to the server, which reports it.
        assert_eq!(s, Err(TlsError::Tls(rustls::Error::AlertReceived(alert))));
        assert!(pipe.client.is_closed() && pipe.server.is_closed());
    }
}

/// `ciphertext` is exactly one plaintext fatal alert record with `desc`.
fn assert_plain_alert(ciphertext: &[u8], desc: AlertDescription) {
    assert_eq!(ciphertext, [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, u8::from(desc)]);
}

#[test]
fn garbage_gets_a_decode_error_alert_then_the_session_stays_failed() {
    let (s, _) = pki_server(&Pki::new(), Versions::Both);
    let mut server = Session::server(s).unwrap();
    let garbage = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_eq!(server.receive(garbage), garbage.len());
    let err = server.process(|d| d.len()).unwrap_err();
    assert!(matches!(err, TlsError::Tls(rustls::Error::InvalidMessage(_))), "{err:?}");
    assert_plain_alert(server.ciphertext(), AlertDescription::DecodeError);
    assert_eq!(server.process(|d| d.len()), Err(err.clone()));
    assert_eq!(server.receive(b"more"), 4, "input after an error is dropped");
    assert_eq!(server.send_plaintext(b"x"), 0);
    assert!(server.is_closed());
    assert_eq!(server.error(), Some(&err));
}

#[test]
fn oversize_and_truncated_handshake_records_get_alerts() {
    let (s, c) = pki_server(&Pki::new(), Versions::Both);
    // A record header announcing more than 2^14 + 2048 bytes.
    let mut server = Session::server(s.clone()).unwrap();
    server.receive(&[0x16, 0x03, 0x01, 0xff, 0xff]);
    assert!(server.process(|d| d.len()).is_err());
    // rustls rejects the header before reading the fragment, as a decode error.
    assert_plain_alert(server.ciphertext(), AlertDescription::DecodeError);
    // A real ClientHello cut short, with record and handshake lengths saying it is whole.
    let mut client = Session::client(c, name("srv.example")).unwrap();
    client.process(|d| d.len()).unwrap();
    let hello = client.ciphertext().to_vec();
    let cut = 60;
    let mut truncated = hello[..cut].to_vec();
    truncated[3..5].copy_from_slice(&((cut - 5) as u16).to_be_bytes());
    truncated[6..9].copy_from_slice(&((cut - 9) as u32).to_be_bytes()[1..]);
    let mut server = Session::server(s).unwrap();
    server.receive(&truncated);
    let err = server.process(|d| d.len()).unwrap_err();
    assert!(matches!(err, TlsError::Tls(rustls::Error::InvalidMessage(_))), "{err:?}");
    assert_plain_alert(server.ciphertext(), AlertDescription::DecodeError);
}

#[test]
fn truncated_and_corrupted_application_records_get_bad_record_mac() {
    for versions in [Versions::Tls13, Versions::Tls12] {
        let (s, c) = pki_server(&Pki::new(), versions);
        let mut pipe = Pipe::new(c, s, "srv.example");
        pipe.handshake();
        pipe.settle();
        assert_eq!(pipe.client.send_plaintext(b"a secret message"), 16);
        let mut record = pipe.client.ciphertext().to_vec();
        // Drop the last 4 bytes and fix the length: a record cut short.
        record.truncate(record.len() - 4);
        let len = (record.len() - 5) as u16;
        record[3..5].copy_from_slice(&len.to_be_bytes());
        assert_eq!(pipe.server.receive(&record), record.len());
        let err = pipe.server.process(|d| d.len()).unwrap_err();
        assert_eq!(err, TlsError::Tls(rustls::Error::DecryptError), "{versions:?}");
        assert!(!pipe.server.ciphertext().is_empty(), "alert queued");
        // The (encrypted) alert reaches the client.
        pipe.client.consume_ciphertext(usize::MAX);
        moved(&mut pipe.server, &mut pipe.client);
        let got = pipe.client.process(|d| d.len());
        assert_eq!(got, Err(TlsError::Tls(rustls::Error::AlertReceived(AlertDescription::BadRecordMac))));
    }
}

#[test]
fn close_notify_both_ways() {
    for versions in [Versions::Tls13, Versions::Tls12] {
        let (s, c) = pki_server(&Pki::new(), versions);
        let mut pipe = Pipe::new(c, s, "srv.example");
        pipe.handshake();
        pipe.client.send_plaintext(b"last words");
        assert!(pipe.client.close_notify());
        assert!(pipe.client.close_sent());
        assert_eq!(pipe.client.send_plaintext(b"after close"), 0);
        pipe.settle();
        assert_eq!(pipe.at_server, b"last words");
        assert!(pipe.server.peer_closed());
        assert!(!pipe.server.is_closed());
        // The server may still answer before closing its side.
        assert_eq!(pipe.server.send_plaintext(b"bye"), 3);
        assert!(pipe.server.close_notify());
        let (c, s) = pipe.run();
        c.unwrap();
        s.unwrap();
        assert_eq!(pipe.at_client, b"bye");
        assert!(pipe.client.peer_closed() && pipe.client.is_closed(), "{versions:?}");
        assert!(pipe.server.is_closed());
    }
}

#[test]
fn close_notify_is_not_possible_during_the_handshake() {
    let (s, _) = pki_server(&Pki::new(), Versions::Both);
    let mut server = Session::server(s).unwrap();
    assert!(server.is_handshaking());
    assert!(!server.close_notify());
}

#[test]
fn self_signed_certificate_when_none_is_configured() {
    let (s, source) =
        ServerSettings { self_signed_names: vec!["localhost".into()], ..Default::default() }.build().unwrap();
    let CertSource::SelfSigned(cert) = source else { panic!("expected a generated certificate") };
    let c = client(ClientSettings { roots: vec![cert.clone()], ..Default::default() });
    let mut pipe = Pipe::new(c, s, "localhost");
    pipe.handshake();
    assert_eq!(pipe.client.peer_certificates().unwrap()[0], cert);
    let err = ServerSettings::default().build().unwrap_err();
    assert!(matches!(err, ConfigError::NoIdentity), "{err}");
}

fn build_err(cert: PathBuf, key: PathBuf) -> ConfigError {
    let s = ServerSettings {
        identities: vec![Identity { cert_pem_path: cert, key_pem_path: key }],
        ..Default::default()
    };
    s.build().unwrap_err()
}

#[test]
fn pem_loading_errors_name_the_file() {
    let pki = Pki::new();
    let leaf = pki.server_leaf("srv", &["srv.example"]);
    let other = pki.server_leaf("other", &["srv.example"]);
    let missing = pki.path("missing.pem");
    let e = build_err(missing.clone(), leaf.key.clone());
    assert!(matches!(&e, ConfigError::Read { path, .. } if *path == missing), "{e}");
    assert!(e.to_string().contains("missing.pem"), "{e}");
    // A key file where the certificate should be.
    let e = build_err(leaf.key.clone(), leaf.key.clone());
    assert!(matches!(&e, ConfigError::NoCertificate { path } if *path == leaf.key), "{e}");
    // A certificate file where the key should be.
    let e = build_err(leaf.cert.clone(), leaf.cert.clone());
    assert!(matches!(&e, ConfigError::NoKey { path } if *path == leaf.cert), "{e}");
    // Malformed PEM: bad base64, and a section without its end.
    let bad =
        pki.write("bad.pem", "-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n");
    let e = build_err(bad.clone(), leaf.key.clone());
    assert!(matches!(&e, ConfigError::Pem { path, .. } if *path == bad), "{e}");
    let open = pki.write("open.pem", "-----BEGIN PRIVATE KEY-----\nMIIB\n");
    let e = build_err(leaf.cert.clone(), open.clone());
    assert!(matches!(&e, ConfigError::Pem { path, .. } if *path == open), "{e}");
    // A key of another certificate.
    let e = build_err(leaf.cert.clone(), other.key.clone());
    assert!(
        matches!(&e, ConfigError::KeyMismatch { cert, key } if *cert == leaf.cert && *key == other.key),
        "{e}"
    );
    assert!(e.to_string().contains("other.key") && e.to_string().contains("srv.crt"), "{e}");
    // A key section with content that is not a key.
    let junk = pki.write("junk.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    let e = build_err(leaf.cert.clone(), junk.clone());
    assert!(matches!(&e, ConfigError::BadKey { path, .. } if *path == junk), "{e}");
    // Mutual TLS with a CA file that holds no certificate.
    let s = ServerSettings {
        self_signed_names: vec!["x".into()],
        client_ca: Some(leaf.key.clone()),
        ..Default::default()
    };
    assert!(matches!(s.build().unwrap_err(), ConfigError::NoCertificate { .. }));
}

/// Runs openssl; None (and the test prints SKIPPED) when it is not installed.
fn openssl(args: &[&str]) -> Option<()> {
    match std::process::Command::new("openssl").args(args).output() {
        Ok(out) if out.status.success() => Some(()),
        Ok(out) => panic!("openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => {
            println!("SKIPPED: openssl not available ({e})");
            None
        }
    }
}

#[test]
fn sec1_and_pkcs1_keys_load() {
    let pki = Pki::new();
    let p = |n: &str| pki.path(n).to_str().unwrap().to_string();
    // Keys from openssl: SEC1 ("EC PRIVATE KEY") and PKCS#1 ("RSA PRIVATE KEY").
    let Some(()) = openssl(&["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", &p("ec.key")])
    else {
        return;
    };
    openssl(&["genrsa", "-traditional", "-out", &p("rsa.key"), "2048"]);
    assert!(std::fs::read_to_string(pki.path("ec.key")).unwrap().contains("BEGIN EC PRIVATE KEY"));
    assert!(std::fs::read_to_string(pki.path("rsa.key")).unwrap().contains("BEGIN RSA PRIVATE KEY"));
    // Certificates for them, issued by the test CA.
    pki.ca_file();
    pki.write("ca.key", &pki.ca_key_pem);
    for host in ["ec", "rsa"] {
        let ext = pki.write(&format!("{host}.ext"), &format!("subjectAltName=DNS:{host}.example\n"));
        let (key, csr) = (p(&format!("{host}.key")), p(&format!("{host}.csr")));
        openssl(&["req", "-new", "-key", &key, "-subj", &format!("/CN={host}.example"), "-out", &csr]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &p("ca.crt"),
            "-CAkey",
            &p("ca.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            ext.to_str().unwrap(),
            "-out",
            &p(&format!("{host}.crt")),
        ]);
    }
    let (s, source) = ServerSettings {
        identities: vec![
            Identity { cert_pem_path: pki.path("ec.crt"), key_pem_path: pki.path("ec.key") },
            Identity { cert_pem_path: pki.path("rsa.crt"), key_pem_path: pki.path("rsa.key") },
        ],
        ..Default::default()
    }
    .build()
    .unwrap();
    assert_eq!(source, CertSource::Files);
    // Both work in a handshake.
    for host in ["ec", "rsa"] {
        let certs = tls_glue::config::load_certs(&pki.path(&format!("{host}.crt"))).unwrap();
        let c = client(ClientSettings { roots: vec![pki.ca_der.clone()], ..Default::default() });
        let mut pipe = Pipe::new(c, s.clone(), &format!("{host}.example"));
        pipe.handshake();
        assert_eq!(pipe.client.peer_certificates().unwrap()[0], certs[0]);
    }
    // Mismatch across key types is reported as such.
    let e = build_err(pki.path("ec.crt"), pki.path("rsa.key"));
    assert!(matches!(e, ConfigError::KeyMismatch { .. }), "{e}");
}
