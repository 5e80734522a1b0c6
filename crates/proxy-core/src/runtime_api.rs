//! The runtime API's language (HAProxy's `stats socket` commands): a line split into
//! commands, each read into a typed [`Command`] with the access level it needs, and the
//! replies that do not depend on the running state. Executing them is the daemon's job.

use crate::health::Admin;
use std::fmt::Write;

/// A session's access level (`stats socket ... level`), lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    User,
    Operator,
    Admin,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "user" => Some(Level::User),
            "operator" => Some(Level::Operator),
            "admin" => Some(Level::Admin),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::User => "user",
            Level::Operator => "operator",
            Level::Admin => "admin",
        }
    }
}

/// `backend/server`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerRef {
    pub backend: String,
    pub server: String,
}

/// A weight as given: absolute, or a share of the configured weight (`50%`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Absolute(u32),
    Percent(u32),
}

impl Weight {
    /// The weight it makes for a server configured with `initial`.
    pub fn resolve(self, initial: u32) -> u32 {
        match self {
            Weight::Absolute(w) => w,
            Weight::Percent(p) => (u64::from(initial) * u64::from(p) / 100).min(256) as u32,
        }
    }
}

/// `set server B/S ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetServer {
    State(Admin),
    Weight(Weight),
    /// `health up|stopping|down`: the check's verdict, forced.
    Health(bool),
    /// `agent up|down`.
    Agent(bool),
    Addr(std::net::IpAddr, Option<u16>),
    /// The port, or HAProxy's reply to a bad one.
    CheckPort(Result<u16, &'static str>),
}

/// `show stat` filters: `IID TYPE SID` (-1: any; TYPE a bit mask, 1 frontends, 2
/// backends, 4 servers) and the format words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatQuery {
    pub iid: Option<u32>,
    pub types: Option<u32>,
    pub sid: Option<u32>,
    pub typed: bool,
    pub json: bool,
    pub up_only: bool,
    pub no_maint: bool,
}

/// The session's own format for `show info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InfoQuery {
    pub typed: bool,
    pub json: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Prompt,
    Quit,
    /// `user` / `operator`: lower the session's level.
    Lower(Level),
    ShowCliLevel,
    ShowInfo(InfoQuery),
    ShowStat(StatQuery),
    ShowServersState(Option<String>),
    ShowBackend,
    ShowEnv(Option<String>),
    ShowVersion,
    ShowSess,
    ShowErrors,
    ShowActivity,
    ShowPools,
    GetWeight(ServerRef),
    SetWeight(ServerRef, Weight),
    DisableServer(ServerRef),
    EnableServer(ServerRef),
    SetServer(ServerRef, SetServer),
    DisableHealth(ServerRef),
    EnableHealth(ServerRef),
    DisableAgent(ServerRef),
    EnableAgent(ServerRef),
    SetMaxconnServer(ServerRef, u32),
    SetMaxconnFrontend(String, u32),
    SetMaxconnGlobal(u32),
    DisableFrontend(String),
    EnableFrontend(String),
    ShutdownFrontend(String),
    ShutdownSessionsServer(ServerRef),
    ClearCounters {
        all: bool,
    },
    SetTimeoutCli(u64),
    /// Maps (a file name or `#ID`), changed in memory (the file stays as it is).
    ShowMap(Option<String>),
    GetMap(String, String),
    AddMap(String, String, String),
    DelMap(String, String),
    SetMap(String, String, String),
    ClearMap(String),
    /// `_getsocks`: hand the listening sockets to a new process (`-x`), on a socket
    /// with `expose-fd listeners`.
    GetSocks,
    /// Stick tables: the table's name and the words after it, read against the table
    /// (`table_cli`), since HAProxy's replies depend on what the table stores.
    ShowTable(Option<String>, Vec<String>),
    ClearTable(String, Vec<String>),
    SetTable(String, Vec<String>),
    /// ACL pattern references (`#ID` or a file), changed in memory.
    ShowAcl(Option<String>),
    GetAcl(String, String),
    AddAcl(String, String),
    DelAcl(String, String),
    ClearAcl(String),
}

impl Command {
    /// The lowest level allowed to run it, as HAProxy enforces it.
    pub fn level(&self) -> Level {
        use Command::*;
        match self {
            Help | Prompt | Quit | Lower(_) | ShowCliLevel | ShowInfo(_) | ShowStat(_)
            | ShowServersState(_) | ShowBackend | ShowVersion | ShowErrors | GetWeight(_)
            | SetTimeoutCli(_) | ShowSess | ShowPools | ShowActivity => Level::User,
            // HAProxy 2.6 lets every level read and change maps.
            ShowMap(_) | GetMap(..) | AddMap(..) | DelMap(..) | SetMap(..) | ClearMap(_) => {
                Level::User
            }
            // Below operator, `show table` lists no entries and `clear table` does
            // nothing, as HAProxy's; `set table` is refused.
            ShowTable(..) | ClearTable(..) => Level::User,
            // As maps: HAProxy 2.6 lets every level read and change them.
            ShowAcl(_) | GetAcl(..) | AddAcl(..) | DelAcl(..) | ClearAcl(_) => Level::User,
            SetTable(..) => Level::Operator,
            ShowEnv(_) | ClearCounters { all: false } => Level::Operator,
            _ => Level::Admin,
        }
    }
}

/// Why a command was not read; the text is HAProxy's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a command at all: the commands that start alike are offered.
    Unknown(String),
    /// The command is known but its arguments are not usable.
    Usage(String),
}

/// The commands of one line: separated by `;` (a `\;` stays in the command), each
/// trimmed; empty ones dropped.
pub fn split_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&';') => {
                cur.push(';');
                chars.next();
            }
            ';' => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

/// The words of a command (spaces and tabs separate; a backslash keeps the next
/// character as it is).
pub fn words(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            ' ' | '\t' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

const REQUIRE_SERVER: &str = "Require 'backend/server'.\n";

fn server_ref(w: Option<&String>) -> Result<ServerRef, Refusal> {
    let w = w.ok_or_else(|| Refusal::Usage(REQUIRE_SERVER.into()))?;
    match w.split_once('/') {
        Some((b, s)) if !b.is_empty() && !s.is_empty() => Ok(ServerRef {
            backend: b.to_string(),
            server: s.to_string(),
        }),
        _ => Err(Refusal::Usage(REQUIRE_SERVER.into())),
    }
}

/// `50`, `50%`: HAProxy's rules and words.
fn weight(w: Option<&String>) -> Result<Weight, Refusal> {
    let w = w.ok_or_else(|| Refusal::Usage("Require <weight> or <weight%>.\n".into()))?;
    let (digits, pct) = match w.strip_suffix('%') {
        Some(d) => (d, true),
        None => (w.as_str(), false),
    };
    let n: i64 = digits.parse().map_err(|_| {
        // HAProxy's own words (and no blank line after them).
        Refusal::Usage("Empty weight string empty or preceded by garbage".into())
    })?;
    if pct {
        if !(0..=100).contains(&n) {
            return Err(Refusal::Usage("Relative weight must be positive.\n".into()));
        }
        Ok(Weight::Percent(n as u32))
    } else if (0..=256).contains(&n) {
        Ok(Weight::Absolute(n as u32))
    } else {
        Err(Refusal::Usage(
            "Absolute weight can only be between 0 and 256 inclusive.\n".into(),
        ))
    }
}

/// C's `atoi`, as HAProxy reads some numbers: an optional sign and the leading digits,
/// 0 when there are none, saturating instead of overflowing.
fn atoi(w: &str) -> i64 {
    let w = w.trim_start();
    let (neg, rest) = match w.as_bytes().first() {
        Some(b'-') => (true, &w[1..]),
        Some(b'+') => (false, &w[1..]),
        _ => (false, w),
    };
    let mut n: i64 = 0;
    for d in rest.bytes().take_while(u8::is_ascii_digit) {
        n = n.saturating_mul(10).saturating_add(i64::from(d - b'0'));
    }
    if neg {
        -n
    } else {
        n
    }
}

fn number(w: Option<&String>, what: &str) -> Result<u32, Refusal> {
    w.and_then(|w| w.parse().ok())
        .ok_or_else(|| Refusal::Usage(format!("Integer value expected for {what}.\n")))
}

const SET_SERVER_USAGE: &str = "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n";

/// Read one command.
pub fn parse(cmd: &str) -> Result<Command, Refusal> {
    let w = words(cmd);
    let s: Vec<&str> = w.iter().map(String::as_str).collect();
    use Command::*;
    Ok(match s.as_slice() {
        ["help", ..] => Help,
        ["prompt", ..] => Prompt,
        ["quit", ..] => Quit,
        ["user"] => Lower(Level::User),
        ["operator"] => Lower(Level::Operator),
        ["show", "cli", "level"] => ShowCliLevel,
        ["show", "info", rest @ ..] => ShowInfo(InfoQuery {
            typed: rest.contains(&"typed"),
            json: rest.contains(&"json"),
        }),
        ["show", "stat", rest @ ..] => ShowStat(stat_query(rest)?),
        ["show", "servers", "state"] => ShowServersState(None),
        ["show", "servers", "state", b, ..] => ShowServersState(Some(b.to_string())),
        ["show", "backend", ..] => ShowBackend,
        ["show", "env"] => ShowEnv(None),
        ["show", "env", v, ..] => ShowEnv(Some(v.to_string())),
        ["show", "version"] => ShowVersion,
        ["show", "sess", ..] => ShowSess,
        ["show", "errors", ..] => ShowErrors,
        ["show", "activity", ..] => ShowActivity,
        ["show", "pools", ..] => ShowPools,
        ["get", "weight", ..] => GetWeight(server_ref(w.get(2))?),
        ["set", "weight", ..] => {
            let r = server_ref(w.get(2))?;
            SetWeight(r, weight(w.get(3))?)
        }
        ["disable", "server", ..] => DisableServer(server_ref(w.get(2))?),
        ["enable", "server", ..] => EnableServer(server_ref(w.get(2))?),
        ["disable", "health", ..] => DisableHealth(server_ref(w.get(2))?),
        ["enable", "health", ..] => EnableHealth(server_ref(w.get(2))?),
        ["disable", "agent", ..] => DisableAgent(server_ref(w.get(2))?),
        ["enable", "agent", ..] => EnableAgent(server_ref(w.get(2))?),
        ["set", "server", ..] => {
            let r = server_ref(w.get(2))?;
            SetServer(r, set_server(&s[3..])?)
        }
        ["show", "acl"] => ShowAcl(None),
        ["show", "acl", id, ..] => ShowAcl(Some(id.to_string())),
        ["get", "acl", id, v, ..] => GetAcl(id.to_string(), v.to_string()),
        ["get", "acl", ..] => {
            return Err(Refusal::Usage(
                "Missing ACL identifier and/or key.\n".into(),
            ))
        }
        ["add", "acl", id, p, ..] => AddAcl(id.to_string(), p.to_string()),
        ["add", "acl", ..] => {
            return Err(Refusal::Usage(
                "'add acl' expects two parameters: ACL identifier and pattern.\n".into(),
            ))
        }
        ["del", "acl", id, k, ..] => DelAcl(id.to_string(), k.to_string()),
        ["del", "acl", ..] => {
            return Err(Refusal::Usage(
                "This command expects two parameters: ACL identifier and key.\n".into(),
            ))
        }
        ["clear", "acl", id, ..] => ClearAcl(id.to_string()),
        ["clear", "acl"] => return Err(Refusal::Usage("Missing ACL identifier.\n".into())),
        ["show", "table"] => ShowTable(None, Vec::new()),
        ["show", "table", name, ..] => ShowTable(Some(name.to_string()), w[3..].to_vec()),
        ["clear", "table", name, ..] => ClearTable(name.to_string(), w[3..].to_vec()),
        ["clear", "table", ..] => {
            return Err(Refusal::Usage(
                "Required arguments: <table> \"data.<store_data_type>\" <operator> <value> or <table> key <key>\n".into(),
            ))
        }
        ["set", "table", name, ..] => SetTable(name.to_string(), w[3..].to_vec()),
        ["set", "table", ..] => {
            return Err(Refusal::Usage(
                "Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n"
                    .into(),
            ))
        }
        ["set", "maxconn", "server", ..] => {
            let r = server_ref(w.get(3))?;
            SetMaxconnServer(r, number(w.get(4), "maxconn")?)
        }
        ["set", "maxconn", "frontend"] => {
            return Err(Refusal::Usage("A frontend name is expected.\n".into()))
        }
        ["set", "maxconn", "frontend", name, ..] => {
            let v = w
                .get(4)
                .map(|v| atoi(v))
                .ok_or_else(|| Refusal::Usage("Integer value expected.\n".into()))?;
            let v = u32::try_from(v)
                .map_err(|_| Refusal::Usage("Value out of range.\n".into()))?;
            SetMaxconnFrontend(name.to_string(), v)
        }
        ["set", "maxconn", "global", ..] => {
            let v = w
                .get(3)
                .map(|v| atoi(v))
                .ok_or_else(|| Refusal::Usage("Expects an integer value.\n".into()))?;
            // Zero or less puts the limit back to the one the process started with.
            SetMaxconnGlobal(u32::try_from(v.max(0)).unwrap_or(u32::MAX))
        }
        ["set", "maxconn", ..] => {
            return Err(Refusal::Usage(
                "'set maxconn' only supports 'frontend', 'server', and 'global'.\n".into(),
            ))
        }
        ["disable", "frontend", name, ..] => DisableFrontend(name.to_string()),
        ["enable", "frontend", name, ..] => EnableFrontend(name.to_string()),
        ["shutdown", "frontend", name, ..] => ShutdownFrontend(name.to_string()),
        ["disable" | "enable" | "shutdown", "frontend"] => {
            return Err(Refusal::Usage("A frontend name is expected.\n".into()))
        }
        ["shutdown", "sessions", "server", ..] => ShutdownSessionsServer(server_ref(w.get(3))?),
        ["clear", "counters"] => ClearCounters { all: false },
        ["clear", "counters", "all"] => ClearCounters { all: true },
        ["show", "map"] => ShowMap(None),
        ["show", "map", m, ..] => ShowMap(Some(m.to_string())),
        ["get", "map", m, v] => GetMap(m.to_string(), v.to_string()),
        ["get", "map", ..] => {
            return Err(Refusal::Usage(
                "'get map' expects two parameters: map identifier and value.\n".into(),
            ))
        }
        ["add", "map", m, k, v] => AddMap(m.to_string(), k.to_string(), v.to_string()),
        ["add", "map", ..] => {
            return Err(Refusal::Usage("'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n".into()))
        }
        ["del", "map", m, k] => DelMap(m.to_string(), k.to_string()),
        ["del", "map", ..] => {
            return Err(Refusal::Usage(
                "This command expects two parameters: map identifier and key.\n".into(),
            ))
        }
        ["set", "map", m, k, v] => SetMap(m.to_string(), k.to_string(), v.to_string()),
        ["set", "map", ..] => {
            return Err(Refusal::Usage(
                "'set map' expects three parameters: map identifier, key and value.\n".into(),
            ))
        }
        ["_getsocks"] => GetSocks,
        ["clear", "map", m] => ClearMap(m.to_string()),
        ["clear", "map", ..] => {
            return Err(Refusal::Usage("'clear map' expects a map identifier.\n".into()))
        }
        ["set", "timeout", "cli", t] => SetTimeoutCli(
            t.parse::<u64>()
                .map(|s| s.saturating_mul(1000))
                .map_err(|_| Refusal::Usage("Expects an integer value.\n".into()))?,
        ),
        _ => return Err(Refusal::Unknown(cmd.to_string())),
    })
}

fn stat_query(rest: &[&str]) -> Result<StatQuery, Refusal> {
    let mut q = StatQuery::default();
    let mut i = 0;
    // A leading `IID TYPE SID` (numbers, -1 for any).
    if rest.len() >= 3 && rest[..3].iter().all(|w| w.parse::<i64>().is_ok()) {
        let n = |w: &str| w.parse::<i64>().ok().filter(|v| *v >= 0).map(|v| v as u32);
        q.iid = n(rest[0]);
        q.types = n(rest[1]);
        q.sid = n(rest[2]);
        i = 3;
    }
    for w in &rest[i..] {
        match *w {
            "typed" => q.typed = true,
            "json" => q.json = true,
            "up" => q.up_only = true,
            "no-maint" => q.no_maint = true,
            "desc" => {}
            _ => {}
        }
    }
    Ok(q)
}

fn set_server(rest: &[&str]) -> Result<SetServer, Refusal> {
    let usage = || Refusal::Usage(SET_SERVER_USAGE.into());
    match rest {
        ["state", v, ..] => Ok(SetServer::State(match *v {
            "ready" => Admin::Ready,
            "drain" => Admin::Drain,
            "maint" => Admin::Maint,
            _ => return Err(state_usage()),
        })),
        ["state"] => Err(state_usage()),
        ["weight", ..] => Ok(SetServer::Weight(weight(
            rest.get(1).map(|s| s.to_string()).as_ref(),
        )?)),
        ["health", v, ..] => match *v {
            "up" => Ok(SetServer::Health(true)),
            "stopping" | "down" => Ok(SetServer::Health(false)),
            _ => Err(Refusal::Usage(
                "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n".into(),
            )),
        },
        ["agent", v, ..] => match *v {
            "up" => Ok(SetServer::Agent(true)),
            "down" => Ok(SetServer::Agent(false)),
            _ => Err(Refusal::Usage(
                "'set server <srv> agent' expects 'up' or 'down'.\n".into(),
            )),
        },
        ["addr", a, more @ ..] => {
            let ip = a
                .parse()
                .map_err(|_| Refusal::Usage("Invalid IP address.\n".into()))?;
            let port = match more {
                ["port", p, ..] => Some(
                    p.parse()
                        .map_err(|_| Refusal::Usage("Invalid port.\n".into()))?,
                ),
                _ => None,
            };
            Ok(SetServer::Addr(ip, port))
        }
        ["check-port"] => Err(Refusal::Usage(
            "set server <b>/<s> check-port requires a port.\n".into(),
        )),
        // A bad port is told only once the server is known to have checks, as HAProxy
        // does; its words have no full stop and no line end of their own here.
        ["check-port", p, ..] => Ok(SetServer::CheckPort(match p.parse::<i64>() {
            Err(_) => Err("provided port is not an integer"),
            Ok(n) => u16::try_from(n).map_err(|_| "provided port is invalid"),
        })),
        _ => Err(usage()),
    }
}

fn state_usage() -> Refusal {
    Refusal::Usage("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n".into())
}

/// The commands `help` lists, with the level each needs: (usage, what it does).
pub const HELP: &[(&str, &str, Level)] = &[
    (
        "add acl <acl> <pattern>",
        "add a pattern to an ACL (in memory)",
        Level::User,
    ),
    (
        "add map <map> <key> <value>",
        "add an entry to a map (in memory)",
        Level::User,
    ),
    (
        "clear counters [all]",
        "reset the max counters (or every counter)",
        Level::Operator,
    ),
    (
        "clear acl <acl>",
        "empty an ACL's patterns (in memory)",
        Level::User,
    ),
    ("clear map <map>", "empty a map (in memory)", Level::User),
    (
        "clear table <table> [data.<type> <op> <v>|key <k>]",
        "remove a stick table's untracked entries (all, or those selected)",
        Level::User,
    ),
    (
        "del acl <acl> <key>|#<ref>",
        "remove an ACL's patterns equal to a key",
        Level::User,
    ),
    (
        "del map <map> <key>|#<ref>",
        "remove a map's entries for a key",
        Level::User,
    ),
    (
        "disable agent <bk>/<srv>",
        "stop a server's agent checks",
        Level::Admin,
    ),
    (
        "disable frontend <frontend>",
        "stop accepting on a frontend for now",
        Level::Admin,
    ),
    (
        "disable health <bk>/<srv>",
        "stop a server's health checks",
        Level::Admin,
    ),
    (
        "disable server <bk>/<srv>",
        "put a server in maintenance",
        Level::Admin,
    ),
    (
        "enable agent <bk>/<srv>",
        "restart a server's agent checks",
        Level::Admin,
    ),
    (
        "enable frontend <frontend>",
        "accept on a disabled frontend again",
        Level::Admin,
    ),
    (
        "enable health <bk>/<srv>",
        "restart a server's health checks",
        Level::Admin,
    ),
    (
        "enable server <bk>/<srv>",
        "take a server out of maintenance",
        Level::Admin,
    ),
    (
        "get acl <acl> <value>",
        "whether an ACL's patterns match a value",
        Level::User,
    ),
    (
        "get map <map> <value>",
        "what a map gives for a value",
        Level::User,
    ),
    (
        "get weight <bk>/<srv>",
        "a server's weight now and as configured",
        Level::User,
    ),
    (
        "operator",
        "lower this session's level to operator",
        Level::User,
    ),
    (
        "set map <map> <key>|#<ref> <value>",
        "change a map entry's value",
        Level::User,
    ),
    (
        "set maxconn frontend <frontend> <value>",
        "a frontend's connection limit",
        Level::Admin,
    ),
    (
        "set maxconn global <value>",
        "the process's connection limit",
        Level::Admin,
    ),
    (
        "set maxconn server <bk>/<srv>",
        "a server's connection limit",
        Level::Admin,
    ),
    (
        "set server <bk>/<srv> [opts]",
        "a server's state, weight, health, agent, address or check port",
        Level::Admin,
    ),
    (
        "set table <table> key <k> [data.<type> <v>]*",
        "make or change a stick table entry",
        Level::User,
    ),
    (
        "set timeout cli <delay>",
        "this session's idle timeout, in seconds",
        Level::User,
    ),
    (
        "set weight <bk>/<srv>",
        "a server's weight (absolute or N%)",
        Level::Admin,
    ),
    (
        "show acl [<acl>]",
        "the ACLs' pattern lists, or one's patterns",
        Level::User,
    ),
    (
        "show activity",
        "the process's counters of work done",
        Level::User,
    ),
    ("show backend", "the backends", Level::User),
    ("show cli level", "this session's level", Level::User),
    (
        "show env [var]",
        "the process's environment",
        Level::Operator,
    ),
    (
        "show errors",
        "captured protocol errors (none are kept)",
        Level::User,
    ),
    (
        "show info [json|typed]",
        "the process: version, limits, counts",
        Level::User,
    ),
    (
        "show map [<map>]",
        "the maps, or one map's entries",
        Level::User,
    ),
    ("show pools", "the process's memory use", Level::User),
    (
        "show servers state [<backend>]",
        "every server's state, as server-state-file holds it",
        Level::User,
    ),
    (
        "show sess",
        "the sessions in progress (a count)",
        Level::User,
    ),
    (
        "show stat [<iid> <type> <sid>] [typed|json|up|no-maint]",
        "the statistics report (CSV)",
        Level::User,
    ),
    (
        "show table [<table> [data.<type> <op> <v>]*|key <k>]",
        "the stick tables, or one's entries (all, or those selected)",
        Level::User,
    ),
    ("show version", "the version", Level::User),
    (
        "shutdown frontend <frontend>",
        "stop a frontend for good",
        Level::Admin,
    ),
    (
        "shutdown sessions server <bk>/<srv>",
        "close every session to a server",
        Level::Admin,
    ),
    ("user", "lower this session's level to user", Level::User),
    ("help [<command>]", "this list", Level::User),
    (
        "prompt",
        "switch the interactive mode with a prompt on or off",
        Level::User,
    ),
    ("quit", "close this session", Level::User),
];

fn help_line(o: &mut String, usage: &str, what: &str) {
    let _ = writeln!(o, "  {usage:<39} : {what}");
}

/// `help`: the commands open at `level` (HAProxy's layout).
pub fn help(level: Level) -> String {
    let mut o = String::from("The following commands are valid at this level:\n");
    for (usage, what, need) in HELP {
        if *need <= level {
            help_line(&mut o, usage, what);
        }
    }
    o
}

/// The reply to an unknown command: the commands whose first word it starts with, or
/// all of them.
pub fn unknown(cmd: &str, level: Level) -> String {
    let first = cmd.split_whitespace().next().unwrap_or("");
    let close: Vec<_> = HELP
        .iter()
        .filter(|(u, _, need)| *need <= level && !first.is_empty() && u.starts_with(first))
        .collect();
    if close.is_empty() {
        return format!("Unknown command: '{first}'\n{}", help(level));
    }
    let mut o =
        String::from("Unknown command, but maybe one of the following ones is a better match:\n");
    for (usage, what, _) in close {
        help_line(&mut o, usage, what);
    }
    o
}

pub const PERMISSION_DENIED: &str = "Permission denied\n";

/// One server's line of `show servers state` (HAProxy's server-state-file format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerStateLine {
    pub be_id: u32,
    pub be_name: String,
    pub srv_id: u32,
    pub srv_name: String,
    pub addr: String,
    /// 0 stopped, 1 starting, 2 running, 3 stopping.
    pub op_state: u8,
    /// Bits: 0x01 forced maintenance, 0x08 drain.
    pub admin_state: u8,
    pub uweight: u32,
    pub iweight: u32,
    pub since_change_s: u64,
    pub check_status: u32,
    pub check_result: u32,
    pub check_health: u32,
    pub check_state: u32,
    pub agent_state: u32,
    /// The backend's and the server's ids were given (`id N`), not numbered.
    pub be_id_forced: bool,
    pub srv_id_forced: bool,
    pub port: u16,
    pub check_port: u16,
}

/// One server's line of a server state file (`show servers state` saved before a
/// reload), as far as proxyd uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedServer {
    pub be_name: String,
    pub srv_name: String,
    pub op_state: u8,
    pub admin_state: u8,
    pub uweight: u32,
    pub iweight: u32,
    pub since_change_s: u64,
}

/// A server state file: its servers, and how many lines could not be read. Only
/// version 1 (HAProxy 1.6 to 2.6, and proxyd) is known.
pub fn parse_servers_state(text: &str) -> Result<(Vec<SavedServer>, usize), String> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    match lines.next().map(str::trim) {
        Some("1") => {}
        Some(v) => return Err(format!("unknown version `{v}` (only 1 is known)")),
        None => return Err("empty file (no version line)".into()),
    }
    let (mut out, mut bad) = (Vec::new(), 0);
    for l in lines.filter(|l| !l.starts_with('#')) {
        let w: Vec<&str> = l.split_whitespace().collect();
        let n = |i: usize| w.get(i).and_then(|v| v.parse::<u64>().ok());
        match (w.get(1), w.get(3), n(5), n(6), n(7), n(8), n(9)) {
            (Some(be), Some(srv), Some(op), Some(adm), Some(uw), Some(iw), Some(since))
                if w.len() >= 15 =>
            {
                out.push(SavedServer {
                    be_name: be.to_string(),
                    srv_name: srv.to_string(),
                    op_state: u8::try_from(op).unwrap_or(0),
                    admin_state: u8::try_from(adm).unwrap_or(0),
                    uweight: u32::try_from(uw).unwrap_or(u32::MAX),
                    iweight: u32::try_from(iw).unwrap_or(u32::MAX),
                    since_change_s: since,
                });
            }
            _ => bad += 1,
        }
    }
    Ok((out, bad))
}

pub const SERVERS_STATE_HEADER: &str = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n";

pub fn servers_state(lines: &[ServerStateLine]) -> String {
    let mut o = String::from(SERVERS_STATE_HEADER);
    for l in lines {
        let _ = writeln!(
            o,
            "{} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} - {} - 0 {} - - 0",
            l.be_id,
            l.be_name,
            l.srv_id,
            l.srv_name,
            l.addr,
            l.op_state,
            l.admin_state,
            l.uweight,
            l.iweight,
            l.since_change_s,
            l.check_status,
            l.check_result,
            l.check_health,
            l.check_state,
            l.agent_state,
            u8::from(l.be_id_forced),
            u8::from(l.srv_id_forced),
            l.port,
            l.check_port,
        );
    }
    o
}

/// `show info` from its (key, value) pairs, plain (`Key: value`) or typed.
pub fn info(fields: &[(&str, String)], q: InfoQuery) -> String {
    if q.json {
        return crate::stat_typed::info_json(fields);
    }
    if q.typed {
        return crate::stat_typed::info_typed(fields);
    }
    let mut o = String::new();
    for (k, v) in fields {
        let _ = writeln!(o, "{k}: {v}");
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(b: &str, s: &str) -> ServerRef {
        ServerRef {
            backend: b.into(),
            server: s.into(),
        }
    }

    #[test]
    fn lines_split_into_commands() {
        assert_eq!(
            split_line("show info; show stat ;;set weight be/s1 3\n"),
            vec!["show info", "show stat", "set weight be/s1 3"]
        );
        assert_eq!(split_line(r"set map m a\;b 1"), vec!["set map m a;b 1"]);
        assert!(split_line("  ; ").is_empty());
    }

    #[test]
    fn server_state_files_read_back() {
        let line = ServerStateLine {
            be_id: 3,
            be_name: "be".into(),
            srv_id: 1,
            srv_name: "s1".into(),
            addr: "127.0.0.1".into(),
            op_state: 2,
            admin_state: 0x08,
            uweight: 5,
            iweight: 10,
            since_change_s: 42,
            check_status: 6,
            check_result: 3,
            check_health: 4,
            check_state: 6,
            agent_state: 0,
            be_id_forced: false,
            srv_id_forced: false,
            port: 80,
            check_port: 0,
        };
        let text = servers_state(&[line.clone(), line]) + "3 be 2 short line\n";
        let (saved, bad) = parse_servers_state(&text).unwrap();
        assert_eq!(bad, 1);
        assert_eq!(saved.len(), 2);
        assert_eq!(
            saved[0],
            SavedServer {
                be_name: "be".into(),
                srv_name: "s1".into(),
                op_state: 2,
                admin_state: 8,
                uweight: 5,
                iweight: 10,
                since_change_s: 42,
            }
        );
        assert!(parse_servers_state("2\n").is_err());
        assert!(parse_servers_state("").is_err());
    }

    #[test]
    fn maxconn_values_are_read_as_haproxy_reads_them() {
        let usage = |t: &str| Err(Refusal::Usage(t.into()));
        assert_eq!(
            parse("set maxconn frontend f 12abc"),
            Ok(Command::SetMaxconnFrontend("f".into(), 12))
        );
        assert_eq!(
            parse("set maxconn frontend f x"),
            Ok(Command::SetMaxconnFrontend("f".into(), 0))
        );
        assert_eq!(
            parse("set maxconn frontend f -1"),
            usage("Value out of range.\n")
        );
        assert_eq!(
            parse("set maxconn frontend f"),
            usage("Integer value expected.\n")
        );
        assert_eq!(
            parse("set maxconn frontend"),
            usage("A frontend name is expected.\n")
        );
        assert_eq!(
            parse("set maxconn global 12x"),
            Ok(Command::SetMaxconnGlobal(12))
        );
        assert_eq!(
            parse("set maxconn global -5"),
            Ok(Command::SetMaxconnGlobal(0))
        );
        assert_eq!(
            parse("set maxconn global"),
            usage("Expects an integer value.\n")
        );
    }

    #[test]
    fn commands_and_their_levels() {
        assert_eq!(
            parse("get weight be/s1"),
            Ok(Command::GetWeight(r("be", "s1")))
        );
        assert_eq!(
            parse("set weight be/s1 50%"),
            Ok(Command::SetWeight(r("be", "s1"), Weight::Percent(50)))
        );
        assert_eq!(
            parse("set server be/s1 state drain"),
            Ok(Command::SetServer(
                r("be", "s1"),
                SetServer::State(Admin::Drain)
            ))
        );
        assert_eq!(
            parse("set server be/s1 addr 10.0.0.1 port 81"),
            Ok(Command::SetServer(
                r("be", "s1"),
                SetServer::Addr("10.0.0.1".parse().unwrap(), Some(81))
            ))
        );
        assert_eq!(
            parse("show stat 3 4 -1 typed"),
            Ok(Command::ShowStat(StatQuery {
                iid: Some(3),
                types: Some(4),
                typed: true,
                ..StatQuery::default()
            }))
        );
        assert_eq!(parse("show info").map(|c| c.level()), Ok(Level::User));
        assert_eq!(parse("show env").map(|c| c.level()), Ok(Level::Operator));
        assert_eq!(
            parse("clear counters").map(|c| c.level()),
            Ok(Level::Operator)
        );
        assert_eq!(
            parse("clear counters all").map(|c| c.level()),
            Ok(Level::Admin)
        );
        assert_eq!(
            parse("disable server be/s1").map(|c| c.level()),
            Ok(Level::Admin)
        );
    }

    #[test]
    fn refusals_say_what_haproxy_says() {
        assert_eq!(
            parse("get weight be"),
            Err(Refusal::Usage(REQUIRE_SERVER.into()))
        );
        assert_eq!(
            parse("set weight be/s1 300"),
            Err(Refusal::Usage(
                "Absolute weight can only be between 0 and 256 inclusive.\n".into()
            ))
        );
        assert_eq!(parse("set server be/s1 state x"), Err(state_usage()));
        assert!(matches!(parse("bogus"), Err(Refusal::Unknown(_))));
        assert!(unknown("show bogus", Level::Admin).starts_with("Unknown command, but maybe"));
    }

    #[test]
    fn help_is_filtered_by_level() {
        let user = help(Level::User);
        let admin = help(Level::Admin);
        assert!(!user.contains("disable server") && admin.contains("disable server"));
        // HAProxy's layout: two spaces, the usage padded to 40 columns, ": ".
        let line = format!("  {:<40}: the process", "show info [json|typed]");
        assert!(user.contains(&line), "{user}");
    }

    #[test]
    fn weights_resolve_against_the_configured_one() {
        assert_eq!(Weight::Percent(50).resolve(50), 25);
        assert_eq!(Weight::Absolute(7).resolve(50), 7);
        assert_eq!(Weight::Percent(100).resolve(300), 256);
    }
}
