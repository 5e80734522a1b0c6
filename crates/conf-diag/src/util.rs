//! Small pieces both front ends use.

use crate::{Diagnostics, SourceMap};

/// The result of reading one configuration: the model (always built, as far as it could
/// be), every diagnostic, and the sources they point into.
#[derive(Debug)]
pub struct Loaded<C> {
    pub config: C,
    pub diags: Diagnostics,
    pub map: SourceMap,
}

impl<C> Loaded<C> {
    pub fn has_errors(&self) -> bool {
        self.diags.has_errors()
    }
}

/// `1-3, 7, 9-10` from a sorted list of line numbers.
pub fn line_ranges(lines: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let start = lines[i];
        let mut end = start;
        while i + 1 < lines.len() && lines[i + 1] == end + 1 {
            i += 1;
            end = lines[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn ranges() {
        assert_eq!(super::line_ranges(&[1, 2, 3, 7, 9, 10]), "1-3, 7, 9-10");
        assert_eq!(super::line_ranges(&[]), "");
    }
}
