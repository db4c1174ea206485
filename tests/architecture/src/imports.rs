//! What one file imports: the module paths it names through `use crate::…`, an inline
//! `crate::…` path, a `super::…` path, or a `pub use` of a child module. Test code
//! (`#[cfg(test)] mod … { … }`) is left out, and so is `mod x;`, which declares a child
//! rather than depending on it.

use crate::lexer::{Kind, Token, lex};

/// A module path named by a file, made absolute (from the crate's root, without `crate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The path as far as it goes: modules, then perhaps an item (`["json", "Value"]`).
    pub path: Vec<String>,
    pub line: usize,
    /// As written, for messages: `crate::json::Value`, `super::Thing`.
    pub written: String,
}

/// A child module the file declares with `mod name;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildDecl {
    pub name: String,
    /// Declared under `#[cfg(test)]`: the child is test code.
    pub test: bool,
}

/// What a file imports and which child modules it declares.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FileImports {
    pub imports: Vec<Import>,
    pub children: Vec<ChildDecl>,
    /// `pub use` paths that start at a name which may be a child module (`pub use child::X`
    /// or `pub use self::child::X`), absolute; whether they are is known only with the tree.
    pub reexports: Vec<Import>,
}

/// The imports of the file of module `module` (its path from the crate's root).
pub fn imports_of(source: &str, module: &[String]) -> FileImports {
    let tokens = lex(source).tokens;
    let mut parser = Parser {
        tokens: &tokens,
        at: 0,
        scopes: vec![Scope {
            path: module.to_vec(),
            depth: 0,
        }],
        depth: 0,
        out: FileImports::default(),
    };
    parser.run();
    parser.out
}

/// An inline `mod name { … }` and the brace depth its body is at.
struct Scope {
    path: Vec<String>,
    depth: usize,
}

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    scopes: Vec<Scope>,
    depth: usize,
    out: FileImports,
}

impl Parser<'_> {
    fn kind(&self, ahead: usize) -> Option<&Kind> {
        self.tokens.get(self.at + ahead).map(|t| &t.kind)
    }

    fn is_punct(&self, ahead: usize, c: char) -> bool {
        self.kind(ahead) == Some(&Kind::Punct(c))
    }

    fn ident(&self, ahead: usize) -> Option<&str> {
        match self.kind(ahead) {
            Some(Kind::Ident(name)) => Some(name),
            _ => None,
        }
    }

    fn line(&self) -> usize {
        self.tokens.get(self.at).map_or(0, |t| t.line)
    }

    fn scope(&self) -> &[String] {
        &self.scopes.last().expect("the file's own scope").path
    }

    fn run(&mut self) {
        // Attributes and a visibility seen since the last item began.
        let (mut test, mut public) = (false, false);
        while self.at < self.tokens.len() {
            if self.is_punct(0, '#') {
                test |= self.attribute_is_cfg_test();
                continue;
            }
            match self.ident(0) {
                Some("pub") => {
                    self.at += 1;
                    if self.is_punct(0, '(') {
                        self.skip_group('(', ')');
                    }
                    public = true;
                    continue;
                }
                Some("mod") => self.module(test),
                Some("use") => self.use_declaration(public),
                Some("crate") if self.kind(1) == Some(&Kind::PathSep) => self.inline_path(),
                Some("super") if self.kind(1) == Some(&Kind::PathSep) => self.inline_path(),
                _ => self.brace_or_other(),
            }
            (test, public) = (false, false);
        }
    }

    /// `#[…]` or `#![…]`, stepped over; whether it is `cfg(test)`.
    fn attribute_is_cfg_test(&mut self) -> bool {
        self.at += 1;
        if self.is_punct(0, '!') {
            self.at += 1;
        }
        if !self.is_punct(0, '[') {
            return false;
        }
        let start = self.at;
        self.skip_group('[', ']');
        // Unclosed at the end of the file: nothing inside to read.
        let inside: Vec<&Kind> = self
            .tokens
            .get(start + 1..self.at.saturating_sub(1))
            .unwrap_or_default()
            .iter()
            .map(|t| &t.kind)
            .collect();
        inside
            == [
                &Kind::Ident("cfg".into()),
                &Kind::Punct('('),
                &Kind::Ident("test".into()),
                &Kind::Punct(')'),
            ]
    }

    /// From an opening `open` to just past its matching `close`.
    fn skip_group(&mut self, open: char, close: char) {
        let mut depth = 0usize;
        while self.at < self.tokens.len() {
            let kind = &self.tokens[self.at].kind;
            self.at += 1;
            if *kind == Kind::Punct(open) {
                depth += 1;
            } else if *kind == Kind::Punct(close) {
                depth -= 1;
                if depth == 0 {
                    return;
                }
            }
        }
    }

    /// `mod name;` (a child declared) or `mod name { … }` (an inline module: a scope, or
    /// skipped when it is test code).
    fn module(&mut self, test: bool) {
        let Some(name) = self.ident(1).map(str::to_string) else {
            self.at += 1;
            return;
        };
        self.at += 2;
        if self.is_punct(0, ';') {
            self.at += 1;
            if self.scopes.len() == 1 {
                self.out.children.push(ChildDecl { name, test });
            }
        } else if self.is_punct(0, '{') {
            if test {
                self.skip_group('{', '}');
            } else {
                self.at += 1;
                self.depth += 1;
                let mut path = self.scope().to_vec();
                path.push(name);
                self.scopes.push(Scope {
                    path,
                    depth: self.depth,
                });
            }
        }
    }

    fn brace_or_other(&mut self) {
        if self.is_punct(0, '{') {
            self.depth += 1;
        } else if self.is_punct(0, '}') {
            if self.scopes.last().is_some_and(|s| s.depth == self.depth) && self.scopes.len() > 1 {
                self.scopes.pop();
            }
            self.depth = self.depth.saturating_sub(1);
        }
        self.at += 1;
    }

    /// `crate::a::b` or `super::super::c` in code: the path up to its last name.
    fn inline_path(&mut self) {
        let line = self.line();
        let mut segments = Vec::new();
        while let Some(name) = self.ident(0) {
            segments.push(name.to_string());
            self.at += 1;
            if self.kind(0) != Some(&Kind::PathSep) {
                break;
            }
            self.at += 1;
        }
        if let Some(import) = self.resolve(&segments, line) {
            self.out.imports.push(import);
        }
    }

    /// `use tree;`: each path of the tree, as [`Parser::resolve`] places it.
    fn use_declaration(&mut self, public: bool) {
        let line = self.line();
        self.at += 1;
        let mut paths = Vec::new();
        self.use_tree(Vec::new(), &mut paths);
        while self.at < self.tokens.len() && !self.is_punct(0, ';') {
            self.at += 1;
        }
        self.at += 1;
        for path in paths {
            let Some(first) = path.first().map(String::as_str) else {
                continue;
            };
            if matches!(first, "crate" | "super") {
                if let Some(import) = self.resolve(&path, line) {
                    self.out.imports.push(import);
                }
            } else if public {
                // `pub use child::X` or `pub use self::child::X`: an edge if `child` is one.
                let relative = if first == "self" {
                    &path[1..]
                } else {
                    &path[..]
                };
                let mut absolute = self.scope().to_vec();
                absolute.extend(relative.iter().cloned());
                self.out.reexports.push(Import {
                    path: absolute,
                    line,
                    written: path.join("::"),
                });
            }
        }
    }

    /// One use tree (`a::b::{c, d::*}`, `e as f`) under `prefix`, its paths into `paths`.
    fn use_tree(&mut self, prefix: Vec<String>, paths: &mut Vec<Vec<String>>) {
        let mut path = prefix;
        if self.is_punct(0, '$') {
            // `$crate` in a macro: the crate the macro is defined in, this one.
            self.at += 1;
        }
        if self.kind(0) == Some(&Kind::PathSep) {
            // `::name`: another crate.
            self.skip_tree();
            return;
        }
        loop {
            if let Some(name) = self.ident(0) {
                if name != "self" || path.is_empty() {
                    path.push(name.to_string());
                }
                self.at += 1;
            } else if self.is_punct(0, '{') {
                self.at += 1;
                while self.at < self.tokens.len() && !self.is_punct(0, '}') {
                    let before = self.at;
                    self.use_tree(path.clone(), paths);
                    if self.is_punct(0, ',') || self.at == before {
                        self.at += 1;
                    }
                }
                self.at += 1;
                return;
            } else if self.is_punct(0, '*') {
                self.at += 1;
            }
            if self.kind(0) == Some(&Kind::PathSep) {
                self.at += 1;
                continue;
            }
            break;
        }
        if self.ident(0) == Some("as") {
            self.at += 2;
        }
        paths.push(path);
    }

    /// Past a use tree this parser does not follow, up to its `,`, `;` or closing `}`.
    fn skip_tree(&mut self) {
        while self.at < self.tokens.len() {
            if self.is_punct(0, '{') {
                self.skip_group('{', '}');
            } else if self.is_punct(0, ',') || self.is_punct(0, ';') || self.is_punct(0, '}') {
                return;
            } else {
                self.at += 1;
            }
        }
    }

    /// A path beginning with `crate` or `super`, made absolute from the current scope.
    fn resolve(&self, segments: &[String], line: usize) -> Option<Import> {
        let written = segments.join("::");
        let path = match segments.first()?.as_str() {
            "crate" => segments[1..].to_vec(),
            "super" => {
                let mut path = self.scope().to_vec();
                let supers = segments.iter().take_while(|s| *s == "super").count();
                for _ in 0..supers {
                    path.pop()?;
                }
                path.extend(segments[supers..].iter().cloned());
                path
            }
            _ => return None,
        };
        Some(Import {
            path,
            line,
            written,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(path: &str) -> Vec<String> {
        path.split("::")
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }

    fn written(imports: &[Import]) -> Vec<(String, String, usize)> {
        imports
            .iter()
            .map(|i| (i.written.clone(), i.path.join("::"), i.line))
            .collect()
    }

    #[test]
    fn use_trees_inline_paths_and_super() {
        let source = r#"
use crate::json::{self, Value};
use crate::{a::B, c::{d::E, f}};
use super::sibling::Thing;
use std::collections::HashMap;
use ::other::crate_like;
pub(crate) fn f(x: crate::http::Request) -> super::super::up::Kind { todo!() }
// crate::in_a_comment::X
const S: &str = "crate::in_a_string";
"#;
        let found = imports_of(source, &module("features::create"));
        assert_eq!(
            written(&found.imports),
            [
                ("crate::json".into(), "json".into(), 2),
                ("crate::json::Value".into(), "json::Value".into(), 2),
                ("crate::a::B".into(), "a::B".into(), 3),
                ("crate::c::d::E".into(), "c::d::E".into(), 3),
                ("crate::c::f".into(), "c::f".into(), 3),
                (
                    "super::sibling::Thing".into(),
                    "features::sibling::Thing".into(),
                    4
                ),
                ("crate::http::Request".into(), "http::Request".into(), 7),
                ("super::super::up::Kind".into(), "up::Kind".into(), 7),
            ]
        );
        assert!(found.reexports.is_empty());
    }

    #[test]
    fn test_modules_are_left_out_and_inline_modules_are_scopes() {
        let source = r#"
mod child;
#[cfg(test)]
mod tests_file;
mod inline {
    use super::child::X;
    fn f() { if true { crate::deep::g(); } }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::Fixture;
}
fn after() -> crate::after::T {}
"#;
        let found = imports_of(source, &module("m"));
        assert_eq!(
            written(&found.imports),
            [
                ("super::child::X".into(), "m::child::X".into(), 6),
                ("crate::deep::g".into(), "deep::g".into(), 7),
                ("crate::after::T".into(), "after::T".into(), 14),
            ]
        );
        assert_eq!(
            found.children,
            [
                ChildDecl {
                    name: "child".into(),
                    test: false
                },
                ChildDecl {
                    name: "tests_file".into(),
                    test: true
                },
            ]
        );
    }

    #[test]
    fn a_file_cut_short_is_read_as_far_as_it_goes() {
        for source in [
            "#[",
            "use crate::{a",
            "mod m { crate::x",
            "pub(",
            "#[cfg(test)] mod t {",
        ] {
            imports_of(source, &module("m"));
        }
        assert_eq!(
            written(&imports_of("mod m { crate::x", &[]).imports),
            [("crate::x".into(), "x".into(), 1)]
        );
    }

    #[test]
    fn pub_use_of_a_child_is_kept_for_the_tree_to_decide() {
        let source = r#"
mod child;
pub use child::Item;
pub(crate) use self::child::Other;
use child::Private;
pub use $crate::x::Y;
"#;
        let found = imports_of(source, &module("m"));
        assert_eq!(
            written(&found.reexports),
            [
                ("child::Item".into(), "m::child::Item".into(), 3),
                ("self::child::Other".into(), "m::child::Other".into(), 4),
            ]
        );
        assert_eq!(
            written(&found.imports),
            [("crate::x::Y".into(), "x::Y".into(), 6)]
        );
    }
}
