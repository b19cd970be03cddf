//! Building rustls configs (std): certificates and keys from PEM files, a self-signed
//! certificate when none is configured, session resumption and mutual TLS.
//!
//! Every config uses ring as its crypto provider, passed in explicitly; nothing installs
//! a process-wide default.

use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::sync::Arc;
use std::vec;
use std::vec::Vec;

use rustls::client::Resumption;
use rustls::crypto::{CryptoProvider, ring};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::pem::{self, PemError, PemFile, PemIdentity, PemServerSettings};

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

pub use crate::pem::Versions;

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

fn pem_file(path: &Path) -> Result<PemFile, ConfigError> {
    Ok(PemFile { name: path.display().to_string(), pem: read(path)? })
}

impl From<PemError> for ConfigError {
    fn from(e: PemError) -> Self {
        match e {
            PemError::Pem { name, reason } => ConfigError::Pem { path: name.into(), source: reason },
            PemError::NoCertificate { name } => ConfigError::NoCertificate { path: name.into() },
            PemError::NoKey { name } => ConfigError::NoKey { path: name.into() },
            PemError::BadKey { name, reason } => ConfigError::BadKey { path: name.into(), source: reason },
            PemError::KeyMismatch { cert, key } => {
                ConfigError::KeyMismatch { cert: cert.into(), key: key.into() }
            }
            PemError::NoIdentity => ConfigError::NoIdentity,
            PemError::ClientCa { name, reason } => {
                ConfigError::ClientCa { path: name.into(), source: reason }
            }
            PemError::Root(e) => ConfigError::Root(e),
            PemError::Rustls(e) => ConfigError::Rustls(e),
        }
    }
}

/// Loads every certificate in a PEM file.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    Ok(pem::certs(&pem_file(path)?)?)
}

/// Loads the first private key (PKCS#8, SEC1 or PKCS#1) in a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, ConfigError> {
    Ok(pem::key(&pem_file(path)?)?)
}

/// Loads one identity and checks that the key belongs to the certificate.
pub fn load_identity(id: &Identity, provider: &CryptoProvider) -> Result<CertifiedKey, ConfigError> {
    let id = PemIdentity { cert: pem_file(&id.cert_pem_path)?, key: pem_file(&id.key_pem_path)? };
    Ok(pem::certified_key(&id, provider)?)
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

/// Generates a self-signed ECDSA P-256 certificate for `names`, as PEM text:
/// (certificate, PKCS#8 key), for builders that take PEM bytes
/// ([`crate::pem::PemServerSettings`]).
pub fn self_signed_pem(names: &[String]) -> Result<(String, String), ConfigError> {
    let generated = rcgen::generate_simple_self_signed(names.to_vec())?;
    Ok((generated.cert.pem(), generated.signing_key.serialize_pem()))
}

fn roots(certs: Vec<CertificateDer<'static>>) -> Result<RootCertStore, ConfigError> {
    let mut store = RootCertStore::empty();
    for cert in certs {
        store.add(cert).map_err(ConfigError::Root)?;
    }
    Ok(store)
}

impl ServerSettings {
    /// Builds the server config, saying where its certificates came from
    /// (through [`PemServerSettings`], with the system clock).
    pub fn build(&self) -> Result<(Arc<ServerConfig>, CertSource), ConfigError> {
        let (identities, source) = if self.identities.is_empty() {
            if self.self_signed_names.is_empty() {
                return Err(ConfigError::NoIdentity);
            }
            let (cert, key) = self_signed_pem(&self.self_signed_names)?;
            let der = CertificateDer::from_pem_slice(cert.as_bytes())
                .map_err(|source| ConfigError::Pem { path: "<self-signed>".into(), source })?;
            let generated = |pem: String| PemFile { name: "<self-signed>".into(), pem: pem.into_bytes() };
            (vec![PemIdentity { cert: generated(cert), key: generated(key) }], CertSource::SelfSigned(der))
        } else {
            let ids = self.identities.iter().map(|id| {
                Ok(PemIdentity { cert: pem_file(&id.cert_pem_path)?, key: pem_file(&id.key_pem_path)? })
            });
            (ids.collect::<Result<Vec<_>, ConfigError>>()?, CertSource::Files)
        };
        let settings = PemServerSettings {
            identities,
            alpn: self.alpn.clone(),
            client_ca: self.client_ca.as_deref().map(pem_file).transpose()?,
            client_auth_required: self.client_auth_required,
            session_cache_entries: self.session_cache_entries,
            tickets: self.tickets,
            versions: self.versions,
        };
        Ok((settings.build(Arc::new(rustls::time_provider::DefaultTimeProvider))?, source))
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
