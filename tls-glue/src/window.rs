//! A byte window over one growable buffer: live bytes sit in `start..end`, new bytes go
//! after `end`. Consuming from the front only moves `start`; live bytes are moved to the
//! front only when the room after `end` runs out, so steady traffic copies nothing extra.

use alloc::vec::Vec;

/// Smallest allocation, so that tiny first writes do not regrow at once.
const MIN_ALLOC: usize = 4096;

#[derive(Debug, Default)]
pub(crate) struct Window {
    /// Fully initialised storage: `len()` is the usable capacity, zeroed once when grown.
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Window {
    pub(crate) fn len(&self) -> usize {
        self.end - self.start
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub(crate) fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    pub(crate) fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.start..self.end]
    }

    /// Drops `n` bytes (at most all) from the front.
    pub(crate) fn consume(&mut self, n: usize) {
        self.start += n.min(self.len());
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Room after the live bytes, at least `min` bytes long.
    pub(crate) fn spare(&mut self, min: usize) -> &mut [u8] {
        if self.buf.len() - self.end < min && self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < min {
            let want = (self.end + min).max(self.buf.len() * 2).max(MIN_ALLOC);
            self.buf.resize(want, 0);
        }
        &mut self.buf[self.end..]
    }

    /// Marks `n` bytes of [`Window::spare`] as live.
    pub(crate) fn commit(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.len());
    }

    pub(crate) fn extend(&mut self, data: &[u8]) {
        self.spare(data.len())[..data.len()].copy_from_slice(data);
        self.commit(data.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_consume_compact() {
        let mut w = Window::default();
        assert!(w.is_empty());
        w.extend(b"hello world");
        assert_eq!(w.data(), b"hello world");
        w.consume(6);
        assert_eq!(w.data(), b"world");
        let cap = w.buf.len();
        // Asking for all the room moves the live bytes to the front instead of growing.
        let spare = w.spare(cap - 5).len();
        assert_eq!(spare, cap - 5);
        assert_eq!(w.buf.len(), cap);
        assert_eq!(w.data(), b"world");
        w.consume(100);
        assert!(w.is_empty());
        assert_eq!((w.start, w.end), (0, 0));
        w.extend(&[7; 10000]);
        assert_eq!(w.len(), 10000);
        w.data_mut()[0] = 1;
        assert_eq!(w.data()[..2], [1, 7]);
    }
}
