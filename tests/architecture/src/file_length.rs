//! Files that fit in one head: at most [`MAX_LINES`] lines of Rust each.

use crate::files::SourceFile;

/// A file past this is two concepts or more, or one that wants splitting.
pub const MAX_LINES: usize = 600;

/// Whether a file says it is generated (`@generated` in its first lines, the convention
/// rustfmt and code review tools follow): then its length is the generator's.
fn is_generated(file: &SourceFile) -> bool {
    file.text
        .lines()
        .take(5)
        .any(|line| line.contains("@generated"))
}

/// The files over [`MAX_LINES`], longest first, as `path: N lines`; empty when none is.
pub fn long_files_report(files: &[SourceFile]) -> String {
    let mut long: Vec<(usize, &str)> = files
        .iter()
        .filter(|file| !is_generated(file))
        .map(|file| (file.text.lines().count(), file.path.as_str()))
        .filter(|(lines, _)| *lines > MAX_LINES)
        .collect();
    long.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    long.iter()
        .map(|(lines, path)| format!("{path}: {lines} lines\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_over_the_limit_are_listed_longest_first() {
        let lines = |n: usize| "x\n".repeat(n);
        let files = [
            SourceFile::new("a.rs", &lines(600)),
            SourceFile::new("b.rs", &lines(601)),
            SourceFile::new("c.rs", &lines(900)),
            SourceFile::new("d.rs", &format!("// @generated\n{}", lines(900))),
        ];
        assert_eq!(
            long_files_report(&files),
            "c.rs: 900 lines\nb.rs: 601 lines\n"
        );
        assert_eq!(long_files_report(&files[..1]), "");
    }
}
