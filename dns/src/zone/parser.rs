//! The master-file reader (RFC 1035 §5, RFC 2308 §4, BIND's `$GENERATE`):
//! entries from the [lexer](super::lexer) become records.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::lexer::{EntryInfo, LexError, Lexer, Pos, Token};
use super::rdata_text::{
    TextError, class_from_token, looks_like_ttl, name_from_text, parse_name, parse_rdata, show, ttl_value,
    type_from_token, unescape,
};
use super::{SourcePos, ZoneError, ZoneRecord};
use crate::message::Record;
use crate::name::Name;
use crate::rdata::{Class, Rdata, Rtype};

/// How deeply `$INCLUDE` may nest (a file including itself stops here).
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// The most `$INCLUDE`s one zone may make in all (a file that includes
/// another several times over, nested, would otherwise multiply).
pub const MAX_INCLUDES: usize = 4096;

/// The most records one `$GENERATE` may produce.
pub const MAX_GENERATE: u64 = 65_536;

/// Reads `$INCLUDE` files: given the path (already resolved against the
/// including file's directory), returns the file's bytes or a reason.
pub(crate) type IncludeFn<'a> = dyn FnMut(&str) -> Result<Vec<u8>, String> + 'a;

/// State that lives across files (TTLs carry out of an included file, as in
/// BIND; the origin and the current owner do not).
pub(crate) struct Parser<'cb, 'f> {
    include: &'cb mut IncludeFn<'f>,
    out: Vec<ZoneRecord>,
    /// Class of the zone: the first record's (explicit or IN).
    zone_class: Option<Class>,
    /// `$TTL` (RFC 2308 §4), or the SOA minimum when the SOA had no TTL and
    /// there was no `$TTL` before it.
    default_ttl: Option<u32>,
    /// The last TTL written on a record (RFC 1035 §5.1).
    last_ttl: Option<u32>,
    /// The files being read, outermost first (to refuse include loops).
    stack: Vec<Arc<str>>,
    /// `$INCLUDE`s made so far.
    includes: usize,
}

/// Where in which file: turns lexer positions into [`ZoneError`]s.
struct Src<'t> {
    name: Arc<str>,
    text: &'t [u8],
}

impl Src<'_> {
    fn err(&self, pos: Pos, message: impl Into<String>) -> ZoneError {
        ZoneError {
            file: self.name.to_string(),
            line: pos.line,
            column: pos.column(self.text),
            message: message.into(),
        }
    }

    fn text_err(&self, e: TextError) -> ZoneError {
        self.err(e.pos, e.message)
    }

    fn lex_err(&self, e: LexError) -> ZoneError {
        self.err(e.pos, e.kind.message())
    }
}

/// The fields between the owner and the RDATA.
struct RrHead {
    ttl: Option<u32>,
    class: Option<(Class, Pos)>,
    rtype: Rtype,
    type_pos: Pos,
    /// Index of the first RDATA token.
    rdata_start: usize,
}

/// Per-file state.
struct FileState {
    origin: Name,
    owner: Option<Name>,
}

impl<'cb, 'f> Parser<'cb, 'f> {
    pub(crate) fn new(include: &'cb mut IncludeFn<'f>) -> Self {
        Parser {
            include,
            out: Vec::new(),
            zone_class: None,
            default_ttl: None,
            last_ttl: None,
            stack: Vec::new(),
            includes: 0,
        }
    }

    pub(crate) fn finish(self) -> Vec<ZoneRecord> {
        self.out
    }

    /// Reads one file (the top one or an included one).
    pub(crate) fn parse_file(
        &mut self,
        text: &[u8],
        file: Arc<str>,
        origin: Name,
        depth: usize,
    ) -> Result<(), ZoneError> {
        self.stack.push(file.clone());
        let res = self.parse_text(text, file, origin, depth);
        self.stack.pop();
        res
    }

    fn parse_text(
        &mut self,
        text: &[u8],
        file: Arc<str>,
        origin: Name,
        depth: usize,
    ) -> Result<(), ZoneError> {
        let src = Src { name: file, text };
        let mut lexer = Lexer::new(text);
        let mut toks: Vec<Token<'_>> = Vec::new();
        let mut st = FileState { origin, owner: None };
        while let Some(info) = lexer.next_entry(&mut toks).map_err(|e| src.lex_err(e))? {
            let first = toks.first().copied();
            match first {
                Some(t) if !info.blank_owner && !t.quoted && t.text.first() == Some(&b'$') => {
                    self.directive(&src, &mut st, &toks, info, depth)?;
                }
                _ => self.record(&src, &mut st, &toks, info)?,
            }
        }
        Ok(())
    }

    fn directive(
        &mut self,
        src: &Src<'_>,
        st: &mut FileState,
        toks: &[Token<'_>],
        info: EntryInfo,
        depth: usize,
    ) -> Result<(), ZoneError> {
        let Some(d) = toks.first() else { return Ok(()) };
        let args = toks.get(1..).unwrap_or(&[]);
        let arg = |i: usize, what: &str| -> Result<&Token<'_>, ZoneError> {
            args.get(i).ok_or_else(|| src.err(info.end, format!("{} needs {what}", show(d.text))))
        };
        let no_more = |from: usize| -> Result<(), ZoneError> {
            match args.get(from) {
                Some(t) => Err(src.err(
                    t.pos,
                    format!("unexpected `{}` after the {} directive", show(t.text), show(d.text)),
                )),
                None => Ok(()),
            }
        };
        if d.is_word("$ORIGIN") {
            let t = arg(0, "a domain name")?;
            st.origin = parse_name(t, &st.origin).map_err(|e| src.text_err(e))?;
            no_more(1)
        } else if d.is_word("$TTL") {
            let t = arg(0, "a TTL")?;
            let ttl = ttl_value(t.text)
                .map_err(|m| src.err(t.pos, format!("expected a TTL, found `{}`: {m}", show(t.text))))?;
            self.default_ttl = Some(ttl);
            no_more(1)
        } else if d.is_word("$INCLUDE") {
            let t = arg(0, "a file name")?;
            let path_bytes = unescape(t).map_err(|e| src.text_err(e))?;
            let Ok(path) = String::from_utf8(path_bytes) else {
                return Err(src.err(t.pos, "the $INCLUDE file name is not UTF-8"));
            };
            let origin = match args.get(1) {
                Some(o) => parse_name(o, &st.origin).map_err(|e| src.text_err(e))?,
                None => st.origin.clone(),
            };
            no_more(2)?;
            if depth + 1 > MAX_INCLUDE_DEPTH {
                return Err(src.err(
                    d.pos,
                    format!("$INCLUDE nested more than {MAX_INCLUDE_DEPTH} files deep (does a file include itself?)"),
                ));
            }
            let resolved = resolve_path(&src.name, &path);
            if self.stack.iter().any(|f| **f == *resolved) {
                return Err(src.err(t.pos, format!("$INCLUDE loop: `{resolved}` is already being read")));
            }
            self.includes += 1;
            if self.includes > MAX_INCLUDES {
                return Err(src.err(d.pos, format!("more than {MAX_INCLUDES} $INCLUDEs in one zone")));
            }
            let data = (self.include)(&resolved)
                .map_err(|why| src.err(t.pos, format!("cannot $INCLUDE `{resolved}`: {why}")))?;
            self.parse_file(&data, Arc::from(resolved.as_str()), origin, depth + 1)
        } else if d.is_word("$GENERATE") {
            self.generate(src, st, toks, info)
        } else {
            Err(src.err(
                d.pos,
                format!("unknown directive `{}` (known: $ORIGIN, $TTL, $INCLUDE, $GENERATE)", show(d.text)),
            ))
        }
    }

    /// `[ttl] [class]` or `[class] [ttl]`, then the type.
    fn ttl_class_type(
        src: &Src<'_>,
        toks: &[Token<'_>],
        mut i: usize,
        end: Pos,
    ) -> Result<RrHead, ZoneError> {
        let mut ttl = None;
        let mut class = None;
        loop {
            let Some(t) = toks.get(i) else {
                return Err(src.err(end, "expected an RR type, found the end of the entry"));
            };
            if ttl.is_none() && !t.quoted && looks_like_ttl(t.text) {
                let v = ttl_value(t.text)
                    .map_err(|m| src.err(t.pos, format!("expected a TTL, found `{}`: {m}", show(t.text))))?;
                ttl = Some(v);
                i += 1;
                continue;
            }
            if class.is_none() {
                if let Some(c) = class_from_token(t) {
                    if c == Class::ANY || c == Class::NONE {
                        return Err(src.err(t.pos, format!("class {c} cannot be used in zone data")));
                    }
                    class = Some((c, t.pos));
                    i += 1;
                    continue;
                }
            }
            let Some(rtype) = type_from_token(t) else {
                let what = match (ttl.is_some(), class.is_some()) {
                    (false, false) => "a TTL, a class or an RR type",
                    (true, false) => "a class or an RR type",
                    (false, true) => "a TTL or an RR type",
                    (true, true) => "an RR type",
                };
                return Err(src.err(t.pos, format!("expected {what}, found `{}`", show(t.text))));
            };
            if rtype.is_meta() {
                return Err(src.err(t.pos, format!("type {rtype} cannot be used in zone data")));
            }
            return Ok(RrHead { ttl, class, rtype, type_pos: t.pos, rdata_start: i + 1 });
        }
    }

    fn check_class(&mut self, src: &Src<'_>, class: Option<(Class, Pos)>) -> Result<Class, ZoneError> {
        let zone = *self.zone_class.get_or_insert(class.map_or(Class::IN, |(c, _)| c));
        match class {
            Some((c, pos)) if c != zone => {
                Err(src.err(pos, format!("class {c} differs from the zone's class {zone}")))
            }
            _ => Ok(zone),
        }
    }

    /// The TTL of a record without one (RFC 2308 §4, RFC 1035 §5.1, BIND).
    fn implicit_ttl(&mut self, rdata: &Rdata) -> Option<u32> {
        if let Some(t) = self.default_ttl {
            return Some(t);
        }
        if let Some(t) = self.last_ttl {
            return Some(t);
        }
        if let Rdata::Soa(soa) = rdata {
            self.default_ttl = Some(soa.minimum);
            return Some(soa.minimum);
        }
        None
    }

    fn record(
        &mut self,
        src: &Src<'_>,
        st: &mut FileState,
        toks: &[Token<'_>],
        info: EntryInfo,
    ) -> Result<(), ZoneError> {
        let Some(first) = toks.first() else { return Ok(()) };
        let mut i = 0;
        let owner = if info.blank_owner {
            st.owner.clone().ok_or_else(|| {
                src.err(
                    first.pos,
                    "this record has no owner name (the line starts with a blank) and there is no previous owner to repeat",
                )
            })?
        } else {
            i = 1;
            parse_name(first, &st.origin).map_err(|e| src.text_err(e))?
        };
        st.owner = Some(owner.clone());
        let RrHead { ttl, class, rtype, type_pos, rdata_start: i } =
            Self::ttl_class_type(src, toks, i, info.end)?;
        let class = self.check_class(src, class)?;
        let rdata = parse_rdata(rtype, toks.get(i..).unwrap_or(&[]), &st.origin, info.end)
            .map_err(|e| src.text_err(e))?;
        let ttl = match ttl {
            Some(t) => {
                self.last_ttl = Some(t);
                t
            }
            None => self.implicit_ttl(&rdata).ok_or_else(|| {
                src.err(type_pos, "no TTL: give the record a TTL or put a $TTL line before it")
            })?,
        };
        let line = toks.first().map_or(info.end.line, |t| t.pos.line);
        self.out.push(ZoneRecord {
            record: Record { name: owner, class, ttl, rdata },
            pos: SourcePos { file: src.name.clone(), line },
        });
        Ok(())
    }

    /// BIND's `$GENERATE range lhs [ttl] [class] type rhs`.
    fn generate(
        &mut self,
        src: &Src<'_>,
        st: &mut FileState,
        toks: &[Token<'_>],
        info: EntryInfo,
    ) -> Result<(), ZoneError> {
        let Some(d) = toks.first() else { return Ok(()) };
        let (Some(range), Some(lhs)) = (toks.get(1), toks.get(2)) else {
            return Err(src.err(info.end, "$GENERATE needs a range, an owner, a type and RDATA"));
        };
        let (start, stop, step) = parse_range(range.text).ok_or_else(|| {
            src.err(
                range.pos,
                format!(
                    "expected a range `start-stop[/step]` with start ≤ stop and step ≥ 1, found `{}`",
                    show(range.text)
                ),
            )
        })?;
        let count = (stop - start) / step + 1;
        if count > MAX_GENERATE {
            return Err(src.err(
                range.pos,
                format!("$GENERATE range gives {count} records; at most {MAX_GENERATE} are allowed"),
            ));
        }
        let RrHead { ttl, class, rtype, type_pos, rdata_start: i } =
            Self::ttl_class_type(src, toks, 3, info.end)?;
        let rhs = toks.get(i..).unwrap_or(&[]);
        if rhs.is_empty() {
            return Err(src.err(info.end, "$GENERATE needs RDATA after the type"));
        }
        let class = self.check_class(src, class)?;
        let line = d.pos.line;
        let mut bufs: Vec<Vec<u8>> = Vec::with_capacity(rhs.len());
        let mut v = start;
        while v <= stop {
            let gerr = |pos: Pos, m: String| src.err(pos, format!("$GENERATE at {v}: {m}"));
            let owner_text = expand(lhs.text, v).map_err(|m| gerr(lhs.pos, m))?;
            let owner = name_from_text(&owner_text, &st.origin)
                .map_err(|(_, m)| gerr(lhs.pos, format!("{m} in the owner `{}`", show(&owner_text))))?;
            bufs.clear();
            for t in rhs {
                bufs.push(expand(t.text, v).map_err(|m| gerr(t.pos, m))?);
            }
            let gen_toks: Vec<Token<'_>> =
                rhs.iter().zip(&bufs).map(|(t, b)| Token { text: b, quoted: t.quoted, pos: t.pos }).collect();
            let rdata = parse_rdata(rtype, &gen_toks, &st.origin, info.end).map_err(|e| {
                // Positions inside generated text do not map back to the file.
                let pos =
                    gen_toks.iter().rev().find(|t| t.pos.offset <= e.pos.offset).map_or(e.pos, |t| t.pos);
                gerr(pos, e.message)
            })?;
            let ttl = match ttl {
                Some(t) => {
                    self.last_ttl = Some(t);
                    t
                }
                None => self.implicit_ttl(&rdata).ok_or_else(|| {
                    src.err(type_pos, "no TTL: give the $GENERATE a TTL or put a $TTL line before it")
                })?,
            };
            self.out.push(ZoneRecord {
                record: Record { name: owner, class, ttl, rdata },
                pos: SourcePos { file: src.name.clone(), line },
            });
            v += step;
        }
        Ok(())
    }
}

/// `start-stop[/step]`.
fn parse_range(text: &[u8]) -> Option<(u64, u64, u64)> {
    let s = core::str::from_utf8(text).ok()?;
    let (range, step) = match s.split_once('/') {
        Some((r, st)) => (r, st),
        None => (s, "1"),
    };
    let (a, b) = range.split_once('-')?;
    let num = |x: &str| -> Option<u64> {
        if x.is_empty() || x.len() > 10 || !x.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        x.parse::<u64>().ok().filter(|&v| v <= u64::from(u32::MAX >> 1))
    };
    let (a, b, step) = (num(a)?, num(b)?, num(step)?);
    (a <= b && step >= 1).then_some((a, b, step))
}

/// Substitutes the iterator in a `$GENERATE` template: `$` is the value,
/// `${offset[,width[,base]]}` with base `d`, `o`, `x`, `X`, `n` or `N`
/// (nibbles, reversed, dot-separated, as BIND writes them for ip6.arpa);
/// `$$` and `\$` are a literal `$` (the escape stays for the name parser).
pub(crate) fn expand(template: &[u8], value: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(template.len() + 8);
    let mut i = 0;
    while let Some(&c) = template.get(i) {
        match c {
            b'\\' => {
                out.push(c);
                if let Some(&n) = template.get(i + 1) {
                    out.push(n);
                }
                i += 2;
            }
            b'$' => {
                i += 1;
                match template.get(i) {
                    Some(b'$') => {
                        out.extend_from_slice(b"\\$");
                        i += 1;
                    }
                    Some(b'{') => {
                        let close = template
                            .get(i..)
                            .and_then(|r| r.iter().position(|&x| x == b'}'))
                            .ok_or_else(|| "`${` without its closing `}`".to_string())?;
                        let spec = template.get(i + 1..i + close).unwrap_or(&[]);
                        i += close + 1;
                        format_value(spec, value, &mut out)?;
                    }
                    _ => format_value(b"", value, &mut out)?,
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
        if out.len() > 4096 {
            return Err("generated text longer than 4096 bytes".to_string());
        }
    }
    Ok(out)
}

/// `offset[,width[,base]]` applied to `value`.
fn format_value(spec: &[u8], value: u64, out: &mut Vec<u8>) -> Result<(), String> {
    let bad = || {
        format!(
            "bad modifier `${{{}}}` (expected `${{offset[,width[,base]]}}`, base one of d o x X n N)",
            show(spec)
        )
    };
    let s = core::str::from_utf8(spec).map_err(|_| bad())?;
    let mut parts = s.split(',');
    let offset: i64 = match parts.next() {
        None | Some("") => 0,
        Some(o) => o.parse().map_err(|_| bad())?,
    };
    let width: usize = match parts.next() {
        None => 0,
        Some(w) => w.parse().map_err(|_| bad())?,
    };
    let base = match parts.next() {
        None => b'd',
        Some(b) if b.len() == 1 && b"doxXnN".contains(&b.as_bytes()[0]) => b.as_bytes()[0],
        Some(_) => return Err(bad()),
    };
    if parts.next().is_some() {
        return Err(bad());
    }
    if width > 255 {
        return Err(format!("width {width} in `${{{s}}}` is above 255"));
    }
    let v = i64::try_from(value).map_err(|_| bad())?.checked_add(offset).ok_or_else(bad)?;
    let v = u64::try_from(v).map_err(|_| format!("offset {offset} makes the value {value} negative"))?;
    let digits = match base {
        b'n' | b'N' => {
            let hex: &[u8; 16] = if base == b'n' { b"0123456789abcdef" } else { b"0123456789ABCDEF" };
            let mut n = v;
            let mut w = width;
            loop {
                out.push(hex[(n & 0xf) as usize]);
                n >>= 4;
                w = w.saturating_sub(1);
                if w > 0 || n != 0 {
                    out.push(b'.');
                    w = w.saturating_sub(1);
                }
                if n == 0 && w == 0 {
                    break;
                }
            }
            return Ok(());
        }
        b'o' => format!("{v:o}"),
        b'x' => format!("{v:x}"),
        b'X' => format!("{v:X}"),
        _ => format!("{v}"),
    };
    for _ in digits.len()..width {
        out.push(b'0');
    }
    out.extend_from_slice(digits.as_bytes());
    Ok(())
}

/// Resolves an `$INCLUDE` path against the directory of the including file:
/// absolute paths stay, relative ones get the includer's directory prefixed
/// (nothing when the includer's name has no `/`).
pub(crate) fn resolve_path(including: &str, path: &str) -> String {
    if path.starts_with('/') {
        return path.to_string();
    }
    match including.rfind('/') {
        Some(i) => format!("{}/{}", &including[..i], path),
        None => path.to_string(),
    }
}
