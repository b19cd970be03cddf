//! The platform seam for building services: everything [`ServiceConfig::build`]
//! needs from outside the process's memory goes through a [`BuildEnv`], so the
//! same configuration code runs on Linux ([`HostEnv`]) and in a VM image (an
//! env over files baked into the image). The configuration resolves relative
//! paths before asking, so a recording env sees exactly the paths it must bake in.
//!
//! A platform without std (a VM image) boots an appliance like this:
//!
//! ```no_run
//! use appliance::config::{Config, Overrides, StackChoice};
//! use appliance::device::HostDevice;
//! use appliance::env::BuildEnv;
//! use appliance::metrics::Metrics;
//! use appliance::service::Instant;
//! use appliance::stack::direct::DirectStack;
//!
//! fn boot<D: HostDevice>(device: D, env: &dyn BuildEnv, now: Instant) -> DirectStack<D> {
//!     let text = String::from_utf8(env.read("/appliance.toml").unwrap()).unwrap();
//!     let config = Config::parse(&text, "/appliance.toml").unwrap();
//!     let appliance = config.resolve_in(&text, "/appliance.toml", &Overrides::default(), env).unwrap();
//!     let StackChoice::Tap { direct, .. } = appliance.stack else { panic!("stack = \"tap:...\"") };
//!     let mut services = Vec::new();
//!     for svc in &appliance.services {
//!         services.extend(svc.build(env).unwrap().services);
//!     }
//!     DirectStack::new(device, direct, services, &Metrics::default(), now).unwrap()
//! }
//! // then: loop { stack.poll(now); sleep until stack.poll_at(now) or a frame }
//! ```
//!
//! [`ServiceConfig::build`]: crate::config::ServiceConfig::build

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use tls_glue::rustls::time_provider::TimeProvider;

/// What building an appliance's services needs from its platform: the files the
/// configuration names, a self-signed certificate when none is configured, randomness
/// and the wall clock TLS checks certificates against.
pub trait BuildEnv {
    /// The whole file at `path` (the path as resolved against the config file's directory,
    /// exactly as the std build would open it).
    fn read(&self, path: &str) -> Result<Vec<u8>, String>;
    /// Entries of directory `path`: (name, is_dir), sorted by name.
    fn list(&self, path: &str) -> Result<Vec<(String, bool)>, String>;
    /// A self-signed certificate chain and key, PEM, for these DNS names.
    fn self_signed(&self, names: &[String]) -> Result<(String, String), String>;
    /// A random 64-bit value (smoltcp seeds and the like).
    fn random_u64(&self) -> u64;
    /// The wall clock rustls checks certificate validity and ticket lifetimes with.
    fn time_provider(&self) -> Arc<dyn TimeProvider>;
}

/// `path` as the configuration at `origin` means it: relative paths are
/// relative to the directory of the config file (`origin`); absolute paths,
/// and paths in a config without a file (`<command line>`, `<default config>`),
/// stay as written (relative to the working directory).
pub fn resolve_path(origin: &str, path: &str) -> String {
    let dir = match origin.rfind('/') {
        Some(i) if !origin.starts_with('<') => &origin[..i],
        _ => "",
    };
    if path.starts_with('/') || dir.is_empty() { String::from(path) } else { alloc::format!("{dir}/{path}") }
}

/// The Linux process's platform: files through `std::fs`, certificates from
/// rcgen, the system clock, and a seed from the clock and the pid.
#[cfg(feature = "std")]
#[derive(Debug, Clone, Copy, Default)]
pub struct HostEnv;

#[cfg(feature = "std")]
impl BuildEnv for HostEnv {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        std::fs::read(path).map_err(|e| alloc::format!("{path}: cannot read: {e}"))
    }

    /// Follows symbolic links only to entries inside `path` itself (a link
    /// out of the listed directory, or a dangling one, is left out with a
    /// warning), so a site cannot be made to serve files from elsewhere.
    fn list(&self, path: &str) -> Result<Vec<(String, bool)>, String> {
        let err = |e: std::io::Error| alloc::format!("{path}: cannot list: {e}");
        let dir = std::fs::canonicalize(path).map_err(err)?;
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(err)? {
            let entry = entry.map_err(err)?;
            let Some(name) = entry.file_name().to_str().map(String::from) else {
                tracing::warn!(path = %entry.path().display(), "file name not UTF-8; left out");
                continue;
            };
            let target = match std::fs::canonicalize(entry.path()) {
                Ok(t) if t.starts_with(&dir) && t != dir => t,
                Ok(t) => {
                    tracing::warn!(link = %entry.path().display(), target = %t.display(), "link out of {path}; left out");
                    continue;
                }
                Err(e) => {
                    tracing::warn!(link = %entry.path().display(), "dangling link; left out: {e}");
                    continue;
                }
            };
            match std::fs::metadata(&target) {
                Ok(md) if md.is_dir() => out.push((name, true)),
                Ok(md) if md.is_file() => out.push((name, false)),
                Ok(_) => tracing::debug!(path = %target.display(), "not a regular file; left out"),
                Err(e) => return Err(err(e)),
            }
        }
        out.sort();
        Ok(out)
    }

    fn self_signed(&self, names: &[String]) -> Result<(String, String), String> {
        tls_glue::config::self_signed_pem(names).map_err(|e| e.to_string())
    }

    /// The clock mixed with the pid.
    fn random_u64(&self) -> u64 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let mut x = nanos ^ (u64::from(std::process::id()) << 32);
        // SplitMix64 finalizer: spread the bits.
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }

    fn time_provider(&self) -> Arc<dyn TimeProvider> {
        Arc::new(tls_glue::rustls::time_provider::DefaultTimeProvider)
    }
}

#[cfg(test)]
mod tests {
    use core::cell::RefCell;
    use std::collections::BTreeMap;

    use tls_glue::Session;
    use tls_glue::config::ClientSettings;
    use tls_glue::pki_types::pem::PemObject;
    use tls_glue::pki_types::{CertificateDer, ServerName};

    use super::*;
    use crate::config::{Config, Overrides, StackChoice};
    use crate::service::{ConnId, ConnInfo, Datagram, Instant, Service};
    use crate::services::testing::RecordingNet;

    #[test]
    fn relative_paths_resolve_against_the_config_directory() {
        assert_eq!(resolve_path("/etc/app/app.toml", "zones/a.zone"), "/etc/app/zones/a.zone");
        assert_eq!(resolve_path("conf/app.toml", "a.zone"), "conf/a.zone");
        assert_eq!(resolve_path("/etc/app/app.toml", "/srv/a.zone"), "/srv/a.zone");
        assert_eq!(resolve_path("app.toml", "a.zone"), "a.zone");
        assert_eq!(resolve_path("<command line>", "x/a.zone"), "x/a.zone");
    }

    /// Files in a map, no file system; records every path asked for.
    struct MemEnv {
        files: BTreeMap<String, Vec<u8>>,
        asked: RefCell<Vec<String>>,
    }

    impl BuildEnv for MemEnv {
        fn read(&self, path: &str) -> Result<Vec<u8>, String> {
            self.asked.borrow_mut().push(alloc::format!("read {path}"));
            self.files.get(path).cloned().ok_or_else(|| alloc::format!("{path}: no such file"))
        }
        fn list(&self, path: &str) -> Result<Vec<(String, bool)>, String> {
            self.asked.borrow_mut().push(alloc::format!("list {path}"));
            let prefix = alloc::format!("{path}/");
            let mut out: Vec<(String, bool)> = Vec::new();
            for key in self.files.keys().filter_map(|k| k.strip_prefix(&prefix)) {
                let entry = match key.split_once('/') {
                    Some((dir, _)) => (String::from(dir), true),
                    None => (String::from(key), false),
                };
                if !out.contains(&entry) {
                    out.push(entry);
                }
            }
            if out.is_empty() { Err(alloc::format!("{path}: no such directory")) } else { Ok(out) }
        }
        fn self_signed(&self, _names: &[String]) -> Result<(String, String), String> {
            Err("this env generates no certificates".into())
        }
        fn random_u64(&self) -> u64 {
            0x5eed
        }
        fn time_provider(&self) -> Arc<dyn TimeProvider> {
            Arc::new(tls_glue::rustls::time_provider::DefaultTimeProvider)
        }
    }

    const ZONE: &str = "$TTL 300\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.53\nwww A 192.0.2.80\n";

    const CONFIG: &str = r#"
[net]
stack = "tap:vm0"
addr = "10.0.0.2/24"

[[service]]
kind = "dns"
port = 53
zones = [{ file = "zones/example.test.zone", origin = "example.test" }]

[[service]]
kind = "https"
port = 443
root = "site"
[service.tls]
certificates = [{ cert = "tls/cert.pem", key = "/keys/key.pem" }]
"#;

    fn env() -> (MemEnv, String) {
        let (cert, key) = tls_glue::config::self_signed_pem(&["localhost".into()]).unwrap();
        let files = [
            ("/cfg/zones/example.test.zone", ZONE.as_bytes().to_vec()),
            ("/cfg/site/index.html", b"<h1>home</h1>".to_vec()),
            ("/cfg/site/sub/a.txt", b"from the map".to_vec()),
            ("/cfg/tls/cert.pem", cert.clone().into_bytes()),
            ("/keys/key.pem", key.into_bytes()),
        ];
        let files = files.into_iter().map(|(p, b)| (String::from(p), b)).collect();
        (MemEnv { files, asked: RefCell::new(Vec::new()) }, cert)
    }

    fn query_a(name: &str) -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        for label in name.split('.') {
            m.push(label.len() as u8);
            m.extend_from_slice(label.as_bytes());
        }
        m.extend_from_slice(&[0, 0, 1, 0, 1]);
        m
    }

    /// Drives a TLS client against `server` on one connection until nothing moves.
    fn converse(server: &mut dyn Service, net: &mut RecordingNet, client: &mut Session, got: &mut Vec<u8>) {
        let conn = ConnId(1);
        let mut inbox = Vec::new();
        for _ in 0..10_000 {
            client
                .process(|d| {
                    got.extend_from_slice(d);
                    d.len()
                })
                .unwrap();
            let out = client.ciphertext().to_vec();
            let took = if out.is_empty() { 0 } else { server.on_data(Instant::ZERO, net, conn, &out) };
            client.consume_ciphertext(took);
            let written: Vec<u8> = net.writes.drain(..).flat_map(|(_, d)| d).collect();
            inbox.extend_from_slice(&written);
            let n = client.receive(&inbox);
            inbox.drain(..n);
            if took == 0 && written.is_empty() && n == 0 {
                return;
            }
        }
        panic!("no quiet after 10 000 rounds");
    }

    #[test]
    fn services_build_and_answer_from_an_in_memory_env() {
        let (env, cert) = env();
        let config = Config::parse(CONFIG, "/cfg/app.toml").unwrap();
        let appliance = config.resolve_in(CONFIG, "/cfg/app.toml", &Overrides::default(), &env).unwrap();
        let StackChoice::Tap { direct, .. } = &appliance.stack else { panic!("a direct stack") };
        assert_eq!(direct.random_seed, 0x5eed, "the seed comes from the env");
        let mut dns = appliance.services[0].build(&env).unwrap();
        let mut https = appliance.services[1].build(&env).unwrap();
        assert_eq!(
            *env.asked.borrow(),
            [
                "read /cfg/zones/example.test.zone",
                "list /cfg/site",
                "read /cfg/site/index.html",
                "list /cfg/site/sub",
                "read /cfg/site/sub/a.txt",
                "read /cfg/tls/cert.pem",
                "read /keys/key.pem",
            ],
            "exactly the resolved paths, each once"
        );

        // DNS over UDP: www.example.test A.
        let mut net = RecordingNet::default();
        let (local, peer) = ("10.0.0.2:53".parse().unwrap(), "10.0.0.9:5353".parse().unwrap());
        let query = query_a("www.example.test");
        dns.services[0].on_datagram(Instant::ZERO, &mut net, Datagram { local, peer, payload: &query });
        let (_, to, answer) = &net.datagrams[0];
        assert_eq!(*to, peer);
        assert_eq!(
            (answer[3] & 0x0f, u16::from_be_bytes([answer[6], answer[7]])),
            (0, 1),
            "NOERROR, one answer"
        );
        // After the 34-byte header and question: www (pointer) A IN, TTL 300, 192.0.2.80.
        assert_eq!(answer[34..50], [192, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 80], "{answer:?}");

        // HTTPS: a file from the map, over TLS with the certificate from the map.
        let https = &mut *https.services[0];
        assert_eq!(https.name(), "tls+http");
        let info = ConnInfo { local: "10.0.0.2:443".parse().unwrap(), peer, initiated: false };
        let mut net = RecordingNet::default();
        https.on_open(Instant::ZERO, &mut net, ConnId(1), info);
        let roots = vec![CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()];
        let client_config = ClientSettings { roots, ..Default::default() }.build().unwrap();
        let mut client = Session::client(client_config, ServerName::try_from("localhost").unwrap()).unwrap();
        let mut got = Vec::new();
        converse(https, &mut net, &mut client, &mut got);
        assert!(!client.is_handshaking(), "handshake done");
        client.send_plaintext(b"GET /sub/a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n");
        converse(https, &mut net, &mut client, &mut got);
        let text = String::from_utf8_lossy(&got);
        assert!(text.starts_with("HTTP/1.1 200 ") && text.ends_with("\r\n\r\nfrom the map"), "{text}");
    }

    #[test]
    fn a_missing_file_fails_the_build_naming_its_path() {
        let (mut env, _) = env();
        env.files.remove("/keys/key.pem");
        let config = Config::parse(CONFIG, "/cfg/app.toml").unwrap();
        let appliance = config.resolve_in(CONFIG, "/cfg/app.toml", &Overrides::default(), &env).unwrap();
        let err = appliance.services[1].build(&env).unwrap_err().to_string();
        assert!(err.contains("/keys/key.pem"), "{err}");
        // No certificate and an env that cannot generate one: the env's reason comes back.
        let text = "[[service]]\nkind = \"https\"\nroot = \"site\"\n";
        let appliance = Config::parse(text, "/cfg/app.toml")
            .unwrap()
            .resolve_in(text, "/cfg/app.toml", &Overrides::default(), &env)
            .unwrap();
        let err = appliance.services[0].build(&env).unwrap_err().to_string();
        assert!(err.contains("generates no certificates"), "{err}");
    }
}
