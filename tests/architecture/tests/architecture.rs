//! The repository's shape (this crate's `src/lib.rs` says why each rule holds).

use architecture_tests::citations::citations_report;
use architecture_tests::file_length::{MAX_LINES, long_files_report};
use architecture_tests::files::{read_tree, repository_root};
use architecture_tests::layers::{LAYERS, layers_report};
use architecture_tests::lexer::{Kind, lex};
use architecture_tests::module_graph::ModuleGraph;

/// The crates whose modules must not import in a circle: their `src/` directories.
const CRATES: [&str; 2] = ["src", "host-harness/host/src"];

fn graph(src: &str) -> ModuleGraph {
    let files = read_tree(&repository_root(), src, &["rs"]);
    assert!(!files.is_empty(), "no Rust files under {src}/");
    ModuleGraph::of_crate(src, &files)
}

#[test]
fn no_import_circle() {
    let report: String = CRATES
        .iter()
        .map(|src| graph(src).cycles_report())
        .collect();
    assert!(
        report.is_empty(),
        "\nThese modules import one another in a circle, so none of them can be read, tested \
         or moved without the others. Break each circle: move what they share into a module \
         that both import (lower down), or pass it in as an argument. Test code \
         (`#[cfg(test)] mod …`) is left out.\n\n{report}"
    );
}

#[test]
fn layers_point_down() {
    let report = layers_report(&graph("src"));
    assert!(
        report.is_empty(),
        "\nThe component's layers, top to bottom, are the directories {} of src/: a file \
         may import from its own layer and the layers below it, never from one above (that \
         is how a reader can understand a layer without those above it). lib.rs, \
         fuzzing.rs and test_support stand beside the layers.\n\n{report}",
        LAYERS.join(", ")
    );
}

#[test]
fn no_outside_citations() {
    let root = repository_root();
    let files = read_tree(&root, "", &["rs", "md", "toml", "mjs", "wit", "js"]);
    assert!(!files.is_empty(), "no files under {}", root.display());
    let report = citations_report(&files);
    assert!(
        report.is_empty(),
        "\nThese cite what a reader of the repository cannot open (a section of a document \
         elsewhere, an issue tracker's number). Say what the cited text says, or link a \
         document under docs/:\n\n{report}"
    );
}

/// The Rust files of the workspace, their paths from the repository's root.
fn rust_files() -> Vec<architecture_tests::files::SourceFile> {
    let root = repository_root();
    let mut files = Vec::new();
    for dir in ["src", "host-harness", "tests", "instance-address"] {
        for mut file in read_tree(&root, dir, &["rs"]) {
            file.path = format!("{dir}/{}", file.path);
            files.push(file);
        }
    }
    files
}

/// The checks' own lexer reads every Rust file of the repository as rustc does, as far as
/// they need: a string, a character or a comment it misread would leave brackets unmatched.
#[test]
fn the_checks_read_every_rust_file() {
    let mut misread = String::new();
    for file in rust_files() {
        let tokens = lex(&file.text).tokens;
        for (open, close) in [('{', '}'), ('(', ')'), ('[', ']')] {
            let count = |c| tokens.iter().filter(|t| t.kind == Kind::Punct(c)).count();
            if count(open) != count(close) {
                misread += &format!(
                    "{}: {open} {} and {close} {}\n",
                    file.path,
                    count(open),
                    count(close)
                );
            }
        }
    }
    assert!(
        misread.is_empty(),
        "the architecture checks' lexer misread:\n{misread}"
    );
}

#[test]
fn files_fit_in_one_head() {
    let files = rust_files();
    let report = long_files_report(&files);
    assert!(
        report.is_empty(),
        "\nThese Rust files are over {MAX_LINES} lines: split each by concept (its tests can \
         go to a file of their own), so that a file fits in one reader's head.\n\n{report}"
    );
}
