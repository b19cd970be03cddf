//! Zone files: the RFC 1035 §5 master-file format, as NSD and BIND read it,
//! into [`Record`]s; and the semantic checks of `nsd-checkzone`
//! ([`check_zone`]).
//!
//! ## Data flow
//!
//! ```text
//! bytes ──lexer──▶ entries of tokens ──parser──▶ ZoneRecord { Record, file:line }
//!                  ($INCLUDE: the include callback reads the file, same path again)
//! ZoneRecord[] ──check_zone_records──▶ kept records + warnings + errors
//! ```
//!
//! ## Syntax (RFC 1035 §5.1, RFC 2308 §4, RFC 3597 §5, BIND)
//!
//! - `$ORIGIN name` (relative names are completed with the current origin),
//!   `$TTL ttl`, `$INCLUDE file [origin]`, and BIND's
//!   `$GENERATE start-stop[/step] lhs [ttl] [class] type rhs...` with `$`,
//!   `${offset[,width[,base]]}` (base `d`, `o`, `x`, `X`, `n`, `N`), `$$` and `\$`.
//!   Unlike BIND, any type may be generated and the RDATA may be several
//!   tokens; one `$GENERATE` makes at most [`MAX_GENERATE`] records.
//! - `owner [ttl] [class] type rdata` with TTL and class in either order; `@`
//!   is the origin; a line starting with a blank repeats the previous owner;
//!   `( ... )` continues an entry across lines; `;` comments; quoted strings
//!   with `\X` and `\DDD` escapes (in names too); TTLs as seconds or with
//!   units (`1h30m`, `1W2D`, any case).
//! - `TYPEnnn`, `CLASSnnn` and the generic RDATA `\# len hex` (RFC 3597 §5);
//!   generic data of a known type is decoded into its variant.
//!
//! ## Inheritance — what this reader chose
//!
//! - **TTL** (BIND's rules, which follow RFC 2308 §4): a TTL written on the
//!   record; else the `$TTL` in force; else the last TTL written on an earlier
//!   record (RFC 1035 §5.1); else, for the SOA record only, its MINIMUM field,
//!   which then also serves as the default for later records (BIND does the
//!   same, with a warning). Otherwise the record is an error ("no TTL").
//!   `$TTL` and the last TTL carry out of an `$INCLUDE`d file (as in BIND);
//!   TTLs above 2^31−1 are kept as written (the checker warns).
//! - **Class**: the zone's class is the first record's (IN when it has none);
//!   a record without a class gets it; a record naming another class is an
//!   error. ANY and NONE are rejected.
//! - **Owner**: the previous record's owner in the same file; an included file
//!   starts without one (as in BIND), and the including file's owner and
//!   origin are unchanged after the include (RFC 1035 §5.1).
//! - **`$INCLUDE` paths**: relative paths are resolved against the directory of
//!   the including file (as that file was named), then handed to the include
//!   callback; a file that is already being read is refused (an include
//!   loop), nesting stops at [`MAX_INCLUDE_DEPTH`] and the total at
//!   [`MAX_INCLUDES`].
//!
//! Errors stop the parse: [`ZoneError`] says `file:line:column: message`.
//!
//! ## Where this reader differs from NSD 4.6 and BIND 9.18
//!
//! Compared by running `nsd-checkzone` and `named-checkzone` on the same
//! files (the test `acceptance_matches_nsd_checkzone` repeats the agreeing
//! cases whenever `nsd-checkzone` is installed):
//!
//! - a relative `$ORIGIN` is completed with the current origin (BIND; NSD
//!   rejects it);
//! - a record with no TTL, no `$TTL` and no earlier TTL is an error unless it
//!   is the SOA (BIND; NSD uses a default);
//! - nested parentheses are an error (NSD; BIND allows them);
//! - a quoted string may span lines (NSD; BIND rejects it);
//! - `\# len hex` whose length does not match is an error (BIND, RFC 3597;
//!   NSD 4.6 ignores the length);
//! - DS/CDS digests of types 1–4 must have their hash's length (BIND);
//! - `$GENERATE` (BIND only) also takes multi-token RDATA and any type;
//! - data outside the zone is dropped with a warning (BIND; NSD rejects the
//!   zone), and a zone without NS at the apex is an error (BIND; NSD loads it):
//!   see [`check`].

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use crate::message::Record;
use crate::name::Name;

pub mod check;
mod lexer;
mod parser;
mod rdata_text;

#[cfg(feature = "std")]
extern crate std;

pub use check::{ZoneCheckError, ZoneWarning, check_zone, check_zone_records};
pub use parser::{MAX_GENERATE, MAX_INCLUDE_DEPTH, MAX_INCLUDES};

/// A syntax error in a zone file (RFC 1035 §5), with its place.
///
/// Displays as `file:line:column: message`. `line` and `column` count from 1
/// (columns in characters); both are 0 when the error concerns the whole
/// file (it could not be read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ZoneError {
    /// The file's name as given (an included file's name is its resolved path).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// What is wrong.
    pub message: String,
}

/// Where a record came from: file and line of its first token (for a
/// `$GENERATE`d record, the directive's line).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourcePos {
    /// File name (shared by all records of the file).
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
}

impl fmt::Display for SourcePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A record read from a zone file and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneRecord {
    /// The record (absolute owner, class, TTL, data).
    pub record: Record,
    /// File and line.
    pub pos: SourcePos,
}

/// Parses the master file `text` (RFC 1035 §5) named `file` (used in errors
/// and to resolve relative `$INCLUDE` paths), with `origin` as the initial
/// `$ORIGIN`. `include` is called with the resolved path of each `$INCLUDE`d
/// file and returns its text (or why it cannot).
///
/// ```
/// use dns::name::Name;
/// use dns::zone::parse_zone;
/// let origin = Name::from_ascii("example.com.").unwrap();
/// let text = "$TTL 1h\n@ IN SOA ns hostmaster 1 2h 1h 1w 5m\n  NS ns\nns A 192.0.2.1\n";
/// let records = parse_zone(text, &origin, "example.com.zone", &mut |_| Err("no includes".into())).unwrap();
/// assert_eq!(records.len(), 3);
/// assert_eq!(records[2].ttl, 3600);
/// ```
pub fn parse_zone(
    text: &str,
    origin: &Name,
    file: &str,
    include: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<Vec<Record>, ZoneError> {
    let mut bytes_include = |p: &str| include(p).map(String::into_bytes);
    let recs = parse_zone_records(text.as_bytes(), origin, file, &mut bytes_include)?;
    Ok(recs.into_iter().map(|r| r.record).collect())
}

/// As [`parse_zone`], over bytes (zone files need not be UTF-8: `TXT` data
/// may hold any byte), keeping each record's file and line for
/// [`check_zone_records`].
pub fn parse_zone_records(
    text: &[u8],
    origin: &Name,
    file: &str,
    include: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
) -> Result<Vec<ZoneRecord>, ZoneError> {
    let mut p = parser::Parser::new(include);
    p.parse_file(text, Arc::from(file), origin.clone(), 0)?;
    Ok(p.finish())
}

/// An include callback that refuses every `$INCLUDE`.
pub fn no_includes(path: &str) -> Result<Vec<u8>, String> {
    Err(alloc::format!("$INCLUDE of `{path}` is not allowed here"))
}

/// Reads the zone file at `path` (and the files it `$INCLUDE`s, relative
/// paths resolved against the including file's directory) with `origin` as
/// the initial `$ORIGIN`.
#[cfg(feature = "std")]
pub fn load_zone_file(path: &std::path::Path, origin: &Name) -> Result<Vec<Record>, ZoneError> {
    Ok(load_zone_file_records(path, origin)?.into_iter().map(|r| r.record).collect())
}

/// As [`load_zone_file`], keeping each record's file and line.
#[cfg(feature = "std")]
pub fn load_zone_file_records(path: &std::path::Path, origin: &Name) -> Result<Vec<ZoneRecord>, ZoneError> {
    use std::string::ToString;
    let name = path.to_string_lossy().into_owned();
    let text = std::fs::read(path).map_err(|e| ZoneError {
        file: name.clone(),
        line: 0,
        column: 0,
        message: alloc::format!("cannot read the zone file: {e}"),
    })?;
    let mut read = |p: &str| std::fs::read(p).map_err(|e| e.to_string());
    parse_zone_records(&text, origin, &name, &mut read)
}

#[cfg(test)]
mod tests;
