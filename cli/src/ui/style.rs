//! Minimal ANSI styling that reads fine without colour.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Dim,
    Red,
    RedBold,
    Green,
    GreenBold,
    Yellow,
    YellowBold,
    Blue,
    Magenta,
    Cyan,
    CyanBold,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Dim => "2",
            Style::Red => "31",
            Style::RedBold => "1;31",
            Style::Green => "32",
            Style::GreenBold => "1;32",
            Style::Yellow => "33",
            Style::YellowBold => "1;33",
            Style::Blue => "34",
            Style::Magenta => "35",
            Style::Cyan => "36",
            Style::CyanBold => "1;36",
        }
    }
}

/// Text with a style that is applied only when colour is on.
pub(crate) struct Paint<'a> {
    style: Style,
    text: &'a str,
    on: bool,
}

impl<'a> Paint<'a> {
    pub(crate) fn new(style: Style, text: &'a str, on: bool) -> Self {
        Self { style, text, on }
    }
}

impl fmt::Display for Paint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.on {
            write!(f, "\x1b[{}m{}\x1b[0m", self.style.code(), self.text)
        } else {
            f.write_str(self.text)
        }
    }
}

/// Colours cycled through for per-service prefixes (`devenv logs`).
pub(crate) fn palette(index: usize) -> Style {
    const P: [Style; 6] = [
        Style::Cyan,
        Style::Yellow,
        Style::Green,
        Style::Magenta,
        Style::Blue,
        Style::Red,
    ];
    P[index % P.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_is_plain_without_colour() {
        assert_eq!(Paint::new(Style::Red, "web", false).to_string(), "web");
        assert_eq!(
            Paint::new(Style::Red, "web", true).to_string(),
            "\x1b[31mweb\x1b[0m"
        );
    }
}
