//! Rust source as tokens, comments and string literals: enough to find the paths a file
//! imports (`crate::…`, `super::…`) without being fooled by a path inside a comment or a
//! string, and to read a file's comments on their own.

/// One token of code, with the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// An identifier or keyword (`r#name` is `name`).
    Ident(String),
    /// `::`
    PathSep,
    /// Any other punctuation, one character at a time (`{`, `}`, `;`, `#`, `$`, …).
    Punct(char),
    /// A literal other than a string: a number, a character, a byte.
    Literal,
    /// A string literal of any kind; its text is in [`Lexed::strings`].
    Str,
    /// A lifetime or a loop label (`'a`).
    Lifetime,
}

/// Text that is not code: a comment or a string literal, with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub text: String,
    pub line: usize,
    /// A raw string (`r"…"`, `r#"…"#`): where the test fixtures of this crate live.
    pub raw: bool,
}

/// A source file taken apart.
#[derive(Debug, Default)]
pub struct Lexed {
    pub tokens: Vec<Token>,
    pub comments: Vec<Text>,
    pub strings: Vec<Text>,
}

/// Splits `source` into tokens, comments and string literals. Never fails: what it does not
/// understand becomes punctuation, which at worst hides an import, never invents one.
pub fn lex(source: &str) -> Lexed {
    let mut lexer = Lexer {
        chars: source.chars().collect(),
        at: 0,
        line: 1,
        out: Lexed::default(),
    };
    lexer.run();
    lexer.out
}

struct Lexer {
    chars: Vec<char>,
    at: usize,
    line: usize,
    out: Lexed,
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    /// The next character, counting lines.
    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.at += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn push(&mut self, kind: Kind, line: usize) {
        self.out.tokens.push(Token { kind, line });
    }

    fn run(&mut self) {
        while let Some(c) = self.peek(0) {
            let line = self.line;
            match c {
                c if c.is_whitespace() => {
                    self.bump();
                }
                '/' if self.peek(1) == Some('/') => self.line_comment(),
                '/' if self.peek(1) == Some('*') => self.block_comment(),
                '"' => self.string(0, false),
                'r' if self.raw_string_ahead(1) => self.string(1, true),
                'b' | 'c' if self.peek(1) == Some('"') => self.string(1, false),
                'b' | 'c' if self.peek(1) == Some('r') && self.raw_string_ahead(2) => {
                    self.string(2, true)
                }
                'b' if self.peek(1) == Some('\'') => {
                    self.bump();
                    self.quote();
                }
                '\'' => self.quote(),
                'r' if self.peek(1) == Some('#') && self.peek(2).is_some_and(is_ident_start) => {
                    self.at += 2;
                    let name = self.ident();
                    self.push(Kind::Ident(name), line);
                }
                c if is_ident_start(c) => {
                    let name = self.ident();
                    self.push(Kind::Ident(name), line);
                }
                c if c.is_ascii_digit() => {
                    while self
                        .peek(0)
                        .is_some_and(|c| c.is_alphanumeric() || c == '_')
                    {
                        self.bump();
                    }
                    self.push(Kind::Literal, line);
                }
                ':' if self.peek(1) == Some(':') => {
                    self.at += 2;
                    self.push(Kind::PathSep, line);
                }
                c => {
                    self.bump();
                    self.push(Kind::Punct(c), line);
                }
            }
        }
    }

    fn ident(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek(0).filter(|&c| is_ident_continue(c)) {
            name.push(c);
            self.bump();
        }
        name
    }

    fn line_comment(&mut self) {
        let line = self.line;
        let mut text = String::new();
        while let Some(c) = self.peek(0).filter(|&c| c != '\n') {
            text.push(c);
            self.bump();
        }
        self.out.comments.push(Text {
            text,
            line,
            raw: false,
        });
    }

    /// `/* … */`, nested as Rust nests them.
    fn block_comment(&mut self) {
        let line = self.line;
        let mut text = String::new();
        let mut depth = 0usize;
        while let Some(c) = self.bump() {
            text.push(c);
            if c == '/' && self.peek(0) == Some('*') {
                text.push('*');
                self.bump();
                depth += 1;
            } else if c == '*' && self.peek(0) == Some('/') {
                text.push('/');
                self.bump();
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
        }
        self.out.comments.push(Text {
            text,
            line,
            raw: false,
        });
    }

    /// Whether `r`, `#`… and a `"` start at `ahead`: a raw string, not `r#ident`.
    fn raw_string_ahead(&self, ahead: usize) -> bool {
        let mut at = ahead;
        while self.peek(at) == Some('#') {
            at += 1;
        }
        self.peek(at) == Some('"')
    }

    /// A string literal whose `#`s or `"` come after `prefix` characters (`b`, `c`, `r`).
    fn string(&mut self, prefix: usize, raw: bool) {
        let line = self.line;
        for _ in 0..prefix {
            self.bump();
        }
        let mut hashes = 0;
        while self.peek(0) == Some('#') {
            hashes += 1;
            self.bump();
        }
        self.bump(); // the opening quote
        let mut text = String::new();
        while let Some(c) = self.bump() {
            if !raw && c == '\\' {
                text.push(c);
                if let Some(escaped) = self.bump() {
                    text.push(escaped);
                }
            } else if c == '"' && (0..hashes).all(|i| self.peek(i) == Some('#')) {
                self.at += hashes;
                break;
            } else {
                text.push(c);
            }
        }
        self.out.strings.push(Text { text, line, raw });
        self.push(Kind::Str, line);
    }

    /// After a `'`: a character literal (`'x'`, `'\n'`, `'\u{1F600}'`) or a lifetime (`'a`).
    fn quote(&mut self) {
        let line = self.line;
        self.bump();
        let is_char = self.peek(0) == Some('\\') || self.peek(1) == Some('\'');
        if is_char {
            while let Some(c) = self.bump() {
                if c == '\\' {
                    self.bump();
                } else if c == '\'' {
                    break;
                }
            }
            self.push(Kind::Literal, line);
        } else {
            self.ident();
            self.push(Kind::Lifetime, line);
        }
    }
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idents(source: &str) -> Vec<String> {
        lex(source)
            .tokens
            .into_iter()
            .filter_map(|t| match t.kind {
                Kind::Ident(name) => Some(name),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn comments_and_strings_are_not_code() {
        let source = r##"
            // use crate::a;
            /* crate::b /* nested crate::c */ still crate::d */
            let s = "crate::e \" crate::f";
            let r = r#"crate::g "quoted" "#;
            let b = b"crate::h";
            let c = 'x';
            let q = '\'';
            fn f<'a>(x: &'a str) -> &'a str { x }
            crate::real::path
        "##;
        let lexed = lex(source);
        let names = idents(source);
        assert_eq!(
            names,
            [
                "let", "s", "let", "r", "let", "b", "let", "c", "let", "q", "fn", "f", "x", "str",
                "str", "x", "crate", "real", "path"
            ]
        );
        assert_eq!(lexed.comments.len(), 2);
        assert_eq!(lexed.comments[1].line, 3);
        let strings: Vec<(&str, bool)> = lexed
            .strings
            .iter()
            .map(|s| (s.text.as_str(), s.raw))
            .collect();
        assert_eq!(
            strings,
            [
                (r#"crate::e \" crate::f"#, false),
                (r#"crate::g "quoted" "#, true),
                ("crate::h", false)
            ]
        );
        let last = lexed.tokens.last().unwrap();
        assert_eq!(last.line, 10);
    }

    #[test]
    fn raw_identifiers_and_paths() {
        let lexed = lex("r#type::x");
        assert_eq!(
            lexed.tokens.iter().map(|t| &t.kind).collect::<Vec<_>>(),
            [
                &Kind::Ident("type".into()),
                &Kind::PathSep,
                &Kind::Ident("x".into())
            ]
        );
    }
}
