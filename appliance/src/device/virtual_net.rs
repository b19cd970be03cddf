//! An in-memory Ethernet network that joins any number of stacks in one
//! thread, with seeded faults and virtual time: simulation tests run whole
//! conversations (ARP, TCP handshakes, retransmissions) deterministically
//! and in milliseconds, whatever delays and timeouts they involve.
//!
//! ```text
//!  stack A ── VirtualPort 0 ─┐                      ┌─ VirtualPort 1 ── stack B
//!                            ├── learning switch ───┤
//!  stack C ── VirtualPort 2 ─┘  (faults, delays,    └─ ...
//!                                per-port queues)
//! ```
//!
//! - [`VirtualNetwork`] is a learning switch: it learns source MACs per
//!   port, sends unicast frames to the learned port and floods unknown,
//!   broadcast and multicast destinations to every other port.
//! - Each delivered copy of a frame meets the [`Faults`] (loss, duplication,
//!   reordering, corruption) drawn from a seeded PRNG, then waits in the
//!   receiving port's queue until its delivery time (transmit time + delay).
//!   [`VirtualPort::receive`](Device::receive) only yields frames that are
//!   due at the `now` it is given.
//! - [`VirtualNetwork::run`] drives [`Node`]s: in [`TimeMode::Virtual`] it
//!   jumps from one deadline or delivery to the next, so a 60 s timeout
//!   costs nothing; [`TimeMode::Real`] sleeps instead, for debugging
//!   with real clocks.
//!
//! Everything is single-threaded (`Rc<RefCell<..>>`), like one event loop.

use std::cell::RefCell;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::io;
use std::os::fd::RawFd;
use std::rc::Rc;

use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::{Duration, Instant};

use crate::device::HostDevice;

/// Length of an Ethernet header (destination, source, EtherType).
const ETHERNET_HEADER_LEN: usize = 14;

/// Default IP MTU of a port made by [`VirtualNetwork::port`].
pub const DEFAULT_MTU: usize = 1500;

/// Default bound on frames waiting in one port's queue; more are dropped
/// and counted in [`NetStats::queue_drops`].
pub const DEFAULT_QUEUE_LIMIT: usize = 4096;

/// Consecutive rounds of polling at one instant after which
/// [`VirtualNetwork::run`] gives up with [`StallReason::Livelock`].
pub const MAX_POLLS_AT_ONE_INSTANT: u64 = 1_000_000;

/// Longest single sleep in [`TimeMode::Real`].
const REAL_SLICE: std::time::Duration = std::time::Duration::from_millis(10);

/// Spare frame buffers kept for reuse.
const SPARE_BUFFERS: usize = 1024;

/// What the network does to each delivered copy of a frame.
///
/// Probabilities are per copy, in `0.0..=1.0` (values outside are clamped;
/// NaN counts as 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Faults {
    /// Probability that a copy is lost.
    pub loss: f64,
    /// Probability that a copy arrives twice.
    pub duplicate: f64,
    /// Probability that a copy gets an extra random delay of up to `jitter`
    /// (up to 1 ms when `jitter` is zero), so later frames overtake it.
    pub reorder: f64,
    /// Probability that one random byte after the Ethernet header is flipped,
    /// for the IP/TCP/UDP checksums to catch. (ARP has no checksum: a
    /// corrupted ARP frame can poison a neighbor cache, as on a real wire.)
    pub corrupt: f64,
    /// One-way latency of every frame.
    pub delay: Duration,
    /// Upper bound of the extra delay of reordered frames.
    pub jitter: Duration,
}

impl Faults {
    /// A perfect network: no loss, no delay.
    pub const fn none() -> Self {
        Faults {
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            corrupt: 0.0,
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
        }
    }
}

impl Default for Faults {
    fn default() -> Self {
        Faults::none()
    }
}

/// What the network did with the frames it was given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NetStats {
    /// Frames transmitted by ports.
    pub sent: u64,
    /// Copies handed to a receiving port's stack.
    pub delivered: u64,
    /// Copies lost to [`Faults::loss`].
    pub lost: u64,
    /// Copies duplicated by [`Faults::duplicate`].
    pub duplicated: u64,
    /// Copies corrupted by [`Faults::corrupt`].
    pub corrupted: u64,
    /// Copies delayed extra by [`Faults::reorder`].
    pub reordered: u64,
    /// Copies dropped because the receiving port's queue was full.
    pub queue_drops: u64,
    /// Frames or copies larger than the sending or receiving port's MTU.
    pub oversized: u64,
    /// Frames shorter than an Ethernet header.
    pub malformed: u64,
    /// Unicast frames for a MAC learned on the sending port itself (a switch
    /// does not send a frame back where it came from).
    pub filtered: u64,
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough to
/// draw faults; seeded so that every run is reproducible.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// True with probability `p`. Draws nothing when `p` is 0 (or NaN).
    fn chance(&mut self, p: f64) -> bool {
        if p.is_nan() || p <= 0.0 {
            return false;
        }
        // 53 random bits as a float in [0, 1).
        let x = (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        x < p
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias is negligible
    /// for the small `n` used here). 0 when `n` is 0.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// `t + d`, saturating instead of overflowing.
fn add(t: Instant, d: Duration) -> Instant {
    let d = i64::try_from(d.total_micros()).unwrap_or(i64::MAX);
    Instant::from_micros(t.total_micros().saturating_add(d))
}

/// A frame on its way to one port.
#[derive(Debug)]
struct InFlight {
    at: Instant,
    seq: u64,
    frame: Vec<u8>,
}

impl PartialEq for InFlight {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for InFlight {}
impl PartialOrd for InFlight {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for InFlight {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

#[derive(Debug)]
struct PortState {
    /// Min-heap by (delivery time, sequence number).
    queue: BinaryHeap<Reverse<InFlight>>,
    max_frame: usize,
    attached: bool,
}

/// The shared state behind [`VirtualNetwork`] and its ports.
#[derive(Debug)]
struct Switch {
    faults: Faults,
    rng: Rng,
    ports: Vec<PortState>,
    /// Learned MAC address → port.
    table: HashMap<[u8; 6], usize>,
    seq: u64,
    queue_limit: usize,
    stats: NetStats,
    spare: Vec<Vec<u8>>,
}

impl Switch {
    fn buffer(&mut self, len: usize) -> Vec<u8> {
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.resize(len, 0);
        buf
    }

    fn copy_of(&mut self, frame: &[u8]) -> Vec<u8> {
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(frame);
        buf
    }

    fn recycle(&mut self, buf: Vec<u8>) {
        if self.spare.len() < SPARE_BUFFERS {
            self.spare.push(buf);
        }
    }

    /// Switches one frame that port `from` transmitted at `at`.
    fn forward(&mut self, from: usize, at: Instant, frame: Vec<u8>) {
        self.stats.sent += 1;
        let (Some(dst), Some(src), true) =
            (frame.get(0..6), frame.get(6..12), frame.len() >= ETHERNET_HEADER_LEN)
        else {
            self.stats.malformed += 1;
            return self.recycle(frame);
        };
        let too_big = self.ports.get(from).is_none_or(|p| frame.len() > p.max_frame);
        if too_big {
            self.stats.oversized += 1;
            return self.recycle(frame);
        }
        let is_group = |mac: &[u8]| mac.first().is_some_and(|b| b & 1 != 0);
        if !is_group(src)
            && let Ok(src) = <[u8; 6]>::try_from(src)
        {
            self.table.insert(src, from);
        }
        let learned = if is_group(dst) {
            None
        } else {
            <[u8; 6]>::try_from(dst).ok().and_then(|dst| self.table.get(&dst).copied())
        };
        match learned {
            Some(to) if to == from => {
                self.stats.filtered += 1;
                self.recycle(frame);
            }
            Some(to) => self.deliver(to, at, frame),
            None => {
                for to in 0..self.ports.len() {
                    if to != from && self.ports[to].attached {
                        let copy = self.copy_of(&frame);
                        self.deliver(to, at, copy);
                    }
                }
                self.recycle(frame);
            }
        }
    }

    /// Applies loss and duplication to one copy bound for port `to`.
    fn deliver(&mut self, to: usize, at: Instant, frame: Vec<u8>) {
        let Some(port) = self.ports.get(to) else {
            return self.recycle(frame);
        };
        if frame.len() > port.max_frame {
            self.stats.oversized += 1;
            return self.recycle(frame);
        }
        if self.rng.chance(self.faults.loss) {
            self.stats.lost += 1;
            return self.recycle(frame);
        }
        if self.rng.chance(self.faults.duplicate) {
            self.stats.duplicated += 1;
            let copy = self.copy_of(&frame);
            self.enqueue(to, at, copy);
        }
        self.enqueue(to, at, frame);
    }

    /// Applies corruption and delay to one copy and queues it at port `to`.
    fn enqueue(&mut self, to: usize, sent_at: Instant, mut frame: Vec<u8>) {
        if self.rng.chance(self.faults.corrupt) && frame.len() > ETHERNET_HEADER_LEN {
            let span = (frame.len() - ETHERNET_HEADER_LEN) as u64;
            let at = ETHERNET_HEADER_LEN + self.rng.below(span) as usize;
            let flip = 1 + self.rng.below(255) as u8;
            if let Some(byte) = frame.get_mut(at) {
                *byte ^= flip;
                self.stats.corrupted += 1;
            }
        }
        let mut at = add(sent_at, self.faults.delay);
        if self.rng.chance(self.faults.reorder) {
            let max = match self.faults.jitter.total_micros() {
                0 => 1000,
                us => us,
            };
            at = add(at, Duration::from_micros(1 + self.rng.below(max)));
            self.stats.reordered += 1;
        }
        let limit = self.queue_limit;
        let Some(port) = self.ports.get_mut(to) else {
            return self.recycle(frame);
        };
        if port.queue.len() >= limit {
            self.stats.queue_drops += 1;
            return self.recycle(frame);
        }
        self.seq += 1;
        port.queue.push(Reverse(InFlight { at, seq: self.seq, frame }));
    }

    /// The next frame due at port `id` by `now`.
    fn pop(&mut self, id: usize, now: Instant) -> Option<Vec<u8>> {
        let port = self.ports.get_mut(id)?;
        if port.queue.peek()?.0.at > now {
            return None;
        }
        let Reverse(item) = port.queue.pop()?;
        self.stats.delivered += 1;
        Some(item.frame)
    }

    fn next_delivery(&self) -> Option<Instant> {
        self.ports.iter().filter_map(|p| p.queue.peek().map(|Reverse(f)| f.at)).min()
    }

    fn detach(&mut self, id: usize) {
        let Some(port) = self.ports.get_mut(id) else {
            return;
        };
        port.attached = false;
        let queued = std::mem::take(&mut port.queue);
        for Reverse(item) in queued {
            self.recycle(item.frame);
        }
        self.table.retain(|_, p| *p != id);
    }
}

/// An in-memory learning Ethernet switch with seeded faults. Clones are
/// handles to the same network.
#[derive(Clone, Debug)]
pub struct VirtualNetwork {
    switch: Rc<RefCell<Switch>>,
}

impl VirtualNetwork {
    /// A network that applies `faults`, drawing them from a PRNG seeded
    /// with `seed`: the same seed and the same traffic give the same run.
    pub fn new(faults: Faults, seed: u64) -> Self {
        VirtualNetwork {
            switch: Rc::new(RefCell::new(Switch {
                faults,
                rng: Rng(seed),
                ports: Vec::new(),
                table: HashMap::new(),
                seq: 0,
                queue_limit: DEFAULT_QUEUE_LIMIT,
                stats: NetStats::default(),
                spare: Vec::new(),
            })),
        }
    }

    /// A new port with the default IP MTU of 1500.
    pub fn port(&self) -> VirtualPort {
        self.port_with_mtu(DEFAULT_MTU)
    }

    /// A new port with IP MTU `mtu` (largest frame `mtu + 14`). Frames larger
    /// than the receiving port's MTU are dropped, as a real NIC would.
    pub fn port_with_mtu(&self, mtu: usize) -> VirtualPort {
        let mut switch = self.switch.borrow_mut();
        let id = switch.ports.len();
        switch.ports.push(PortState {
            queue: BinaryHeap::new(),
            max_frame: mtu.saturating_add(ETHERNET_HEADER_LEN),
            attached: true,
        });
        VirtualPort { switch: Rc::clone(&self.switch), id, mtu }
    }

    /// The earliest delivery time of any frame in flight, on any port.
    pub fn next_delivery(&self) -> Option<Instant> {
        self.switch.borrow().next_delivery()
    }

    /// Counters since the network was made.
    pub fn stats(&self) -> NetStats {
        self.switch.borrow().stats
    }

    /// The faults in force.
    pub fn faults(&self) -> Faults {
        self.switch.borrow().faults
    }

    /// Changes the faults for frames sent from now on (e.g. a clean
    /// handshake, then a lossy transfer).
    pub fn set_faults(&self, faults: Faults) {
        self.switch.borrow_mut().faults = faults;
    }

    /// Changes the bound on frames waiting per port (default
    /// [`DEFAULT_QUEUE_LIMIT`]).
    pub fn set_queue_limit(&self, frames: usize) {
        self.switch.borrow_mut().queue_limit = frames;
    }

    /// Drives `nodes` from `start` until `done(now)` says so, and returns
    /// that `now`.
    ///
    /// Each round polls every node at `now`, asks `done(now)`, then finds the
    /// next moment anything happens: the earliest of every node's `poll_at`
    /// and [`next_delivery`](Self::next_delivery). In [`TimeMode::Virtual`]
    /// `now` jumps there; in [`TimeMode::Real`] the thread sleeps (in slices
    /// of at most 10 ms) and `now` follows the monotonic clock, offset to
    /// `start`.
    ///
    /// Fails with [`Stalled`] when nothing is pending anywhere, when `now`
    /// would pass `start + limit`, or after [`MAX_POLLS_AT_ONE_INSTANT`]
    /// rounds without time moving (a node that always wants polling now).
    pub fn run(
        &self,
        nodes: &mut [&mut dyn Node],
        mode: TimeMode,
        start: Instant,
        limit: Duration,
        mut done: impl FnMut(Instant) -> bool,
    ) -> Result<Instant, Stalled> {
        let wall_start = std::time::Instant::now();
        let end = add(start, limit);
        let mut now = start;
        let mut last = None;
        let mut polls_at_now = 0u64;
        loop {
            if last == Some(now) {
                polls_at_now += 1;
                if polls_at_now >= MAX_POLLS_AT_ONE_INSTANT {
                    return Err(Stalled { at: now, reason: StallReason::Livelock { polls: polls_at_now } });
                }
            } else {
                polls_at_now = 0;
                last = Some(now);
            }

            for node in nodes.iter_mut() {
                node.poll(now);
            }
            if done(now) {
                return Ok(now);
            }
            let time_limit = Stalled { at: now, reason: StallReason::TimeLimit { limit } };
            if now > end {
                return Err(time_limit);
            }
            let mut next = self.next_delivery();
            for node in nodes.iter_mut() {
                if let Some(t) = node.poll_at(now) {
                    next = Some(next.map_or(t, |n| n.min(t)));
                }
            }
            let Some(next) = next else {
                return Err(Stalled { at: now, reason: StallReason::Idle });
            };
            match mode {
                TimeMode::Virtual => {
                    if next > end {
                        return Err(time_limit);
                    }
                    now = now.max(next);
                }
                TimeMode::Real => {
                    if next > now {
                        let wait = std::time::Duration::from_micros((next - now).total_micros());
                        std::thread::sleep(wait.min(REAL_SLICE));
                    }
                    let elapsed = wall_start.elapsed().as_micros();
                    let elapsed = Duration::from_micros(u64::try_from(elapsed).unwrap_or(u64::MAX));
                    now = now.max(add(start, elapsed));
                }
            }
        }
    }
}

/// Something [`VirtualNetwork::run`] can drive: a stack with its services
/// (the direct stack implements it), or a test's own `Interface` wrapper.
pub trait Node {
    /// Does everything due at `now`: frames from the device, timers, and
    /// whatever the node's applications want to send.
    fn poll(&mut self, now: Instant);

    /// When the node next wants [`poll`](Self::poll) (a time `<= now` means
    /// at once), or None when only an arriving frame can give it work.
    fn poll_at(&mut self, now: Instant) -> Option<Instant>;
}

/// How [`VirtualNetwork::run`] moves the clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeMode {
    /// Jump straight to the next deadline or delivery: deterministic, and as
    /// fast as the CPU allows.
    Virtual,
    /// Sleep until the next deadline or delivery and read the monotonic
    /// clock.
    Real,
}

/// Why [`VirtualNetwork::run`] stopped before `done`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StallReason {
    /// No node has a deadline and no frame is in flight: nothing will ever
    /// happen again.
    Idle,
    /// The next event lies beyond `start + limit`.
    TimeLimit {
        /// The limit that was given.
        limit: Duration,
    },
    /// Time did not move for this many rounds of polling.
    Livelock {
        /// Rounds polled at the same instant.
        polls: u64,
    },
}

/// [`VirtualNetwork::run`] could not reach `done`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stalled {
    /// The time reached.
    pub at: Instant,
    /// What happened.
    pub reason: StallReason,
}

impl fmt::Display for Stalled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "simulation stalled at {}: ", self.at)?;
        match self.reason {
            StallReason::Idle => f.write_str("nothing pending (no deadline, no frame in flight)"),
            StallReason::TimeLimit { limit } => {
                write!(f, "not done within the time limit of {limit}")
            }
            StallReason::Livelock { polls } => {
                write!(f, "time stood still for {polls} rounds of polling")
            }
        }
    }
}

impl std::error::Error for Stalled {}

/// One port of a [`VirtualNetwork`]: a smoltcp Ethernet [`Device`] with its
/// own incoming queue. Dropping it unplugs it from the switch.
#[derive(Debug)]
pub struct VirtualPort {
    switch: Rc<RefCell<Switch>>,
    id: usize,
    mtu: usize,
}

impl VirtualPort {
    /// The port's number on its switch (0, 1, ... in order of creation).
    pub fn id(&self) -> usize {
        self.id
    }

    /// The port's IP MTU.
    pub fn mtu(&self) -> usize {
        self.mtu
    }

    /// Frames waiting for this port, due or not.
    pub fn queued(&self) -> usize {
        self.switch.borrow().ports.get(self.id).map_or(0, |p| p.queue.len())
    }
}

impl Drop for VirtualPort {
    fn drop(&mut self) {
        if let Ok(mut switch) = self.switch.try_borrow_mut() {
            switch.detach(self.id);
        }
    }
}

impl Device for VirtualPort {
    type RxToken<'a>
        = PortRxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = PortTxToken<'a>
    where
        Self: 'a;

    fn receive(&mut self, timestamp: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let frame = self.switch.borrow_mut().pop(self.id, timestamp)?;
        Some((
            PortRxToken { frame, switch: &self.switch },
            PortTxToken { switch: &self.switch, port: self.id, timestamp },
        ))
    }

    fn transmit(&mut self, timestamp: Instant) -> Option<Self::TxToken<'_>> {
        Some(PortTxToken { switch: &self.switch, port: self.id, timestamp })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = self.mtu.saturating_add(ETHERNET_HEADER_LEN);
        caps.max_burst_size = None;
        caps
    }
}

impl HostDevice for VirtualPort {
    fn wait_fd(&self) -> Option<RawFd> {
        None
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A frame taken from a [`VirtualPort`]'s queue.
#[derive(Debug)]
pub struct PortRxToken<'a> {
    frame: Vec<u8>,
    switch: &'a RefCell<Switch>,
}

impl phy::RxToken for PortRxToken<'_> {
    fn consume<R, F>(self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R,
    {
        // No borrow of the switch is held while `f` runs: smoltcp may send a
        // reply through the paired transmit token from inside it.
        let result = f(&self.frame);
        if let Ok(mut switch) = self.switch.try_borrow_mut() {
            switch.recycle(self.frame);
        }
        result
    }
}

/// Permission to send one frame into the [`VirtualNetwork`].
#[derive(Debug)]
pub struct PortTxToken<'a> {
    switch: &'a RefCell<Switch>,
    port: usize,
    timestamp: Instant,
}

impl phy::TxToken for PortTxToken<'_> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        let mut frame = match self.switch.try_borrow_mut() {
            Ok(mut switch) => switch.buffer(len),
            Err(_) => vec![0; len],
        };
        let result = f(&mut frame);
        if let Ok(mut switch) = self.switch.try_borrow_mut() {
            switch.forward(self.port, self.timestamp, frame);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
    use smoltcp::phy::{RxToken as _, TxToken as _};
    use smoltcp::socket::{tcp, udp};
    use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, IpEndpoint};

    const T0: Instant = Instant::ZERO;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn send(port: &mut VirtualPort, at: Instant, frame: &[u8]) {
        port.transmit(at).unwrap().consume(frame.len(), |buf| buf.copy_from_slice(frame));
    }

    fn recv(port: &mut VirtualPort, at: Instant) -> Option<Vec<u8>> {
        let (rx, _tx) = port.receive(at)?;
        Some(rx.consume(|f| f.to_vec()))
    }

    fn recv_all(port: &mut VirtualPort, at: Instant) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| recv(port, at)).collect()
    }

    /// An Ethernet frame from MAC `..:src` to `dst` with a `tag` byte payload.
    fn eth(dst: [u8; 6], src: u8, tag: u8, len: usize) -> Vec<u8> {
        let mut f = vec![tag; len.max(15)];
        f[0..6].copy_from_slice(&dst);
        f[6..12].copy_from_slice(&[2, 0, 0, 0, 0, src]);
        f[12..14].copy_from_slice(&[0x88, 0xb5]); // local experimental EtherType
        f
    }

    fn mac(n: u8) -> [u8; 6] {
        [2, 0, 0, 0, 0, n]
    }

    const BROADCAST: [u8; 6] = [0xff; 6];

    #[test]
    fn splitmix64_matches_the_reference_and_is_seeded() {
        let mut r = Rng(1_234_567);
        assert_eq!(r.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(r.next_u64(), 3_203_168_211_198_807_973);
        assert_eq!(r.next_u64(), 9_817_491_932_198_370_423);
        assert!(!Rng(1).chance(0.0) && !Rng(1).chance(f64::NAN) && Rng(1).chance(1.0));
        assert_eq!(Rng(9).below(0), 0);
        let mut r = Rng(5);
        assert!((0..1000).all(|_| r.below(7) < 7));
    }

    #[test]
    fn switch_learns_and_sends_unicast_only_to_the_learned_port() {
        let net = VirtualNetwork::new(Faults::none(), 1);
        let (mut a, mut b, mut c) = (net.port(), net.port(), net.port());

        // A → B while B is unknown: flooded to B and C.
        send(&mut a, T0, &eth(mac(2), 1, 0xa1, 60));
        assert_eq!(recv_all(&mut b, T0).len(), 1);
        assert_eq!(recv_all(&mut c, T0).len(), 1);
        assert!(recv_all(&mut a, T0).is_empty(), "never back to the sender");

        // B → A: A was learned on port 0, so only A gets it (and B is learned).
        send(&mut b, T0, &eth(mac(1), 2, 0xb1, 60));
        assert_eq!(recv_all(&mut a, T0), vec![eth(mac(1), 2, 0xb1, 60)]);
        assert!(recv_all(&mut c, T0).is_empty());

        // A → B again: now only B.
        send(&mut a, T0, &eth(mac(2), 1, 0xa2, 60));
        assert_eq!(recv_all(&mut b, T0), vec![eth(mac(2), 1, 0xa2, 60)]);
        assert!(recv_all(&mut c, T0).is_empty());

        // Broadcast and multicast flood.
        send(&mut c, T0, &eth(BROADCAST, 3, 0xc1, 60));
        send(&mut c, T0, &eth([0x33, 0x33, 0, 0, 0, 1], 3, 0xc2, 60));
        assert_eq!(recv_all(&mut a, T0).len(), 2);
        assert_eq!(recv_all(&mut b, T0).len(), 2);

        // A frame for a MAC learned on the sender's own port is filtered.
        send(&mut a, T0, &eth(mac(1), 9, 0, 60));
        assert_eq!(net.stats().filtered, 1);

        // Runts and oversized frames are counted, not forwarded.
        send(&mut a, T0, &[1, 2, 3]);
        send(&mut a, T0, &eth(BROADCAST, 1, 0, 1515));
        let s = net.stats();
        assert_eq!((s.malformed, s.oversized), (1, 1));
        assert_eq!(s.sent, 8);
        assert_eq!(s.delivered, 8);

        // An unplugged port gets nothing, and its MACs are forgotten.
        drop(c);
        send(&mut a, T0, &eth(mac(3), 1, 0, 60));
        assert_eq!(recv_all(&mut b, T0).len(), 1, "unknown again: flooded to B");
    }

    #[test]
    fn delivery_waits_for_the_delay_and_keeps_order() {
        let faults = Faults { delay: ms(5), ..Faults::none() };
        let net = VirtualNetwork::new(faults, 1);
        let (mut a, mut b) = (net.port(), net.port());
        for i in 0..3u8 {
            send(&mut a, Instant::from_millis(i), &eth(BROADCAST, 1, i, 60));
        }
        assert_eq!(net.next_delivery(), Some(Instant::from_millis(5)));
        assert!(recv(&mut b, Instant::from_millis(4)).is_none());
        let got = recv_all(&mut b, Instant::from_millis(6));
        assert_eq!(got.iter().map(|f| f[14]).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(net.next_delivery(), Some(Instant::from_millis(7)));
        assert_eq!(recv(&mut b, Instant::from_millis(7)).unwrap()[14], 2);
        assert_eq!(net.next_delivery(), None);
        assert_eq!(b.queued(), 0);
    }

    #[test]
    fn faults_hit_at_about_their_rates_and_reproducibly() {
        let faults =
            Faults { loss: 0.1, duplicate: 0.1, reorder: 0.2, corrupt: 0.1, delay: ms(1), jitter: ms(3) };
        let run = |seed| {
            let net = VirtualNetwork::new(faults, seed);
            let (mut a, mut b) = (net.port(), net.port());
            let mut got = Vec::new();
            for i in 0..10_000u32 {
                let mut f = eth(BROADCAST, 1, 0, 64);
                f[14..18].copy_from_slice(&i.to_be_bytes());
                let now = Instant::from_micros(i64::from(i) * 100);
                send(&mut a, now, &f);
                got.extend(recv_all(&mut b, now));
            }
            got.extend(recv_all(&mut b, Instant::from_secs(10)));
            (net.stats(), got)
        };
        let (s, got) = run(42);
        assert_eq!(s.sent, 10_000);
        let near = |n: u64, expect: u64| n.abs_diff(expect) < expect / 5;
        assert!(near(s.lost, 1000), "{s:?}");
        assert!(near(s.duplicated, 900), "{s:?}");
        assert!(near(s.reordered, 1980), "{s:?}");
        assert!(near(s.corrupted, 990), "{s:?}");
        assert_eq!(s.delivered as usize, got.len());
        assert_eq!(s.delivered, s.sent - s.lost + s.duplicated);
        // Corruption never touches the Ethernet header.
        assert!(got.iter().all(|f| f[..14] == eth(BROADCAST, 1, 0, 64)[..14]));
        // Some frames were overtaken.
        let seqs: Vec<u32> = got.iter().map(|f| u32::from_be_bytes(f[14..18].try_into().unwrap())).collect();
        assert!(seqs.windows(2).any(|w| w[0] > w[1]));
        // Same seed, same run; another seed, another run.
        assert_eq!(run(42), (s, got));
        assert_ne!(run(43).0, s);
    }

    #[test]
    fn corruption_flips_exactly_one_byte_after_the_header() {
        let net = VirtualNetwork::new(Faults { corrupt: 1.0, ..Faults::none() }, 7);
        let (mut a, mut b) = (net.port(), net.port());
        for _ in 0..100 {
            let f = eth(BROADCAST, 1, 0x55, 100);
            send(&mut a, T0, &f);
            let g = recv(&mut b, T0).unwrap();
            assert_eq!(f[..14], g[..14]);
            assert_eq!(f.iter().zip(&g).filter(|(x, y)| x != y).count(), 1);
        }
        // A bare header has nothing to corrupt.
        send(&mut a, T0, &eth(BROADCAST, 1, 0, 14)[..14]);
        assert_eq!(recv(&mut b, T0).unwrap().len(), 14);
        assert_eq!(net.stats().corrupted, 100);
    }

    #[test]
    fn queues_are_bounded() {
        let net = VirtualNetwork::new(Faults::none(), 1);
        net.set_queue_limit(3);
        let (mut a, mut b) = (net.port(), net.port());
        for i in 0..5 {
            send(&mut a, T0, &eth(BROADCAST, 1, i, 60));
        }
        assert_eq!(b.queued(), 3);
        assert_eq!(net.stats().queue_drops, 2);
        assert_eq!(recv_all(&mut b, T0).len(), 3);
    }

    #[test]
    fn huge_delays_saturate_instead_of_overflowing() {
        let net = VirtualNetwork::new(
            Faults {
                delay: Duration::from_micros(u64::MAX),
                reorder: 1.0,
                jitter: Duration::from_micros(u64::MAX),
                ..Faults::none()
            },
            1,
        );
        let (mut a, mut b) = (net.port(), net.port());
        send(&mut a, Instant::from_secs(1), &eth(BROADCAST, 1, 0, 60));
        assert_eq!(net.next_delivery(), Some(Instant::from_micros(i64::MAX)));
        assert!(recv(&mut b, Instant::from_secs(1_000_000)).is_none());
    }

    // ---- Simulations with smoltcp stacks ----

    /// A smoltcp interface on a port, plus a little application.
    struct Host {
        iface: Interface,
        sockets: SocketSet<'static>,
        port: VirtualPort,
        app: App,
    }

    enum App {
        /// Sends `payload` from a UDP socket to `to` once.
        UdpSend { handle: SocketHandle, to: IpEndpoint, payload: Vec<u8>, sent: bool },
        /// Receives datagrams into `got`.
        UdpRecv { handle: SocketHandle, got: Rc<RefCell<Vec<Vec<u8>>>> },
        /// Streams `data` over TCP, then closes.
        TcpSend { handle: SocketHandle, data: Rc<Vec<u8>>, sent: usize },
        /// Reads a TCP stream into `got`.
        TcpRecv { handle: SocketHandle, got: Rc<RefCell<Vec<u8>>> },
    }

    impl Host {
        fn new(net: &VirtualNetwork, n: u8, seed: u64) -> Host {
            let mut port = net.port();
            let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress(mac(n))));
            config.random_seed = seed;
            let mut iface = Interface::new(config, &mut port, T0);
            iface.update_ip_addrs(|addrs| {
                addrs.push(IpCidr::new(IpAddress::v4(10, 0, 0, n), 24)).unwrap();
            });
            Host {
                iface,
                sockets: SocketSet::new(Vec::new()),
                port,
                app: App::UdpRecv { handle: SocketHandle::default(), got: Rc::default() },
            }
        }

        fn udp_socket(&mut self, port: u16) -> SocketHandle {
            let buf = || udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; 8], vec![0; 8192]);
            let mut s = udp::Socket::new(buf(), buf());
            s.bind(port).unwrap();
            self.sockets.add(s)
        }

        fn tcp_socket(&mut self) -> SocketHandle {
            let buf = || tcp::SocketBuffer::new(vec![0; 64 * 1024]);
            self.sockets.add(tcp::Socket::new(buf(), buf()))
        }

        /// Runs the application; true when it queued something to send.
        fn app(&mut self) -> bool {
            match &mut self.app {
                App::UdpSend { handle, to, payload, sent } => {
                    let s = self.sockets.get_mut::<udp::Socket>(*handle);
                    if !*sent && s.send_slice(payload, *to).is_ok() {
                        *sent = true;
                        return true;
                    }
                    false
                }
                App::UdpRecv { handle, got } => {
                    let s = self.sockets.get_mut::<udp::Socket>(*handle);
                    while let Ok((data, _meta)) = s.recv() {
                        got.borrow_mut().push(data.to_vec());
                    }
                    false
                }
                App::TcpSend { handle, data, sent } => {
                    let s = self.sockets.get_mut::<tcp::Socket>(*handle);
                    let mut queued = false;
                    if s.can_send() && *sent < data.len() {
                        let n = s.send_slice(&data[*sent..]).unwrap_or(0);
                        *sent += n;
                        queued = n > 0;
                    }
                    if *sent == data.len() && s.state() == tcp::State::Established {
                        s.close();
                        queued = true;
                    }
                    queued
                }
                App::TcpRecv { handle, got } => {
                    let s = self.sockets.get_mut::<tcp::Socket>(*handle);
                    while s.can_recv() {
                        let n = s
                            .recv(|buf| {
                                got.borrow_mut().extend_from_slice(buf);
                                (buf.len(), buf.len())
                            })
                            .unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                    }
                    if !s.may_recv() && s.state() == tcp::State::CloseWait {
                        s.close();
                    }
                    false
                }
            }
        }
    }

    impl Node for Host {
        fn poll(&mut self, now: Instant) {
            self.iface.poll(now, &mut self.port, &mut self.sockets);
            if self.app() {
                self.iface.poll(now, &mut self.port, &mut self.sockets);
            }
        }

        fn poll_at(&mut self, now: Instant) -> Option<Instant> {
            self.iface.poll_at(now, &self.sockets)
        }
    }

    #[test]
    fn first_udp_datagram_survives_arp_resolution() {
        let net = VirtualNetwork::new(Faults { delay: ms(1), ..Faults::none() }, 1);
        let mut h1 = Host::new(&net, 1, 11);
        let mut h2 = Host::new(&net, 2, 22);
        let handle = h1.udp_socket(4000);
        h1.app = App::UdpSend {
            handle,
            to: IpEndpoint::new(IpAddress::v4(10, 0, 0, 2), 5000),
            payload: b"first datagram".to_vec(),
            sent: false,
        };
        let got = Rc::new(RefCell::new(Vec::new()));
        let handle = h2.udp_socket(5000);
        h2.app = App::UdpRecv { handle, got: Rc::clone(&got) };

        let end = net
            .run(&mut [&mut h1, &mut h2], TimeMode::Virtual, T0, Duration::from_secs(5), |_| {
                !got.borrow().is_empty()
            })
            .unwrap();
        assert_eq!(*got.borrow(), [b"first datagram".to_vec()]);
        // ARP request (0 → 1 ms), reply (1 → 2 ms), datagram (2 → 3 ms).
        assert_eq!(end, Instant::from_millis(3));
        let s = net.stats();
        assert_eq!((s.sent, s.delivered, s.lost), (3, 3, 0), "{s:?}");
    }

    /// Streams `len` bytes from 10.0.0.1 to 10.0.0.2:80 over a faulty
    /// network; returns (virtual end time, stats, bytes received, bytes sent).
    fn tcp_transfer(faults: Faults, seed: u64, len: usize) -> (Instant, NetStats, Vec<u8>, Vec<u8>) {
        let net = VirtualNetwork::new(faults, seed);
        let mut h1 = Host::new(&net, 1, seed ^ 1);
        let mut h2 = Host::new(&net, 2, seed ^ 2);

        let data: Rc<Vec<u8>> = Rc::new((0..len).map(|i| (i * 7 % 251) as u8).collect());
        let server = h2.tcp_socket();
        h2.sockets.get_mut::<tcp::Socket>(server).listen(80).unwrap();
        let got = Rc::new(RefCell::new(Vec::new()));
        h2.app = App::TcpRecv { handle: server, got: Rc::clone(&got) };
        let client = h1.tcp_socket();
        let cx = h1.iface.context();
        h1.sockets
            .get_mut::<tcp::Socket>(client)
            .connect(cx, (IpAddress::v4(10, 0, 0, 2), 80), 49152)
            .unwrap();
        h1.app = App::TcpSend { handle: client, data: Rc::clone(&data), sent: 0 };

        let end = net
            .run(&mut [&mut h1, &mut h2], TimeMode::Virtual, T0, Duration::from_secs(600), |_| {
                got.borrow().len() >= len
            })
            .unwrap_or_else(|e| panic!("{e}; received {} of {len}", got.borrow().len()));
        let received = got.borrow().clone();
        (end, net.stats(), received, data.to_vec())
    }

    #[test]
    fn tcp_megabyte_survives_faults_deterministically() {
        let faults =
            Faults { loss: 0.05, duplicate: 0.02, reorder: 0.05, corrupt: 0.01, delay: ms(1), jitter: ms(2) };
        let wall = std::time::Instant::now();
        let (end, stats, got, sent) = tcp_transfer(faults, 2024, 1 << 20);
        assert!(got == sent, "received bytes differ from sent bytes");
        assert!(stats.lost > 0 && stats.duplicated > 0, "{stats:?}");
        assert!(stats.reordered > 0 && stats.corrupted > 0, "{stats:?}");
        eprintln!("1 MiB over TCP: virtual {end}, wall {:?}, {stats:?}", wall.elapsed());

        // Same seed: the same run, to the microsecond and the frame.
        let (end2, stats2, got2, _) = tcp_transfer(faults, 2024, 1 << 20);
        assert_eq!((end2, stats2), (end, stats));
        assert!(got2 == got);
    }

    /// A node that always has a deadline right now.
    struct Busy;
    impl Node for Busy {
        fn poll(&mut self, _now: Instant) {}
        fn poll_at(&mut self, now: Instant) -> Option<Instant> {
            Some(now)
        }
    }

    /// A node that wants polling every `every`, counting polls.
    struct Ticker {
        every: Duration,
        polls: u32,
    }
    impl Node for Ticker {
        fn poll(&mut self, _now: Instant) {
            self.polls += 1;
        }
        fn poll_at(&mut self, now: Instant) -> Option<Instant> {
            Some(now + self.every)
        }
    }

    #[test]
    fn run_reports_stalls() {
        let net = VirtualNetwork::new(Faults::none(), 1);
        let start = Instant::from_secs(100);
        let idle = net.run(&mut [], TimeMode::Virtual, start, ms(10), |_| false).unwrap_err();
        assert_eq!(idle.reason, StallReason::Idle);
        assert_eq!(idle.at, start);
        assert!(idle.to_string().contains("nothing pending"), "{idle}");

        let mut ticker = Ticker { every: ms(3), polls: 0 };
        let late = net.run(&mut [&mut ticker], TimeMode::Virtual, start, ms(10), |_| false).unwrap_err();
        assert_eq!(late.reason, StallReason::TimeLimit { limit: ms(10) });
        assert_eq!(late.at, start + ms(9));
        assert_eq!(ticker.polls, 4);

        let stuck = net.run(&mut [&mut Busy], TimeMode::Virtual, start, ms(10), |_| false).unwrap_err();
        assert_eq!(stuck.reason, StallReason::Livelock { polls: MAX_POLLS_AT_ONE_INSTANT });
        let err: &dyn std::error::Error = &stuck;
        assert!(err.to_string().contains("stood still"));
    }

    #[test]
    fn real_mode_follows_the_clock() {
        let net = VirtualNetwork::new(Faults { delay: ms(3), ..Faults::none() }, 1);
        let mut h1 = Host::new(&net, 1, 1);
        let mut h2 = Host::new(&net, 2, 2);
        let handle = h1.udp_socket(4000);
        h1.app = App::UdpSend {
            handle,
            to: IpEndpoint::new(IpAddress::v4(10, 0, 0, 2), 5000),
            payload: b"real".to_vec(),
            sent: false,
        };
        let got = Rc::new(RefCell::new(Vec::new()));
        let handle = h2.udp_socket(5000);
        h2.app = App::UdpRecv { handle, got: Rc::clone(&got) };
        let start = Instant::from_secs(1000);
        let wall = std::time::Instant::now();
        let end = net
            .run(&mut [&mut h1, &mut h2], TimeMode::Real, start, Duration::from_secs(5), |_| {
                !got.borrow().is_empty()
            })
            .unwrap();
        // Three one-way trips of 3 ms each, on the real clock.
        assert!(end >= start + ms(9), "{end}");
        assert!(wall.elapsed() >= std::time::Duration::from_millis(9));
        assert_eq!(got.borrow().len(), 1);
    }
}
