//! The repository's files as the checks read them.

use std::fs;
use std::path::{Path, PathBuf};

/// A file's path (relative to the directory it was read under, `/`-separated) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

impl SourceFile {
    pub fn new(path: &str, text: &str) -> SourceFile {
        SourceFile {
            path: path.to_string(),
            text: text.to_string(),
        }
    }

    /// The file name's extension (`rs`, `md`), if any.
    pub fn extension(&self) -> Option<&str> {
        let name = self.path.rsplit('/').next()?;
        name.rsplit_once('.').map(|(_, extension)| extension)
    }
}

/// The repository's root: this crate is `tests/architecture`.
pub fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tests/architecture sits two levels below the repository's root")
        .to_path_buf()
}

/// Whether a directory is one of the build's or a tool's, not the repository's own sources.
fn is_generated_dir(name: &str) -> bool {
    name.starts_with("target") || name == "node_modules" || name == ".git"
}

/// The files under `root/under` whose extension is one of `extensions`, sorted by path,
/// their paths relative to `root/under`; build and package directories left out. A
/// directory that does not exist has no files.
pub fn read_tree(root: &Path, under: &str, extensions: &[&str]) -> Vec<SourceFile> {
    let base = root.join(under);
    let mut files = Vec::new();
    walk(&base, &base, extensions, &mut files);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

fn walk(base: &Path, dir: &Path, extensions: &[&str], files: &mut Vec<SourceFile>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !is_generated_dir(&name) {
                walk(base, &path, extensions, files);
            }
            continue;
        }
        let relative = path
            .strip_prefix(base)
            .expect("walked under its base")
            .to_string_lossy()
            .replace('\\', "/");
        let wanted = name
            .rsplit_once('.')
            .is_some_and(|(_, extension)| extensions.contains(&extension));
        if !wanted {
            continue;
        }
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        files.push(SourceFile {
            path: relative,
            text,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_and_package_directories_are_left_out() {
        let root = std::env::temp_dir().join(format!("architecture-files-{}", std::process::id()));
        for (path, text) in [
            ("src/lib.rs", "a"),
            ("src/notes.md", "b"),
            ("src/data.json", "c"),
            ("target/x.rs", "d"),
            ("target-tools/y.rs", "e"),
            ("web/node_modules/z.js", "f"),
            (".git/w.rs", "g"),
        ] {
            let file = root.join(path);
            fs::create_dir_all(file.parent().unwrap()).unwrap();
            fs::write(file, text).unwrap();
        }
        let files = read_tree(&root, "", &["rs", "md", "js"]);
        let _ = fs::remove_dir_all(&root);
        assert_eq!(
            files,
            [
                SourceFile::new("src/lib.rs", "a"),
                SourceFile::new("src/notes.md", "b")
            ]
        );
        assert_eq!(files[1].extension(), Some("md"));
    }
}
