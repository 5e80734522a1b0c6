//! `static_rules` and `virtual_rules` lines: policy-routing rules, read the way keepalived
//! 2.2.7 reads them (`ip rule` words, in any order):
//! `[not] [from ADDR[/LEN]|all] [to ADDR[/LEN]|all] [priority|preference|order N]
//! [table|lookup ID|NAME | goto N | blackhole | prohibit | unreachable | nop | l3mdev]
//! [fwmark N[/MASK]] [tos|dsfield N] [iif|dev IF] [oif IF] [uidrange A-B] [sport A-B]
//! [dport A-B] [ipproto P] [realms [S/]D] [suppress_prefixlength N] [suppress_ifgroup N]
//! [tunnel-id N] [protocol N] [no_track]`.

use serde::Serialize;
use std::net::IpAddr;

/// What a rule does with the packets it selects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum RuleAction {
    /// Look the route up in this table (a number, or a name from /etc/iproute2/rt_tables
    /// that the daemon resolves).
    Table(TableRef),
    Goto(u32),
    Blackhole,
    Unreachable,
    Prohibit,
    Nop,
    L3mdev,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum TableRef {
    Id(u32),
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSpec {
    pub not: bool,
    pub from: Option<(IpAddr, u8)>,
    pub to: Option<(IpAddr, u8)>,
    /// `from all` / `to all` without an address: the family comes from the other fields.
    pub v6: bool,
    pub priority: Option<u32>,
    pub action: Option<RuleAction>,
    pub fwmark: Option<(u32, Option<u32>)>,
    pub tos: Option<u8>,
    pub iif: Option<String>,
    pub oif: Option<String>,
    pub uidrange: Option<(u32, u32)>,
    pub sport: Option<(u16, u16)>,
    pub dport: Option<(u16, u16)>,
    pub ipproto: Option<u8>,
    pub realms: Option<u32>,
    pub suppress_prefixlength: Option<u32>,
    pub suppress_ifgroup: Option<u32>,
    pub tunnel_id: Option<u64>,
    /// RTPROT_KEEPALIVED: keepalived marks its rules with protocol 18.
    pub protocol: u8,
    pub no_track: bool,
}

/// keepalived's rule protocol number.
pub const RTPROT_KEEPALIVED: u8 = 18;
/// The preference keepalived gives a rule written without one.
pub const DEFAULT_PRIORITY: u32 = 16384;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleError {
    /// A word needs a value and the line ends (keepalived: missing parameter, exit 2).
    Missing(String),
    /// The rule cannot be used (keepalived reports it and drops the rule).
    Invalid(String),
}

/// A rule that loads, with what keepalived says about it on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub spec: RuleSpec,
    pub warnings: Vec<String>,
}

fn number<T: std::str::FromStr>(w: &str, what: &str) -> Result<T, RuleError> {
    let v = match w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16)
            .ok()
            .and_then(|v| v.to_string().parse().ok()),
        None => w.parse().ok(),
    };
    v.ok_or_else(|| RuleError::Invalid(format!("`{w}` is not a valid {what}")))
}

fn range<T: std::str::FromStr + PartialOrd + Copy>(
    w: &str,
    what: &str,
) -> Result<(T, T), RuleError> {
    // keepalived wants both ends, even for one port (`dport 80-80`).
    let bad = || RuleError::Invalid(format!("`{what} {w}` must be a range, e.g. `{what} 80-80`"));
    let (a, b) = w.split_once('-').ok_or_else(bad)?;
    let (a, b): (T, T) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    if a > b {
        return Err(bad());
    }
    Ok((a, b))
}

fn prefix(w: &str) -> Result<(IpAddr, u8), RuleError> {
    let (a, len) = match w.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (w, None),
    };
    let ip: IpAddr = a
        .parse()
        .map_err(|_| RuleError::Invalid(format!("`{a}` is not an IP address")))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        Some(l) => l.parse::<u8>().ok().filter(|&n| n <= max).ok_or_else(|| {
            RuleError::Invalid(format!("`/{l}` is not a prefix length for {ip} (0..{max})"))
        })?,
        None => max,
    };
    Ok((ip, len))
}

fn ipproto(w: &str) -> Result<u8, RuleError> {
    Ok(match w {
        "icmp" => 1,
        "igmp" => 2,
        "tcp" => 6,
        "udp" => 17,
        "gre" => 47,
        "esp" => 50,
        "ah" => 51,
        "ipv6-icmp" | "icmpv6" => 58,
        "sctp" => 132,
        "udplite" => 136,
        n => n
            .parse()
            .map_err(|_| RuleError::Invalid(format!("`ipproto {w}` is not a protocol")))?,
    })
}

/// Parse one rule line.
pub fn parse(words: &[String]) -> Result<Parsed, RuleError> {
    let mut r = RuleSpec {
        not: false,
        from: None,
        to: None,
        v6: false,
        priority: None,
        action: None,
        fwmark: None,
        tos: None,
        iif: None,
        oif: None,
        uidrange: None,
        sport: None,
        dport: None,
        ipproto: None,
        realms: None,
        suppress_prefixlength: None,
        suppress_ifgroup: None,
        tunnel_id: None,
        protocol: RTPROT_KEEPALIVED,
        no_track: false,
    };
    let mut warnings = Vec::new();
    let mut actions = 0;
    let mut l3mdev = false;
    let mut family: Option<bool> = None;
    let mut it = words.iter().map(String::as_str);
    while let Some(w) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| RuleError::Missing(format!("`{w}` needs a value")))
        };
        let mut set_action = |a: RuleAction, r: &mut RuleSpec| {
            actions += 1;
            r.action = Some(a);
        };
        match w {
            "not" => r.not = true,
            "from" | "to" => {
                let v = value()?;
                if v != "all" {
                    let p = prefix(v)?;
                    if family.is_some_and(|f| f != p.0.is_ipv6()) {
                        return Err(RuleError::Invalid(
                            "the rule mixes IPv4 and IPv6 addresses".into(),
                        ));
                    }
                    family = Some(p.0.is_ipv6());
                    if w == "from" {
                        r.from = Some(p);
                    } else {
                        r.to = Some(p);
                    }
                }
            }
            "priority" | "preference" | "order" => {
                let v = value()?;
                r.priority = Some(v.parse().map_err(|_| {
                    RuleError::Invalid(format!("`{w} {v}`: not a preference (0..4294967295)"))
                })?);
            }
            "table" | "lookup" => {
                let v = value()?;
                let t = match v {
                    "main" => TableRef::Id(254),
                    "local" => TableRef::Id(255),
                    "default" => TableRef::Id(253),
                    n if n.starts_with(|c: char| c.is_ascii_digit()) => match n.parse::<u32>() {
                        Ok(0) => return Err(RuleError::Invalid("table 0 is not valid".into())),
                        Ok(id) => TableRef::Id(id),
                        Err(_) => {
                            return Err(RuleError::Invalid(format!(
                                "`table {n}` is not a table number"
                            )))
                        }
                    },
                    name => TableRef::Name(name.to_string()),
                };
                set_action(RuleAction::Table(t), &mut r);
            }
            "goto" => {
                let v = value()?;
                let n = number(v, "goto target")?;
                set_action(RuleAction::Goto(n), &mut r);
            }
            "blackhole" => set_action(RuleAction::Blackhole, &mut r),
            "prohibit" => set_action(RuleAction::Prohibit, &mut r),
            "unreachable" => set_action(RuleAction::Unreachable, &mut r),
            "nop" => set_action(RuleAction::Nop, &mut r),
            "l3mdev" => l3mdev = true,
            "fwmark" => {
                let v = value()?;
                r.fwmark = Some(match v.split_once('/') {
                    Some((m, k)) => (number(m, "fwmark")?, Some(number(k, "fwmark mask")?)),
                    None => (number(v, "fwmark")?, None),
                });
            }
            "tos" | "dsfield" => {
                let v = value()?;
                r.tos = Some(number(v, "TOS value")?);
            }
            "iif" | "dev" => r.iif = Some(value()?.to_string()),
            "oif" => r.oif = Some(value()?.to_string()),
            "uidrange" => r.uidrange = Some(range(value()?, "uidrange")?),
            "sport" => r.sport = Some(range(value()?, "sport")?),
            "dport" => r.dport = Some(range(value()?, "dport")?),
            "ipproto" => r.ipproto = Some(ipproto(value()?)?),
            "realms" => {
                let v = value()?;
                let dst = v.rsplit('/').next().unwrap_or(v);
                r.realms = Some(number(dst, "realm")?);
            }
            "suppress_prefixlength" | "sup_pl" => {
                r.suppress_prefixlength = Some(number(value()?, "prefix length")?)
            }
            "suppress_ifgroup" | "sup_group" => {
                r.suppress_ifgroup = Some(number(value()?, "interface group")?)
            }
            "tunnel-id" => r.tunnel_id = Some(number(value()?, "tunnel id")?),
            "protocol" => {
                let v = value()?;
                let p: u8 = v.parse().map_err(|_| {
                    RuleError::Invalid(format!("`protocol {v}`: not a protocol number"))
                })?;
                if p != RTPROT_KEEPALIVED {
                    warnings.push(format!(
                        "`protocol {p}` is replaced by {RTPROT_KEEPALIVED} (keepalived's), which keepalived needs to track its rules"
                    ));
                }
            }
            "no_track" => r.no_track = true,
            "type" => {
                let v = value()?;
                return Err(RuleError::Invalid(format!(
                    "`type {v}` is not a rule action (use table, goto, blackhole, prohibit, unreachable or nop)"
                )));
            }
            other => {
                return Err(RuleError::Invalid(format!(
                    "`{other}` is not a rule option"
                )))
            }
        }
    }
    if l3mdev {
        if actions > 0 {
            return Err(RuleError::Invalid(
                "l3mdev cannot go with another action".into(),
            ));
        }
        r.action = Some(RuleAction::L3mdev);
        actions = 1;
    }
    if actions > 1 {
        return Err(RuleError::Invalid(
            "more than one of table, goto, blackhole, prohibit, unreachable, nop".into(),
        ));
    }
    if r.action.is_none() {
        return Err(RuleError::Invalid(
            "no action (table N, goto N, blackhole, prohibit, unreachable or nop)".into(),
        ));
    }
    r.v6 = family.unwrap_or(false);
    match (r.priority, &r.action) {
        (Some(p), Some(RuleAction::Goto(t))) if p >= *t => {
            return Err(RuleError::Invalid(format!(
                "preference {p} is not below the goto target {t}"
            )))
        }
        (None, _) => warnings.push(format!(
            "no `priority`: the rule gets preference {DEFAULT_PRIORITY}, which is probably not what you want"
        )),
        _ => {}
    }
    Ok(Parsed { spec: r, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Parsed, RuleError> {
        parse(&s.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    // Each line's verdict is keepalived 2.2.7's (tests/keepalived-oracle, class 3).
    #[test]
    fn keepalived_accepts() {
        for ok in [
            "from 192.168.2.0/24 table 1 priority 100",
            "from 192.168.2.0/24 table 1 preference 100",
            "from 192.168.2.0/24 lookup 1 order 100",
            "to 10.0.0.0/8 table main priority 100",
            "from all table 5 priority 10",
            "fwmark 0x10/0xff table 1 priority 100",
            "from 192.168.2.0/24 blackhole priority 100",
            "not from 192.168.2.0/24 table 1 priority 100",
            "from 192.168.2.0/24 table 1 priority 100 dport 80-80 ipproto udp",
            "from 192.168.2.0/24 table 1 priority 100 uidrange 1000-2000 tos 0x10",
            "from fd00::/64 table 1 priority 100",
            "l3mdev priority 5",
            "from 192.168.2.0/24 nop priority 5",
            "from 192.168.2.0/24 table 4294967295 priority 4294967295",
        ] {
            let r = p(ok).unwrap_or_else(|e| panic!("{ok}: {e:?}"));
            assert!(r.warnings.is_empty(), "{ok}: {:?}", r.warnings);
        }
    }

    #[test]
    fn keepalived_warns_or_refuses() {
        assert_eq!(
            p("from 192.168.2.0/24 table 1").unwrap().warnings.len(),
            1,
            "no priority"
        );
        assert_eq!(
            p("from 192.168.2.0/24 table 1 priority 5 protocol 99")
                .unwrap()
                .warnings
                .len(),
            1
        );
        for bad in [
            "from 192.168.2.0/24 tabel 1 priority 1",
            "from 192.168.2.0/24 priority 1",
            "from 192.168.10.300 table 100 priority 1",
            "from 192.168.2.0/33 table 1 priority 100",
            "from 192.168.2.0/24 table 1 priority abc",
            "from 192.168.2.0/24 table 1 priority -1",
            "from 192.168.2.0/24 table 0 priority 100",
            "from 192.168.2.0/24 table 1 priority 100 sport 80",
            "from 192.168.2.0/24 table 1 priority 100 ipproto foo",
            "from 192.168.2.0/24 table 1 priority 100 tos foo",
            "from 192.168.2.0/24 table 1 priority 100 uidrange 5",
            "from 192.168.2.0/24 to fd00::/64 table 1 priority 5",
            "from 192.168.2.0/24 table 1 table 2 priority 5",
            "from 192.168.2.0/24 table 1 priority 5 l3mdev",
            "from 192.168.2.0/24 goto 3 priority 5",
            "from 192.168.2.0/24 table 1 priority 5 type unicast",
            "from 192.168.2.0/24 table 1 priority 5 protocol keepalived",
        ] {
            assert!(
                matches!(p(bad), Err(RuleError::Invalid(_))),
                "{bad}: {:?}",
                p(bad)
            );
        }
        assert!(matches!(
            p("from 192.168.2.0/24 table 1 priority"),
            Err(RuleError::Missing(_))
        ));
        assert!(matches!(p("from"), Err(RuleError::Missing(_))));
    }
}
