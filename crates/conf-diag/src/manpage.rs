//! Manual pages from the keyword references (`docs/keepalived-keywords.md`,
//! `docs/haproxy-compat.md`, generated from the registries): the small part of Markdown
//! those use (headings, paragraphs, bullets, tables, `code`, **bold**, links) as roff.

/// roff-escape running text and turn `code`, **bold** and [text](link) into roff.
fn inline(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    let mut out = String::with_capacity(s.len() + 16);
    let mut code = false;
    let mut bold = false;
    let mut rest = s.as_str();
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("**") {
            out.push_str(if bold { "\\fR" } else { "\\fB" });
            bold = !bold;
            rest = &rest[2..];
        } else if c == '`' {
            out.push_str(if code { "\\fR" } else { "\\fB" });
            code = !code;
            rest = &rest[1..];
        } else if let (Some(close), true) = (rest.find("]("), c == '[') {
            // [text](target): the text only.
            let text = &rest[1..close];
            let after = &rest[close + 2..];
            match after.find(')') {
                Some(end) => {
                    out.push_str(text);
                    rest = &after[end + 1..];
                }
                None => {
                    out.push(c);
                    rest = &rest[1..];
                }
            }
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if code || bold {
        out.push_str("\\fR");
    }
    // A line starting with a dot or an apostrophe would be a request.
    if out.starts_with('.') || out.starts_with('\'') {
        out.insert_str(0, "\\&");
    }
    out
}

fn cells(row: &str) -> Vec<&str> {
    let row = row.trim().trim_start_matches('|').trim_end_matches('|');
    row.split('|').map(str::trim).collect()
}

/// The page: `.TH name section`, NAME with `summary`, then the Markdown's text; its `#`
/// title is dropped (NAME says it), `##` headings become subsections, each table row an
/// entry: the first cell in bold, the others after it.
pub fn from_markdown(md: &str, name: &str, section: &str, summary: &str) -> String {
    let mut out = format!(
        ".TH {name} {section} \"\" \"{name}\" \"File Formats Manual\"\n.SH NAME\n{name} \\- {}\n.SH DESCRIPTION\n",
        inline(summary)
    );
    let mut header_seen = false;
    for line in md.lines() {
        let t = line.trim_end();
        if t.starts_with("# ") {
            continue;
        }
        if let Some(h) = t.strip_prefix("## ") {
            out.push_str(&format!(".SS {}\n", inline(h)));
            header_seen = false;
        } else if t.starts_with('|') {
            let c = cells(t);
            if c.iter().all(|x| x.chars().all(|ch| ch == '-' || ch == ':')) {
                continue;
            }
            if !header_seen {
                // The header row names the columns: said once, before the entries.
                header_seen = true;
                continue;
            }
            let (first, rest) = c.split_first().unwrap_or((&"", &[]));
            let rest: Vec<String> = rest
                .iter()
                .filter(|x| !x.is_empty())
                .map(|x| inline(x))
                .collect();
            out.push_str(&format!(".TP\n{}\n{}\n", inline(first), rest.join("; ")));
        } else if let Some(b) = t.strip_prefix("- ") {
            out.push_str(&format!(".IP \\(bu 2\n{}\n", inline(b)));
        } else if t.is_empty() {
            out.push_str(".PP\n");
        } else {
            out.push_str(&inline(t));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_roff() {
        let md = "# t\n\nSome `code`, **bold** and [a link](x.md).\n\n- one\n\n## global\n\n| keyword | status |\n|---|---|\n| `log` | runs |\n| `-x` | **refused**: why |\n";
        let page = from_markdown(md, "proxyd.cfg", "5", "haproxy.cfg as proxyd reads it");
        assert!(page.starts_with(".TH proxyd.cfg 5"), "{page}");
        assert!(
            page.contains("Some \\fBcode\\fR, \\fBbold\\fR and a link."),
            "{page}"
        );
        assert!(page.contains(".IP \\(bu 2\none\n"), "{page}");
        assert!(page.contains(".SS global\n"), "{page}");
        assert!(page.contains(".TP\n\\fBlog\\fR\nruns\n"), "{page}");
        assert!(
            page.contains(".TP\n\\fB\\-x\\fR\n\\fBrefused\\fR: why\n"),
            "{page}"
        );
        assert!(!page.contains("keyword"), "header row skipped: {page}");
    }
}
