//! Certificate selection by SNI over several certificates.

use alloc::sync::Arc;
use alloc::vec::Vec;

use rustls::client::verify_server_name;
use rustls::server::{ClientHello, ParsedCertificate, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::ServerName;

/// Picks the certificate whose subjectAltName DNS names (wildcards included, matched the
/// way webpki matches them for clients) cover the SNI the client sent; falls back to the
/// first certificate when none does or the client sent no SNI, so old clients still get
/// an answer.
#[derive(Debug)]
pub struct SniResolver {
    keys: Vec<Arc<CertifiedKey>>,
}

impl SniResolver {
    /// A resolver over `keys`, tried in order; None when `keys` is empty.
    pub fn new(keys: Vec<Arc<CertifiedKey>>) -> Option<Self> {
        (!keys.is_empty()).then_some(SniResolver { keys })
    }

    /// The certificate for `sni` (see the type docs).
    pub fn select(&self, sni: Option<&str>) -> &Arc<CertifiedKey> {
        let name = sni.and_then(|s| ServerName::try_from(s).ok());
        name.and_then(|name| self.keys.iter().find(|key| covers(key, &name))).unwrap_or(&self.keys[0])
    }
}

fn covers(key: &CertifiedKey, name: &ServerName<'_>) -> bool {
    let Ok(der) = key.end_entity_cert() else {
        return false;
    };
    ParsedCertificate::try_from(der).is_ok_and(|cert| verify_server_name(&cert, name).is_ok())
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(self.select(hello.server_name())))
    }
}
