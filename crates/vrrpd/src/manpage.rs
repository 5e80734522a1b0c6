//! vrrpd(8): the options from the command-line definition (clap_mangen), and the parts a
//! reader of keepalived(8) looks for next: files, signals, exit codes.

use clap::CommandFactory;

const MORE: &str = r#".SH FILES
.TP
\fI/etc/keepalived/keepalived.conf\fR
The configuration (keepalived's grammar and keywords; see \fBvrrpd.conf\fR(5) for what
vrrpd runs, ignores or refuses).
.TP
\fI/etc/default/vrrpd\fR
\fBDAEMON_ARGS\fR for vrrpd.service.
.TP
\fI/tmp/vrrpd.json\fR
The state of every instance, written on SIGUSR1 (\fB\-\-dump\-file\fR).
.SH SIGNALS
.TP
\fBSIGHUP\fR
Read the configuration again. A configuration with errors is not loaded: the running
one stays, and the errors are logged.
.TP
\fBSIGTERM\fR, \fBSIGINT\fR
Give up mastership with a priority\-0 advert, remove the virtual addresses and routes
(unless \fB\-V\fR), run notify_stop scripts, exit.
.TP
\fBSIGUSR1\fR
Write the state of every instance as JSON (\fB\-\-dump\-file\fR).
.PP
\fBvrrpd \-\-signum=\fIFUNC\fR prints the number of the signal for \fIFUNC\fR, as
keepalived does.
.SH EXIT STATUS
With \fB\-t\fR, keepalived's codes: 0 the configuration is fine, 2 a missing parameter
stopped reading, 5 a parameter was missing and the line ignored, 6 warnings (scripts
that would run as root without \fBenable_script_security\fR, and the like); errors are
reported with their file, line and column.
.SH SEE ALSO
\fBvrrpd.conf\fR(5), \fBproxyd\fR(1), \fBkeepalived\fR(8), \fBkeepalived.conf\fR(5)
"#;

pub fn render() -> std::io::Result<String> {
    let man = clap_mangen::Man::new(crate::cli::Args::command())
        .section("8")
        .manual("System Manager's Manual");
    let mut out = Vec::new();
    man.render(&mut out)?;
    let mut text = String::from_utf8_lossy(&out).into_owned();
    text.push_str(MORE);
    Ok(text)
}

/// vrrpd.conf(5): every keepalived.conf keyword and what vrrpd does with it.
pub fn conf() -> String {
    conf_diag::manpage::from_markdown(
        &keepalived_conf::keywords::markdown(),
        "vrrpd.conf",
        "5",
        "keepalived.conf as vrrpd reads it: every keyword and what vrrpd does with it",
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_every_visible_option_and_the_signals() {
        let page = super::render().unwrap_or_default();
        assert!(
            page.starts_with(".ie") || page.contains(".TH vrrpd 8"),
            "{page}"
        );
        for want in [
            "use\\-file",
            "config\\-test",
            "dont\\-fork",
            "SIGHUP",
            "EXIT STATUS",
        ] {
            assert!(page.contains(want), "{want} missing");
        }
        assert!(!page.contains("generate\\-man"), "hidden options stay out");
    }
}
