//! Domain names (RFC 1035 §2.3.4, §3.1, §4.1.4; RFC 4034 §6.1 canonical order).
//!
//! A [`Name`] is an owned, absolute name held in uncompressed wire form: a
//! sequence of labels, each a length byte (1..=63) and that many bytes, ending
//! with the zero-length root label, 255 bytes at most in all. Case is kept as
//! given; equality, hashing and ordering ignore ASCII case (RFC 4343).
//!
//! Names of up to 30 wire bytes are stored inline (no heap allocation), so
//! decoding a typical query name does not allocate.
//!
//! ## Wire format
//!
//! ```text
//! 3 w w w 7 e x a m p l e 3 c o m 0       www.example.com.
//! 11xxxxxx xxxxxxxx                         compression pointer (14-bit offset)
//! ```

use alloc::boxed::Box;
use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};

use crate::wire::WireError;

/// Longest name in wire form (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 255;
/// Longest label (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;

const INLINE: usize = 30;

#[derive(Clone)]
enum Repr {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<[u8]>),
}

/// An owned absolute domain name in uncompressed wire form, case preserved.
///
/// `Eq` and `Hash` ignore ASCII case; `Ord` is the canonical DNS name order of
/// RFC 4034 §6.1 (labels compared from the root down, as lowercased bytes).
#[derive(Clone)]
pub struct Name {
    repr: Repr,
}

/// Errors from building a name out of presentation text or labels.
///
/// `at` is a byte index into the input text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The text is empty.
    #[error("empty domain name")]
    Empty,
    /// An empty label (two dots in a row, or a leading dot) at `at`.
    #[error("empty label at {at}")]
    EmptyLabel {
        /// Byte index of the offending dot.
        at: usize,
    },
    /// A label longer than 63 bytes, starting at `at`.
    #[error("label longer than 63 bytes at {at}")]
    LabelTooLong {
        /// Byte index where the label starts.
        at: usize,
    },
    /// The name would be longer than 255 bytes in wire form.
    #[error("domain name longer than 255 bytes")]
    NameTooLong,
    /// A bad `\` escape at `at` (`\DDD` above 255, or text ending in `\`).
    #[error("bad escape at {at}")]
    BadEscape {
        /// Byte index of the backslash.
        at: usize,
    },
    /// The name is not below the suffix it was asked to strip or replace.
    #[error("name is not a subdomain of the given suffix")]
    NotSubdomain,
}

impl Name {
    /// The root name `.`.
    pub fn root() -> Name {
        Name::from_wire_unchecked(&[0])
    }

    /// Builds a name from validated wire bytes.
    fn from_wire_unchecked(wire: &[u8]) -> Name {
        if wire.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..wire.len()].copy_from_slice(wire);
            Name { repr: Repr::Inline { len: wire.len() as u8, buf } }
        } else {
            Name { repr: Repr::Heap(wire.into()) }
        }
    }

    /// A name from uncompressed wire bytes (labels ending with the root label,
    /// nothing after it). Offsets in errors are indices into `wire`.
    pub fn from_wire(wire: &[u8]) -> Result<Name, WireError> {
        let mut i = 0usize;
        loop {
            let Some(&len) = wire.get(i) else {
                return Err(WireError::Truncated { what: "label", offset: i });
            };
            if len == 0 {
                break;
            }
            if usize::from(len) > MAX_LABEL_LEN {
                return Err(WireError::LabelTooLong { offset: i });
            }
            if i + 1 + usize::from(len) + 1 > MAX_NAME_LEN {
                return Err(WireError::NameTooLong { offset: i });
            }
            i += 1 + usize::from(len);
        }
        if i + 1 != wire.len() {
            return Err(WireError::Trailing { offset: i + 1 });
        }
        Ok(Name::from_wire_unchecked(wire))
    }

    /// Decodes a name at `msg[*pos..]`, following compression pointers
    /// (RFC 1035 §4.1.4); `*pos` is left just after the name's in-place bytes.
    ///
    /// Rejected, with the offset: pointers that point at or after themselves
    /// ([`WireError::BadPointer`]) or into the labels they continue
    /// ([`WireError::PointerLoop`]) — so every jump goes strictly backwards and
    /// decoding always ends —, names over 255 bytes, label types `01`/`10`.
    pub fn decode(msg: &[u8], pos: &mut usize) -> Result<Name, WireError> {
        Name::decode_within(msg, pos, msg.len())
    }

    /// As [`Name::decode`], but the in-place bytes must end before `end` (the
    /// end of the enclosing RDATA); pointer targets may be anywhere earlier.
    pub fn decode_within(msg: &[u8], pos: &mut usize, end: usize) -> Result<Name, WireError> {
        let mut out = [0u8; MAX_NAME_LEN];
        let mut n = 0usize;
        let mut p = *pos;
        let mut seg_start = p;
        let mut limit = end.min(msg.len());
        let mut jumped = false;
        loop {
            let len = match msg.get(p) {
                Some(&b) if p < limit => b,
                _ => return Err(WireError::Truncated { what: "domain name", offset: p }),
            };
            match len & 0xc0 {
                0x00 if len == 0 => {
                    out[n] = 0;
                    n += 1;
                    if !jumped {
                        *pos = p + 1;
                    }
                    return Ok(Name::from_wire_unchecked(&out[..n]));
                }
                0x00 => {
                    let l = usize::from(len);
                    if n + 1 + l + 1 > MAX_NAME_LEN {
                        return Err(WireError::NameTooLong { offset: p });
                    }
                    let label = match msg.get(p + 1..p + 1 + l) {
                        Some(b) if p + 1 + l <= limit => b,
                        _ => return Err(WireError::Truncated { what: "label", offset: p }),
                    };
                    out[n] = len;
                    out[n + 1..n + 1 + l].copy_from_slice(label);
                    n += 1 + l;
                    p += 1 + l;
                }
                0xc0 => {
                    let lo = match msg.get(p + 1) {
                        Some(&b) if p + 1 < limit => b,
                        _ => return Err(WireError::Truncated { what: "compression pointer", offset: p }),
                    };
                    let target = (usize::from(len & 0x3f) << 8) | usize::from(lo);
                    if target >= p {
                        return Err(WireError::BadPointer { offset: p });
                    }
                    if target >= seg_start {
                        return Err(WireError::PointerLoop { offset: p });
                    }
                    if !jumped {
                        *pos = p + 2;
                        jumped = true;
                    }
                    seg_start = target;
                    p = target;
                    limit = msg.len();
                }
                _ => return Err(WireError::BadLabelType { offset: p }),
            }
        }
    }

    /// Parses an absolute name in presentation format (RFC 1035 §5.1): labels
    /// separated by `.`, with `\.`-style and `\DDD` escapes. A name without a
    /// final dot is taken relative to the root, as `dig` does; `.` is the root.
    pub fn from_ascii(s: &str) -> Result<Name, NameError> {
        Name::from_ascii_relative(s, &Name::root())
    }

    /// Parses a name in presentation format; a name that does not end with an
    /// unescaped `.` is relative and gets `origin` appended (RFC 1035 §5.1).
    /// `@` alone is `origin`.
    pub fn from_ascii_relative(s: &str, origin: &Name) -> Result<Name, NameError> {
        let text = s.as_bytes();
        if text.is_empty() {
            return Err(NameError::Empty);
        }
        if text == b"@" {
            return Ok(origin.clone());
        }
        if text == b"." {
            return Ok(Name::root());
        }
        let mut out = [0u8; MAX_NAME_LEN + 64];
        let mut n = 0usize; // bytes used in out
        let mut label_start = 0usize; // index in out of the current length byte
        let mut label_at = 0usize; // index in text where the label starts
        let mut i = 0usize;
        let mut absolute = false;
        out[0] = 0;
        n += 1;
        while i < text.len() {
            let c = text[i];
            if c == b'.' {
                let len = n - label_start - 1;
                if len == 0 {
                    return Err(NameError::EmptyLabel { at: i });
                }
                out[label_start] = len as u8;
                i += 1;
                if i == text.len() {
                    absolute = true;
                    break;
                }
                label_start = n;
                label_at = i;
                out[n] = 0;
                n += 1;
                continue;
            }
            let (byte, used) = if c == b'\\' {
                match text.get(i + 1..i + 4) {
                    Some(d) if d.iter().all(u8::is_ascii_digit) => {
                        let v = d.iter().fold(0u32, |a, &x| a * 10 + u32::from(x - b'0'));
                        if v > 255 {
                            return Err(NameError::BadEscape { at: i });
                        }
                        (v as u8, 4)
                    }
                    _ => match text.get(i + 1) {
                        Some(&x) if !x.is_ascii_digit() => (x, 2),
                        _ => return Err(NameError::BadEscape { at: i }),
                    },
                }
            } else {
                (c, 1)
            };
            if n - label_start > MAX_LABEL_LEN {
                return Err(NameError::LabelTooLong { at: label_at });
            }
            if n >= MAX_NAME_LEN {
                return Err(NameError::NameTooLong);
            }
            out[n] = byte;
            n += 1;
            i += used;
        }
        if !absolute {
            let len = n - label_start - 1;
            if len == 0 {
                return Err(NameError::EmptyLabel { at: i });
            }
            out[label_start] = len as u8;
        }
        let suffix: &[u8] = if absolute { &[0] } else { origin.as_wire() };
        if n + suffix.len() > MAX_NAME_LEN {
            return Err(NameError::NameTooLong);
        }
        out[n..n + suffix.len()].copy_from_slice(suffix);
        n += suffix.len();
        Ok(Name::from_wire_unchecked(&out[..n]))
    }

    /// The name in uncompressed wire form, root label included.
    pub fn as_wire(&self) -> &[u8] {
        match &self.repr {
            Repr::Inline { len, buf } => &buf[..usize::from(*len)],
            Repr::Heap(b) => b,
        }
    }

    /// Length in uncompressed wire form (1 for the root, at most 255).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.as_wire().len()
    }

    /// True for the root name.
    pub fn is_root(&self) -> bool {
        self.as_wire() == [0]
    }

    /// The labels from the leftmost, without the root label (so the root has none).
    pub fn labels(&self) -> Labels<'_> {
        Labels { wire: self.as_wire() }
    }

    /// Number of labels, not counting the root label (0 for the root;
    /// `www.example.com.` has 3).
    pub fn label_count(&self) -> usize {
        self.labels().count()
    }

    /// The leftmost label (`None` for the root).
    pub fn first_label(&self) -> Option<&[u8]> {
        self.labels().next()
    }

    /// True when the leftmost label is `*` (RFC 4592 §2.1.1).
    pub fn is_wildcard(&self) -> bool {
        self.first_label() == Some(b"*")
    }

    /// True when `self` is `other` or below it (case-insensitive).
    pub fn is_subdomain_of(&self, other: &Name) -> bool {
        self.suffix_start(other).is_some()
    }

    /// The index in `self.as_wire()` where `suffix` starts, if `self` ends with it.
    fn suffix_start(&self, suffix: &Name) -> Option<usize> {
        let me = self.as_wire();
        let sw = suffix.as_wire();
        let start = me.len().checked_sub(sw.len())?;
        if !me[start..].eq_ignore_ascii_case(sw) {
            return None;
        }
        // The match must begin at a label boundary.
        let mut i = 0usize;
        while i < start {
            i += 1 + usize::from(me[i]);
        }
        (i == start).then_some(start)
    }

    /// The name without its leftmost label (`None` for the root).
    pub fn parent(&self) -> Option<Name> {
        let w = self.as_wire();
        let first = usize::from(*w.first()?);
        if first == 0 {
            return None;
        }
        w.get(1 + first..).map(Name::from_wire_unchecked)
    }

    /// The suffix made of the last `n` labels (the root for 0); `None` if the
    /// name has fewer labels.
    pub fn suffix(&self, n: usize) -> Option<Name> {
        let total = self.label_count();
        let skip = total.checked_sub(n)?;
        let w = self.as_wire();
        let mut i = 0usize;
        for _ in 0..skip {
            i += 1 + usize::from(w[i]);
        }
        Some(Name::from_wire_unchecked(&w[i..]))
    }

    /// `*.` + the parent of this name (RFC 4592 §3.3.1 source of synthesis);
    /// `None` for the root.
    pub fn to_wildcard_of_parent(&self) -> Option<Name> {
        self.parent()?.prepend(b"*").ok()
    }

    /// `label` + `.` + this name.
    pub fn prepend(&self, label: &[u8]) -> Result<Name, NameError> {
        if label.is_empty() {
            return Err(NameError::EmptyLabel { at: 0 });
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(NameError::LabelTooLong { at: 0 });
        }
        let w = self.as_wire();
        if 1 + label.len() + w.len() > MAX_NAME_LEN {
            return Err(NameError::NameTooLong);
        }
        let mut out = [0u8; MAX_NAME_LEN];
        out[0] = label.len() as u8;
        out[1..1 + label.len()].copy_from_slice(label);
        out[1 + label.len()..1 + label.len() + w.len()].copy_from_slice(w);
        Ok(Name::from_wire_unchecked(&out[..1 + label.len() + w.len()]))
    }

    /// The labels before `suffix`, in wire form without a root label (empty
    /// when the names are equal); `None` unless `self` is at or below `suffix`.
    pub fn strip_suffix(&self, suffix: &Name) -> Option<&[u8]> {
        let start = self.suffix_start(suffix)?;
        Some(&self.as_wire()[..start])
    }

    /// Replaces the suffix `old` by `new` (DNAME substitution, RFC 6672 §2.2).
    /// Fails with [`NameError::NameTooLong`] when the result exceeds 255 bytes
    /// (the server then answers YXDOMAIN) and [`NameError::NotSubdomain`] when
    /// `self` is not at or below `old`.
    pub fn replace_suffix(&self, old: &Name, new: &Name) -> Result<Name, NameError> {
        let prefix = self.strip_suffix(old).ok_or(NameError::NotSubdomain)?;
        let nw = new.as_wire();
        let total = prefix.len() + nw.len();
        if total > MAX_NAME_LEN {
            return Err(NameError::NameTooLong);
        }
        let mut out = [0u8; MAX_NAME_LEN];
        out[..prefix.len()].copy_from_slice(prefix);
        out[prefix.len()..total].copy_from_slice(nw);
        Ok(Name::from_wire_unchecked(&out[..total]))
    }

    /// The same name in lowercase (the canonical form of RFC 4034 §6.2).
    pub fn to_lowercase(&self) -> Name {
        let w = self.as_wire();
        let mut out = [0u8; MAX_NAME_LEN];
        for (o, &b) in out.iter_mut().zip(w) {
            *o = b.to_ascii_lowercase();
        }
        Name::from_wire_unchecked(&out[..w.len()])
    }

    /// True when the two names are byte-for-byte equal, case included.
    pub fn eq_case_sensitive(&self, other: &Name) -> bool {
        self.as_wire() == other.as_wire()
    }

    /// Appends the name, uncompressed, to `buf`.
    pub fn encode_uncompressed(&self, buf: &mut alloc::vec::Vec<u8>) {
        buf.extend_from_slice(self.as_wire());
    }

    /// Starting indices (in `as_wire()`) of the labels, root excluded.
    fn label_offsets(&self, out: &mut [u8; 128]) -> usize {
        let w = self.as_wire();
        let mut i = 0usize;
        let mut n = 0usize;
        while let Some(&len) = w.get(i) {
            if len == 0 || n == out.len() {
                break;
            }
            out[n] = i as u8;
            n += 1;
            i += 1 + usize::from(len);
        }
        n
    }
}

/// Iterator over the labels of a [`Name`], leftmost first, root excluded.
#[derive(Debug, Clone)]
pub struct Labels<'a> {
    wire: &'a [u8],
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (&len, rest) = self.wire.split_first()?;
        if len == 0 {
            self.wire = &[];
            return None;
        }
        let (label, rest) = rest.split_at_checked(usize::from(len))?;
        self.wire = rest;
        Some(label)
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        // Length bytes are below 64, so lowercasing leaves them alone.
        self.as_wire().eq_ignore_ascii_case(other.as_wire())
    }
}

impl Eq for Name {}

impl Hash for Name {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let w = self.as_wire();
        let mut buf = [0u8; MAX_NAME_LEN];
        for (o, &b) in buf.iter_mut().zip(w) {
            *o = b.to_ascii_lowercase();
        }
        state.write(&buf[..w.len()]);
    }
}

impl Ord for Name {
    /// RFC 4034 §6.1: compare the rightmost labels first, each as a string of
    /// lowercased bytes (a label that is a prefix of another sorts first); a
    /// name that is a proper suffix of another sorts first.
    fn cmp(&self, other: &Name) -> Ordering {
        let (mut a_off, mut b_off) = ([0u8; 128], [0u8; 128]);
        let an = self.label_offsets(&mut a_off);
        let bn = other.label_offsets(&mut b_off);
        let (aw, bw) = (self.as_wire(), other.as_wire());
        fn label(w: &[u8], off: u8) -> &[u8] {
            let i = usize::from(off);
            let len = usize::from(w[i]);
            &w[i + 1..i + 1 + len]
        }
        for k in 1..=an.min(bn) {
            let la = label(aw, a_off[an - k]);
            let lb = label(bw, b_off[bn - k]);
            let ord = la.iter().map(u8::to_ascii_lowercase).cmp(lb.iter().map(u8::to_ascii_lowercase));
            if ord != Ordering::Equal {
                return ord;
            }
        }
        an.cmp(&bn)
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Writes one label in presentation format: `. ; \ " ( ) @ $` are escaped with
/// a backslash and bytes outside `!`..=`~` as `\DDD`, as `dig` prints them.
pub(crate) fn fmt_label(label: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for &b in label {
        match b {
            b'.' | b';' | b'\\' | b'"' | b'(' | b')' | b'@' | b'$' => {
                write!(f, "\\{}", b as char)?;
            }
            0x21..=0x7e => fmt::Write::write_char(f, b as char)?,
            _ => write!(f, "\\{b:03}")?,
        }
    }
    Ok(())
}

impl fmt::Display for Name {
    /// Presentation format (RFC 1035 §5.1), absolute with the final dot; the
    /// root is `.`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            return f.write_str(".");
        }
        for label in self.labels() {
            fmt_label(label, f)?;
            f.write_str(".")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({self})")
    }
}

impl core::str::FromStr for Name {
    type Err = NameError;

    /// As [`Name::from_ascii`].
    fn from_str(s: &str) -> Result<Name, NameError> {
        Name::from_ascii(s)
    }
}

impl Default for Name {
    /// The root name.
    fn default() -> Name {
        Name::root()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    #[test]
    fn presentation_round_trip() {
        assert_eq!(n("www.Example.COM.").as_wire(), b"\x03www\x07Example\x03COM\x00");
        assert_eq!(n("www.Example.COM").to_string(), "www.Example.COM.");
        assert_eq!(n(".").as_wire(), b"\x00");
        assert_eq!(Name::root().to_string(), ".");
        let odd = n(r"a\.b\\c\032d\\\255.x.");
        assert_eq!(odd.first_label().unwrap(), b"a.b\\c d\\\xff");
        assert_eq!(odd.to_string(), r"a\.b\\c\032d\\\255.x.");
        assert_eq!(n(r#"q\"\(\)\;\@\$."#).to_string(), r#"q\"\(\)\;\@\$."#);
        let origin = n("example.com.");
        assert_eq!(Name::from_ascii_relative("www", &origin).unwrap(), n("www.example.com."));
        assert_eq!(Name::from_ascii_relative("www.other.", &origin).unwrap(), n("www.other."));
        assert_eq!(Name::from_ascii_relative("@", &origin).unwrap(), origin);
    }

    #[test]
    fn presentation_errors() {
        assert_eq!(Name::from_ascii(""), Err(NameError::Empty));
        assert_eq!(Name::from_ascii("a..b"), Err(NameError::EmptyLabel { at: 2 }));
        assert_eq!(Name::from_ascii(".a"), Err(NameError::EmptyLabel { at: 0 }));
        assert_eq!(Name::from_ascii(r"a\256"), Err(NameError::BadEscape { at: 1 }));
        assert_eq!(Name::from_ascii(r"a\1b"), Err(NameError::BadEscape { at: 1 }));
        assert_eq!(Name::from_ascii(r"ab\"), Err(NameError::BadEscape { at: 2 }));
        let long = "x".repeat(64);
        assert_eq!(Name::from_ascii(&alloc::format!("a.{long}.b")), Err(NameError::LabelTooLong { at: 2 }));
        assert!(Name::from_ascii(&"x".repeat(63)).is_ok());
        // 4 labels of 63 = 256 bytes with the root: one too many.
        let l = "x".repeat(63);
        assert_eq!(Name::from_ascii(&alloc::format!("{l}.{l}.{l}.{l}")), Err(NameError::NameTooLong));
        let ok = alloc::format!("{l}.{l}.{l}.{}", "x".repeat(61));
        assert_eq!(Name::from_ascii(&ok).unwrap().len(), 255);
        let origin = n(&alloc::format!("{l}.{l}.{l}."));
        assert_eq!(Name::from_ascii_relative(&"y".repeat(62), &origin), Err(NameError::NameTooLong));
    }

    #[test]
    fn case_insensitive_equality_and_hash_keep_case() {
        use core::hash::BuildHasher;
        let (a, b) = (n("WWW.example.com"), n("www.EXAMPLE.com"));
        assert_eq!(a, b);
        assert!(!a.eq_case_sensitive(&b));
        let s = std::hash::RandomState::new();
        assert_eq!(s.hash_one(&a), s.hash_one(&b));
        assert_eq!(a.to_string(), "WWW.example.com.");
        assert_eq!(a.to_lowercase().to_string(), "www.example.com.");
        assert_ne!(n("a.example"), n("b.example"));
    }

    #[test]
    fn canonical_order_rfc4034_section_6_1() {
        let sorted = [
            "example.",
            "a.example.",
            "yljkjljk.a.example.",
            "Z.a.example.",
            r"zABC.a.EXAMPLE.",
            "z.example.",
            r"\001.z.example.",
            "*.z.example.",
            r"\200.z.example.",
        ];
        let names: Vec<Name> = sorted.iter().map(|s| n(s)).collect();
        for w in names.windows(2) {
            assert!(w[0] < w[1], "{} < {}", w[0], w[1]);
        }
        let mut shuffled = names.clone();
        shuffled.reverse();
        shuffled.sort();
        assert_eq!(shuffled, names);
        assert!(Name::root() < n("a."));
        assert_eq!(n("A.b.").cmp(&n("a.B.")), Ordering::Equal);
    }

    #[test]
    fn tree_operations() {
        let www = n("www.example.com");
        let apex = n("EXAMPLE.com");
        assert_eq!(www.label_count(), 3);
        assert_eq!(Name::root().label_count(), 0);
        assert_eq!(www.labels().collect::<Vec<_>>(), [&b"www"[..], b"example", b"com"]);
        assert!(www.is_subdomain_of(&apex));
        assert!(apex.is_subdomain_of(&apex));
        assert!(www.is_subdomain_of(&Name::root()));
        assert!(!apex.is_subdomain_of(&www));
        assert!(!n("xexample.com").is_subdomain_of(&apex));
        assert!(!n("a.b").is_subdomain_of(&n("b.b")));
        assert_eq!(www.parent(), Some(n("example.com")));
        assert_eq!(Name::root().parent(), None);
        assert_eq!(www.suffix(1), Some(n("com")));
        assert_eq!(www.suffix(0), Some(Name::root()));
        assert_eq!(www.suffix(4), None);
        assert_eq!(www.to_wildcard_of_parent(), Some(n("*.example.com")));
        assert!(n("*.example.com").is_wildcard());
        assert!(!www.is_wildcard());
        assert_eq!(apex.prepend(b"mail").unwrap(), n("mail.example.com"));
        assert_eq!(www.strip_suffix(&apex), Some(&b"\x03www"[..]));
        assert_eq!(apex.strip_suffix(&apex), Some(&b""[..]));
        assert_eq!(apex.strip_suffix(&www), None);
        assert_eq!(www.replace_suffix(&apex, &n("example.net")).unwrap(), n("www.example.net"));
        assert_eq!(www.replace_suffix(&n("org"), &apex), Err(NameError::NotSubdomain));
        let long = n(&alloc::format!("{0}.{0}.{0}.{1}", "x".repeat(63), "x".repeat(60)));
        assert_eq!(www.replace_suffix(&apex, &long), Err(NameError::NameTooLong));
        assert_eq!(apex.prepend(&[b'x'; 64]), Err(NameError::LabelTooLong { at: 0 }));
    }

    #[test]
    fn small_names_are_inline_and_compact() {
        assert_eq!(core::mem::size_of::<Name>(), 32);
        let short = n("www.example.com");
        assert!(matches!(short.repr, Repr::Inline { .. }));
        let long = n("a-much-longer-name.with-several-labels.example.com");
        assert!(matches!(long.repr, Repr::Heap(_)));
        assert_eq!(long.to_string(), "a-much-longer-name.with-several-labels.example.com.");
    }

    #[test]
    fn from_wire_checks() {
        assert_eq!(Name::from_wire(b"\x01a\x00").unwrap(), n("a"));
        assert_eq!(Name::from_wire(b"\x01a"), Err(WireError::Truncated { what: "label", offset: 2 }));
        assert_eq!(Name::from_wire(b"\x40a\x00"), Err(WireError::LabelTooLong { offset: 0 }));
        assert_eq!(Name::from_wire(b"\x00\x00"), Err(WireError::Trailing { offset: 1 }));
    }

    #[test]
    fn decode_follows_pointers() {
        // header-sized padding, then "example.com" at 12, "www" + pointer at 25.
        let mut msg = Vec::from([0u8; 12]);
        msg.extend_from_slice(b"\x07example\x03com\x00\x03www\xc0\x0c\xc0\x19");
        let mut pos = 12;
        assert_eq!(Name::decode(&msg, &mut pos).unwrap(), n("example.com"));
        assert_eq!(pos, 25);
        assert_eq!(Name::decode(&msg, &mut pos).unwrap(), n("www.example.com"));
        assert_eq!(pos, 31);
        // A pointer to a pointer.
        assert_eq!(Name::decode(&msg, &mut pos).unwrap(), n("www.example.com"));
        assert_eq!(pos, 33);
    }

    #[test]
    fn decode_rejections_carry_offsets() {
        let dec = |bytes: &[u8], start: usize| Name::decode(bytes, &mut { start });
        // Pointer to itself and forward.
        assert_eq!(dec(b"\xc0\x00", 0), Err(WireError::BadPointer { offset: 0 }));
        assert_eq!(dec(b"\x01a\xc0\x05\x00\x00", 0), Err(WireError::BadPointer { offset: 2 }));
        // Pointer into the labels it continues.
        assert_eq!(dec(b"\x01a\x01b\xc0\x02", 0), Err(WireError::PointerLoop { offset: 4 }));
        // Two pointers pointing at each other: the second jump goes forward.
        assert_eq!(dec(b"\xc0\x02\xc0\x00", 2), Err(WireError::BadPointer { offset: 0 }));
        // A chain that loops back through a label.
        assert_eq!(dec(b"\x01a\xc0\x00", 2), Err(WireError::PointerLoop { offset: 2 }));
        assert_eq!(dec(b"\x41", 0), Err(WireError::BadLabelType { offset: 0 }));
        assert_eq!(dec(b"\x01a\x80", 0), Err(WireError::BadLabelType { offset: 2 }));
        assert_eq!(dec(b"\x03ab", 0), Err(WireError::Truncated { what: "label", offset: 0 }));
        assert_eq!(dec(b"\x01a", 0), Err(WireError::Truncated { what: "domain name", offset: 2 }));
        assert_eq!(dec(b"\x00\xc0", 1), Err(WireError::Truncated { what: "compression pointer", offset: 1 }));
        // 5 labels of 63 bytes: the fifth passes 255.
        let mut long = Vec::new();
        for _ in 0..5 {
            long.push(63);
            long.extend_from_slice(&[b'x'; 63]);
        }
        long.push(0);
        assert_eq!(dec(&long, 0), Err(WireError::NameTooLong { offset: 192 }));
        // Too long through pointers: "x"*63 three times, then a pointer back to it.
        let mut msg = long[..64 * 3].to_vec();
        msg.push(0);
        msg.extend_from_slice(&[63]);
        msg.extend_from_slice(&[b'y'; 63]);
        msg.extend_from_slice(&[0xc0, 0x00]);
        assert_eq!(dec(&msg, 193), Err(WireError::NameTooLong { offset: 128 }));
        // The limit of the enclosing RDATA applies to in-place bytes.
        let mut pos = 0;
        assert_eq!(
            Name::decode_within(b"\x01a\x00", &mut pos, 2),
            Err(WireError::Truncated { what: "domain name", offset: 2 })
        );
    }

    fn arb_name() -> impl Strategy<Value = Name> {
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..12), 0..8).prop_map(|labels| {
            let mut name = Name::root();
            for l in labels.iter().rev() {
                name = name.prepend(l).unwrap_or(name);
            }
            name
        })
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(name in arb_name()) {
            let text = name.to_string();
            let back = Name::from_ascii(&text).unwrap();
            prop_assert!(back.eq_case_sensitive(&name), "{text}");
        }

        #[test]
        fn wire_round_trip(name in arb_name()) {
            let mut pos = 0;
            let back = Name::decode(name.as_wire(), &mut pos).unwrap();
            prop_assert!(back.eq_case_sensitive(&name));
            prop_assert_eq!(pos, name.len());
            prop_assert_eq!(Name::from_wire(name.as_wire()).unwrap(), name.clone());
        }

        #[test]
        fn order_is_consistent_with_eq(a in arb_name(), b in arb_name()) {
            prop_assert_eq!(a.cmp(&b) == Ordering::Equal, a == b);
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
            prop_assert_eq!(a.to_lowercase().cmp(&b), a.cmp(&b));
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300), start in 0usize..300) {
            let mut pos = start;
            if let Ok(name) = Name::decode(&bytes, &mut pos) {
                prop_assert!(name.len() <= MAX_NAME_LEN);
                prop_assert!(pos <= bytes.len());
            }
        }
    }
}
