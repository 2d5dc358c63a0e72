//! A small PostgreSQL lexer: tokens with line numbers, and statements split on top-level `;`.
//!
//! Owns: reading SQL text the way the server does for quoting (`'…'`, `E'…'`, `"…"`,
//! `$tag$…$tag$`, `--` and nested `/* */` comments, `BEGIN ATOMIC … END` bodies), so that
//! no-transaction files can be sent one statement at a time, a server error position can be
//! mapped to a line, and `db lint` can look at words without being fooled by strings.
//! Not a parser: it never rejects SQL; unterminated quotes and comments are reported as
//! [`LexProblem`]s and the rest of the text becomes one last statement.

/// One token. Words are lowercased in `lower`; `text` keeps the source spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    /// Source text (for quoted identifiers, without the quotes).
    pub text: String,
    /// 1-based line where the token starts.
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A keyword or unquoted identifier.
    Word,
    /// A `"quoted identifier"`.
    QuotedIdent,
    /// Any string literal (plain, `E''`, dollar-quoted, `B''`, `X''`, `U&''`).
    String,
    Number,
    /// One punctuation character: `( ) , ; . [ ]` and operator characters.
    Punct,
}

impl Token {
    pub(crate) fn is(&self, word: &str) -> bool {
        self.kind == TokenKind::Word && self.text == word
    }
    pub(crate) fn is_punct(&self, c: char) -> bool {
        self.kind == TokenKind::Punct && self.text.len() == c.len_utf8() && self.text.starts_with(c)
    }
    /// The identifier this token names: quoted names keep their case, bare words are lowercase.
    pub(crate) fn ident(&self) -> Option<&str> {
        match self.kind {
            TokenKind::Word | TokenKind::QuotedIdent => Some(&self.text),
            _ => None,
        }
    }
}

/// One statement: its tokens, where it starts and ends in the source, and comments before it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Statement {
    pub tokens: Vec<Token>,
    /// Byte range of the statement text (without the terminating `;`).
    pub start: usize,
    pub end: usize,
    /// 1-based line of the first token.
    pub line: usize,
    /// `--` comments between the previous statement and this one (and inside it), with lines.
    pub comments: Vec<(usize, String)>,
}

impl Statement {
    pub(crate) fn text<'a>(&self, source: &'a str) -> &'a str {
        source.get(self.start..self.end).unwrap_or("").trim()
    }
}

/// Something the lexer could not read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LexProblem {
    pub line: usize,
    pub message: String,
}

/// The result of splitting a file.
#[derive(Debug, Default)]
pub(crate) struct Lexed {
    pub statements: Vec<Statement>,
    pub problems: Vec<LexProblem>,
}

/// Split SQL text into statements. Never fails; see [`Lexed::problems`].
pub(crate) fn split(source: &str) -> Lexed {
    let mut lx = Lexer {
        src: source.as_bytes(),
        text: source,
        pos: 0,
        line: 1,
    };
    let mut out = Lexed::default();
    let mut current = Statement::default();
    let mut stmt_started = false;
    // Inside `BEGIN ATOMIC … END`, `;` does not end the statement.
    let mut atomic_depth = 0usize;
    loop {
        let before = lx.pos;
        match lx.next() {
            Lexeme::Eof => break,
            Lexeme::Comment(line, text) => current.comments.push((line, text)),
            Lexeme::Problem(problem) => out.problems.push(problem),
            Lexeme::Token(tok) => {
                if tok.is_punct(';') && atomic_depth == 0 {
                    if stmt_started {
                        current.end = before;
                        out.statements.push(std::mem::take(&mut current));
                    } else {
                        current = Statement::default();
                    }
                    stmt_started = false;
                    continue;
                }
                if !stmt_started {
                    stmt_started = true;
                    current.start = before;
                    current.line = tok.line;
                }
                let opens_atomic = tok.is("atomic")
                    && current.tokens.last().is_some_and(|t: &Token| t.is("begin"));
                if opens_atomic || (atomic_depth > 0 && tok.is("case")) {
                    atomic_depth += 1;
                } else if atomic_depth > 0 && tok.is("end") {
                    atomic_depth -= 1;
                }
                current.tokens.push(tok);
            }
        }
    }
    if stmt_started {
        current.end = source.len();
        out.statements.push(current);
    }
    out
}

/// The 1-based line of a 1-based character position (as PostgreSQL reports error positions).
pub(crate) fn line_of_char_position(source: &str, position: usize) -> usize {
    let mut line = 1;
    for (i, c) in source.chars().enumerate() {
        if i + 1 >= position {
            break;
        }
        if c == '\n' {
            line += 1;
        }
    }
    line
}

enum Lexeme {
    Token(Token),
    Comment(usize, String),
    Problem(LexProblem),
    Eof,
}

struct Lexer<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    line: usize,
}

impl Lexer<'_> {
    fn peek(&self, off: usize) -> u8 {
        self.src.get(self.pos + off).copied().unwrap_or(0)
    }

    fn bump(&mut self) {
        if self.peek(0) == b'\n' {
            self.line += 1;
        }
        self.pos += 1;
    }

    fn slice(&self, from: usize, to: usize) -> String {
        String::from_utf8_lossy(&self.src[from..to.min(self.src.len())]).into_owned()
    }

    fn next(&mut self) -> Lexeme {
        while self.peek(0).is_ascii_whitespace() {
            self.bump();
        }
        if self.pos >= self.src.len() {
            return Lexeme::Eof;
        }
        let line = self.line;
        let start = self.pos;
        match self.peek(0) {
            b'-' if self.peek(1) == b'-' => self.line_comment(line, start),
            b'/' if self.peek(1) == b'*' => self.block_comment(line, start),
            b'\'' => self.quoted(b'\'', false, line, start + 1, TokenKind::String),
            b'"' => self.quoted(b'"', false, line, start + 1, TokenKind::QuotedIdent),
            b'e' | b'E' if self.peek(1) == b'\'' => {
                self.bump();
                self.quoted(b'\'', true, line, start + 2, TokenKind::String)
            }
            b'b' | b'B' | b'x' | b'X' | b'n' | b'N' if self.peek(1) == b'\'' => {
                self.bump();
                self.quoted(b'\'', false, line, start + 2, TokenKind::String)
            }
            b'u' | b'U' if self.peek(1) == b'&' && matches!(self.peek(2), b'\'' | b'"') => {
                let q = self.peek(2);
                self.bump();
                self.bump();
                let kind = if q == b'"' {
                    TokenKind::QuotedIdent
                } else {
                    TokenKind::String
                };
                self.quoted(q, false, line, start + 3, kind)
            }
            b'$' => match self.dollar_tag() {
                Some(tag_len) => self.dollar_quoted(tag_len, line),
                None => self.parameter(line, start),
            },
            c if c.is_ascii_digit() => self.number(line, start),
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => self.word(line, start),
            _ => self.punct(line, start),
        }
    }

    /// `-- …` to the end of the line.
    fn line_comment(&mut self, line: usize, start: usize) -> Lexeme {
        while self.pos < self.src.len() && self.peek(0) != b'\n' {
            self.bump();
        }
        Lexeme::Comment(line, self.slice(start + 2, self.pos).trim().to_string())
    }

    /// `/* … */`, nested as PostgreSQL nests them.
    fn block_comment(&mut self, line: usize, start: usize) -> Lexeme {
        let mut depth = 0usize;
        while self.pos < self.src.len() {
            if self.peek(0) == b'/' && self.peek(1) == b'*' {
                depth += 1;
                self.bump();
                self.bump();
            } else if self.peek(0) == b'*' && self.peek(1) == b'/' {
                depth -= 1;
                self.bump();
                self.bump();
                if depth == 0 {
                    return Lexeme::Comment(
                        line,
                        self.slice(start + 2, self.pos - 2).trim().to_string(),
                    );
                }
            } else {
                self.bump();
            }
        }
        self.problem(line, "unterminated /* comment")
    }

    /// `$tag$ … $tag$` (the opener, `tag_len` bytes, is at the cursor).
    fn dollar_quoted(&mut self, tag_len: usize, line: usize) -> Lexeme {
        let tag = self.src[self.pos..self.pos + tag_len].to_vec();
        for _ in 0..tag_len {
            self.bump();
        }
        let body = self.pos;
        while self.pos < self.src.len() {
            if self.src[self.pos..].starts_with(&tag) {
                let text = self.slice(body, self.pos);
                for _ in 0..tag_len {
                    self.bump();
                }
                return Lexeme::Token(Token {
                    kind: TokenKind::String,
                    text,
                    line,
                });
            }
            self.bump();
        }
        self.problem(line, "unterminated dollar-quoted string")
    }

    /// A `$1` parameter or a stray `$`.
    fn parameter(&mut self, line: usize, start: usize) -> Lexeme {
        self.bump();
        while self.peek(0).is_ascii_digit() {
            self.bump();
        }
        self.token(TokenKind::Punct, start, line)
    }

    fn number(&mut self, line: usize, start: usize) -> Lexeme {
        while self.peek(0).is_ascii_alphanumeric() || self.peek(0) == b'.' {
            self.bump();
        }
        self.token(TokenKind::Number, start, line)
    }

    /// A keyword or bare identifier, lowercased as the server folds it.
    fn word(&mut self, line: usize, start: usize) -> Lexeme {
        while {
            let c = self.peek(0);
            c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
        } {
            self.bump();
        }
        let mut tok = self.token_raw(TokenKind::Word, start, line);
        tok.text = tok.text.to_lowercase();
        Lexeme::Token(tok)
    }

    /// One character (UTF-8 aware) of punctuation.
    fn punct(&mut self, line: usize, start: usize) -> Lexeme {
        let len = self.text[self.pos..]
            .chars()
            .next()
            .map_or(1, char::len_utf8);
        for _ in 0..len {
            self.bump();
        }
        self.token(TokenKind::Punct, start, line)
    }

    fn token_raw(&self, kind: TokenKind, start: usize, line: usize) -> Token {
        Token {
            kind,
            text: self.slice(start, self.pos),
            line,
        }
    }

    fn token(&self, kind: TokenKind, start: usize, line: usize) -> Lexeme {
        Lexeme::Token(self.token_raw(kind, start, line))
    }

    fn problem(&mut self, line: usize, message: &str) -> Lexeme {
        self.pos = self.src.len();
        Lexeme::Problem(LexProblem {
            line,
            message: message.to_string(),
        })
    }

    /// Length of a `$tag$` opener at the cursor, if it is one.
    fn dollar_tag(&self) -> Option<usize> {
        let mut i = 1;
        loop {
            let c = self.peek(i);
            if c == b'$' {
                return Some(i + 1);
            }
            let ok = if i == 1 {
                c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
            } else {
                c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
            };
            if !ok {
                return None;
            }
            i += 1;
        }
    }

    /// A quoted run ending at `quote` (doubled quote escapes it; backslash too when `escapes`).
    fn quoted(
        &mut self,
        quote: u8,
        escapes: bool,
        line: usize,
        body: usize,
        kind: TokenKind,
    ) -> Lexeme {
        self.bump(); // opening quote
        while self.pos < self.src.len() {
            let c = self.peek(0);
            if escapes && c == b'\\' {
                self.bump();
                self.bump();
                continue;
            }
            if c == quote {
                if self.peek(1) == quote {
                    self.bump();
                    self.bump();
                    continue;
                }
                let text = self.slice(body, self.pos);
                self.bump();
                return Lexeme::Token(Token { kind, text, line });
            }
            self.bump();
        }
        let what = if quote == b'"' {
            "unterminated quoted identifier"
        } else {
            "unterminated string literal"
        };
        self.problem(line, what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &Statement) -> Vec<&str> {
        s.tokens.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn splits_on_top_level_semicolons_only() {
        let sql = "CREATE TABLE a (x text default 'a;b');\n\
                   -- a comment; with a semicolon\n\
                   DO $body$ BEGIN RAISE NOTICE 'x;y'; END $body$;\n\
                   /* block ; /* nested ; */ */ SELECT E'it\\'s;' ;\n\
                   SELECT \"we;ird\" FROM t";
        let lexed = split(sql);
        assert!(lexed.problems.is_empty());
        assert_eq!(lexed.statements.len(), 4);
        assert_eq!(lexed.statements[1].line, 3);
        assert_eq!(words(&lexed.statements[1])[0], "do");
        assert_eq!(
            lexed.statements[1].comments[0].1,
            "a comment; with a semicolon"
        );
        assert_eq!(lexed.statements[2].line, 4);
        assert_eq!(lexed.statements[3].tokens[1].text, "we;ird");
        assert_eq!(lexed.statements[3].text(sql), "SELECT \"we;ird\" FROM t");
    }

    #[test]
    fn begin_atomic_bodies_stay_whole() {
        let sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;\nSELECT 3;";
        let lexed = split(sql);
        assert_eq!(lexed.statements.len(), 2, "{:?}", lexed.statements);
        assert_eq!(lexed.statements[1].line, 2);
    }

    #[test]
    fn unterminated_input_is_a_problem_not_a_panic() {
        for sql in [
            "SELECT 'abc",
            "SELECT $$abc",
            "/* abc",
            "SELECT \"abc",
            "SELECT $",
            "é'",
        ] {
            let lexed = split(sql);
            assert!(lexed.statements.len() <= 1, "{sql}");
        }
        assert_eq!(split("SELECT 'abc").problems[0].line, 1);
    }

    #[test]
    fn error_positions_map_to_lines() {
        let sql = "SELECT 1;\nSELECT é;\nSELEC 2;";
        let pos = sql.chars().position(|c| c == 'L').unwrap();
        // "SELEC" starts on line 3; positions are 1-based characters.
        let pos3 = sql
            .char_indices()
            .filter(|(_, c)| *c == 'S')
            .nth(2)
            .unwrap();
        assert_eq!(line_of_char_position(sql, pos + 1), 1);
        let char_pos = sql[..pos3.0].chars().count() + 1;
        assert_eq!(line_of_char_position(sql, char_pos), 3);
    }
}
