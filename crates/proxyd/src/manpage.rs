//! proxyd(1), from the command line's own definition (`cli::USAGE`, what `proxyd -h`
//! prints) and the parts a reader of haproxy(1) looks for next.

/// roff's special characters in running text.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('-', "\\-")
}

pub fn render() -> String {
    let mut usage = crate::cli::USAGE.lines();
    let mut page = format!(
        ".TH proxyd 1 \"\" \"proxyd {}\" \"User Commands\"\n\
         .SH NAME\nproxyd \\- a load balancer that runs haproxy.cfg unchanged\n\
         .SH SYNOPSIS\n.nf\n",
        env!("CARGO_PKG_VERSION")
    );
    // The synopsis is the usage's first lines, up to the first option line.
    let mut rest = Vec::new();
    for l in usage.by_ref() {
        if l.trim_start().starts_with("-") {
            rest.push(l);
            break;
        }
        page.push_str(&escape(l.trim_start_matches("Usage: ").trim()));
        page.push('\n');
    }
    rest.extend(usage);
    page.push_str(
        ".fi\n.SH DESCRIPTION\n\
         proxyd reads HAProxy 2.6's configuration files and proxies TCP and HTTP as HAProxy \
         does: balancing, health checks, ACLs, rules, stick tables, TLS, logs. It takes \
         HAProxy's command line; \\fBproxyd \\-c\\fR builds the same plan as a start, so a \
         configuration it accepts starts.\n.SH OPTIONS\n.nf\n",
    );
    for l in rest {
        page.push_str(&escape(l.trim()));
        page.push('\n');
    }
    page.push_str(
        ".fi\n.SH FILES\n.TP\n\\fI/etc/haproxy/haproxy.cfg\\fR\n\
         The configuration proxyd.service reads (\\fBCONFIG\\fR); see \\fBproxyd.cfg\\fR(5) \
         for what proxyd runs, ignores or refuses.\n.TP\n\\fI/etc/default/proxyd\\fR\n\
         \\fBCONFIG\\fR, \\fBPIDFILE\\fR and \\fBEXTRAOPTS\\fR for proxyd.service.\n\
         .SH SIGNALS\n.TP\n\\fBSIGTERM\\fR, \\fBSIGINT\\fR\nStop.\n\
         .SH EXIT STATUS\nWith \\fB\\-c\\fR, HAProxy's codes: 0 the configuration is valid and \
         runs; 1 it has errors (each with its file, line and column), something proxyd \
         cannot run yet (with the reason), or warnings made fatal by \\fB\\-dW\\fR; 2 it is \
         valid but listens nowhere.\n\
         .SH SEE ALSO\n\\fBproxyd.cfg\\fR(5), \\fBvrrpd\\fR(8), \\fBhaproxy\\fR(1)\n",
    );
    page
}

/// proxyd.cfg(5): every haproxy.cfg keyword and what proxyd does with it.
pub fn conf() -> String {
    conf_diag::manpage::from_markdown(
        &haproxy_conf::registry::markdown(),
        "proxyd.cfg",
        "5",
        "haproxy.cfg as proxyd reads it: every keyword and what proxyd does with it",
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn carries_every_usage_line() {
        let page = super::render();
        assert!(page.starts_with(".TH proxyd 1"), "{page}");
        for l in crate::cli::USAGE.lines().skip(2) {
            assert!(page.contains(&super::escape(l.trim())), "missing: {l}");
        }
    }
}
