//! The component's layers: `src/`'s top-level modules, each importing only from itself and
//! the layers below it.

use crate::module_graph::ModuleGraph;

/// Top to bottom: a module may import from its own layer and from those after it.
pub const LAYERS: [&str; 5] = [
    "adapters",
    "features",
    "settings",
    "servicenow",
    "primitives",
];

/// Where a file of `src/` stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// In the layer of this rank in [`LAYERS`].
    Layer(usize),
    /// The crate's root, the fuzzing entry points and what only the tests use: they stand
    /// beside the layers.
    Exempt,
    /// Nowhere: a file that has to move into a layer.
    Outside,
}

/// `path` is relative to `src/`: `lib.rs`, `features/create.rs`, or `features.rs` (the
/// layer's own module file).
fn place(path: &str) -> Place {
    let exempt = ["lib.rs", "fuzzing.rs", "test_support.rs"].contains(&path)
        || path.starts_with("test_support/");
    if exempt {
        return Place::Exempt;
    }
    let top = match path.split_once('/') {
        Some((dir, _)) => dir,
        None => path.strip_suffix(".rs").unwrap_or(path),
    };
    match LAYERS.iter().position(|layer| *layer == top) {
        Some(rank) => Place::Layer(rank),
        None => Place::Outside,
    }
}

/// Files in no layer, and imports that point up; empty when the layers hold.
pub fn layers_report(graph: &ModuleGraph) -> String {
    let mut report = String::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        if place(&node.path) == Place::Outside {
            report += &format!(
                "{} is in no layer: put it in a layer, the directory under {}/ of one of {}\n",
                graph.label(i),
                graph.src,
                LAYERS.join(", ")
            );
        }
    }
    for edge in &graph.edges {
        let from = place(&graph.nodes[edge.from].path);
        let to = place(&graph.nodes[edge.to].path);
        if let (Place::Layer(from), Place::Layer(to)) = (from, to)
            && to < from
        {
            report += &format!(
                "{}:{} imports {} (`{}`): {} is above {}, and {} may import only from {}\n",
                graph.label(edge.from),
                edge.line,
                graph.label(edge.to),
                edge.written,
                LAYERS[to],
                LAYERS[from],
                LAYERS[from],
                LAYERS[from..].join(", ")
            );
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::SourceFile;

    fn report(files: &[(&str, &str)]) -> String {
        let files: Vec<SourceFile> = files
            .iter()
            .map(|(path, text)| SourceFile::new(path, text))
            .collect();
        layers_report(&ModuleGraph::of_crate("src", &files))
    }

    #[test]
    fn imports_down_and_sideways_pass() {
        let files = [
            ("lib.rs", "mod prelude {} mod features; mod primitives;"),
            ("features/mod.rs", "mod create; use crate::prelude::*;"),
            (
                "features/create.rs",
                "use super::Shared; use crate::primitives::json::V;",
            ),
            ("primitives.rs", "pub mod json;"),
            ("primitives/json.rs", "use crate::prelude::*;"),
            ("test_support.rs", "use crate::features::create::X;"),
            ("fuzzing.rs", "use crate::features::create::X;"),
        ];
        assert_eq!(report(&files), "");
    }

    #[test]
    fn an_import_up_and_a_file_in_no_layer_fail() {
        let files = [
            ("lib.rs", ""),
            ("answer.rs", "use crate::primitives::json::V;"),
            (
                "primitives/json.rs",
                "\nfn f() { crate::settings::form::check(); }",
            ),
            ("settings/form.rs", ""),
        ];
        assert_eq!(
            report(&files),
            "src/answer.rs is in no layer: put it in a layer, the directory under src/ of one \
             of adapters, features, settings, servicenow, primitives\n\
             src/primitives/json.rs:2 imports src/settings/form.rs \
             (`crate::settings::form::check`): settings is above primitives, and primitives \
             may import only from primitives\n"
        );
    }
}
