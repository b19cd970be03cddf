//! What a bootable VM image carries and how it starts: the configuration and
//! every file it names, baked in at build time, plus the parameters of the
//! kernel command line.
//!
//! `cargo xtask image` builds the appliance's services once on the host
//! through a [`RecordingEnv`] (so the config is checked exactly as the
//! image will check it, and every file read is recorded), writes the
//! [`Bundle`], and links it into the kernel. At boot the kernel decodes the
//! bundle, serves the files from it with a [`BundleEnv`], applies the
//! [`BootArgs`] and builds the same services with the same code.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::net::Ipv4Addr;

use serde::{Deserialize, Serialize};
use smoltcp::wire::EthernetAddress;
use tls_glue::rustls::time_provider::TimeProvider;

use crate::config::{Appliance, Config, ConfigError, Overrides, ServiceConfig, StackKind};
use crate::env::BuildEnv;

/// The first bytes of an encoded [`Bundle`]; the digit is the format version.
const MAGIC: &[u8; 8] = b"APLIMG1\n";

/// The configuration of an image and the files it names, by the path the
/// configuration resolves them to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    /// Where the configuration came from (for messages: file:line).
    pub config_origin: String,
    /// The configuration file's text.
    pub config_text: String,
    /// Every file read while building the services.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Every directory listed (a static site's tree).
    pub dirs: BTreeMap<String, Vec<(String, bool)>>,
    /// Self-signed certificates made at build time: names, chain PEM, key PEM.
    pub certificates: Vec<(Vec<String>, String, String)>,
}

impl Bundle {
    /// The bytes linked into the kernel.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        // Serializing plain owned data into a Vec cannot fail.
        out.extend(postcard::to_allocvec(self).unwrap_or_default());
        out
    }

    /// Decodes [`encode`](Self::encode)'s bytes; an error says why not.
    pub fn decode(bytes: &[u8]) -> Result<Bundle, String> {
        let body = bytes.strip_prefix(MAGIC.as_slice()).ok_or_else(|| {
            if bytes.is_empty() {
                "no appliance is baked into this kernel: build it with `cargo xtask image`".to_string()
            } else {
                "the baked-in bundle is not one this kernel reads (built by another version?)".to_string()
            }
        })?;
        postcard::from_bytes(body).map_err(|e| format!("the baked-in bundle is damaged: {e}"))
    }

    /// Bytes of all the files carried.
    pub fn file_bytes(&self) -> usize {
        self.files.values().map(Vec::len).sum()
    }
}

/// A [`BuildEnv`] that passes everything to another one and records what
/// the build needed into a [`Bundle`].
pub struct RecordingEnv<'a> {
    inner: &'a dyn BuildEnv,
    bundle: RefCell<Bundle>,
}

impl<'a> RecordingEnv<'a> {
    /// Records the build of the configuration `config_text` (read from `origin`) over `inner`.
    pub fn new(inner: &'a dyn BuildEnv, origin: &str, config_text: &str) -> Self {
        let bundle = Bundle {
            config_origin: origin.to_string(),
            config_text: config_text.to_string(),
            ..Bundle::default()
        };
        RecordingEnv { inner, bundle: RefCell::new(bundle) }
    }

    /// What was recorded.
    pub fn into_bundle(self) -> Bundle {
        self.bundle.into_inner()
    }
}

impl BuildEnv for RecordingEnv<'_> {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        let bytes = self.inner.read(path)?;
        self.bundle.borrow_mut().files.insert(path.to_string(), bytes.clone());
        Ok(bytes)
    }

    fn list(&self, path: &str) -> Result<Vec<(String, bool)>, String> {
        let entries = self.inner.list(path)?;
        self.bundle.borrow_mut().dirs.insert(path.to_string(), entries.clone());
        Ok(entries)
    }

    fn self_signed(&self, names: &[String]) -> Result<(String, String), String> {
        let (chain, key) = self.inner.self_signed(names)?;
        self.bundle.borrow_mut().certificates.push((names.to_vec(), chain.clone(), key.clone()));
        Ok((chain, key))
    }

    fn random_u64(&self) -> u64 {
        self.inner.random_u64()
    }

    fn time_provider(&self) -> Arc<dyn TimeProvider> {
        self.inner.time_provider()
    }
}

/// A [`BuildEnv`] over a [`Bundle`]: the files a VM image carries. Randomness
/// and the clock come from the platform.
pub struct BundleEnv<'a> {
    bundle: &'a Bundle,
    random_u64: fn() -> u64,
    time: Arc<dyn TimeProvider>,
}

impl<'a> BundleEnv<'a> {
    /// Serves `bundle`'s files, with the platform's randomness and clock.
    pub fn new(bundle: &'a Bundle, random_u64: fn() -> u64, time: Arc<dyn TimeProvider>) -> Self {
        BundleEnv { bundle, random_u64, time }
    }
}

impl BuildEnv for BundleEnv<'_> {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        self.bundle.files.get(path).cloned().ok_or_else(|| format!("{path}: not in the image"))
    }

    fn list(&self, path: &str) -> Result<Vec<(String, bool)>, String> {
        self.bundle.dirs.get(path).cloned().ok_or_else(|| format!("{path}: not in the image"))
    }

    fn self_signed(&self, names: &[String]) -> Result<(String, String), String> {
        self.bundle
            .certificates
            .iter()
            .find(|(n, _, _)| n.as_slice() == names)
            .map(|(_, chain, key)| (chain.clone(), key.clone()))
            .ok_or_else(|| format!("no self-signed certificate for {names:?} in the image"))
    }

    fn random_u64(&self) -> u64 {
        (self.random_u64)()
    }

    fn time_provider(&self) -> Arc<dyn TimeProvider> {
        Arc::clone(&self.time)
    }
}

/// The kernel command line (`qemu -append "..."`): space-separated
/// `key=value` words that override the configuration.
///
/// - `addr=CIDR` or `addr=dhcp`, `gateway=IPV4`: IPv4 addressing;
/// - `mac=02:00:00:00:00:02`: the Ethernet address (default: the NIC's own);
/// - `log=off|error|warn|info|debug|trace`: the console's log level;
/// - `selftest=exception|panic`: the platform's failure paths (print, power off);
/// - `KIND.KEY=PORT`, e.g. `dns.port=53`, `https.http_port=80`: a port of
///   the first service of that kind (`port`, `tls_port`, `http_port`, `api_port`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BootArgs {
    /// `addr=`.
    pub addr: Option<String>,
    /// `gateway=`.
    pub gateway: Option<Ipv4Addr>,
    /// `mac=`.
    pub mac: Option<EthernetAddress>,
    /// `log=`.
    pub log: Option<String>,
    /// `KIND.KEY=PORT` words, in order.
    pub ports: Vec<(String, String, u16)>,
}

impl BootArgs {
    /// Parses a command line; an error names the word that is wrong.
    pub fn parse(cmdline: &str) -> Result<BootArgs, String> {
        let mut args = BootArgs::default();
        for word in cmdline.split_ascii_whitespace() {
            let (key, value) =
                word.split_once('=').ok_or_else(|| format!("boot argument `{word}`: expected key=value"))?;
            let bad = |what: &str| format!("boot argument `{word}`: {what}");
            match key {
                "addr" => args.addr = Some(value.to_string()),
                "gateway" => args.gateway = Some(value.parse().map_err(|_| bad("not an IPv4 address"))?),
                "mac" => {
                    let mac: crate::config::Mac = value.parse().map_err(|e: String| bad(&e))?;
                    args.mac = Some(mac.0);
                }
                "log" => match value {
                    "off" | "error" | "warn" | "info" | "debug" | "trace" => {
                        args.log = Some(value.to_string())
                    }
                    _ => return Err(bad("log level is one of off, error, warn, info, debug, trace")),
                },
                // The platform's own: exercise the exception and panic paths.
                "selftest" => {}
                _ => {
                    let (kind, port_key) = key.split_once('.').ok_or_else(|| {
                        bad("unknown key (addr, gateway, mac, log, or KIND.port like dns.port)")
                    })?;
                    let port = value.parse().ok().filter(|p| *p != 0).ok_or_else(|| bad("not a port"))?;
                    args.ports.push((kind.to_string(), port_key.to_string(), port));
                }
            }
        }
        Ok(args)
    }
}

/// Resolves `config` for an image booted with `args`: the stack is always
/// the direct stack on the VM's NIC. A configuration written for host
/// sockets gets its address by DHCP (QEMU's user-mode network works as is)
/// unless the command line gives one; a direct-stack one keeps its `[net]`.
pub fn resolve(
    mut config: Config,
    text: &str,
    origin: &str,
    args: &BootArgs,
    env: &dyn BuildEnv,
) -> Result<Appliance, ConfigError> {
    let error = |message: String| ConfigError {
        origin: "the boot command line".to_string(),
        line: None,
        key: None,
        message,
    };
    if matches!(config.net.stack, StackKind::Socket) {
        config.net = Default::default();
    }
    for (kind, key, port) in &args.ports {
        let service = config
            .services
            .iter_mut()
            .map(|s| s.get_mut())
            .find(|s| s.kind() == kind.as_str())
            .ok_or_else(|| error(format!("`{kind}.{key}`: the image has no {kind} service")))?;
        *service
            .port_mut(key)
            .ok_or_else(|| error(format!("`{kind}.{key}`: a {kind} service has no port called {key}")))? =
            *port;
    }
    let overrides = Overrides {
        stack: Some(StackKind::Virtio),
        addr: args.addr.clone(),
        gateway: args.gateway,
        ..Overrides::default()
    };
    config.resolve_in(text, origin, &overrides, env)
}

impl ServiceConfig {
    /// The `kind = "..."` of this table.
    pub fn kind(&self) -> &'static str {
        match self {
            ServiceConfig::Echo { .. } => "echo",
            ServiceConfig::Discard { .. } => "discard",
            ServiceConfig::Iperf3 { .. } => "iperf3",
            ServiceConfig::Dns { .. } => "dns",
            ServiceConfig::Https { .. } => "https",
            ServiceConfig::Controller { .. } => "controller",
        }
    }

    /// The port setting called `key` (`port`, `tls_port`, `http_port`,
    /// `api_port`), to set it; None when this kind has no such setting.
    pub fn port_mut(&mut self, key: &str) -> Option<&mut u16> {
        match (self, key) {
            (
                ServiceConfig::Echo { port }
                | ServiceConfig::Discard { port }
                | ServiceConfig::Iperf3 { port }
                | ServiceConfig::Dns { port, .. }
                | ServiceConfig::Https { port, .. }
                | ServiceConfig::Controller { port, .. },
                "port",
            ) => Some(port),
            (
                ServiceConfig::Dns { tls_port, .. } | ServiceConfig::Controller { tls_port, .. },
                "tls_port",
            ) => Some(tls_port.get_or_insert(0)),
            (ServiceConfig::Https { http_port, .. }, "http_port") => Some(http_port.get_or_insert(0)),
            (ServiceConfig::Controller { api_port, .. }, "api_port") => Some(api_port.get_or_insert(0)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_args_parse_every_key_and_name_the_bad_word() {
        let args =
            BootArgs::parse("addr=10.0.0.2/24 gateway=10.0.0.1 mac=02:00:00:00:00:09 log=debug dns.port=53")
                .unwrap();
        assert_eq!(args.addr.as_deref(), Some("10.0.0.2/24"));
        assert_eq!(args.gateway, Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(args.mac, Some(EthernetAddress([2, 0, 0, 0, 0, 9])));
        assert_eq!(args.log.as_deref(), Some("debug"));
        assert_eq!(args.ports, [("dns".to_string(), "port".to_string(), 53)]);
        assert_eq!(BootArgs::parse("").unwrap(), BootArgs::default());
        for (line, word) in [
            ("addr", "`addr`"),
            ("gateway=10.0.0", "`gateway=10.0.0`"),
            ("log=loud", "`log=loud`"),
            ("dns.port=0", "`dns.port=0`"),
            ("speed=9", "`speed=9`"),
        ] {
            let e = BootArgs::parse(line).unwrap_err();
            assert!(e.contains(word), "{line}: {e}");
        }
    }

    #[test]
    fn a_bundle_round_trips_and_rejects_foreign_bytes() {
        let mut bundle =
            Bundle { config_origin: "a.toml".into(), config_text: "[net]\n".into(), ..Bundle::default() };
        bundle.files.insert("/z/a.zone".into(), b"zone".to_vec());
        bundle.dirs.insert("/site".into(), vec![("index.html".into(), false)]);
        bundle.certificates.push((vec!["localhost".into()], "CHAIN".into(), "KEY".into()));
        let bytes = bundle.encode();
        assert_eq!(Bundle::decode(&bytes).unwrap(), bundle);
        assert!(Bundle::decode(&[]).unwrap_err().contains("cargo xtask image"));
        assert!(Bundle::decode(b"something else").unwrap_err().contains("not one this kernel reads"));
        assert!(Bundle::decode(&bytes[..bytes.len() - 3]).unwrap_err().contains("damaged"));
    }

    #[test]
    fn port_overrides_reach_the_first_service_of_their_kind() {
        let text = "[[service]]\nkind = \"dns\"\nport = 5353\nzones = []\n";
        let config = Config::parse(text, "t.toml").unwrap();
        let mut svc = config.services[0].get_ref().clone();
        *svc.port_mut("port").unwrap() = 53;
        assert!(matches!(svc, ServiceConfig::Dns { port: 53, .. }));
        assert!(svc.port_mut("http_port").is_none());
        let args = BootArgs::parse("https.port=443").unwrap();
        let e = resolve(config, text, "t.toml", &args, &crate::env::HostEnv).unwrap_err();
        assert!(e.message.contains("no https service"), "{e}");
    }

    /// Builds the example configs as `cargo xtask image` does, then again
    /// from the decoded bundle alone, as the kernel does.
    #[test]
    fn an_example_builds_from_its_bundle_alone() {
        let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");
        for (name, baked) in [("dns", "zones/example.test.zone"), ("https", "site/index.html")] {
            let path = alloc::format!("{examples}/{name}.toml");
            let text = std::fs::read_to_string(&path).unwrap();
            let host = crate::env::HostEnv;
            let recorder = RecordingEnv::new(&host, &path, &text);
            let config = Config::parse(&text, &path).unwrap();
            let appliance = resolve(config, &text, &path, &BootArgs::default(), &recorder).unwrap();
            assert!(matches!(appliance.stack, crate::config::StackChoice::Virtio { .. }));
            for table in &appliance.services {
                table.build(&recorder).unwrap();
            }
            let bundle = Bundle::decode(&recorder.into_bundle().encode()).unwrap();
            assert!(bundle.files.keys().any(|f| f.ends_with(baked)), "{name}: {:?}", bundle.files.keys());

            let env = BundleEnv::new(&bundle, || 4, host.time_provider());
            let config = Config::parse(&bundle.config_text, &bundle.config_origin).unwrap();
            let args = BootArgs::parse("addr=10.0.0.2/24 gateway=10.0.0.1").unwrap();
            let appliance = resolve(config, &bundle.config_text, &bundle.config_origin, &args, &env).unwrap();
            let crate::config::StackChoice::Virtio { direct, .. } = &appliance.stack else { panic!() };
            assert!(matches!(direct.ipv4, crate::stack::direct::Ipv4Config::Static { .. }));
            for table in &appliance.services {
                table.build(&env).unwrap_or_else(|e| panic!("{name}: {e}"));
            }

            let mut empty = bundle.clone();
            empty.files.clear();
            let env = BundleEnv::new(&empty, || 4, host.time_provider());
            let config = Config::parse(&empty.config_text, &empty.config_origin).unwrap();
            let appliance = resolve(config, &empty.config_text, &empty.config_origin, &args, &env).unwrap();
            let e = appliance.services[0].build(&env).expect_err("files missing from the image");
            assert!(e.to_string().contains("not in the image"), "{name}: {e}");
        }
    }
}
