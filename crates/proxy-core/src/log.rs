//! Log lines as HAProxy sends them: the syslog header of each format (measured with
//! HAProxy 2.6 and a UDP receiver), levels and their caps, sampling, and the
//! termination state of a session.

use haproxy_conf::logging::{LogSink, SyslogFormat};

/// Syslog levels.
pub const EMERG: u8 = 0;
pub const ERR: u8 = 3;
pub const NOTICE: u8 = 5;
pub const INFO: u8 = 6;

/// When a line is written: seconds and microseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub secs: i64,
    pub usecs: u32,
}

/// What the header of a line names besides its time.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// `log-send-hostname`: the host name written in rfc3164 lines (rfc5424 lines write
    /// `-` without it).
    pub hostname: Option<&'a str>,
    /// `log-tag` (else the program name, `haproxy`).
    pub tag: &'a str,
    pub pid: u32,
}

fn local(t: Stamp, fmt: &str) -> String {
    crate::sample::conv::strftime_memo(t.secs, fmt, false).unwrap_or_default()
}

/// `2026-12-02T06:06:16.476116+00:00`, local time.
fn iso(t: Stamp) -> String {
    let base = local(t, "%Y-%m-%dT%H:%M:%S");
    let zone = local(t, "%z");
    let zone = if zone.len() == 5 {
        format!("{}:{}", &zone[..3], &zone[3..])
    } else {
        zone
    };
    format!("{base}.{:06}{zone}", t.usecs)
}

/// The level a target sends a line at, or None when the target does not take it:
/// above its `level`, or not picked by its `sample`. `n` counts the lines the target
/// was offered before this one.
pub fn level_for(sink: &LogSink, level: u8, n: u64) -> Option<u8> {
    if sink.level.is_some_and(|max| level > max) {
        return None;
    }
    if sink.sample.as_ref().is_some_and(|s| !s.keeps(n)) {
        return None;
    }
    // A more severe level than `minlevel` is sent at `minlevel`.
    Some(match sink.minlevel {
        Some(min) if level < min => min,
        _ => level,
    })
}

/// A whole datagram: the format's header, the message, cut to the target's `len` (the
/// line feed included), then a line feed.
pub fn frame(sink: &LogSink, level: u8, at: Stamp, o: Origin<'_>, msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(msg.len() + 96);
    frame_into(&mut out, sink, level, at, o, msg);
    out
}

/// `frame` into `out` (emptied first): a sender reuses one buffer for every line.
pub fn frame_into(
    out: &mut Vec<u8>,
    sink: &LogSink,
    level: u8,
    at: Stamp,
    o: Origin<'_>,
    msg: &[u8],
) {
    use std::io::Write;
    let pri = u16::from(sink.facility) * 8 + u16::from(level);
    out.clear();
    // Writes into a Vec cannot fail.
    let _ = match sink.format {
        SyslogFormat::Rfc3164 | SyslogFormat::Local => {
            // The default format, once per request: no formatting machinery.
            let mut n = itoa::Buffer::new();
            out.push(b'<');
            out.extend_from_slice(n.format(pri).as_bytes());
            out.push(b'>');
            crate::sample::conv::strftime_memo_with(at.secs, "%b %e %H:%M:%S", false, |d| {
                out.extend_from_slice(d.as_bytes())
            });
            out.push(b' ');
            if let (SyslogFormat::Rfc3164, Some(h)) = (sink.format, o.hostname) {
                out.extend_from_slice(h.as_bytes());
                out.push(b' ');
            }
            out.extend_from_slice(o.tag.as_bytes());
            out.push(b'[');
            out.extend_from_slice(n.format(o.pid).as_bytes());
            out.extend_from_slice(b"]: ");
            Ok(())
        }
        SyslogFormat::Rfc5424 => write!(
            out,
            "<{pri}>1 {} {} {} {} - - ",
            iso(at),
            o.hostname.unwrap_or("-"),
            o.tag,
            o.pid
        ),
        SyslogFormat::Short => write!(out, "<{level}>"),
        SyslogFormat::Raw => Ok(()),
        SyslogFormat::Iso => write!(out, "{} ", iso(at)),
        SyslogFormat::Timed => write!(out, "<{level}>{} ", iso(at)),
        SyslogFormat::Priority => write!(out, "<{pri}>"),
    };
    out.extend_from_slice(msg);
    let max = (sink.len as usize).saturating_sub(1);
    out.truncate(max);
    out.push(b'\n');
}

/// Who ended a session (the first letter of `%ts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// `-`: it ended normally.
    Normal,
    /// `C`: the client aborted or timed out.
    Client,
    /// `c`: the client-side timeout struck.
    ClientTimeout,
    /// `S`: the server refused, aborted or sent an error.
    Server,
    /// `s`: the server-side timeout struck.
    ServerTimeout,
    /// `P`: the proxy stopped it (a rule, a bad request).
    Proxy,
    /// `R`: a resource ran out.
    Resource,
    /// `I`: an internal error.
    Internal,
    /// `D`: the server went DOWN.
    Down,
    /// `K`: killed by an administrator.
    Killed,
    /// `L`: the proxy answered itself (stats page, monitor URI).
    Local,
}

/// Where the session was when it ended (the second letter of `%ts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Normal,
    /// `R`: reading the request.
    Request,
    /// `Q`: in the queue.
    Queue,
    /// `C`: connecting to the server.
    Connect,
    /// `H`: waiting for the response headers.
    Headers,
    /// `D`: data moving.
    Data,
    /// `L`: the last data to the client.
    Last,
    /// `T`: held by a tarpit.
    Tarpit,
}

/// `%ts`: two letters.
pub fn term_code(c: Cause, p: Phase) -> [u8; 2] {
    let a = match c {
        Cause::Normal => b'-',
        Cause::Client => b'C',
        Cause::ClientTimeout => b'c',
        Cause::Server => b'S',
        Cause::ServerTimeout => b's',
        Cause::Proxy => b'P',
        Cause::Resource => b'R',
        Cause::Internal => b'I',
        Cause::Down => b'D',
        Cause::Killed => b'K',
        Cause::Local => b'L',
    };
    let b = match p {
        Phase::Normal => b'-',
        Phase::Request => b'R',
        Phase::Queue => b'Q',
        Phase::Connect => b'C',
        Phase::Headers => b'H',
        Phase::Data => b'D',
        Phase::Last => b'L',
        Phase::Tarpit => b'T',
    };
    [a, b]
}

#[cfg(test)]
mod tests {
    use super::*;
    use haproxy_conf::logging::{LogAddr, Sampling};

    fn sink(format: SyslogFormat) -> LogSink {
        LogSink {
            addr: LogAddr::Stdout,
            format,
            len: 1024,
            sample: None,
            facility: 16,
            level: None,
            minlevel: None,
        }
    }

    const AT: Stamp = Stamp {
        secs: 1_796_191_576,
        usecs: 476_116,
    };
    const O: Origin = Origin {
        hostname: Some("vm"),
        tag: "haproxy",
        pid: 1863,
    };

    fn line(f: SyslogFormat) -> String {
        String::from_utf8(frame(&sink(f), INFO, AT, O, b"msg")).unwrap()
    }

    #[test]
    fn headers_as_measured() {
        // The machine's local time is UTC in CI (and here): HAProxy's lines then read so.
        if local(AT, "%z") != "+0000" {
            return;
        }
        assert_eq!(
            line(SyslogFormat::Rfc3164),
            "<134>Dec  2 06:06:16 vm haproxy[1863]: msg\n"
        );
        assert_eq!(
            line(SyslogFormat::Local),
            "<134>Dec  2 06:06:16 haproxy[1863]: msg\n"
        );
        assert_eq!(
            line(SyslogFormat::Rfc5424),
            "<134>1 2026-12-02T06:06:16.476116+00:00 vm haproxy 1863 - - msg\n"
        );
        assert_eq!(line(SyslogFormat::Short), "<6>msg\n");
        assert_eq!(line(SyslogFormat::Raw), "msg\n");
        assert_eq!(
            line(SyslogFormat::Iso),
            "2026-12-02T06:06:16.476116+00:00 msg\n"
        );
        assert_eq!(
            line(SyslogFormat::Timed),
            "<6>2026-12-02T06:06:16.476116+00:00 msg\n"
        );
        assert_eq!(line(SyslogFormat::Priority), "<134>msg\n");
    }

    #[test]
    fn len_levels_and_sampling() {
        let mut s = sink(SyslogFormat::Raw);
        s.len = 80;
        let long = frame(&s, INFO, AT, O, &[b'x'; 200]);
        assert_eq!(long.len(), 80);
        assert_eq!(long.last(), Some(&b'\n'));
        s.level = Some(NOTICE);
        assert_eq!(level_for(&s, INFO, 0), None, "info is above notice");
        assert_eq!(level_for(&s, ERR, 0), Some(ERR));
        s.minlevel = Some(ERR);
        assert_eq!(level_for(&s, EMERG, 0), Some(ERR));
        s.sample = Some(Sampling::parse("2:3").unwrap());
        let sent: Vec<u64> = (0..6)
            .filter(|n| level_for(&s, ERR, *n).is_some())
            .collect();
        assert_eq!(sent, vec![1, 4]);
        assert_eq!(&term_code(Cause::Proxy, Phase::Request), b"PR");
        assert_eq!(&term_code(Cause::ServerTimeout, Phase::Headers), b"sH");
    }
}
