//! The modules of one crate as a graph: a node per `.rs` file, an edge for each import
//! ([`crate::imports`]) to the deepest module file the imported path names.

use std::collections::BTreeMap;

use crate::files::SourceFile;
use crate::imports::{Import, imports_of};

/// One `.rs` file of the crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Relative to the crate's `src/` (`lib.rs`, `json/mod.rs`).
    pub path: String,
    /// The module it is (`["json"]`; the crate's root is `[]`).
    pub module: Vec<String>,
    /// Declared under `#[cfg(test)]`, or inside a module that is: its imports are test code's.
    pub test: bool,
}

/// `from` imports something of `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub line: usize,
    /// The path as written (`crate::json::Value`).
    pub written: String,
}

#[derive(Debug)]
pub struct ModuleGraph {
    /// Where the crate's `src/` is, from the repository's root, for messages (`src`).
    pub src: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// A circle: modules that import one another, with the imports that close it.
#[derive(Debug, PartialEq, Eq)]
pub struct Cycle {
    pub nodes: Vec<usize>,
    pub edges: Vec<Edge>,
}

/// The module a file under `src/` is: `a/b.rs` and `a/b/mod.rs` are `a::b`, `lib.rs` and
/// `main.rs` the root. `None` for what is not a module of the library (`bin/`).
fn module_of(path: &str) -> Option<Vec<String>> {
    let stem = path.strip_suffix(".rs")?;
    if stem.starts_with("bin/") {
        return None;
    }
    let stem = stem.strip_suffix("/mod").unwrap_or(stem);
    if stem == "lib" || stem == "main" {
        return Some(Vec::new());
    }
    Some(stem.split('/').map(String::from).collect())
}

impl ModuleGraph {
    /// The graph of the crate whose `src/` holds `files` (paths relative to it).
    pub fn of_crate(src: &str, files: &[SourceFile]) -> ModuleGraph {
        let mut nodes = Vec::new();
        let mut parsed = Vec::new();
        for file in files {
            let Some(module) = module_of(&file.path) else {
                continue;
            };
            parsed.push(imports_of(&file.text, &module));
            nodes.push(Node {
                path: file.path.clone(),
                module,
                test: false,
            });
        }
        let by_module: BTreeMap<Vec<String>, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, node)| (node.module.clone(), i))
            .collect();
        mark_test_modules(&mut nodes, &parsed);
        let mut edges = Vec::new();
        for (from, imports) in parsed.iter().enumerate() {
            if nodes[from].test {
                continue;
            }
            let own = nodes[from].module.len();
            let targets = imports.imports.iter().map(|import| (import, 0)).chain(
                // A `pub use` of a child: only a module below this one counts.
                imports.reexports.iter().map(|import| (import, own + 1)),
            );
            for (import, shortest) in targets {
                if let Some(to) = deepest_module(&by_module, import, shortest)
                    && to != from
                {
                    edges.push(Edge {
                        from,
                        to,
                        line: import.line,
                        written: import.written.clone(),
                    });
                }
            }
        }
        ModuleGraph {
            src: src.to_string(),
            nodes,
            edges,
        }
    }

    /// A node's path from the repository's root (`src/json.rs`).
    pub fn label(&self, node: usize) -> String {
        format!("{}/{}", self.src, self.nodes[node].path)
    }

    /// Every set of modules that import one another (a strongly connected component of two
    /// or more), with the imports among them; in the order of their first file.
    pub fn cycles(&self) -> Vec<Cycle> {
        let mut cycles: Vec<Cycle> = strongly_connected(self.nodes.len(), &self.edges)
            .into_iter()
            .filter(|component| component.len() > 1)
            .map(|mut nodes| {
                nodes.sort_unstable();
                let edges = self
                    .edges
                    .iter()
                    .filter(|e| nodes.contains(&e.from) && nodes.contains(&e.to))
                    .cloned()
                    .collect();
                Cycle { nodes, edges }
            })
            .collect();
        cycles.sort_by_key(|cycle| cycle.nodes[0]);
        cycles
    }

    /// The cycles worded for whoever has to break them; empty when there are none.
    pub fn cycles_report(&self) -> String {
        let mut report = String::new();
        for cycle in self.cycles() {
            let names: Vec<String> = cycle.nodes.iter().map(|&i| self.label(i)).collect();
            report += &format!("a circle of {} files: {}\n", names.len(), names.join(", "));
            // One line for each file that imports another, at its first import of it.
            let mut pairs: BTreeMap<(usize, usize), Vec<&Edge>> = BTreeMap::new();
            for edge in &cycle.edges {
                pairs.entry((edge.from, edge.to)).or_default().push(edge);
            }
            let mut pairs: Vec<((usize, usize), Vec<&Edge>)> = pairs.into_iter().collect();
            pairs.sort_by_key(|((from, _), edges)| (*from, edges[0].line));
            for ((from, to), edges) in pairs {
                let first = edges[0];
                let more = match edges.len() - 1 {
                    0 => String::new(),
                    1 => " and 1 more place".to_string(),
                    n => format!(" and {n} more places"),
                };
                report += &format!(
                    "    {}:{} imports {} (`{}`{more})\n",
                    self.label(from),
                    first.line,
                    self.label(to),
                    first.written
                );
            }
        }
        report
    }
}

/// Marks the files declared under `#[cfg(test)]`, and those below them.
fn mark_test_modules(nodes: &mut [Node], parsed: &[crate::imports::FileImports]) {
    let mut test_modules = Vec::new();
    for (node, imports) in nodes.iter().zip(parsed) {
        for child in imports.children.iter().filter(|c| c.test) {
            let mut module = node.module.clone();
            module.push(child.name.clone());
            test_modules.push(module);
        }
    }
    for node in nodes {
        node.test = test_modules.iter().any(|t| node.module.starts_with(t));
    }
}

/// The file of the longest prefix of the import's path that is a module, if at least
/// `shortest` names long.
fn deepest_module(
    by_module: &BTreeMap<Vec<String>, usize>,
    import: &Import,
    shortest: usize,
) -> Option<usize> {
    (shortest..=import.path.len())
        .rev()
        .find_map(|len| by_module.get(&import.path[..len]).copied())
}

/// Tarjan's algorithm: the strongly connected components of a graph of `count` nodes.
fn strongly_connected(count: usize, edges: &[Edge]) -> Vec<Vec<usize>> {
    let mut successors = vec![Vec::new(); count];
    for edge in edges {
        successors[edge.from].push(edge.to);
    }
    let mut tarjan = Tarjan {
        successors,
        index: vec![None; count],
        low: vec![0; count],
        on_stack: vec![false; count],
        stack: Vec::new(),
        next: 0,
        components: Vec::new(),
    };
    for node in 0..count {
        if tarjan.index[node].is_none() {
            tarjan.visit(node);
        }
    }
    tarjan.components
}

struct Tarjan {
    successors: Vec<Vec<usize>>,
    index: Vec<Option<usize>>,
    low: Vec<usize>,
    on_stack: Vec<bool>,
    stack: Vec<usize>,
    next: usize,
    components: Vec<Vec<usize>>,
}

impl Tarjan {
    fn visit(&mut self, node: usize) {
        self.index[node] = Some(self.next);
        self.low[node] = self.next;
        self.next += 1;
        self.stack.push(node);
        self.on_stack[node] = true;
        for i in 0..self.successors[node].len() {
            let next = self.successors[node][i];
            match self.index[next] {
                None => {
                    self.visit(next);
                    self.low[node] = self.low[node].min(self.low[next]);
                }
                Some(index) if self.on_stack[next] => {
                    self.low[node] = self.low[node].min(index);
                }
                Some(_) => {}
            }
        }
        if Some(self.low[node]) == self.index[node] {
            let mut component = Vec::new();
            while let Some(member) = self.stack.pop() {
                self.on_stack[member] = false;
                component.push(member);
                if member == node {
                    break;
                }
            }
            self.components.push(component);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(files: &[(&str, &str)]) -> ModuleGraph {
        let files: Vec<SourceFile> = files
            .iter()
            .map(|(path, text)| SourceFile::new(path, text))
            .collect();
        ModuleGraph::of_crate("src", &files)
    }

    fn edges(graph: &ModuleGraph) -> Vec<(String, String)> {
        graph
            .edges
            .iter()
            .map(|e| {
                (
                    graph.nodes[e.from].path.clone(),
                    graph.nodes[e.to].path.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn imports_resolve_to_the_deepest_module_file() {
        let g = graph(&[
            (
                "lib.rs",
                "mod a; mod b; mod prelude { pub use alloc::string::String; }",
            ),
            (
                "a/mod.rs",
                "mod inner; use crate::prelude::*; use crate::b::x::Y;",
            ),
            ("a/inner.rs", "fn f() -> super::Thing { crate::b::g() }"),
            ("b.rs", "pub mod x { pub struct Y; } pub fn g() {}"),
        ]);
        assert_eq!(
            edges(&g),
            [
                ("a/mod.rs".into(), "lib.rs".into()),
                ("a/mod.rs".into(), "b.rs".into()),
                ("a/inner.rs".into(), "a/mod.rs".into()),
                ("a/inner.rs".into(), "b.rs".into()),
            ]
        );
        assert!(g.cycles().is_empty());
        assert_eq!(g.cycles_report(), "");
    }

    #[test]
    fn a_circle_is_reported_with_the_imports_that_close_it() {
        let g = graph(&[
            ("lib.rs", "mod a; mod b; mod c; mod d;"),
            ("a.rs", "use crate::b::B;\nfn f() { crate::b::g(); }"),
            ("b.rs", "use crate::c::C;"),
            ("c.rs", "\n\nuse crate::a::A;"),
            ("d.rs", "use crate::a::A;"),
        ]);
        let cycles = g.cycles();
        assert_eq!(cycles.len(), 1);
        assert_eq!(cycles[0].nodes, [1, 2, 3]);
        assert_eq!(
            g.cycles_report(),
            "a circle of 3 files: src/a.rs, src/b.rs, src/c.rs\n\
             \x20   src/a.rs:1 imports src/b.rs (`crate::b::B` and 1 more place)\n\
             \x20   src/b.rs:1 imports src/c.rs (`crate::c::C`)\n\
             \x20   src/c.rs:3 imports src/a.rs (`crate::a::A`)\n"
        );
    }

    #[test]
    fn a_reexported_child_closes_a_circle_and_test_code_does_not() {
        let g = graph(&[
            ("lib.rs", "mod m;"),
            (
                "m/mod.rs",
                "mod child; #[cfg(test)] mod tests; pub use child::Item;",
            ),
            ("m/child.rs", "use super::Shared;"),
            ("m/tests.rs", "use super::*; use crate::m::child::Item;"),
        ]);
        assert_eq!(
            g.cycles_report(),
            "a circle of 2 files: src/m/mod.rs, src/m/child.rs\n\
             \x20   src/m/mod.rs:1 imports src/m/child.rs (`child::Item`)\n\
             \x20   src/m/child.rs:1 imports src/m/mod.rs (`super::Shared`)\n"
        );
        assert!(g.nodes[3].test);
    }
}
