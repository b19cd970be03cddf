//! Building a rustls server config from PEM bytes, without std: the caller
//! (a VM image, or the appliance's config through its platform) has already
//! read the files; every error names the file the bytes came from.
//!
//! The clock rustls checks certificates and tickets against is passed in, as
//! a no_std build has no system time. Resumption: with `std`, a bounded
//! session cache and rustls's ring ticketer; without std, tickets from
//! [`RotatingTicketer`](crate::ticketer::RotatingTicketer) on the same clock
//! (rustls's session cache needs std's lock).

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use rustls::crypto::{CryptoProvider, ring};
#[cfg(feature = "std")]
use rustls::server::ServerSessionMemoryCache;
use rustls::server::{NoServerSessionStorage, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::time_provider::TimeProvider;
use rustls::{RootCertStore, ServerConfig, SupportedProtocolVersion};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::SniResolver;

/// Errors building a config from PEM bytes; each names the file they came from.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PemError {
    /// The bytes are not valid PEM.
    #[error("{name}: malformed PEM: {reason}")]
    Pem {
        /// The file.
        name: String,
        /// What the PEM parser found.
        reason: rustls_pki_types::pem::Error,
    },
    /// No `CERTIFICATE` section.
    #[error("{name}: no certificate in the file")]
    NoCertificate {
        /// The file.
        name: String,
    },
    /// No PKCS#8, SEC1 or PKCS#1 private key.
    #[error("{name}: no private key (PKCS#8, SEC1 or PKCS#1) in the file")]
    NoKey {
        /// The file.
        name: String,
    },
    /// The key is of a type or curve the provider cannot sign with.
    #[error("{name}: unusable private key: {reason}")]
    BadKey {
        /// The file.
        name: String,
        /// rustls's reason.
        reason: rustls::Error,
    },
    /// The key does not belong to the certificate.
    #[error("{key}: private key does not match the certificate in {cert}")]
    KeyMismatch {
        /// The certificate file.
        cert: String,
        /// The key file.
        key: String,
    },
    /// No identity was given.
    #[error("no certificate configured")]
    NoIdentity,
    /// The client CA file gave no usable trust anchor.
    #[error("{name}: client CA certificates unusable: {reason}")]
    ClientCa {
        /// The file.
        name: String,
        /// rustls's reason.
        reason: rustls::server::VerifierBuilderError,
    },
    /// A CA certificate could not be added as a trust anchor.
    #[error("CA certificate rejected: {0}")]
    Root(rustls::Error),
    /// rustls rejected the combination of settings.
    #[error("TLS config: {0}")]
    Rustls(rustls::Error),
}

/// How long each ticket key seals new tickets (it opens them one period more).
#[cfg(not(feature = "std"))]
const TICKET_KEY_LIFETIME: u32 = 6 * 60 * 60;

/// Which TLS versions to offer. Only TLS 1.3 and 1.2 exist here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Versions {
    /// TLS 1.3 and TLS 1.2.
    #[default]
    Both,
    /// TLS 1.3 only.
    Tls13,
    /// TLS 1.2 only.
    Tls12,
}

impl Versions {
    pub(crate) fn list(self) -> &'static [&'static SupportedProtocolVersion] {
        const BOTH: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13, &rustls::version::TLS12];
        const TLS13: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13];
        const TLS12: &[&SupportedProtocolVersion] = &[&rustls::version::TLS12];
        match self {
            Versions::Both => BOTH,
            Versions::Tls13 => TLS13,
            Versions::Tls12 => TLS12,
        }
    }
}

/// A PEM file's name (for messages) and contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PemFile {
    /// Where the bytes came from, as the configuration names it.
    pub name: String,
    /// The PEM text.
    pub pem: Vec<u8>,
}

/// One certificate chain (end entity first) and its private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PemIdentity {
    /// The chain.
    pub cert: PemFile,
    /// Its key: PKCS#8, SEC1 or PKCS#1.
    pub key: PemFile,
}

/// How a server config is built from PEM bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PemServerSettings {
    /// Certificates, selected by SNI (the first is the fallback); at least one.
    pub identities: Vec<PemIdentity>,
    /// ALPN protocols in preference order (empty: no ALPN).
    pub alpn: Vec<Vec<u8>>,
    /// Verify client certificates against these CAs (mutual TLS).
    pub client_ca: Option<PemFile>,
    /// With `client_ca`: refuse clients without a certificate (else it is optional).
    pub client_auth_required: bool,
    /// Entries in the bounded server-side session cache (0: no cache; std only).
    pub session_cache_entries: usize,
    /// Issue stateless session tickets (keys rolled every 6 hours).
    pub tickets: bool,
    /// Versions offered.
    pub versions: Versions,
}

impl Default for PemServerSettings {
    fn default() -> Self {
        PemServerSettings {
            identities: Vec::new(),
            alpn: Vec::new(),
            client_ca: None,
            client_auth_required: false,
            session_cache_entries: 1024,
            tickets: true,
            versions: Versions::Both,
        }
    }
}

/// Every certificate in a PEM file; at least one.
pub fn certs(file: &PemFile) -> Result<Vec<CertificateDer<'static>>, PemError> {
    let certs = CertificateDer::pem_slice_iter(&file.pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|reason| PemError::Pem { name: file.name.clone(), reason })?;
    if certs.is_empty() {
        return Err(PemError::NoCertificate { name: file.name.clone() });
    }
    Ok(certs)
}

/// The first private key (PKCS#8, SEC1 or PKCS#1) in a PEM file.
pub fn key(file: &PemFile) -> Result<PrivateKeyDer<'static>, PemError> {
    PrivateKeyDer::from_pem_slice(&file.pem).map_err(|reason| match reason {
        rustls_pki_types::pem::Error::NoItemsFound => PemError::NoKey { name: file.name.clone() },
        reason => PemError::Pem { name: file.name.clone(), reason },
    })
}

/// One identity, checked that the key belongs to the certificate.
pub fn certified_key(id: &PemIdentity, provider: &CryptoProvider) -> Result<CertifiedKey, PemError> {
    let chain = certs(&id.cert)?;
    let signer = provider
        .key_provider
        .load_private_key(key(&id.key)?)
        .map_err(|reason| PemError::BadKey { name: id.key.name.clone(), reason })?;
    let certified = CertifiedKey::new(chain, signer);
    match certified.keys_match() {
        Ok(()) => Ok(certified),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            Err(PemError::KeyMismatch { cert: id.cert.name.clone(), key: id.key.name.clone() })
        }
        // The provider cannot tell, or the certificate does not parse: rustls
        // reports the latter at handshake time as well.
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => Ok(certified),
        Err(reason) => Err(PemError::BadKey { name: id.cert.name.clone(), reason }),
    }
}

impl PemServerSettings {
    /// Builds the server config on ring, checking certificates against `time`.
    pub fn build(&self, time: Arc<dyn TimeProvider>) -> Result<Arc<ServerConfig>, PemError> {
        let provider = Arc::new(ring::default_provider());
        let keys = self.identities.iter().map(|id| certified_key(id, &provider).map(Arc::new));
        let resolver = SniResolver::new(keys.collect::<Result<Vec<_>, _>>()?).ok_or(PemError::NoIdentity)?;
        let builder = ServerConfig::builder_with_details(provider.clone(), time.clone())
            .with_protocol_versions(self.versions.list())
            .map_err(PemError::Rustls)?;
        let builder = match &self.client_ca {
            None => builder.with_no_client_auth(),
            Some(file) => {
                let mut store = RootCertStore::empty();
                for cert in certs(file)? {
                    store.add(cert).map_err(PemError::Root)?;
                }
                let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider);
                let verifier =
                    if self.client_auth_required { verifier } else { verifier.allow_unauthenticated() };
                let verifier = verifier
                    .build()
                    .map_err(|reason| PemError::ClientCa { name: file.name.clone(), reason })?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder.with_cert_resolver(Arc::new(resolver));
        config.alpn_protocols = self.alpn.clone();
        let (tickets, cache) =
            (self.tickets, if cfg!(feature = "std") { self.session_cache_entries } else { 0 });
        config.session_storage = match cache {
            0 => Arc::new(NoServerSessionStorage {}),
            #[cfg(feature = "std")]
            n => ServerSessionMemoryCache::new(n),
            #[cfg(not(feature = "std"))]
            _ => Arc::new(NoServerSessionStorage {}),
        };
        #[cfg(feature = "std")]
        if tickets {
            config.ticketer = ring::Ticketer::new().map_err(PemError::Rustls)?;
        }
        #[cfg(not(feature = "std"))]
        if tickets {
            let ticketer = crate::ticketer::RotatingTicketer::new(time, TICKET_KEY_LIFETIME)
                .map_err(|_| PemError::Rustls(rustls::Error::FailedToGetRandomBytes))?;
            config.ticketer = Arc::new(ticketer);
        }
        if !tickets && cache == 0 {
            config.send_tls13_tickets = 0;
        }
        Ok(Arc::new(config))
    }
}
