//! Splitting a shell-form `command:` / `entrypoint:` string exactly as Compose v2 splits it
//! (compose-go calls go-shellwords 1.0.12 with environment and backtick expansion off).
//!
//! It is not a shell: quotes and backslashes group words, `$(…)` and backticks are kept as
//! text, and the first unquoted `;`, `&`, `|`, `<` or `>` ends the command: compose silently
//! drops the rest (`echo a && echo b` runs `echo a`). [`split`] says where it stopped so the
//! loader can warn.

/// The words, and the byte offset of the shell operator that ended the split early (the rest
/// of the string is dropped, as compose drops it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Split {
    pub words: Vec<String>,
    pub stopped_at: Option<usize>,
}

/// Why a string could not be split (compose refuses it too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SplitError;

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an unclosed quote, a trailing backslash or an unmatched parenthesis")
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Got {
    No,
    Single,
    Quoted,
}

/// The quoting state while scanning.
#[derive(Default)]
struct Quotes {
    escaped: bool,
    single: bool,
    double: bool,
    back: bool,
    dollar: bool,
}

impl Quotes {
    fn any(&self) -> bool {
        self.single || self.double || self.back || self.dollar
    }
}

/// go-shellwords' `Parse`, rune for rune.
pub(crate) fn split(line: &str) -> Result<Split, SplitError> {
    let mut words = Vec::new();
    let mut buf = String::new();
    let mut q = Quotes::default();
    let mut got = Got::No;
    let mut stopped_at = None;
    for (i, r) in line.char_indices() {
        if q.escaped {
            buf.push(r);
            q.escaped = false;
            got = Got::Single;
            continue;
        }
        if r == '\\' {
            if q.single {
                buf.push(r);
            } else {
                q.escaped = true;
            }
            continue;
        }
        if matches!(r, ' ' | '\t' | '\r' | '\n') {
            if q.any() {
                buf.push(r);
            } else if got != Got::No {
                words.push(std::mem::take(&mut buf));
                got = Got::No;
            }
            continue;
        }
        match r {
            '`' if !q.single && !q.double && !q.dollar => q.back = !q.back,
            ')' if !q.single && !q.double && !q.back => q.dollar = !q.dollar,
            '(' if !q.single && !q.double && !q.back => {
                if !q.dollar && buf.ends_with('$') {
                    q.dollar = true;
                    buf.push('(');
                    continue;
                }
                return Err(SplitError);
            }
            '"' if !q.single && !q.dollar => {
                if q.double {
                    got = Got::Quoted;
                }
                q.double = !q.double;
                continue;
            }
            '\'' if !q.double && !q.dollar => {
                if q.single {
                    got = Got::Quoted;
                }
                q.single = !q.single;
                continue;
            }
            ';' | '&' | '|' | '<' | '>' if !q.any() => {
                // `2>…`: the file descriptor goes with the redirection.
                if r == '>' && buf.starts_with(|c: char| c.is_ascii_digit()) {
                    got = Got::No;
                }
                stopped_at = Some(i);
                break;
            }
            _ => {}
        }
        got = Got::Single;
        buf.push(r);
    }
    if got != Got::No {
        words.push(buf);
    }
    if q.escaped || q.any() {
        return Err(SplitError);
    }
    Ok(Split { words, stopped_at })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        split(s).expect("splits").words
    }

    #[test]
    fn splits_as_compose_does() {
        // Each expectation is what `docker compose config` (2.26.1) prints for the string.
        assert_eq!(words("echo a && echo b"), ["echo", "a"]);
        assert_eq!(words(r#"sh -c "x; y" 2>&1"#), ["sh", "-c", "x; y"]);
        assert_eq!(words(r#"a 'b c' "d\"e" f\ g"#), ["a", "b c", "d\"e", "f g"]);
        assert_eq!(words("a $(b c) d"), ["a", "$(b c)", "d"]);
        assert_eq!(words("a `b c` d"), ["a", "`b c`", "d"]);
        assert_eq!(words("x 2>/dev/null y"), ["x"]);
        assert_eq!(words(r"a\tb"), ["atb"]);
        assert_eq!(words(""), Vec::<String>::new());
        assert_eq!(words(r#"a "" b"#), ["a", "", "b"]);
        assert!(split("a (b)").is_err());
        assert!(split("a 'b").is_err());
    }

    #[test]
    fn says_where_an_operator_cut_it_short() {
        assert_eq!(split("echo a && echo b").unwrap().stopped_at, Some(7));
        assert_eq!(split("sh -c 'a && b'").unwrap().stopped_at, None);
    }
}
