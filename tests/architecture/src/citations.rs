//! Citations of what lies outside the repository, which its reader cannot follow: section
//! marks (the sign, then a number) and an issue tracker's numbers (the word "issue" or
//! "issues", then a number).

use crate::files::SourceFile;
use crate::lexer::{Text, lex};

/// The section sign, by its code point.
const SECTION_SIGN: char = '\u{a7}';

/// A citation found: the line it is on and the words that make it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    pub line: usize,
    pub words: String,
}

/// The citations in a file. In Rust sources only comments and string literals are read
/// (code cannot cite), and raw strings are left out: they are where test fixtures live.
pub fn citations(file: &SourceFile) -> Vec<Citation> {
    if file.extension() != Some("rs") {
        return citations_in(&file.text, 1);
    }
    let lexed = lex(&file.text);
    let mut found: Vec<Citation> = joined_line_comments(lexed.comments)
        .iter()
        .chain(lexed.strings.iter().filter(|s| !s.raw))
        .flat_map(|text| citations_in(&text.text, text.line))
        .collect();
    found.sort_by_key(|c| c.line);
    found
}

/// Line comments on consecutive lines joined into one text, as a reader reads them: a
/// mention may be cut by a line break.
fn joined_line_comments(comments: Vec<Text>) -> Vec<Text> {
    let mut joined: Vec<Text> = Vec::new();
    for comment in comments {
        if let Some(last) = joined.last_mut()
            && comment.text.starts_with("//")
            && last.text.starts_with("//")
            && last.line + last.text.lines().count() == comment.line
        {
            last.text.push('\n');
            last.text.push_str(&comment.text);
        } else {
            joined.push(comment);
        }
    }
    joined
}

/// The citations in `text`, whose first line is `first_line`.
fn citations_in(text: &str, first_line: usize) -> Vec<Citation> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    let mut line = first_line;
    for at in 0..chars.len() {
        if chars[at] == '\n' {
            line += 1;
        }
        let end = if chars[at] == SECTION_SIGN {
            Some(
                at + 1
                    + chars[at + 1..]
                        .iter()
                        .take_while(|c| is_number(**c))
                        .count(),
            )
        } else {
            issue_number_at(&chars, at)
        };
        if let Some(end) = end {
            // A section number's last dot ends the sentence, not the number.
            let end = end - usize::from(chars[end - 1] == '.');
            let words: String = chars[at..end].iter().collect();
            let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
            found.push(Citation { line, words });
        }
    }
    found
}

fn is_number(c: char) -> bool {
    c.is_ascii_digit() || c == '.'
}

/// Where the mention of an issue's number that starts at `at` ends, if one does: the word
/// "issue" or "issues" in any case, spaces (or a line break and the next line's comment
/// marker), perhaps a `#` or `-`, and digits.
fn issue_number_at(chars: &[char], at: usize) -> Option<usize> {
    let word_before = at > 0 && (chars[at - 1].is_alphanumeric() || chars[at - 1] == '_');
    if word_before || !starts_with_ignoring_case(&chars[at..], "issue") {
        return None;
    }
    let mut next = at + "issue".len();
    if chars
        .get(next)
        .is_some_and(|c| c.eq_ignore_ascii_case(&'s'))
    {
        next += 1;
    }
    // Spaces, or a line break and the next line's comment marker.
    let mut line_broken = false;
    while let Some(&c) = chars.get(next) {
        line_broken |= c == '\n';
        let marker = matches!(c, '/' | '!' | '*');
        if c.is_whitespace() || (line_broken && marker) {
            next += 1;
        } else {
            break;
        }
    }
    if chars.get(next).is_some_and(|c| *c == '#' || *c == '-') {
        next += 1;
    }
    let digits = chars[next..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    (digits > 0).then_some(next + digits)
}

fn starts_with_ignoring_case(chars: &[char], word: &str) -> bool {
    chars.len() >= word.len()
        && chars
            .iter()
            .zip(word.chars())
            .all(|(c, w)| c.eq_ignore_ascii_case(&w))
}

/// Every citation in `files`, as `path:line: words` lines; empty when there are none.
pub fn citations_report(files: &[SourceFile]) -> String {
    let mut report = String::new();
    for file in files {
        for citation in citations(file) {
            report += &format!("{}:{}: {}\n", file.path, citation.line, citation.words);
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixture with its citations spelt out: `<S>` is the section sign, `<i>` and `<I>` the
    /// word "issue" in lower and title case. The repository itself holds no citation, not
    /// even in the tests of the check that looks for them.
    fn cite(fixture: &str) -> String {
        fixture
            .replace("<S>", &SECTION_SIGN.to_string())
            .replace("<i>", "issue")
            .replace("<I>", "Issue")
    }

    fn words(path: &str, fixture: &str) -> Vec<(usize, String)> {
        citations(&SourceFile::new(path, &cite(fixture)))
            .into_iter()
            .map(|c| (c.line, c.words))
            .collect()
    }

    fn cited(fixture: &[(usize, &str)]) -> Vec<(usize, String)> {
        fixture
            .iter()
            .map(|&(line, words)| (line, cite(words)))
            .collect()
    }

    #[test]
    fn section_marks_and_issue_numbers_are_found() {
        let text = r#"# Title
As facts <S>2.4 says, and <i> 9.
<I>s #8 and the <I>-12 fix; see the t<i> 5 and the <i> of it.
"#;
        assert_eq!(
            words("README.md", text),
            cited(&[(2, "<S>2.4"), (2, "<i> 9"), (3, "<I>s #8"), (3, "<I>-12")])
        );
    }

    #[test]
    fn in_rust_only_comments_and_plain_strings_count() {
        let text = r###"
// As <i>
// 9 asks.
fn f() -> &'static str { "see <S>16" }
const FIXTURE: &str = r#"<i> 9 <S>3"#;
fn issue_9() {}
"###;
        assert_eq!(
            words("src/a.rs", text),
            cited(&[(2, "<i> // 9"), (4, "<S>16")])
        );
    }

    #[test]
    fn a_clean_tree_has_an_empty_report() {
        let files = [
            SourceFile::new("README.md", "No citations here: the issue is solved."),
            SourceFile::new("a.rs", "// Section 2 of the guide, in the repository."),
        ];
        assert_eq!(citations_report(&files), "");
        let cited = [SourceFile::new("x.toml", &cite("# <i> 3"))];
        assert_eq!(citations_report(&cited), cite("x.toml:1: <i> 3\n"));
    }
}
