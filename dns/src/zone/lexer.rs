//! The tokenizer of master files (RFC 1035 §5.1).
//!
//! A master file is a sequence of *entries*. An entry ends at a newline unless
//! the newline is inside parentheses; `;` starts a comment that runs to the end
//! of the line; a line that starts with a space or a tab has a blank owner (the
//! owner of the previous record is used). Tokens are separated by blanks; a
//! token is either a run of characters other than blanks, `;`, `(`, `)` and `"`
//! (with `\X` and `\DDD` escapes kept as written, since a name needs to tell
//! `\.` from `.`), or a quoted string `"..."` (which may contain any of those,
//! escapes too, and newlines).
//!
//! The lexer works on bytes and never copies: a [`Token`] borrows its text from
//! the file. Escapes are interpreted later by whoever knows what the token is
//! (a name, a character string, a number).

use alloc::vec::Vec;

/// A place in a file: byte offset plus the line it is on (for line:column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    /// Byte offset from the start of the file.
    pub offset: usize,
    /// 1-based line number.
    pub line: u32,
    /// Byte offset where that line starts.
    pub line_start: usize,
}

impl Pos {
    /// The 1-based column of this place in `text`, counted in characters
    /// (UTF-8 continuation bytes do not start a new column).
    pub fn column(&self, text: &[u8]) -> u32 {
        let start = self.line_start.min(text.len());
        let end = self.offset.min(text.len()).max(start);
        let chars = text.get(start..end).unwrap_or(&[]).iter().filter(|&&b| b & 0xC0 != 0x80).count();
        u32::try_from(chars).unwrap_or(u32::MAX).saturating_add(1)
    }

    /// This place moved `n` bytes to the right on the same line.
    pub fn advanced(self, n: usize) -> Pos {
        Pos { offset: self.offset.saturating_add(n), ..self }
    }
}

/// One token of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    /// The text as written, escapes intact; without the quotes of a quoted
    /// string.
    pub text: &'a [u8],
    /// True for a quoted string.
    pub quoted: bool,
    /// Where the token starts (its opening quote, for a quoted string).
    pub pos: Pos,
}

impl Token<'_> {
    /// Where the token's text starts (after the opening quote).
    pub fn text_pos(&self) -> Pos {
        if self.quoted { self.pos.advanced(1) } else { self.pos }
    }

    /// True if this is the unquoted token `s` (ASCII case-insensitive).
    pub fn is_word(&self, s: &str) -> bool {
        !self.quoted && self.text.eq_ignore_ascii_case(s.as_bytes())
    }
}

/// One entry: a record or a `$` directive, possibly spread over several lines
/// with parentheses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EntryInfo {
    /// The entry's first line started with a blank: no owner field.
    pub blank_owner: bool,
    /// Where the entry ends (the newline, or the end of the file).
    pub end: Pos,
}

/// What went wrong while splitting a file into tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LexErrorKind {
    /// `"` without its closing `"`.
    UnterminatedQuote,
    /// `(` without its `)` before the end of the file.
    UnclosedParen,
    /// `(` inside parentheses.
    NestedParen,
    /// `)` without a `(`.
    UnexpectedCloseParen,
    /// `\` as the last character of a line or of the file.
    DanglingBackslash,
}

impl LexErrorKind {
    /// A sentence for the user.
    pub fn message(self) -> &'static str {
        match self {
            LexErrorKind::UnterminatedQuote => "quoted string is not closed (missing `\"`)",
            LexErrorKind::UnclosedParen => "`(` is not closed before the end of the file",
            LexErrorKind::NestedParen => "nested `(`: parentheses cannot be nested",
            LexErrorKind::UnexpectedCloseParen => "`)` without a matching `(`",
            LexErrorKind::DanglingBackslash => "`\\` at the end of a line escapes nothing",
        }
    }
}

/// A tokenizer error and where it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LexError {
    /// What.
    pub kind: LexErrorKind,
    /// Where.
    pub pos: Pos,
}

/// Splits a master file into entries of tokens.
#[derive(Debug)]
pub(crate) struct Lexer<'a> {
    text: &'a [u8],
    offset: usize,
    line: u32,
    line_start: usize,
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `text`.
    pub fn new(text: &'a [u8]) -> Self {
        // A UTF-8 byte order mark is not part of the first owner name.
        let offset = if text.starts_with(&[0xEF, 0xBB, 0xBF]) { 3 } else { 0 };
        Lexer { text, offset, line: 1, line_start: offset }
    }

    fn pos(&self) -> Pos {
        Pos { offset: self.offset, line: self.line, line_start: self.line_start }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.offset).copied()
    }

    fn newline(&mut self) {
        // self.offset is at the '\n'
        self.offset += 1;
        self.line = self.line.saturating_add(1);
        self.line_start = self.offset;
    }

    /// Reads the next entry's tokens into `out` (cleared first). Returns
    /// `None` at the end of the file. Blank lines and comment-only lines are
    /// skipped.
    pub fn next_entry(&mut self, out: &mut Vec<Token<'a>>) -> Result<Option<EntryInfo>, LexError> {
        out.clear();
        let mut blank_owner = false;
        let mut paren: Option<Pos> = None;
        loop {
            if self.offset == self.line_start && paren.is_none() && out.is_empty() {
                blank_owner = matches!(self.peek(), Some(b' ' | b'\t'));
            }
            let Some(b) = self.peek() else {
                if let Some(open) = paren {
                    return Err(LexError { kind: LexErrorKind::UnclosedParen, pos: open });
                }
                if out.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(EntryInfo { blank_owner, end: self.pos() }));
            };
            match b {
                b' ' | b'\t' | b'\r' => self.offset += 1,
                b';' => {
                    while let Some(c) = self.peek() {
                        if c == b'\n' {
                            break;
                        }
                        self.offset += 1;
                    }
                }
                b'\n' => {
                    if paren.is_none() && !out.is_empty() {
                        let end = self.pos();
                        self.newline();
                        return Ok(Some(EntryInfo { blank_owner, end }));
                    }
                    self.newline();
                }
                b'(' => {
                    if paren.is_some() {
                        return Err(LexError { kind: LexErrorKind::NestedParen, pos: self.pos() });
                    }
                    paren = Some(self.pos());
                    self.offset += 1;
                }
                b')' => {
                    if paren.is_none() {
                        return Err(LexError { kind: LexErrorKind::UnexpectedCloseParen, pos: self.pos() });
                    }
                    paren = None;
                    self.offset += 1;
                }
                b'"' => out.push(self.quoted()?),
                _ => out.push(self.word()?),
            }
        }
    }

    fn quoted(&mut self) -> Result<Token<'a>, LexError> {
        let start = self.pos();
        self.offset += 1;
        let text_start = self.offset;
        loop {
            match self.peek() {
                None => return Err(LexError { kind: LexErrorKind::UnterminatedQuote, pos: start }),
                Some(b'"') => {
                    let text = self.text.get(text_start..self.offset).unwrap_or(&[]);
                    self.offset += 1;
                    return Ok(Token { text, quoted: true, pos: start });
                }
                Some(b'\\') => {
                    self.offset += 1;
                    match self.peek() {
                        None => {
                            return Err(LexError { kind: LexErrorKind::UnterminatedQuote, pos: start });
                        }
                        Some(b'\n') => self.newline(),
                        Some(_) => self.offset += 1,
                    }
                }
                Some(b'\n') => self.newline(),
                Some(_) => self.offset += 1,
            }
        }
    }

    fn word(&mut self) -> Result<Token<'a>, LexError> {
        let start = self.pos();
        loop {
            match self.peek() {
                None | Some(b' ' | b'\t' | b'\r' | b'\n' | b';' | b'(' | b')' | b'"') => break,
                Some(b'\\') => {
                    let at = self.pos();
                    self.offset += 1;
                    match self.peek() {
                        None | Some(b'\n' | b'\r') => {
                            return Err(LexError { kind: LexErrorKind::DanglingBackslash, pos: at });
                        }
                        Some(_) => self.offset += 1,
                    }
                }
                Some(_) => self.offset += 1,
            }
        }
        let text = self.text.get(start.offset..self.offset).unwrap_or(&[]);
        Ok(Token { text, quoted: false, pos: start })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// (text, quoted, line, column) of a token.
    type Tok<'a> = (&'a str, bool, u32, u32);

    fn entries(text: &str) -> Vec<(bool, Vec<Tok<'_>>)> {
        let mut lx = Lexer::new(text.as_bytes());
        let mut out = Vec::new();
        let mut toks = Vec::new();
        while let Some(info) = lx.next_entry(&mut toks).unwrap() {
            out.push((
                info.blank_owner,
                toks.iter()
                    .map(|t| {
                        (
                            core::str::from_utf8(t.text).unwrap(),
                            t.quoted,
                            t.pos.line,
                            t.pos.column(text.as_bytes()),
                        )
                    })
                    .collect(),
            ));
        }
        out
    }

    #[test]
    fn splits_entries_and_tokens() {
        let e = entries("a IN A 1.2.3.4 ; c\n\n  ; only a comment\n\tTXT \"x y\" z\\ w\n");
        assert_eq!(
            e,
            vec![
                (
                    false,
                    vec![
                        ("a", false, 1, 1),
                        ("IN", false, 1, 3),
                        ("A", false, 1, 6),
                        ("1.2.3.4", false, 1, 8)
                    ]
                ),
                (true, vec![("TXT", false, 4, 2), ("x y", true, 4, 6), ("z\\ w", false, 4, 12)]),
            ]
        );
    }

    #[test]
    fn parentheses_span_lines() {
        let e = entries("@ SOA ns h ( 1 ; serial\n 2\n 3 4\n 5 )\nb A 1.1.1.1");
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].1.len(), 9);
        assert_eq!(e[0].1[8], ("5", false, 4, 2));
        assert_eq!(e[1].1[0], ("b", false, 5, 1));
    }

    #[test]
    fn quoted_strings_keep_specials() {
        let e = entries("a TXT \"; ( ) \\\" x\"\"y\"");
        assert_eq!(e[0].1[2], ("; ( ) \\\" x", true, 1, 7));
        assert_eq!(e[0].1[3], ("y", true, 1, 19));
    }

    #[test]
    fn errors() {
        let err = |t: &str| {
            let mut lx = Lexer::new(t.as_bytes());
            let mut toks = Vec::new();
            loop {
                match lx.next_entry(&mut toks) {
                    Ok(Some(_)) => continue,
                    Ok(None) => panic!("no error in {t:?}"),
                    Err(e) => return (e.kind, e.pos.line, e.pos.column(t.as_bytes())),
                }
            }
        };
        assert_eq!(err("a TXT \"abc\n"), (LexErrorKind::UnterminatedQuote, 1, 7));
        assert_eq!(err("a\nb SOA ( 1 2\n"), (LexErrorKind::UnclosedParen, 2, 7));
        assert_eq!(err("a SOA ( ( 1 )"), (LexErrorKind::NestedParen, 1, 9));
        assert_eq!(err("a A 1 )"), (LexErrorKind::UnexpectedCloseParen, 1, 7));
        assert_eq!(err("a TXT x\\\nb"), (LexErrorKind::DanglingBackslash, 1, 8));
        assert_eq!(err("a TXT x\\"), (LexErrorKind::DanglingBackslash, 1, 8));
    }

    #[test]
    fn columns_count_characters() {
        let text = "é A 1.2.3.4";
        let e = entries(text);
        assert_eq!(e[0].1[1].3, 3);
    }
}
