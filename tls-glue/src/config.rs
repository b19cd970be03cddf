//! Building rustls configs (std): certificates and keys from PEM files, a self-signed
//! certificate when none is configured, session resumption and mutual TLS.
//!
//! Every config uses ring as its crypto provider, passed in explicitly; nothing installs
//! a process-wide default.

use std::path::{Path, PathBuf};
use std::string::String;
use std::sync::Arc;
use std::vec;
use std::vec::Vec;

use rustls::client::Resumption;
use rustls::crypto::{CryptoProvider, ring};
use rustls::server::{NoServerSessionStorage, ServerSessionMemoryCache, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, ServerConfig, SupportedProtocolVersion};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::SniResolver;

/// Errors building a config; file errors name the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read (missing, unreadable).
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid PEM.
    #[error("{path}: malformed PEM: {source}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What the PEM parser found.
        source: rustls_pki_types::pem::Error,
    },
    /// The file holds no `CERTIFICATE` section.
    #[error("{path}: no certificate in the file")]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// The file holds no PKCS#8, SEC1 or PKCS#1 private key.
    #[error("{path}: no private key (PKCS#8, SEC1 or PKCS#1) in the file")]
    NoKey {
        /// The file.
        path: PathBuf,
    },
    /// The key is of a type or curve the provider cannot sign with.
    #[error("{path}: unusable private key: {source}")]
    BadKey {
        /// The file.
        path: PathBuf,
        /// rustls's reason.
        source: rustls::Error,
    },
    /// The key does not belong to the certificate.
    #[error("{key}: private key does not match the certificate in {cert}")]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// Neither identities nor names for a self-signed certificate were configured.
    #[error("no certificate configured and no names to generate a self-signed one for")]
    NoIdentity,
    /// rcgen failed to generate the self-signed certificate.
    #[error("generating a self-signed certificate: {0}")]
    SelfSigned(#[from] rcgen::Error),
    /// The client CA file gave no usable trust anchor.
    #[error("{path}: client CA certificates unusable: {source}")]
    ClientCa {
        /// The file.
        path: PathBuf,
        /// rustls's reason.
        source: rustls::server::VerifierBuilderError,
    },
    /// A CA certificate could not be added as a trust anchor.
    #[error("CA certificate rejected: {0}")]
    Root(rustls::Error),
    /// rustls rejected the combination of settings (for example, no usable version).
    #[error("TLS config: {0}")]
    Rustls(rustls::Error),
}

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
    fn list(self) -> &'static [&'static SupportedProtocolVersion] {
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

/// One certificate chain and its key, as PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The chain, end entity first.
    pub cert_pem_path: PathBuf,
    /// Its private key: PKCS#8, SEC1 or PKCS#1.
    pub key_pem_path: PathBuf,
}

/// How a server config is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// Certificates, selected by SNI (the first is the fallback).
    pub identities: Vec<Identity>,
    /// With no identities: generate a self-signed ECDSA P-256 certificate for these names.
    pub self_signed_names: Vec<String>,
    /// ALPN protocols in preference order (empty: no ALPN).
    pub alpn: Vec<Vec<u8>>,
    /// Verify client certificates against the CAs in this PEM file (mutual TLS).
    pub client_ca: Option<PathBuf>,
    /// With `client_ca`: refuse clients without a certificate (else it is optional).
    pub client_auth_required: bool,
    /// Entries in the bounded server-side session cache (0: no cache).
    pub session_cache_entries: usize,
    /// Issue stateless session tickets (TLS 1.3 and 1.2), keys rotated every 6 hours.
    pub tickets: bool,
    /// Versions offered.
    pub versions: Versions,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            identities: Vec::new(),
            self_signed_names: Vec::new(),
            alpn: Vec::new(),
            client_ca: None,
            client_auth_required: false,
            session_cache_entries: 1024,
            tickets: true,
            versions: Versions::Both,
        }
    }
}

/// Where the server's certificates came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertSource {
    /// Loaded from the configured files.
    Files,
    /// Generated at start (the caller should warn): the certificate, for clients to trust.
    SelfSigned(CertificateDer<'static>),
}

/// The ring provider, passed to every builder (never installed as a process default).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

fn read(path: &Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|source| ConfigError::Read { path: path.into(), source })
}

/// Loads every certificate in a PEM file.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let pem = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| ConfigError::Pem { path: path.into(), source })?;
    if certs.is_empty() {
        return Err(ConfigError::NoCertificate { path: path.into() });
    }
    Ok(certs)
}

/// Loads the first private key (PKCS#8, SEC1 or PKCS#1) in a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, ConfigError> {
    let pem = read(path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|source| match source {
        rustls_pki_types::pem::Error::NoItemsFound => ConfigError::NoKey { path: path.into() },
        source => ConfigError::Pem { path: path.into(), source },
    })
}

/// Loads one identity and checks that the key belongs to the certificate.
pub fn load_identity(id: &Identity, provider: &CryptoProvider) -> Result<CertifiedKey, ConfigError> {
    let chain = load_certs(&id.cert_pem_path)?;
    let key = load_key(&id.key_pem_path)?;
    let signer = provider
        .key_provider
        .load_private_key(key)
        .map_err(|source| ConfigError::BadKey { path: id.key_pem_path.clone(), source })?;
    let certified = CertifiedKey::new(chain, signer);
    match certified.keys_match() {
        Ok(()) => Ok(certified),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            Err(ConfigError::KeyMismatch { cert: id.cert_pem_path.clone(), key: id.key_pem_path.clone() })
        }
        // The provider cannot tell (no public key from the signer), or the certificate
        // does not parse: rustls reports the latter at handshake time as well.
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => Ok(certified),
        Err(source) => Err(ConfigError::BadKey { path: id.cert_pem_path.clone(), source }),
    }
}

/// Generates a self-signed ECDSA P-256 certificate for `names`.
pub fn self_signed(
    names: &[String],
    provider: &CryptoProvider,
) -> Result<(CertifiedKey, CertificateDer<'static>), ConfigError> {
    let generated = rcgen::generate_simple_self_signed(names.to_vec())?;
    let cert = generated.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(generated.signing_key.serialize_der().into());
    let signer = provider.key_provider.load_private_key(key).map_err(ConfigError::Rustls)?;
    Ok((CertifiedKey::new(vec![cert.clone()], signer), cert))
}

fn roots(certs: Vec<CertificateDer<'static>>) -> Result<RootCertStore, ConfigError> {
    let mut store = RootCertStore::empty();
    for cert in certs {
        store.add(cert).map_err(ConfigError::Root)?;
    }
    Ok(store)
}

impl ServerSettings {
    /// Builds the server config, saying where its certificates came from.
    pub fn build(&self) -> Result<(Arc<ServerConfig>, CertSource), ConfigError> {
        let provider = provider();
        let (keys, source) = if self.identities.is_empty() {
            if self.self_signed_names.is_empty() {
                return Err(ConfigError::NoIdentity);
            }
            let (key, cert) = self_signed(&self.self_signed_names, &provider)?;
            (vec![Arc::new(key)], CertSource::SelfSigned(cert))
        } else {
            let keys = self.identities.iter().map(|id| load_identity(id, &provider).map(Arc::new));
            (keys.collect::<Result<Vec<_>, _>>()?, CertSource::Files)
        };
        let resolver = SniResolver::new(keys).ok_or(ConfigError::NoIdentity)?;
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(self.versions.list())
            .map_err(ConfigError::Rustls)?;
        let builder = match &self.client_ca {
            None => builder.with_no_client_auth(),
            Some(path) => {
                let store = Arc::new(roots(load_certs(path)?)?);
                let verifier = WebPkiClientVerifier::builder_with_provider(store, provider);
                let verifier =
                    if self.client_auth_required { verifier } else { verifier.allow_unauthenticated() };
                let verifier = verifier
                    .build()
                    .map_err(|source| ConfigError::ClientCa { path: path.clone(), source })?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder.with_cert_resolver(Arc::new(resolver));
        config.alpn_protocols = self.alpn.clone();
        config.session_storage = match self.session_cache_entries {
            0 => Arc::new(NoServerSessionStorage {}),
            n => ServerSessionMemoryCache::new(n),
        };
        if self.tickets {
            config.ticketer = ring::Ticketer::new().map_err(ConfigError::Rustls)?;
        }
        if !self.tickets && self.session_cache_entries == 0 {
            config.send_tls13_tickets = 0;
        }
        Ok((Arc::new(config), source))
    }
}

/// How a client config is built (tests, benches, outgoing connections).
#[derive(Debug, Default)]
pub struct ClientSettings {
    /// Trusted CA (or self-signed) certificates.
    pub roots: Vec<CertificateDer<'static>>,
    /// ALPN protocols offered.
    pub alpn: Vec<Vec<u8>>,
    /// Versions offered.
    pub versions: Versions,
    /// A client certificate chain and key for mutual TLS.
    pub identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    /// Sessions kept for resumption, in memory (0: never resume).
    pub session_cache_entries: usize,
}

impl ClientSettings {
    /// Builds the client config.
    pub fn build(&self) -> Result<Arc<ClientConfig>, ConfigError> {
        let builder = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(self.versions.list())
            .map_err(ConfigError::Rustls)?
            .with_root_certificates(roots(self.roots.clone())?);
        let mut config = match &self.identity {
            None => builder.with_no_client_auth(),
            Some((chain, key)) => {
                builder.with_client_auth_cert(chain.clone(), key.clone_key()).map_err(ConfigError::Rustls)?
            }
        };
        config.alpn_protocols = self.alpn.clone();
        config.resumption = match self.session_cache_entries {
            0 => Resumption::disabled(),
            n => Resumption::in_memory_sessions(n),
        };
        Ok(Arc::new(config))
    }
}
