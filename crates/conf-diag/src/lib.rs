//! Source maps, spans and diagnostics shared by the configuration front ends.
//!
//! Pure apart from [`FsLoader`], the one place files are read (behind the [`Loader`]
//! trait, so the front ends can be tested on in-memory files).

mod diagnostic;
mod loader;
pub mod manpage;
mod render;
mod source_map;
mod suggest;
mod util;

pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use loader::{FsLoader, Loader, MemLoader};
pub use render::{render_human, render_human_all, render_line, render_summary};
pub use source_map::{FileId, LineCol, SourceFile, SourceMap, Span};
pub use suggest::did_you_mean;
pub use util::{line_ranges, Loaded};
