//! Reads the server name (SNI) from the first ClientHello record.
//!
//! rustls's unbuffered server connection does not expose the SNI the client sent, so the
//! session reads it itself from the ClientHello (RFC 8446 §4.1.2) before rustls takes the
//! record: `server_name` extension, RFC 6066 §3.
//!
//! ## Wire format (the parts walked here)
//!
//! ```text
//! record header (5) | msg_type=1 (1) | length (3) | legacy_version (2) | random (32)
//! | session_id <0..32> (1-byte length) | cipher_suites (2-byte length)
//! | compression_methods (1-byte length) | extensions (2-byte length):
//!     extension_type (2) | extension_data (2-byte length)
//!     server_name (0): ServerNameList (2-byte length): name_type=0 (1) | HostName (2-byte length)
//! ```

use crate::record::{ContentType, RecordHeader};

/// `HandshakeType::client_hello`.
const CLIENT_HELLO: u8 = 1;
/// `ExtensionType::server_name`.
const SERVER_NAME: u16 = 0;
/// `NameType::host_name`.
const HOST_NAME: u8 = 0;

/// A bounds-checked reader: every take fails instead of panicking on short input.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u16(&mut self) -> Option<u16> {
        let b = self.take(2)?;
        Some(u16::from_be_bytes([b[0], b[1]]))
    }
    fn vec8(&mut self) -> Option<Reader<'a>> {
        let n = self.u8()?;
        self.take(n.into()).map(Reader)
    }
    fn vec16(&mut self) -> Option<Reader<'a>> {
        let n = self.u16()?;
        self.take(n.into()).map(Reader)
    }
}

/// The host name in the `server_name` extension of the ClientHello that starts `record`
/// (one whole handshake record), or None when there is none or the bytes are not a
/// well-formed ClientHello held within this one record.
pub(crate) fn server_name(record: &[u8]) -> Option<&str> {
    let header = RecordHeader::parse(record).ok()?;
    if header.content_type != ContentType::Handshake {
        return None;
    }
    let mut r = Reader(record.get(RecordHeader::LEN..)?);
    r.take(usize::from(header.length)).map(Reader).and_then(|mut r| {
        if r.u8()? != CLIENT_HELLO {
            return None;
        }
        let len = r.take(3)?;
        let mut body = Reader(r.take(usize::from(len[1]) << 8 | usize::from(len[2]))?);
        if len[0] != 0 {
            return None;
        }
        body.take(2 + 32)?;
        body.vec8()?;
        body.vec16()?;
        body.vec8()?;
        let mut extensions = body.vec16()?;
        while !extensions.0.is_empty() {
            let kind = extensions.u16()?;
            let mut data = extensions.vec16()?;
            if kind != SERVER_NAME {
                continue;
            }
            let mut list = data.vec16()?;
            while !list.0.is_empty() {
                let name_type = list.u8()?;
                let name = list.vec16()?;
                if name_type == HOST_NAME {
                    return core::str::from_utf8(name.0).ok();
                }
            }
            return None;
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    fn vec16(data: &[u8]) -> Vec<u8> {
        [&(data.len() as u16).to_be_bytes()[..], data].concat()
    }

    fn hello(extensions: &[u8]) -> Vec<u8> {
        let mut body = vec![0x03, 0x03];
        body.extend([0xaa; 32]);
        body.extend([1, 0x55]); // session id
        body.extend(vec16(&[0x13, 0x01]));
        body.extend([1, 0]);
        body.extend(vec16(extensions));
        let len = (body.len() as u32).to_be_bytes();
        let msg = [&[CLIENT_HELLO, len[1], len[2], len[3]][..], &body].concat();
        [&[0x16, 0x03, 0x01][..], &vec16(&msg)].concat()
    }

    fn sni_ext(name: &[u8]) -> Vec<u8> {
        let entry = [&[HOST_NAME][..], &vec16(name)].concat();
        [&[0, 0][..], &vec16(&vec16(&entry))].concat()
    }

    #[test]
    fn finds_the_name_after_other_extensions() {
        let ext = [&[0x00, 0x2b][..], &vec16(&[2, 3, 4]), &sni_ext(b"www.example.com")].concat();
        let record = hello(&ext);
        assert_eq!(server_name(&record), Some("www.example.com"));
    }

    #[test]
    fn none_without_the_extension() {
        assert_eq!(server_name(&hello(&[0x00, 0x2b, 0x00, 0x01, 0x02])), None);
        assert_eq!(server_name(&hello(&[])), None);
    }

    #[test]
    fn every_truncation_and_corruption_is_none_not_a_panic() {
        let record = hello(&sni_ext(b"a.example"));
        for n in 0..record.len() {
            assert_eq!(server_name(&record[..n]), None, "{n} bytes");
        }
        for i in 0..record.len() {
            let mut bad = record.clone();
            bad[i] ^= 0xff;
            let _ = server_name(&bad);
        }
        let mut not_handshake = record.clone();
        not_handshake[0] = 0x17;
        assert_eq!(server_name(&not_handshake), None);
    }
}
