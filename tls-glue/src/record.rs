//! The TLS record header (RFC 8446 §5.1, `TLSPlaintext` / `TLSCiphertext`) and
//! record framing.
//!
//! ## Wire format
//!
//! ```text
//!  0        1        2        3        4        5
//! +--------+--------+--------+--------+--------+-- - -
//! |  type  | legacy_version  |     length      | fragment (length bytes)
//! +--------+--------+--------+--------+--------+-- - -
//! ```
//!
//! All fields are big-endian. `length` counts the fragment only, not the header.

use bytes::BufMut;

/// Largest `length` of a record that a peer may send: 2^14 + 256 (RFC 8446 §5.2,
/// `TLSCiphertext`); larger records are a `record_overflow` error.
pub const MAX_CIPHERTEXT_LEN: usize = (1 << 14) + 256;

/// Errors from decoding a record header or framing records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is shorter than the 5-byte record header.
    #[error("TLS record header truncated: needed {needed} bytes, got {got}")]
    Truncated {
        /// Bytes needed to decode the header.
        needed: usize,
        /// Bytes available.
        got: usize,
    },
    /// The content type (offset 0) is not one that TLS defines.
    #[error("TLS record content type (offset 0) is unknown: {value}")]
    UnknownContentType {
        /// The content type byte.
        value: u8,
    },
    /// The major byte of the legacy record version (offset 1) is not 3, so this is
    /// not SSL 3.0 / TLS 1.x.
    #[error("TLS record version major byte (offset 1) is {major:#04x}, not 0x03")]
    BadVersion {
        /// The major version byte.
        major: u8,
    },
    /// The length field (offset 3) exceeds [`MAX_CIPHERTEXT_LEN`].
    #[error("TLS record length (offset 3) is {length}, more than the maximum {max}")]
    Oversize {
        /// The value of the length field.
        length: u16,
        /// The largest allowed length.
        max: usize,
    },
}

/// The record content type (RFC 8446 §5.1 `ContentType`; Heartbeat from RFC 6520).
///
/// Open: values without a name decode to [`ContentType::Unknown`] and encode back to
/// the same byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// `change_cipher_spec` (20).
    ChangeCipherSpec,
    /// `alert` (21).
    Alert,
    /// `handshake` (22).
    Handshake,
    /// `application_data` (23).
    ApplicationData,
    /// `heartbeat` (24, RFC 6520).
    Heartbeat,
    /// A value without a name here.
    Unknown(u8),
}

impl From<u8> for ContentType {
    fn from(value: u8) -> Self {
        match value {
            20 => Self::ChangeCipherSpec,
            21 => Self::Alert,
            22 => Self::Handshake,
            23 => Self::ApplicationData,
            24 => Self::Heartbeat,
            other => Self::Unknown(other),
        }
    }
}

impl From<ContentType> for u8 {
    fn from(value: ContentType) -> u8 {
        match value {
            ContentType::ChangeCipherSpec => 20,
            ContentType::Alert => 21,
            ContentType::Handshake => 22,
            ContentType::ApplicationData => 23,
            ContentType::Heartbeat => 24,
            ContentType::Unknown(other) => other,
        }
    }
}

/// The TLS record header (RFC 8446 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordHeader {
    /// Content type of the fragment.
    pub content_type: ContentType,
    /// `legacy_record_version`: 0x0303 in TLS 1.2 and 1.3 records, 0x0301 is allowed
    /// in an initial ClientHello.
    pub version: u16,
    /// Length of the fragment that follows the header.
    pub length: u16,
}

impl RecordHeader {
    /// Size of the header on the wire.
    pub const LEN: usize = 5;

    /// Decodes the header from the first 5 bytes of `buf`; later bytes are ignored.
    ///
    /// Any 5 bytes decode, so that every header survives decode and encode; use
    /// [`RecordHeader::check`] or [`record_len`] to reject headers a peer must not send.
    pub fn parse(buf: &[u8]) -> Result<RecordHeader, Error> {
        let Some(&[content_type, v0, v1, l0, l1]) = buf.first_chunk::<5>() else {
            return Err(Error::Truncated { needed: Self::LEN, got: buf.len() });
        };
        Ok(RecordHeader {
            content_type: ContentType::from(content_type),
            version: u16::from_be_bytes([v0, v1]),
            length: u16::from_be_bytes([l0, l1]),
        })
    }

    /// Checks that the header can start a TLS record: a known content type, a
    /// version with major byte 3, and a length of at most [`MAX_CIPHERTEXT_LEN`].
    pub fn check(&self) -> Result<(), Error> {
        check_content_type(self.content_type.into())?;
        check_major(self.version.to_be_bytes()[0])?;
        if usize::from(self.length) > MAX_CIPHERTEXT_LEN {
            return Err(Error::Oversize { length: self.length, max: MAX_CIPHERTEXT_LEN });
        }
        Ok(())
    }

    /// Encodes the header (5 bytes) into `buf`.
    ///
    /// # Panics
    ///
    /// Panics if `buf` cannot grow to take 5 more bytes (as [`BufMut::put_u8`] does).
    pub fn emit(&self, buf: &mut impl BufMut) {
        buf.put_u8(self.content_type.into());
        buf.put_u16(self.version);
        buf.put_u16(self.length);
    }
}

fn check_content_type(value: u8) -> Result<(), Error> {
    match ContentType::from(value) {
        ContentType::Unknown(value) => Err(Error::UnknownContentType { value }),
        _ => Ok(()),
    }
}

fn check_major(major: u8) -> Result<(), Error> {
    if major == 3 { Ok(()) } else { Err(Error::BadVersion { major }) }
}

/// Says whether `buf` starts with a whole TLS record, without decoding the record.
///
/// Returns `Ok(Some(n))` when the first `n` bytes of `buf` are one whole record
/// (header and fragment), and `Ok(None)` when more bytes are needed. Returns an error
/// as soon as the bytes present cannot start a record (see [`RecordHeader::check`]):
/// so garbage such as a plaintext HTTP request is rejected after its first byte, and
/// an oversize record after its header, before its fragment is buffered.
pub fn record_len(buf: &[u8]) -> Result<Option<usize>, Error> {
    if let Some(&content_type) = buf.first() {
        check_content_type(content_type)?;
    }
    if let Some(&major) = buf.get(1) {
        check_major(major)?;
    }
    let Ok(header) = RecordHeader::parse(buf) else {
        return Ok(None);
    };
    header.check()?;
    let total = RecordHeader::LEN + usize::from(header.length);
    Ok((buf.len() >= total).then_some(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// Start of a TLS 1.3 ClientHello record (legacy version 0x0301, 512-byte fragment).
    const CLIENT_HELLO: [u8; 9] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc];

    #[test]
    fn client_hello_header() {
        let h = RecordHeader::parse(&CLIENT_HELLO).unwrap();
        let want = RecordHeader { content_type: ContentType::Handshake, version: 0x0301, length: 512 };
        assert_eq!(h, want);
        assert_eq!(h.check(), Ok(()));
        let mut out = Vec::new();
        h.emit(&mut out);
        assert_eq!(out, CLIENT_HELLO[..5]);
    }

    #[test]
    fn every_header_byte_round_trips() {
        for first in 0..=u8::MAX {
            let bytes = [first, 0x03, 0x03, 0x40, 0x00];
            let h = RecordHeader::parse(&bytes).unwrap();
            assert_eq!(u8::from(h.content_type), first);
            assert_eq!(!matches!(h.content_type, ContentType::Unknown(_)), (20..=24).contains(&first));
            let mut out = Vec::new();
            h.emit(&mut out);
            assert_eq!(out, bytes);
        }
    }

    #[test]
    fn framing_a_stream_of_two_records() {
        // A TLS 1.3 alert record (close_notify in the clear) followed by part of a
        // 3-byte application data record.
        let stream = [0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00, 0x17, 0x03, 0x03, 0x00, 0x03, 0xaa];
        for n in 0..7 {
            assert_eq!(record_len(&stream[..n]), Ok(None), "{n} bytes");
        }
        assert_eq!(record_len(&stream), Ok(Some(7)));
        assert_eq!(record_len(&stream[7..]), Ok(None));
        let rest = [&stream[7..], &[0xbb, 0xcc]].concat();
        assert_eq!(record_len(&rest), Ok(Some(8)));
        assert_eq!(record_len(&[0x17, 0x03, 0x03, 0x00, 0x00]), Ok(Some(5)));
    }

    #[test]
    fn largest_record_and_oversize() {
        let [l0, l1] = (MAX_CIPHERTEXT_LEN as u16).to_be_bytes();
        let mut record = [0x17, 0x03, 0x03, l0, l1].to_vec();
        assert_eq!(record_len(&record), Ok(None));
        record.resize(5 + MAX_CIPHERTEXT_LEN, 0);
        assert_eq!(record_len(&record), Ok(Some(5 + MAX_CIPHERTEXT_LEN)));
        let too_big = [0x17, 0x03, 0x03, l0, l1 + 1];
        let err = Error::Oversize { length: 16641, max: 16640 };
        assert_eq!(record_len(&too_big), Err(err));
        assert_eq!(
            record_len(&[0x17, 0x03, 0x03, 0xff, 0xff]).unwrap_err(),
            Error::Oversize { length: 0xffff, max: 16640 }
        );
    }

    #[test]
    fn garbage() {
        // A plaintext HTTP request on a TLS port fails at its first byte.
        assert_eq!(record_len(b"G"), Err(Error::UnknownContentType { value: b'G' }));
        assert_eq!(record_len(b"GET / HTTP/1.1\r\n"), Err(Error::UnknownContentType { value: b'G' }));
        // SSL 2.0-style and non-TLS versions fail at the version byte.
        assert_eq!(record_len(&[0x16, 0x02]), Err(Error::BadVersion { major: 2 }));
        assert_eq!(record_len(&[0x16, 0xfe, 0xfd, 0x00, 0x10]), Err(Error::BadVersion { major: 0xfe }));
        assert_eq!(record_len(&[0x00; 5]), Err(Error::UnknownContentType { value: 0 }));
        let h = RecordHeader::parse(&[0x63, 0x00, 0x00, 0x00, 0x00]).unwrap();
        assert_eq!(h.content_type, ContentType::Unknown(0x63));
        assert_eq!(h.check(), Err(Error::UnknownContentType { value: 0x63 }));
    }

    #[test]
    fn truncated() {
        for n in 0..RecordHeader::LEN {
            let err = Error::Truncated { needed: 5, got: n };
            assert_eq!(RecordHeader::parse(&CLIENT_HELLO[..n]), Err(err));
        }
        assert_eq!(record_len(&[]), Ok(None));
    }
}
