//! What every TCP service of the appliance keeps about its connections: a
//! table with a limit on the live ones, an idle deadline each, and the
//! closing state between `Net::close` and `on_closed`.

#[allow(unused_imports)]
use crate::prelude::*;
use core::ops::{Deref, DerefMut};
use hashbrown::HashMap;

use crate::service::{ConnId, Duration, Instant, Net};

/// One connection: the service's own state, and the table's.
#[derive(Debug)]
pub(crate) struct Tracked<C> {
    state: C,
    /// When it is closed for idleness; None once it is closing.
    deadline: Option<Instant>,
    /// We closed it; waiting for `on_closed`.
    pub closing: bool,
}

impl<C> Deref for Tracked<C> {
    type Target = C;
    fn deref(&self) -> &C {
        &self.state
    }
}

impl<C> DerefMut for Tracked<C> {
    fn deref_mut(&mut self) -> &mut C {
        &mut self.state
    }
}

/// The connection table of one service.
#[derive(Debug)]
pub(crate) struct Conns<C> {
    map: HashMap<ConnId, Tracked<C>>,
    /// Connections in `map` not closing: what the limit counts.
    live: usize,
    limit: usize,
    idle: Duration,
    /// The idle scan runs at most this often (zero: at every deadline).
    scan_interval: Duration,
    /// No idle deadline is earlier than this (it may be early: activity only
    /// moves deadlines later; [`Conns::expired`] recomputes it).
    next_deadline: Option<Instant>,
}

impl<C> Conns<C> {
    /// At most `limit` live connections, each closed after `idle` without activity.
    pub fn new(limit: usize, idle: Duration, scan_interval: Duration) -> Self {
        Conns { map: HashMap::new(), live: 0, limit, idle, scan_interval, next_deadline: None }
    }

    /// Open connections, not counting those closing.
    pub fn live(&self) -> usize {
        self.live
    }

    /// Takes a new connection in, or returns false at the limit (the caller
    /// closes it).
    pub fn admit(&mut self, now: Instant, id: ConnId, state: C) -> bool {
        if self.live >= self.limit {
            return false;
        }
        if self.map.insert(id, Tracked { state, deadline: None, closing: false }).is_none() {
            self.live += 1;
        }
        self.touch(now, id);
        true
    }

    pub fn get(&self, id: &ConnId) -> Option<&Tracked<C>> {
        self.map.get(id)
    }

    pub fn get_mut(&mut self, id: &ConnId) -> Option<&mut Tracked<C>> {
        self.map.get_mut(id)
    }

    /// Activity on `id`: its idle deadline starts again from `now`.
    pub fn touch(&mut self, now: Instant, id: ConnId) {
        let deadline = now + self.idle;
        if let Some(c) = self.map.get_mut(&id)
            && !c.closing
        {
            c.deadline = Some(deadline);
        }
        if self.next_deadline.is_none() {
            self.next_deadline = Some(deadline);
        }
    }

    /// Starts closing `id`, gracefully or with RST when `abort`: it no longer
    /// counts as live and has no deadline; `on_closed` will [`remove`](Self::remove) it.
    pub fn close(&mut self, net: &mut dyn Net, id: ConnId, abort: bool) {
        if let Some(c) = self.map.get_mut(&id)
            && !c.closing
        {
            c.closing = true;
            c.deadline = None;
            self.live -= 1;
        }
        if abort {
            net.abort(id);
        } else {
            net.close(id);
        }
    }

    /// `id` is gone (`on_closed`).
    pub fn remove(&mut self, id: ConnId) {
        if let Some(c) = self.map.remove(&id)
            && !c.closing
        {
            self.live -= 1;
        }
    }

    /// The connections idle past their deadline, in id order (the caller
    /// closes them), and the next scan planned.
    pub fn expired(&mut self, now: Instant) -> Vec<ConnId> {
        let mut expired = Vec::new();
        let mut next: Option<Instant> = None;
        for (&id, c) in &self.map {
            match c.deadline {
                Some(d) if d <= now => expired.push(id),
                Some(d) => next = Some(next.map_or(d, |n| n.min(d))),
                None => {}
            }
        }
        expired.sort_unstable();
        self.next_deadline = next.map(|n| n.max(now + self.scan_interval));
        expired
    }

    /// When [`expired`](Self::expired) next has something to say.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_deadline
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::testing::RecordingNet;

    #[test]
    fn limit_idle_deadlines_and_closing() {
        let mut conns = Conns::new(2, Duration::from_secs(10), Duration::ZERO);
        let mut net = RecordingNet::default();
        let t0 = Instant::from_secs(100);
        assert!(conns.admit(t0, ConnId(1), "a"));
        assert!(conns.admit(t0 + Duration::from_secs(1), ConnId(2), "b"));
        assert!(!conns.admit(t0, ConnId(3), "c"), "over the limit");
        assert_eq!((conns.live(), conns.poll_timeout()), (2, Some(t0 + Duration::from_secs(10))));
        // Activity on 1 moves its deadline past 2's.
        conns.touch(t0 + Duration::from_secs(5), ConnId(1));
        assert_eq!(conns.expired(t0 + Duration::from_secs(10)), []);
        assert_eq!(conns.poll_timeout(), Some(t0 + Duration::from_secs(11)));
        assert_eq!(conns.expired(t0 + Duration::from_secs(11)), [ConnId(2)]);
        conns.close(&mut net, ConnId(2), false);
        assert_eq!((conns.live(), net.closed.as_slice()), (1, &[ConnId(2)][..]));
        assert!(conns.get(&ConnId(2)).is_some_and(|c| c.closing && **c == "b"));
        // A closing connection frees its place at once, and leaves on on_closed.
        assert!(conns.admit(t0, ConnId(4), "d"));
        conns.remove(ConnId(2));
        conns.remove(ConnId(4));
        assert_eq!(conns.live(), 1);
        assert_eq!(conns.expired(t0 + Duration::from_secs(15)), [ConnId(1)]);
    }

    #[test]
    fn the_scan_interval_bounds_how_often_expired_runs() {
        let mut conns = Conns::new(8, Duration::from_millis(10), Duration::from_secs(1));
        let t0 = Instant::from_secs(1);
        conns.admit(t0, ConnId(1), ());
        conns.admit(t0 + Duration::from_millis(5), ConnId(2), ());
        assert_eq!(conns.expired(t0 + Duration::from_millis(12)), [ConnId(1)]);
        assert_eq!(conns.poll_timeout(), Some(t0 + Duration::from_millis(12) + Duration::from_secs(1)));
    }
}
