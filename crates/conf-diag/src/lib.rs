//! Source maps, spans and diagnostics shared by the configuration front ends.
//!
//! Pure: no I/O. Files are handed in as text; rendering returns strings.

mod diagnostic;
mod render;
mod source_map;
mod suggest;

pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use render::{render_human, render_human_all, render_line, render_summary};
pub use source_map::{FileId, LineCol, SourceFile, SourceMap, Span};
pub use suggest::did_you_mean;
