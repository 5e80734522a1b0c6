//! Two renderings: a human one with the source line and a caret, and one line for logs.

use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::source_map::SourceMap;
use std::fmt::Write;

/// `file:line:col: severity[code]: message` (plus `; help: …`), for logs and syslog.
pub fn render_line(map: &SourceMap, d: &Diagnostic) -> String {
    let mut out = String::new();
    if let Some(span) = d.span {
        let _ = write!(out, "{}: ", map.location(span));
    }
    let _ = write!(out, "{}[{}]: {}", d.severity.as_str(), d.code, d.message);
    if let Some(help) = &d.help {
        let _ = write!(out, "; help: {help}");
    }
    out
}

/// rustc-style block: header, location, source line with carets, notes and help.
pub fn render_human(map: &SourceMap, d: &Diagnostic) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}[{}]: {}", d.severity.as_str(), d.code, d.message);
    if let Some(span) = d.span {
        let lc = map.line_col(span);
        let gutter = lc.line.to_string().len();
        let pad = " ".repeat(gutter);
        let _ = writeln!(out, "{pad} --> {}", map.location(span));
        if let Some(file) = map.file(span.file) {
            // Non-breaking spaces and tabs are shown as plain spaces so the caret lines up.
            let line: String = file
                .line_text(lc.line)
                .chars()
                .map(|c| if c == '\u{a0}' || c == '\t' { ' ' } else { c })
                .collect();
            let width = map.snippet(span).chars().count().max(1);
            let width = width.min(line.chars().count().saturating_sub(lc.col - 1).max(1));
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{} | {}", lc.line, line);
            let _ = write!(
                out,
                "{pad} | {}{}",
                " ".repeat(lc.col - 1),
                "^".repeat(width)
            );
            if let Some(label) = &d.label {
                let _ = write!(out, " {label}");
            }
            out.push('\n');
        }
        for inc in map.include_chain(span.file) {
            let _ = writeln!(out, "{pad} = note: included from {}", map.location(inc));
        }
        for (nspan, note) in &d.notes {
            match nspan {
                Some(s) => {
                    let _ = writeln!(out, "{pad} = note: {note} ({})", map.location(*s));
                }
                None => {
                    let _ = writeln!(out, "{pad} = note: {note}");
                }
            }
        }
        if let Some(help) = &d.help {
            let _ = writeln!(out, "{pad} = help: {help}");
        }
    } else {
        for (nspan, note) in &d.notes {
            let loc = nspan.map(|s| format!(" ({})", map.location(s)));
            let _ = writeln!(out, "  = note: {note}{}", loc.unwrap_or_default());
        }
        if let Some(help) = &d.help {
            let _ = writeln!(out, "  = help: {help}");
        }
    }
    out
}

/// All diagnostics, blank-line separated, followed by the summary line.
pub fn render_human_all(map: &SourceMap, diags: &Diagnostics) -> String {
    let mut out = String::new();
    for d in diags.iter() {
        out.push_str(&render_human(map, d));
        out.push('\n');
    }
    out.push_str(&render_summary(diags));
    out
}

/// `2 errors, 1 warning` (empty string when there is nothing to say).
pub fn render_summary(diags: &Diagnostics) -> String {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    let mut parts = Vec::new();
    for (sev, word) in [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Notice, "notice"),
    ] {
        let n = diags.count(sev);
        if n > 0 {
            parts.push(plural(n, word));
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{}\n", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source_map::Span;

    #[test]
    fn human_and_line() {
        let mut map = SourceMap::new();
        let f = map.add("k.conf", "vrrp_instance A {\n  priority 300\n}\n");
        let start = "vrrp_instance A {\n  priority ".len();
        let d = Diagnostic::error("K1", "priority 300 is out of range")
            .at(Span::new(f, start, start + 3))
            .label("must be 1..255")
            .help("use a value from 1 to 255");
        assert_eq!(
            render_line(&map, &d),
            "k.conf:2:12: error[K1]: priority 300 is out of range; help: use a value from 1 to 255"
        );
        let human = render_human(&map, &d);
        assert_eq!(
            human,
            "error[K1]: priority 300 is out of range\n  --> k.conf:2:12\n  |\n2 |   priority 300\n  |            ^^^ must be 1..255\n  = help: use a value from 1 to 255\n"
        );
    }
}
