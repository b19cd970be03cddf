//! The codec's building blocks: a bounds-checked [`Reader`] that names what
//! it was reading when it fails, the [`DecodeError`] it returns, and the
//! [`Encode`] trait every wire structure implements.
//!
//! Every decoder takes a `&mut Reader` positioned at its first byte and
//! leaves it after its last. Sub-structures with their own length field get a
//! child reader limited to that length ([`Reader::sub`]), so a bad inner
//! length can never read past its parent. Offsets in errors are absolute:
//! counted from the first byte of the message.
//!
//! Encoding is two-pass and copy-free: [`Encode::encoded_len`] first (so
//! length fields are written before the bytes they count), then
//! [`Encode::encode`] straight into a [`bytes::BufMut`].

use bytes::BufMut;

/// What went wrong at a [`DecodeError`]'s place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The bytes ended early.
    Truncated {
        /// Bytes the field needs.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// A length field is impossible: below the structure's minimum, not a
    /// multiple of its alignment, or beyond its container.
    BadLength {
        /// The length found.
        length: usize,
    },
    /// A value the specification rules out here (e.g. a hasmask bit on a
    /// field that cannot be masked, a wrong fixed length).
    BadValue {
        /// The value found.
        value: u64,
    },
    /// Bytes were left over after a structure that must fill its container.
    Trailing {
        /// How many.
        bytes: usize,
    },
}

impl core::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            ErrorKind::Truncated { needed, available } => {
                write!(f, "truncated: needs {needed} bytes, {available} left")
            }
            ErrorKind::BadLength { length } => write!(f, "bad length {length}"),
            ErrorKind::BadValue { value } => write!(f, "bad value {value} ({value:#x})"),
            ErrorKind::Trailing { bytes } => write!(f, "{bytes} unexpected trailing bytes"),
        }
    }
}

/// A decode failure: in which structure, which field, at which byte offset
/// of the message, and what was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub struct DecodeError {
    /// The message type being decoded (`FLOW_MOD`), set by the message
    /// decoder; empty while decoding a stand-alone structure.
    pub message: &'static str,
    /// The structure being decoded: a message type (`FLOW_MOD`) or a wire
    /// struct (`ofp_action_output`).
    pub context: &'static str,
    /// The field within it.
    pub field: &'static str,
    /// Byte offset from the start of the message.
    pub offset: usize,
    /// What was wrong.
    pub kind: ErrorKind,
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if !self.message.is_empty() {
            write!(f, "{}: ", self.message)?;
        }
        write!(f, "{}.{} at offset {}: {}", self.context, self.field, self.offset, self.kind)
    }
}

impl DecodeError {
    /// The same error, attributed to message type `message`.
    pub fn in_message(mut self, message: &'static str) -> Self {
        self.message = message;
        self
    }
}

/// A bounds-checked big-endian reader over one structure's bytes.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Absolute offset of `buf[0]` within the message.
    base: usize,
    context: &'static str,
}

macro_rules! read_int {
    ($($name:ident -> $t:ty;)*) => {$(
        #[doc = concat!("Reads a big-endian `", stringify!($t), "` named `field`.")]
        pub fn $name(&mut self, field: &'static str) -> Result<$t, DecodeError> {
            Ok(<$t>::from_be_bytes(self.array(field)?))
        }
    )*};
}

impl<'a> Reader<'a> {
    /// A reader over a whole message (offsets start at 0).
    pub fn new(buf: &'a [u8], context: &'static str) -> Self {
        Reader { buf, pos: 0, base: 0, context }
    }

    /// The structure name errors will carry.
    pub fn context(&self) -> &'static str {
        self.context
    }

    /// Changes the structure name errors carry (e.g. once the type is known).
    pub fn set_context(&mut self, context: &'static str) {
        self.context = context;
    }

    /// Absolute offset of the next byte.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// True when nothing is left.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// An error at the current offset.
    pub fn error(&self, field: &'static str, kind: ErrorKind) -> DecodeError {
        DecodeError { message: "", context: self.context, field, offset: self.offset(), kind }
    }

    /// An error at an earlier absolute `offset` (e.g. of a length field).
    pub fn error_at(&self, offset: usize, field: &'static str, kind: ErrorKind) -> DecodeError {
        DecodeError { message: "", context: self.context, field, offset, kind }
    }

    /// Takes the next `len` bytes.
    pub fn bytes(&mut self, len: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        if len > self.remaining() {
            return Err(self.error(field, ErrorKind::Truncated { needed: len, available: self.remaining() }));
        }
        let out = &self.buf[self.pos..self.pos + len];
        self.pos += len;
        Ok(out)
    }

    /// Takes the next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let bytes = self.bytes(N, field)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    read_int! {
        u8 -> u8;
        u16 -> u16;
        u32 -> u32;
        u64 -> u64;
    }

    /// Skips `len` padding bytes (their value is not checked: senders differ).
    pub fn pad(&mut self, len: usize) -> Result<(), DecodeError> {
        self.bytes(len, "pad").map(|_| ())
    }

    /// Everything that is left.
    pub fn rest(&mut self) -> &'a [u8] {
        let out = &self.buf[self.pos..];
        self.pos = self.buf.len();
        out
    }

    /// Looks at the next `N` bytes without taking them.
    pub fn peek<const N: usize>(&self, field: &'static str) -> Result<[u8; N], DecodeError> {
        self.clone().array(field)
    }

    /// Splits off the next `len` bytes as a reader for a sub-structure named
    /// `context`. `len_offset` is where the length was read, for the error.
    pub fn sub(
        &mut self,
        len: usize,
        len_offset: usize,
        field: &'static str,
        context: &'static str,
    ) -> Result<Reader<'a>, DecodeError> {
        if len > self.remaining() {
            return Err(self.error_at(len_offset, field, ErrorKind::BadLength { length: len }));
        }
        let base = self.offset();
        let buf = &self.buf[self.pos..self.pos + len];
        self.pos += len;
        Ok(Reader { buf, pos: 0, base, context })
    }

    /// Fails unless every byte was read.
    pub fn finish(&self, field: &'static str) -> Result<(), DecodeError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.error(field, ErrorKind::Trailing { bytes: self.remaining() }))
        }
    }
}

/// A wire structure that can be written.
pub trait Encode {
    /// Bytes [`encode`](Encode::encode) writes, padding included.
    fn encoded_len(&self) -> usize;
    /// Writes the structure.
    fn encode<B: BufMut>(&self, buf: &mut B);
}

/// Bytes to add to `len` to reach a multiple of 8 (OpenFlow's alignment).
pub const fn pad8(len: usize) -> usize {
    (8 - len % 8) % 8
}

/// Writes `n` zero bytes of padding.
pub fn put_zeros<B: BufMut>(buf: &mut B, n: usize) {
    buf.put_bytes(0, n);
}

/// Encodes any [`Encode`] value into a fresh vector.
#[cfg(any(test, feature = "std"))]
pub fn to_vec<T: Encode>(value: &T) -> alloc::vec::Vec<u8> {
    let mut out = alloc::vec::Vec::with_capacity(value.encoded_len());
    value.encode(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_big_endian_and_tracks_absolute_offsets() {
        let bytes = [0, 1, 0, 0, 0, 2, 9, 9, 0xaa, 0xbb];
        let mut r = Reader::new(&bytes, "test");
        assert_eq!(r.u16("a").unwrap(), 1);
        assert_eq!(r.u32("b").unwrap(), 2);
        r.pad(2).unwrap();
        let mut inner = r.sub(2, 0, "len", "inner").unwrap();
        assert_eq!(inner.offset(), 8);
        assert_eq!(inner.u8("x").unwrap(), 0xaa);
        let e = inner.u16("y").unwrap_err();
        assert_eq!(
            e,
            DecodeError {
                message: "",
                context: "inner",
                field: "y",
                offset: 9,
                kind: ErrorKind::Truncated { needed: 2, available: 1 }
            }
        );
        assert_eq!(alloc::format!("{e}"), "inner.y at offset 9: truncated: needs 2 bytes, 1 left");
        assert_eq!(
            alloc::format!("{}", e.in_message("FLOW_MOD")),
            "FLOW_MOD: inner.y at offset 9: truncated: needs 2 bytes, 1 left"
        );
        assert!(r.is_empty());
    }

    #[test]
    fn sub_readers_cannot_overrun_their_parent() {
        let bytes = [0u8; 4];
        let mut r = Reader::new(&bytes, "outer");
        r.u8("first").unwrap();
        let e = r.sub(4, 0, "length", "inner").unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadLength { length: 4 });
        assert_eq!(e.offset, 0);
        assert_eq!(r.remaining(), 3, "a failed split takes nothing");
    }

    #[test]
    fn padding_to_eight() {
        assert_eq!((pad8(0), pad8(1), pad8(7), pad8(8), pad8(14)), (0, 7, 1, 0, 2));
    }
}
