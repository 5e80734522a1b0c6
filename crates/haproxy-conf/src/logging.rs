//! Logging, typed: `log` targets (where, in which syslog format, facility and levels),
//! and the line formats of `option httplog|httpslog|tcplog` as HAProxy 2.6 declares
//! them (its configuration manual, section 8.2).

use serde::Serialize;

/// Where a `log` line sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum LogAddr {
    /// A UDP syslog server (`127.0.0.1:514`, `udp@host:port`, `[::1]:514`).
    Udp {
        host: String,
        port: u16,
    },
    /// A unix datagram socket (`/dev/log`, `unix@/path`).
    Unix(String),
    Stdout,
    Stderr,
    /// An inherited descriptor (`fd@3`).
    Fd(i32),
}

/// The syslog header written before each line (`log ... format NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SyslogFormat {
    /// `<PRI>Mmm dd hh:mm:ss [host ]tag[pid]: ` (the default).
    Rfc3164,
    /// `<PRI>1 2026-12-02T06:06:16.476116+00:00 host tag pid - - `.
    Rfc5424,
    /// `<LEVEL>` only.
    Short,
    /// Nothing.
    Raw,
    /// `2026-12-02T06:06:19.239530+00:00 `.
    Iso,
    /// `<LEVEL>2026-12-02T06:06:20.162986+00:00 `.
    Timed,
    /// `<PRI>` only.
    Priority,
    /// As rfc3164, never with the host name.
    Local,
}

impl SyslogFormat {
    pub fn named(s: &str) -> Option<SyslogFormat> {
        Some(match s {
            "rfc3164" => SyslogFormat::Rfc3164,
            "rfc5424" => SyslogFormat::Rfc5424,
            "short" => SyslogFormat::Short,
            "raw" => SyslogFormat::Raw,
            "iso" => SyslogFormat::Iso,
            "timed" => SyslogFormat::Timed,
            "priority" => SyslogFormat::Priority,
            "local" => SyslogFormat::Local,
            _ => return None,
        })
    }
}

pub const FACILITIES: &[&str] = &[
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2",
    "ftp", "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];

pub const LEVELS: &[&str] = &[
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// `sample RANGES:SIZE`: of each SIZE lines, send those in RANGES (1-based, inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sampling {
    pub ranges: Vec<(u32, u32)>,
    pub size: u32,
}

impl Sampling {
    /// `1,3-5:10`.
    pub fn parse(s: &str) -> Result<Sampling, String> {
        let (ranges, size) = s
            .rsplit_once(':')
            .ok_or_else(|| format!("`{s}`: write RANGES:SIZE, e.g. `1:10` or `1-3,7:10`"))?;
        let size: u32 = size
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("`{s}`: the size must be a positive number"))?;
        let mut out = Vec::new();
        for r in ranges.split(',') {
            let (a, b) = r.split_once('-').unwrap_or((r, r));
            let (a, b) = match (a.parse::<u32>(), b.parse::<u32>()) {
                (Ok(a), Ok(b)) if a >= 1 && a <= b && b <= size => (a, b),
                _ => return Err(format!("`{s}`: range `{r}` is not within 1 and {size}")),
            };
            out.push((a, b));
        }
        Ok(Sampling { ranges: out, size })
    }

    /// Whether the `n`-th line (0-based, counted per target) is sent.
    pub fn keeps(&self, n: u64) -> bool {
        let pos = (n % u64::from(self.size)) as u32 + 1;
        self.ranges.iter().any(|(a, b)| *a <= pos && pos <= *b)
    }
}

/// One `log` target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogSink {
    pub addr: LogAddr,
    pub format: SyslogFormat,
    /// The longest line sent (`len`), header included.
    pub len: u32,
    pub sample: Option<Sampling>,
    /// Syslog facility number (local0 = 16).
    pub facility: u8,
    /// Lines above this level are not sent.
    pub level: Option<u8>,
    /// Lines more severe than this are sent at this level.
    pub minlevel: Option<u8>,
}

/// How a proxy writes its traffic lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum LogStyle {
    Tcp,
    Http,
    /// `option httplog clf`.
    HttpClf,
    Https,
    Custom(crate::sample::fmt::Fmt),
}

impl LogStyle {
    /// The format string of the style.
    pub fn fmt(&self) -> crate::sample::fmt::Fmt {
        let text = match self {
            LogStyle::Tcp => TCPLOG,
            LogStyle::Http => HTTPLOG,
            LogStyle::HttpClf => CLF,
            LogStyle::Https => HTTPSLOG,
            LogStyle::Custom(f) => return f.clone(),
        };
        crate::sample::fmt::parse(text).unwrap_or_default()
    }
}

/// What `capture ...` keeps for the log (`%hr`, `%hs`, `%CC`, `%CS`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Capture {
    /// `capture request header NAME len N`.
    ReqHeader { name: String, len: u32 },
    /// `capture response header NAME len N`.
    ResHeader { name: String, len: u32 },
    /// `capture cookie NAME len N`.
    Cookie { name: String, len: u32 },
}

/// `option tcplog`.
pub const TCPLOG: &str = "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq";
/// `option httplog`.
pub const HTTPLOG: &str = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r";
/// `option httplog clf`.
pub const CLF: &str = "%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl";
/// `option httpslog`.
pub const HTTPSLOG: &str = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc";
/// The default line when no format is chosen (HAProxy's "legacy" format).
pub const DEFAULT: &str = "%ci:%cp [%t] %ft %b/%s";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling() {
        let s = Sampling::parse("1,3-4:5").unwrap();
        let kept: Vec<u64> = (0..10).filter(|n| s.keeps(*n)).collect();
        assert_eq!(kept, vec![0, 2, 3, 5, 7, 8]);
        assert!(Sampling::parse("0:5").is_err());
        assert!(Sampling::parse("6:5").is_err());
        assert!(Sampling::parse("1").is_err());
    }

    #[test]
    fn standard_formats_parse() {
        for f in [TCPLOG, HTTPLOG, CLF, HTTPSLOG, DEFAULT] {
            assert!(crate::sample::fmt::parse(f).is_ok(), "{f}");
        }
    }
}
