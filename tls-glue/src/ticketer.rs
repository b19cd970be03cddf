//! Session tickets without std: rustls's ring ticketer needs std's clock and
//! lock, so a no_std server would otherwise resume no session.
//!
//! Tickets are sealed with ChaCha20-Poly1305 (RFC 8439) under a random key
//! from ring's `SystemRandom`. Keys roll on the clock rustls is given: every
//! `lifetime` seconds a new key takes over and the one before it is kept for
//! one more period, then erased, so a ticket opens for at most two periods
//! (the forward-secrecy bound rustls asks ticketers to keep by key erasure).
//!
//! ## Wire format
//!
//! `key id (4) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`; the key id is the
//! key's generation, and is authenticated as associated data.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use rustls::server::ProducesTickets;
use rustls::time_provider::TimeProvider;

const ID_LEN: usize = 4;
const TAG_LEN: usize = 16;

/// A key and its generation.
struct Key {
    id: u32,
    key: LessSafeKey,
}

struct Keys {
    current: Key,
    previous: Option<Key>,
    /// Unix seconds at which `current` retires (None: no clock, never).
    rotate_at: Option<u64>,
}

/// Seals and opens session tickets, rolling keys on the given clock.
pub struct RotatingTicketer {
    time: Arc<dyn TimeProvider>,
    rng: SystemRandom,
    lifetime: u32,
    keys: spin::Mutex<Keys>,
}

impl fmt::Debug for RotatingTicketer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RotatingTicketer").field("lifetime", &self.lifetime).finish_non_exhaustive()
    }
}

/// The system's random source failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no randomness for a ticket key")]
pub struct NoRandomness;

impl RotatingTicketer {
    /// A ticketer whose keys serve `lifetime` seconds each (rustls's own uses 6 hours).
    pub fn new(time: Arc<dyn TimeProvider>, lifetime: u32) -> Result<Self, NoRandomness> {
        let rng = SystemRandom::new();
        let current = new_key(&rng, 0)?;
        let rotate_at = now(&*time).map(|t| t + u64::from(lifetime));
        let keys = spin::Mutex::new(Keys { current, previous: None, rotate_at });
        Ok(RotatingTicketer { time, rng, lifetime, keys })
    }

    /// Retires the current key when its period is over (and erases the one before).
    fn roll(&self, keys: &mut Keys) {
        let (Some(at), Some(now)) = (keys.rotate_at, now(&*self.time)) else { return };
        if now < at {
            return;
        }
        let Ok(next) = new_key(&self.rng, keys.current.id.wrapping_add(1)) else {
            // No randomness now: keep the old key and try again at the next ticket.
            return;
        };
        // More than one period late: the current key is past its second period too.
        let late = now >= at + u64::from(self.lifetime);
        let old = core::mem::replace(&mut keys.current, next);
        keys.previous = if late { None } else { Some(old) };
        keys.rotate_at = Some(now + u64::from(self.lifetime));
    }
}

fn now(time: &dyn TimeProvider) -> Option<u64> {
    time.current_time().map(|t| t.as_secs())
}

fn new_key(rng: &SystemRandom, id: u32) -> Result<Key, NoRandomness> {
    let mut bytes = [0u8; 32];
    rng.fill(&mut bytes).map_err(|_| NoRandomness)?;
    let key = UnboundKey::new(&CHACHA20_POLY1305, &bytes).map_err(|_| NoRandomness)?;
    Ok(Key { id, key: LessSafeKey::new(key) })
}

impl ProducesTickets for RotatingTicketer {
    fn enabled(&self) -> bool {
        true
    }

    fn lifetime(&self) -> u32 {
        self.lifetime
    }

    fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).ok()?;
        let mut keys = self.keys.lock();
        self.roll(&mut keys);
        let id = keys.current.id.to_be_bytes();
        let mut out = Vec::with_capacity(ID_LEN + NONCE_LEN + plain.len() + TAG_LEN);
        out.extend_from_slice(&id);
        out.extend_from_slice(&nonce);
        let mut sealed = plain.to_vec();
        keys.current
            .key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(id), &mut sealed)
            .ok()?;
        out.extend_from_slice(&sealed);
        Some(out)
    }

    fn decrypt(&self, cipher: &[u8]) -> Option<Vec<u8>> {
        if cipher.len() < ID_LEN + NONCE_LEN + TAG_LEN {
            return None;
        }
        let (id, rest) = cipher.split_at(ID_LEN);
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let id: [u8; ID_LEN] = id.try_into().ok()?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut keys = self.keys.lock();
        self.roll(&mut keys);
        let wanted = u32::from_be_bytes(id);
        let key =
            [Some(&keys.current), keys.previous.as_ref()].into_iter().flatten().find(|k| k.id == wanted)?;
        let mut buf = sealed.to_vec();
        let plain = key.key.open_in_place(nonce, Aad::from(id), &mut buf).ok()?;
        let len = plain.len();
        buf.truncate(len);
        Some(buf)
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use alloc::vec;
    use core::sync::atomic::{AtomicU64, Ordering};

    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

    use super::*;
    use crate::Session;
    use crate::config::{ClientSettings, self_signed_pem};
    use crate::pem::{PemFile, PemIdentity, PemServerSettings, Versions};

    /// A clock the test moves.
    #[derive(Debug, Default)]
    struct Clock(AtomicU64);

    impl TimeProvider for Clock {
        fn current_time(&self) -> Option<UnixTime> {
            Some(UnixTime::since_unix_epoch(core::time::Duration::from_secs(self.0.load(Ordering::Relaxed))))
        }
    }

    fn ticketer(start: u64) -> (RotatingTicketer, Arc<Clock>) {
        let clock = Arc::new(Clock(AtomicU64::new(start)));
        (RotatingTicketer::new(clock.clone(), 100).unwrap(), clock)
    }

    #[test]
    fn a_ticket_opens_and_a_changed_one_does_not() {
        let (t, _) = ticketer(1_000);
        let sealed = t.encrypt(b"session state").unwrap();
        assert_eq!(sealed.len(), ID_LEN + NONCE_LEN + 13 + TAG_LEN);
        assert_eq!(t.decrypt(&sealed).unwrap(), b"session state");
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert_eq!(t.decrypt(&bad), None, "byte {i} flipped");
        }
        assert_eq!(t.decrypt(&sealed[..sealed.len() - 1]), None);
        assert_eq!(t.decrypt(&[]), None);
        assert_ne!(t.encrypt(b"session state").unwrap(), sealed, "fresh nonce per ticket");
    }

    #[test]
    fn another_ticketer_cannot_open_it() {
        let (a, _) = ticketer(1_000);
        let (b, _) = ticketer(1_000);
        assert_eq!(b.decrypt(&a.encrypt(b"x").unwrap()), None);
    }

    #[test]
    fn keys_roll_and_are_erased_after_two_periods() {
        let (t, clock) = ticketer(1_000);
        let first = t.encrypt(b"first").unwrap();
        clock.0.store(1_100, Ordering::Relaxed); // one period: a new key, the old one kept
        let second = t.encrypt(b"second").unwrap();
        assert_ne!(first[..ID_LEN], second[..ID_LEN]);
        assert_eq!(t.decrypt(&first).unwrap(), b"first");
        clock.0.store(1_200, Ordering::Relaxed); // two periods: the first key is gone
        assert_eq!(t.decrypt(&first), None);
        assert_eq!(t.decrypt(&second).unwrap(), b"second");
        clock.0.store(1_500, Ordering::Relaxed); // long idle: nothing older survives
        assert_eq!(t.decrypt(&second), None);
        assert_eq!(t.decrypt(&t.encrypt(b"third").unwrap()).unwrap(), b"third");
    }

    /// Moves bytes both ways until neither side has anything to say.
    fn settle(client: &mut Session, server: &mut Session) {
        for _ in 0..1000 {
            let to_server = server.receive(client.ciphertext());
            client.consume_ciphertext(to_server);
            let to_client = client.receive(server.ciphertext());
            server.consume_ciphertext(to_client);
            client.process(|d| d.len()).unwrap();
            server.process(|d| d.len()).unwrap();
            if to_server == 0
                && to_client == 0
                && client.ciphertext().is_empty()
                && server.ciphertext().is_empty()
            {
                return;
            }
        }
        panic!("no quiet after 1000 rounds");
    }

    #[test]
    fn a_server_resumes_sessions_by_its_tickets_in_both_versions() {
        let (cert, key) = self_signed_pem(&["localhost".into()]).unwrap();
        let file = |pem: &str| PemFile { name: "generated".into(), pem: pem.as_bytes().to_vec() };
        let roots = vec![CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()];
        for versions in [Versions::Tls13, Versions::Tls12] {
            let settings = PemServerSettings {
                identities: vec![PemIdentity { cert: file(&cert), key: file(&key) }],
                versions,
                tickets: false,
                session_cache_entries: 0,
                ..PemServerSettings::default()
            };
            let (ticketer, _) = ticketer(1_000);
            let mut server = (*settings.build(Arc::new(Clock::default())).unwrap()).clone();
            server.ticketer = Arc::new(ticketer);
            server.send_tls13_tickets = 2;
            let server = Arc::new(server);
            let client =
                ClientSettings { roots: roots.clone(), session_cache_entries: 8, ..Default::default() };
            let client = client.build().unwrap();
            let mut resumed = Vec::new();
            for _ in 0..2 {
                let name = ServerName::try_from("localhost").unwrap();
                let mut c = Session::client(client.clone(), name).unwrap();
                let mut s = Session::server(server.clone()).unwrap();
                settle(&mut c, &mut s);
                // TLS 1.3 tickets come after the handshake, with the first data.
                s.send_plaintext(b"hi");
                settle(&mut c, &mut s);
                assert!(!c.is_handshaking() && !s.is_handshaking());
                assert_eq!(c.is_resumed(), s.is_resumed());
                resumed.push(s.is_resumed());
            }
            assert_eq!(resumed, [false, true], "{versions:?}");
        }
    }
}
