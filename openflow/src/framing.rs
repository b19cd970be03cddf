//! Cutting an OpenFlow byte stream (TCP or TLS) into whole messages.
//!
//! Every OpenFlow message starts with the 8-byte header whose `length` field
//! (offset 2) counts the whole message (OpenFlow 1.3.5 §7.1), so a stream is
//! framed by that field alone. [`Deframer`] buffers what the transport hands
//! in — any number of bytes at a time, partial messages, many messages per
//! read — and yields each whole message once its last byte has arrived, as a
//! zero-copy [`Bytes`] split off the buffer ([`Deframer::next_frame`]) or
//! decoded ([`Deframer::next_message`]).
//!
//! A `length` below 8 or above the configured limit is a [`FramingError`]:
//! the stream cannot be resynchronised and the connection should be closed.
//! A message that is framed correctly but does not decode is reported as
//! [`FramingError::Decode`] with its bytes (to quote in an `OFPT_ERROR`
//! reply); it has been consumed, and the stream can go on.
//!
//! ```
//! use openflow::framing::Deframer;
//! use openflow::message::{Body, Message};
//!
//! let mut stream = Vec::new();
//! stream.extend(Message::new(1, Body::BarrierRequest).to_vec());
//! stream.extend(Message::new(2, Body::EchoRequest(b"ping".to_vec())).to_vec());
//!
//! let mut deframer = Deframer::new();
//! deframer.push(&stream[..5]); // a partial header
//! assert_eq!(deframer.next_message().unwrap(), None);
//! deframer.push(&stream[5..]); // the rest of the first message and all of the second
//! assert_eq!(deframer.next_message().unwrap().unwrap().xid, 1);
//! assert_eq!(deframer.next_message().unwrap().unwrap().body, Body::EchoRequest(b"ping".to_vec()));
//! assert_eq!(deframer.next_message().unwrap(), None);
//! ```

use bytes::{Bytes, BytesMut};

use crate::header::Header;
use crate::message::Message;
use crate::wire::DecodeError;

/// The default and largest message size: the most a 16-bit `length` can say.
pub const DEFAULT_MAX_MESSAGE_LEN: usize = u16::MAX as usize;

/// Why the deframer could not produce a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// A header's `length` field is below the header's own 8 bytes. Fatal:
    /// the stream cannot be resynchronised.
    #[error("message at stream offset {offset}: length field {length} is less than the 8-byte header")]
    BadLength {
        /// The `length` field.
        length: u16,
        /// Offset of the message's first byte in the stream.
        offset: u64,
    },
    /// A header's `length` field is above the deframer's limit. Fatal.
    #[error("message at stream offset {offset}: length {length} exceeds the limit of {max} bytes")]
    TooLong {
        /// The `length` field.
        length: u16,
        /// The limit.
        max: usize,
        /// Offset of the message's first byte in the stream.
        offset: u64,
    },
    /// A whole message arrived but does not decode. Not fatal: the message
    /// has been consumed, and the next call continues with the one after it.
    #[error("{error}")]
    Decode {
        /// What is wrong with it.
        error: DecodeError,
        /// The whole message.
        frame: Bytes,
    },
}

impl FramingError {
    /// True when the stream cannot go on (bad or oversized `length`); false
    /// for [`FramingError::Decode`].
    pub fn is_fatal(&self) -> bool {
        !matches!(self, FramingError::Decode { .. })
    }
}

/// Buffers a byte stream and yields whole OpenFlow messages from it.
///
/// Feed bytes with [`push`](Deframer::push), or read straight into
/// [`buffer_mut`](Deframer::buffer_mut); then call
/// [`next_frame`](Deframer::next_frame) or
/// [`next_message`](Deframer::next_message) until it returns `Ok(None)`.
/// After a fatal error every later call returns the same error.
#[derive(Debug, Clone)]
pub struct Deframer {
    buf: BytesMut,
    max_len: usize,
    /// Stream offset of `buf[0]`.
    consumed: u64,
}

impl Default for Deframer {
    fn default() -> Self {
        Deframer::new()
    }
}

impl Deframer {
    /// A deframer accepting messages up to [`DEFAULT_MAX_MESSAGE_LEN`] bytes.
    pub fn new() -> Deframer {
        Deframer::with_max_message_len(DEFAULT_MAX_MESSAGE_LEN)
    }

    /// A deframer refusing messages longer than `max_len` bytes (clamped to
    /// 8..=65535).
    pub fn with_max_message_len(max_len: usize) -> Deframer {
        Deframer {
            buf: BytesMut::new(),
            max_len: max_len.clamp(Header::LEN, DEFAULT_MAX_MESSAGE_LEN),
            consumed: 0,
        }
    }

    /// The size limit.
    pub fn max_message_len(&self) -> usize {
        self.max_len
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The buffer, to read into directly (append only; after a call to
    /// `next_*` that returned `Ok(None)` it has room reserved for the rest of
    /// the message in progress).
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Bytes buffered and not yet returned.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// True when no bytes are buffered (the stream is at a message boundary).
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Stream offset of the next byte to be returned: the total length of the
    /// messages returned so far.
    pub fn stream_offset(&self) -> u64 {
        self.consumed
    }

    /// The next whole message as raw bytes, split off the buffer without
    /// copying; `Ok(None)` until all of it has arrived.
    pub fn next_frame(&mut self) -> Result<Option<Bytes>, FramingError> {
        let Some(&[_, _, l0, l1]) = self.buf.first_chunk::<4>() else {
            return Ok(None);
        };
        let length = u16::from_be_bytes([l0, l1]);
        let len = usize::from(length);
        if len < Header::LEN {
            return Err(FramingError::BadLength { length, offset: self.consumed });
        }
        if len > self.max_len {
            return Err(FramingError::TooLong { length, max: self.max_len, offset: self.consumed });
        }
        if self.buf.len() < len {
            self.buf.reserve(len - self.buf.len());
            return Ok(None);
        }
        self.consumed += u64::from(length);
        Ok(Some(self.buf.split_to(len).freeze()))
    }

    /// The next whole message, decoded; `Ok(None)` until all of it has arrived.
    pub fn next_message(&mut self) -> Result<Option<Message>, FramingError> {
        let Some(frame) = self.next_frame()? else {
            return Ok(None);
        };
        match Message::decode(&frame) {
            Ok(msg) => Ok(Some(msg)),
            Err(error) => Err(FramingError::Decode { error, frame }),
        }
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec;
    use alloc::vec::Vec;

    use proptest::prelude::*;

    use super::*;
    use crate::action::Action;
    use crate::message::{Body, FlowMod, Hello, PacketOut};
    use crate::oxm::Match;
    use crate::wire::ErrorKind;

    fn sample() -> Vec<Message> {
        vec![
            Message::new(1, Hello::openflow13()),
            Message::new(2, Body::FeaturesRequest),
            Message::new(3, Body::EchoRequest(vec![0xab; 300])),
            Message::new(
                4,
                FlowMod::add(0)
                    .priority(10)
                    .matching(Match::new().in_port(1).eth_dst([2, 0, 0, 0, 0, 1]))
                    .apply_actions(vec![Action::Output { port: 2, max_len: 0xffff }]),
            ),
            Message::new(
                5,
                PacketOut::new(1).action(Action::Output { port: 2, max_len: 0 }).data(vec![7; 60]),
            ),
            Message::new(6, Body::BarrierRequest),
        ]
    }

    fn stream(msgs: &[Message]) -> Vec<u8> {
        msgs.iter().flat_map(Message::to_vec).collect()
    }

    fn drain(d: &mut Deframer) -> Vec<Message> {
        let mut out = Vec::new();
        while let Some(msg) = d.next_message().unwrap() {
            out.push(msg);
        }
        out
    }

    #[test]
    fn byte_at_a_time() {
        let msgs = sample();
        let bytes = stream(&msgs);
        let mut d = Deframer::new();
        let mut got = Vec::new();
        for b in &bytes {
            d.push(core::slice::from_ref(b));
            got.extend(drain(&mut d));
        }
        assert_eq!(got, msgs);
        assert!(d.is_empty());
        assert_eq!(d.stream_offset(), bytes.len() as u64);
    }

    #[test]
    fn many_messages_per_chunk() {
        let msgs = sample();
        let mut d = Deframer::new();
        d.push(&stream(&msgs));
        d.push(&stream(&msgs));
        let got = drain(&mut d);
        assert_eq!(got.len(), 2 * msgs.len());
        assert_eq!(&got[..msgs.len()], &msgs[..]);
        assert_eq!(&got[msgs.len()..], &msgs[..]);
    }

    #[test]
    fn frames_are_zero_copy_splits() {
        let bytes = stream(&sample());
        let mut d = Deframer::new();
        d.buffer_mut().extend_from_slice(&bytes);
        let first = d.next_frame().unwrap().unwrap();
        assert_eq!(first, bytes[..16]);
        assert_eq!(d.buffered(), bytes.len() - 16);
    }

    #[test]
    fn reserves_room_for_the_message_in_progress() {
        let echo = Message::new(1, Body::EchoRequest(vec![0; 1000])).to_vec();
        let mut d = Deframer::new();
        d.push(&echo[..10]);
        assert_eq!(d.next_frame().unwrap(), None);
        assert!(d.buffer_mut().capacity() >= echo.len());
        d.push(&echo[10..]);
        assert_eq!(d.next_frame().unwrap().unwrap(), echo[..]);
    }

    #[test]
    fn length_below_header_is_fatal() {
        for length in 0..8u16 {
            let mut d = Deframer::new();
            d.push(&Message::new(1, Body::BarrierRequest).to_vec());
            d.push(&[4, 0]);
            d.push(&length.to_be_bytes());
            assert_eq!(d.next_message().unwrap().unwrap().xid, 1);
            let e = d.next_frame().unwrap_err();
            assert_eq!(e, FramingError::BadLength { length, offset: 8 });
            assert!(e.is_fatal());
            assert_eq!(d.next_frame().unwrap_err(), e, "the error sticks");
        }
    }

    #[test]
    fn length_above_limit_is_fatal_before_the_body_arrives() {
        let mut d = Deframer::with_max_message_len(64);
        assert_eq!(d.max_message_len(), 64);
        d.push(&[4, 2, 0, 65]);
        let e = d.next_frame().unwrap_err();
        assert_eq!(e, FramingError::TooLong { length: 65, max: 64, offset: 0 });
        assert_eq!(
            alloc::format!("{e}"),
            "message at stream offset 0: length 65 exceeds the limit of 64 bytes"
        );
        let mut d = Deframer::with_max_message_len(64);
        d.push(&Message::new(1, Body::EchoRequest(vec![0; 56])).to_vec());
        assert!(d.next_message().unwrap().is_some(), "exactly the limit is fine");
        assert_eq!(Deframer::with_max_message_len(3).max_message_len(), 8);
        assert_eq!(Deframer::with_max_message_len(1 << 20).max_message_len(), 65535);
    }

    #[test]
    fn a_message_that_does_not_decode_is_skipped() {
        let mut d = Deframer::new();
        // A barrier request with a body (length 12): framed, but malformed.
        d.push(&[4, 20, 0, 12, 0, 0, 0, 9, 1, 2, 3, 4]);
        d.push(&Message::new(10, Body::BarrierRequest).to_vec());
        let e = d.next_message().unwrap_err();
        let FramingError::Decode { error, frame } = &e else { panic!("{e:?}") };
        assert_eq!(error.message, "BARRIER_REQUEST");
        assert_eq!(error.kind, ErrorKind::BadLength { length: 12 });
        assert_eq!(frame.len(), 12);
        assert!(!e.is_fatal());
        assert_eq!(d.next_message().unwrap().unwrap().xid, 10);
    }

    #[test]
    fn public_vectors_as_one_stream() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata/openflow13/packet");
        let Ok(entries) = std::fs::read_dir(dir) else {
            std::eprintln!("skipped: OpenFlow 1.3 test vectors not found at {dir}");
            return;
        };
        let mut files: Vec<Vec<u8>> = entries.map(|e| std::fs::read(e.unwrap().path()).unwrap()).collect();
        files.sort();
        let all: Vec<u8> = files.concat();
        for chunk in [1, 7, 64, 1500, all.len()] {
            let mut d = Deframer::new();
            let mut frames = Vec::new();
            for piece in all.chunks(chunk) {
                d.push(piece);
                while let Some(frame) = d.next_frame().unwrap() {
                    frames.push(frame);
                }
            }
            assert_eq!(frames.len(), files.len(), "chunk size {chunk}");
            for (frame, file) in frames.iter().zip(&files) {
                assert_eq!(frame, &file[..]);
            }
        }
    }

    proptest! {
        #[test]
        fn any_chunking_yields_the_same_messages(cuts in prop::collection::vec(1usize..200, 1..40)) {
            let msgs = sample();
            let bytes = stream(&msgs);
            let mut d = Deframer::new();
            let mut got = Vec::new();
            let mut at = 0;
            for cut in cuts.iter().cycle() {
                if at >= bytes.len() {
                    break;
                }
                let end = (at + cut).min(bytes.len());
                d.push(&bytes[at..end]);
                at = end;
                got.extend(drain(&mut d));
            }
            prop_assert_eq!(got, msgs);
        }

        #[test]
        fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300), max in 0usize..70000) {
            let mut d = Deframer::with_max_message_len(max);
            d.push(&bytes);
            for _ in 0..bytes.len() + 1 {
                match d.next_message() {
                    Ok(None) => break,
                    Ok(Some(_)) => {}
                    Err(e) if e.is_fatal() => break,
                    Err(_) => {}
                }
            }
        }
    }
}
