//! Building blocks of the codec: the [`WireError`] every decoder returns, a
//! bounds-checked [`Reader`] over a whole message, and the [`Compressor`] that
//! writes names with compression (RFC 1035 §4.1.4).
//!
//! Decoders take the whole message and an absolute position, because a
//! compressed name may point anywhere before it. A [`Reader`] carries an end
//! limit (e.g. the end of one record's RDATA) so that a bad inner length can
//! never read past its container; offsets in errors are always absolute,
//! counted from the first byte of the message.
//!
//! Encoders write into a `Vec<u8>`: compression needs to read back names that
//! were already written.

use alloc::vec::Vec;

use crate::name::Name;
use crate::rdata::Rtype;

/// A decode failure: what was wrong, and at which byte offset of the message.
///
/// Offsets are absolute (from the first byte of the DNS message, not counting a
/// TCP length prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The bytes ended (or the enclosing RDATA ended) inside field `what`, which
    /// starts at `offset`.
    #[error("truncated {what} at offset {offset}")]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// Offset of the field's first byte.
        offset: usize,
    },
    /// A compression pointer (RFC 1035 §4.1.4) at `offset` points at itself or
    /// forward; pointers must point strictly backwards.
    #[error("compression pointer at offset {offset} points forward")]
    BadPointer {
        /// Offset of the pointer.
        offset: usize,
    },
    /// A compression pointer at `offset` points into the name it is part of
    /// (at or after the start of the labels it continues), which would loop.
    #[error("compression pointer at offset {offset} loops")]
    PointerLoop {
        /// Offset of the pointer.
        offset: usize,
    },
    /// A name would exceed 255 bytes in uncompressed wire form (RFC 1035 §2.3.4);
    /// `offset` is where the label that made it too long starts.
    #[error("domain name longer than 255 bytes at offset {offset}")]
    NameTooLong {
        /// Offset of the offending label.
        offset: usize,
    },
    /// A label longer than 63 bytes (RFC 1035 §2.3.4) in an uncompressed name
    /// given as bytes (see [`Name::from_wire`]).
    #[error("label longer than 63 bytes at offset {offset}")]
    LabelTooLong {
        /// Offset of the label's length byte.
        offset: usize,
    },
    /// A label type other than a normal label (`00`) or a pointer (`11`): the
    /// extended label type `01` (RFC 6891 §5 deprecates it) or the reserved `10`.
    #[error("unsupported label type at offset {offset}")]
    BadLabelType {
        /// Offset of the label's first byte.
        offset: usize,
    },
    /// The RDATA of a record of type `rtype` is malformed.
    #[error("bad {rtype} rdata at offset {offset}: {reason}")]
    BadRdata {
        /// The record type.
        rtype: Rtype,
        /// Offset of the offending field.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// Bytes were left over after a structure that must fill its container
    /// (the message, or one record's RDATA), starting at `offset`.
    #[error("unexpected trailing bytes at offset {offset}")]
    Trailing {
        /// Offset of the first unexpected byte.
        offset: usize,
    },
    /// An OPT pseudo-record (RFC 6891 §6.1.1) that is not allowed where it is:
    /// a second OPT, an OPT outside the additional section, or with a non-root
    /// owner name.
    #[error("bad OPT record at offset {offset}: {reason}")]
    BadOpt {
        /// Offset of the record's owner name.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

impl WireError {
    /// The byte offset the error refers to.
    pub fn offset(&self) -> usize {
        match *self {
            WireError::Truncated { offset, .. }
            | WireError::BadPointer { offset }
            | WireError::PointerLoop { offset }
            | WireError::NameTooLong { offset }
            | WireError::LabelTooLong { offset }
            | WireError::BadLabelType { offset }
            | WireError::BadRdata { offset, .. }
            | WireError::Trailing { offset }
            | WireError::BadOpt { offset, .. } => offset,
        }
    }
}

/// A bounds-checked big-endian reader over a message, limited to `[pos, end)`.
///
/// Names read through [`Reader::name`] may follow compression pointers to any
/// earlier byte of the whole message, but their in-place bytes must lie within
/// the limit.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    msg: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> Reader<'a> {
    /// A reader over all of `msg`, starting at offset 0.
    pub fn new(msg: &'a [u8]) -> Self {
        Reader { msg, pos: 0, end: msg.len() }
    }

    /// A reader over `msg[pos..end]` (positions stay absolute); `end` is clamped
    /// to the message length.
    pub fn with_limit(msg: &'a [u8], pos: usize, end: usize) -> Self {
        Reader { msg, pos, end: end.min(msg.len()) }
    }

    /// The whole message.
    pub fn message(&self) -> &'a [u8] {
        self.msg
    }

    /// Absolute offset of the next byte.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Absolute offset just past the last byte this reader may read.
    pub fn end(&self) -> usize {
        self.end
    }

    /// Bytes left before the limit.
    pub fn remaining(&self) -> usize {
        self.end.saturating_sub(self.pos)
    }

    /// True when nothing is left before the limit.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// Takes the next `len` bytes, naming them `what` in the error.
    pub fn bytes(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        let start = self.pos;
        let stop = start.checked_add(len).filter(|&s| s <= self.end);
        match stop.and_then(|s| self.msg.get(start..s)) {
            Some(out) => {
                self.pos = start + len;
                Ok(out)
            }
            None => Err(WireError::Truncated { what, offset: start }),
        }
    }

    /// Takes the next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], WireError> {
        let b = self.bytes(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    /// Reads one byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, WireError> {
        Ok(self.array::<1>(what)?[0])
    }

    /// Reads a big-endian `u16`.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, WireError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    /// Reads a big-endian `u32`.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    /// Reads a `<character-string>` (RFC 1035 §3.3): a length byte and that many bytes.
    pub fn character_string(&mut self, what: &'static str) -> Result<&'a [u8], WireError> {
        let start = self.pos;
        let len = self.u8(what)?;
        self.bytes(usize::from(len), what).map_err(|_| WireError::Truncated { what, offset: start })
    }

    /// Everything left before the limit.
    pub fn rest(&mut self) -> &'a [u8] {
        let out = self.msg.get(self.pos..self.end).unwrap_or(&[]);
        self.pos = self.pos.max(self.end);
        out
    }

    /// Reads a domain name, following compression pointers (RFC 1035 §4.1.4).
    pub fn name(&mut self) -> Result<Name, WireError> {
        Name::decode_within(self.msg, &mut self.pos, self.end)
    }

    /// Fails with [`WireError::Trailing`] unless the limit was reached.
    pub fn finish(&self) -> Result<(), WireError> {
        if self.pos < self.end { Err(WireError::Trailing { offset: self.pos }) } else { Ok(()) }
    }
}

/// Labels a [`Compressor`] remembers (each is one name suffix already written).
pub const COMPRESSOR_ENTRIES: usize = 64;

/// Parent index meaning "the root": the entry's label is the last before the root.
const ROOT: u8 = u8::MAX;

/// Writes names with message compression (RFC 1035 §4.1.4), without allocating.
///
/// It remembers, in fixed arrays, up to [`COMPRESSOR_ENTRIES`] labels already
/// written in full into the message: each entry is the offset of a label and
/// the entry of the suffix that follows it, so the entries form a tree of the
/// suffixes in the message. A new name is matched from its last label
/// towards its first, one label comparison (case-insensitive, against the
/// bytes in the buffer) per step; its longest suffix found is replaced by a
/// pointer. Only offsets up to 0x3fff can be pointed at.
///
/// The message starts at `buf[base]`, so a TCP length prefix may come first.
#[derive(Debug, Clone)]
pub struct Compressor {
    base: usize,
    len: usize,
    disabled: bool,
    /// Offset (from `base`) of each remembered label's length byte.
    offsets: [u16; COMPRESSOR_ENTRIES],
    /// Entry of the suffix after each label, or [`ROOT`].
    parents: [u8; COMPRESSOR_ENTRIES],
}

impl Default for Compressor {
    fn default() -> Self {
        Compressor::new()
    }
}

/// Largest offset a compression pointer can hold.
const MAX_POINTER: usize = 0x3fff;

impl Compressor {
    /// A compressor for a message that starts at `buf[0]`.
    pub const fn new() -> Self {
        Compressor::with_base(0)
    }

    /// A compressor for a message that starts at `buf[base]`.
    pub const fn with_base(base: usize) -> Self {
        Compressor {
            base,
            len: 0,
            disabled: false,
            offsets: [0; COMPRESSOR_ENTRIES],
            parents: [ROOT; COMPRESSOR_ENTRIES],
        }
    }

    /// Where the message starts in the buffer.
    pub fn base(&self) -> usize {
        self.base
    }

    /// Turns compression off: every name is then written in full and nothing
    /// is remembered (for canonical or uncompressed wire forms).
    pub fn disable(&mut self) {
        self.disabled = true;
        self.len = 0;
    }

    /// Forgets every remembered name (for a new message at `base`).
    pub fn reset(&mut self, base: usize) {
        self.base = base;
        self.len = 0;
    }

    /// The number of remembered labels: pass it to [`Compressor::truncate`]
    /// to forget names written after this point (when the buffer is cut back).
    pub fn mark(&self) -> usize {
        self.len
    }

    /// Forgets entries added after `mark` (see [`Compressor::mark`]).
    pub fn truncate(&mut self, mark: usize) {
        self.len = self.len.min(mark);
    }

    /// Writes `name` at the end of `buf`; when `compress` is true, its longest
    /// suffix already in the message is replaced by a pointer. Either way the
    /// labels written in full are remembered as targets for later names.
    pub fn write_name(&mut self, buf: &mut Vec<u8>, name: &Name, compress: bool) {
        let wire = name.as_wire();
        if self.disabled || buf.len() < self.base {
            buf.extend_from_slice(wire);
            return;
        }
        // Start offsets of the labels (root excluded).
        let mut starts = [0u8; 128];
        let mut count = 0usize;
        let mut i = 0usize;
        while let Some(&l) = wire.get(i) {
            if l == 0 || count == starts.len() {
                break;
            }
            starts[count] = i as u8;
            count += 1;
            i += 1 + usize::from(l);
        }
        // Match suffixes from the root down.
        let msg = &buf[self.base..];
        let mut parent = ROOT;
        let mut unmatched = count;
        while unmatched > 0 {
            let s = usize::from(starts[unmatched - 1]);
            let label = &wire[s..s + 1 + usize::from(wire[s])];
            match self.find(msg, parent, label) {
                Some(e) => {
                    parent = e;
                    unmatched -= 1;
                }
                None => break,
            }
        }
        let matched = parent;
        let here = buf.len() - self.base;
        // Remember the labels about to be written in full before the matched
        // suffix, last label first, so that a full table still keeps valid chains.
        if unmatched > 0 && here + usize::from(starts[unmatched - 1]) <= MAX_POINTER {
            for t in (0..unmatched).rev() {
                if self.len == COMPRESSOR_ENTRIES {
                    break;
                }
                self.offsets[self.len] = (here + usize::from(starts[t])) as u16;
                self.parents[self.len] = parent;
                parent = self.len as u8;
                self.len += 1;
            }
        }
        if compress && matched != ROOT {
            let prefix = if unmatched == 0 { 0 } else { usize::from(starts[unmatched]) };
            buf.extend_from_slice(&wire[..prefix]);
            let target = self.offsets[usize::from(matched)];
            buf.extend_from_slice(&(0xc000 | target).to_be_bytes());
        } else {
            buf.extend_from_slice(wire);
        }
    }

    /// The entry for the label `label` (length byte included) whose suffix is
    /// entry `parent`.
    fn find(&self, msg: &[u8], parent: u8, label: &[u8]) -> Option<u8> {
        (0..self.len).find_map(|e| {
            if self.parents[e] != parent {
                return None;
            }
            let off = usize::from(self.offsets[e]);
            let got = msg.get(off..off + label.len())?;
            labels_equal(got, label).then_some(e as u8)
        })
    }
}

/// Byte-wise equality ignoring ASCII case, inline (labels are short: a call
/// to `memcmp` costs more than the loop).
#[inline]
fn labels_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(&x, &y)| x == y || (x | 0x20 == y | 0x20 && (x | 0x20).is_ascii_lowercase()))
}
