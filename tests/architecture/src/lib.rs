//! The repository's shape, held by tests (`tests/architecture.rs`): rules a reviewer would
//! otherwise have to remember.
//!
//! - **No import circles** ([`module_graph`]): among the files of the component's `src/` and
//!   of the host's `host-harness/host/src/`, no file imports (through `use crate::…`, an
//!   inline `crate::…` path, `super::…` or a `pub use` of a child) from a file that imports
//!   it back, directly or around a longer circle.
//! - **Layers point down** ([`layers`]): the component's top-level modules are layers, and a
//!   file imports only from its own layer or a lower one.
//! - **No outside citations** ([`citations`]): no section mark or issue tracker's number
//!   that a reader of the repository could not follow.
//! - **Files that fit in one head** ([`file_length`]): no Rust file over 600 lines.
//!
//! The checks read the sources as text with a lexer of their own ([`lexer`], [`imports`]),
//! so they need no dependency and no build of the code they check.

pub mod citations;
pub mod file_length;
pub mod files;
pub mod imports;
pub mod layers;
pub mod lexer;
pub mod module_graph;
