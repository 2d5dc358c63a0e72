//! A small Python tokenizer for Alembic scripts: names, string literals (prefixes, triple
//! quotes, escapes), numbers, operators, `#` comments, bracket depth, and the indentation
//! column of each logical line (so `def upgrade():` ends where the indentation drops back).
//! Enough for [`super::python`] to find `op.<name>(…)` calls; not a Python parser.

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    Name,
    Str { value: String, readable: bool },
    Op,
    Other,
}

#[derive(Debug, Clone)]
pub(super) struct Tok {
    pub kind: Kind,
    pub text: String,
    pub line: usize,
    /// Column of the logical line this token starts, if it is the first token of one.
    pub line_start_col: Option<usize>,
}

impl Tok {
    pub(super) fn is_op(&self, s: &str) -> bool {
        self.kind == Kind::Op && self.text == s
    }
    pub(super) fn is_name(&self, s: &str) -> bool {
        self.kind == Kind::Name && self.text == s
    }
}

/// `(line, text)` pairs: comments, or problems.
pub(super) type Lines = Vec<(usize, String)>;

/// A script's tokens, its `#` comments, and what could not be read.
#[derive(Debug, Default)]
pub(super) struct Tokenized {
    pub toks: Vec<Tok>,
    pub comments: Lines,
    pub problems: Lines,
}

pub(super) fn tokenize(src: &str) -> Tokenized {
    let mut lx = Lexer {
        src,
        b: src.as_bytes(),
        i: 0,
        line: 1,
        depth: 0,
        at_line_start: true,
        col: 0,
        out: Tokenized::default(),
    };
    while lx.i < lx.b.len() {
        if lx.blank() {
            continue;
        }
        let line_start_col = (lx.at_line_start && lx.depth == 0).then_some(lx.col);
        lx.at_line_start = false;
        let c = lx.b[lx.i];
        if let Some(quote) = lx.string_quote() {
            if !lx.string(quote, line_start_col) {
                break;
            }
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            lx.name(line_start_col);
        } else if c.is_ascii_digit() {
            lx.number(line_start_col);
        } else {
            lx.op(line_start_col);
        }
    }
    lx.out
}

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
    line: usize,
    /// Bracket depth: newlines inside brackets do not end the logical line.
    depth: i32,
    at_line_start: bool,
    /// Indentation column of the current logical line.
    col: usize,
    out: Tokenized,
}

impl Lexer<'_> {
    /// Skip one newline, blank, line continuation or comment; false at a token.
    fn blank(&mut self) -> bool {
        let c = self.b[self.i];
        if c == b'\n' {
            self.line += 1;
            self.i += 1;
            if self.depth == 0 {
                self.at_line_start = true;
                self.col = 0;
            }
        } else if c == b' ' || c == b'\t' || c == b'\r' {
            if self.at_line_start {
                self.col += if c == b'\t' { 8 } else { 1 };
            }
            self.i += 1;
        } else if c == b'\\' && self.b.get(self.i + 1) == Some(&b'\n') {
            self.i += 2;
            self.line += 1;
        } else if c == b'#' {
            let start = self.i;
            while self.i < self.b.len() && self.b[self.i] != b'\n' {
                self.i += 1;
            }
            let text = self.src[start + 1..self.i].trim().to_string();
            self.out.comments.push((self.line, text));
        } else {
            return false;
        }
        true
    }

    fn push(&mut self, kind: Kind, text: String, line: usize, line_start_col: Option<usize>) {
        self.out.toks.push(Tok {
            kind,
            text,
            line,
            line_start_col,
        });
    }

    /// The position of the opening quote when a string (with an optional prefix) starts here.
    fn string_quote(&self) -> Option<usize> {
        let b = self.b;
        let mut p = self.i;
        while p < b.len() && p - self.i < 2 && b"rRbBuUfF".contains(&b[p]) {
            p += 1;
        }
        (p < b.len() && (b[p] == b'\'' || b[p] == b'"')).then_some(p)
    }

    /// The string literal whose opening quote is at `q`; false when it never ends.
    fn string(&mut self, q: usize, line_start_col: Option<usize>) -> bool {
        let start_line = self.line;
        let prefix = self.src[self.i..q].to_ascii_lowercase();
        let quote = self.b[q];
        let triple = self.b.get(q + 1) == Some(&quote) && self.b.get(q + 2) == Some(&quote);
        let open = if triple { 3 } else { 1 };
        let body = q + open;
        let Some(end) = self.string_end(body, quote, triple) else {
            let problem = (start_line, "unterminated string".to_string());
            self.out.problems.push(problem);
            return false;
        };
        let raw = &self.src[body.min(end)..end];
        let readable = (!prefix.contains('f') || !raw.contains('{')) && !prefix.contains('b');
        let value = if prefix.contains('r') {
            raw.to_string()
        } else {
            unescape(raw)
        };
        let kind = Kind::Str { value, readable };
        self.push(kind, String::new(), start_line, line_start_col);
        self.i = end + open;
        true
    }

    /// Where the string whose body starts at `body` closes, counting the lines it spans.
    fn string_end(&mut self, body: usize, q: u8, triple: bool) -> Option<usize> {
        let b = self.b;
        let mut j = body;
        while j < b.len() {
            if b[j] == b'\\' {
                if b.get(j + 1) == Some(&b'\n') {
                    self.line += 1;
                }
                j += 2;
                continue;
            }
            if b[j] == b'\n' {
                if !triple {
                    return None;
                }
                self.line += 1;
            }
            if b[j] == q && (!triple || (b.get(j + 1) == Some(&q) && b.get(j + 2) == Some(&q))) {
                return Some(j);
            }
            j += 1;
        }
        None
    }

    fn name(&mut self, line_start_col: Option<usize>) {
        let start = self.i;
        while self.i < self.b.len() {
            let c = self.b[self.i];
            if !(c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80) {
                break;
            }
            self.i += 1;
        }
        let text = self.src[start..self.i].to_string();
        self.push(Kind::Name, text, self.line, line_start_col);
    }

    fn number(&mut self, line_start_col: Option<usize>) {
        let start = self.i;
        while self.i < self.b.len() {
            let c = self.b[self.i];
            if !(c.is_ascii_alphanumeric() || c == b'.' || c == b'_') {
                break;
            }
            self.i += 1;
        }
        let text = self.src[start..self.i].to_string();
        self.push(Kind::Other, text, self.line, line_start_col);
    }

    fn op(&mut self, line_start_col: Option<usize>) {
        let c = self.b[self.i];
        match c {
            b'(' | b'[' | b'{' => self.depth += 1,
            b')' | b']' | b'}' => self.depth = (self.depth - 1).max(0),
            _ => {}
        }
        // `==`, `!=`, `<=`, `>=` are one operator (so `x == y` is not a keyword argument).
        let two = self.b.get(self.i + 1) == Some(&b'=') && b"=!<>".contains(&c);
        let len = if two {
            2
        } else {
            self.src[self.i..].chars().next().map_or(1, char::len_utf8)
        };
        let text = self.src[self.i..self.i + len].to_string();
        self.push(Kind::Op, text, self.line, line_start_col);
        self.i += len;
    }
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\n') => {}
            Some(other @ ('\\' | '\'' | '"')) => out.push(other),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}
