//! A tls-glue server session fed arbitrary bytes, split at arbitrary points:
//! it must never panic, an error must stay recorded in the session, and no
//! plaintext can come out of bytes that never completed a handshake.
//!
//! Input: byte 0 picks the split step; the rest is the client's bytes. The
//! server config (a self-signed certificate) is made once.

#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use tls_glue::Session;
use tls_glue::config::ServerSettings;
use tls_glue::rustls::ServerConfig;

fn config() -> Arc<ServerConfig> {
    static CONFIG: OnceLock<Arc<ServerConfig>> = OnceLock::new();
    Arc::clone(CONFIG.get_or_init(|| {
        let settings = ServerSettings {
            self_signed_names: vec!["localhost".into()],
            alpn: vec![b"http/1.1".to_vec()],
            ..Default::default()
        };
        settings.build().expect("self-signed config").0
    }))
}

fuzz_target!(|data: &[u8]| {
    let Some((&step, stream)) = data.split_first() else { return };
    let step = usize::from(step).max(1);
    let mut session = Session::server(config()).expect("session");
    let mut plaintext = 0usize;
    for chunk in stream.chunks(step) {
        let mut offered = chunk;
        while !offered.is_empty() {
            let taken = session.receive(offered);
            let result = session.process(|p| {
                plaintext += p.len();
                p.len()
            });
            let out = session.ciphertext().len();
            session.consume_ciphertext(out);
            if result.is_err() {
                assert!(session.error().is_some());
                return;
            }
            if taken == 0 {
                break;
            }
            offered = &offered[taken..];
        }
    }
    // No handshake completes with bytes that were never a client's, so no
    // application data can have come out.
    assert_eq!(plaintext, 0);
});
