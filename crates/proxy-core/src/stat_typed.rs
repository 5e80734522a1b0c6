//! `show stat typed|json` and `show info typed|json`: HAProxy's typed forms of the
//! report, each value with its position, its tags (origin, nature, scope) and its type.
//! Empty cells are left out, as HAProxy leaves out the fields an object has not got.

use crate::stats::{Row, RowKind, CSV_COLUMNS};
use std::fmt::Write;

/// The CSV column that only separates HAProxy's own fields from its modules' ones: it
/// has no typed form, and the fields after it are numbered one less.
const SEPARATOR: usize = 103;

/// Each CSV column's typed-form tags (origin, nature, scope) and value type, in
/// `CSV_COLUMNS` order (the `-` separator has none).
pub const STAT_META: [(&str, &str); 128] = [
    ("KNS", "str"), // pxname
    ("KNS", "str"), // svname
    ("MGP", "u32"), // qcur
    ("MMP", "u32"), // qmax
    ("MGP", "u32"), // scur
    ("MMP", "u32"), // smax
    ("CLP", "u32"), // slim
    ("MCP", "u64"), // stot
    ("MCP", "u64"), // bin
    ("MCP", "u64"), // bout
    ("MCP", "u64"), // dreq
    ("MCP", "u64"), // dresp
    ("MCP", "u64"), // ereq
    ("MCP", "u64"), // econ
    ("MCP", "u64"), // eresp
    ("MCP", "u64"), // wretr
    ("MCP", "u64"), // wredis
    ("SGP", "str"), // status
    ("MaP", "u32"), // weight
    ("SGP", "u32"), // act
    ("SGP", "u32"), // bck
    ("MCP", "u64"), // chkfail
    ("MCP", "u64"), // chkdown
    ("MAP", "u32"), // lastchg
    ("MCP", "u32"), // downtime
    ("CGS", "u32"), // qlimit
    ("KGP", "u32"), // pid
    ("KGS", "u32"), // iid
    ("KGS", "u32"), // sid
    ("MaP", "u32"), // throttle
    ("MCP", "u64"), // lbtot
    ("CNS", "str"), // tracked
    ("CGS", "u32"), // type
    ("MRP", "u32"), // rate
    ("CLP", "u32"), // rate_lim
    ("MMP", "u32"), // rate_max
    ("MOP", "str"), // check_status
    ("MOP", "u32"), // check_code
    ("MDP", "u64"), // check_duration
    ("MCP", "u64"), // hrsp_1xx
    ("MCP", "u64"), // hrsp_2xx
    ("MCP", "u64"), // hrsp_3xx
    ("MCP", "u64"), // hrsp_4xx
    ("MCP", "u64"), // hrsp_5xx
    ("MCP", "u64"), // hrsp_other
    ("MCP", "u64"), // hanafail
    ("MRP", "u32"), // req_rate
    ("MMP", "u32"), // req_rate_max
    ("MCP", "u64"), // req_tot
    ("MCP", "u64"), // cli_abrt
    ("MCP", "u64"), // srv_abrt
    ("MCP", "u64"), // comp_in
    ("MCP", "u64"), // comp_out
    ("MCP", "u64"), // comp_byp
    ("MCP", "u64"), // comp_rsp
    ("MAP", "s32"), // lastsess
    ("MOP", "str"), // last_chk
    ("MOP", "str"), // last_agt
    ("MaP", "u32"), // qtime
    ("MaP", "u32"), // ctime
    ("MaP", "u32"), // rtime
    ("MaP", "u32"), // ttime
    ("MOP", "str"), // agent_status
    ("MOP", "u32"), // agent_code
    ("MDP", "u64"), // agent_duration
    ("MOP", "str"), // check_desc
    ("MOP", "str"), // agent_desc
    ("CGS", "u32"), // check_rise
    ("CGS", "u32"), // check_fall
    ("CGS", "u32"), // check_health
    ("CGS", "u32"), // agent_rise
    ("CGS", "u32"), // agent_fall
    ("CGS", "u32"), // agent_health
    ("CGS", "str"), // addr
    ("CNS", "str"), // cookie
    ("CGS", "str"), // mode
    ("CGS", "str"), // algo
    ("MRP", "u32"), // conn_rate
    ("MMP", "u32"), // conn_rate_max
    ("MCP", "u64"), // conn_tot
    ("MCP", "u64"), // intercepted
    ("MCP", "u64"), // dcon
    ("MCP", "u64"), // dses
    ("MCP", "u64"), // wrew
    ("MCP", "u64"), // connect
    ("MCP", "u64"), // reuse
    ("MCP", "u64"), // cache_lookups
    ("MCP", "u64"), // cache_hits
    ("MGP", "u32"), // srv_icur
    ("MGP", "u32"), // src_ilim
    ("MMP", "u32"), // qtime_max
    ("MMP", "u32"), // ctime_max
    ("MMP", "u32"), // rtime_max
    ("MMP", "u32"), // ttime_max
    ("MCP", "u64"), // eint
    ("MGP", "u32"), // idle_conn_cur
    ("MGP", "u32"), // safe_conn_cur
    ("MGP", "u32"), // used_conn_cur
    ("MGP", "u32"), // need_conn_est
    ("MaP", "u32"), // uweight
    ("MGP", "u32"), // agg_server_status
    ("MGP", "u32"), // agg_server_check_status
    ("MGP", "u32"), // agg_check_status
    ("", ""),       // -
    ("MCP", "u64"), // ssl_sess
    ("MCP", "u64"), // ssl_reused_sess
    ("MCP", "u64"), // ssl_failed_handshake
    ("MCP", "u64"), // h2_headers_rcvd
    ("MCP", "u64"), // h2_data_rcvd
    ("MCP", "u64"), // h2_settings_rcvd
    ("MCP", "u64"), // h2_rst_stream_rcvd
    ("MCP", "u64"), // h2_goaway_rcvd
    ("MCP", "u64"), // h2_detected_conn_protocol_errors
    ("MCP", "u64"), // h2_detected_strm_protocol_errors
    ("MCP", "u64"), // h2_rst_stream_resp
    ("MCP", "u64"), // h2_goaway_resp
    ("MGP", "u64"), // h2_open_connections
    ("MGP", "u64"), // h2_backend_open_streams
    ("MCP", "u64"), // h2_total_connections
    ("MCP", "u64"), // h2_backend_total_streams
    ("MGP", "u64"), // h1_open_connections
    ("MGP", "u64"), // h1_open_streams
    ("MCP", "u64"), // h1_total_connections
    ("MCP", "u64"), // h1_total_streams
    ("MCP", "u64"), // h1_bytes_in
    ("MCP", "u64"), // h1_bytes_out
    ("MCP", "u64"), // h1_spliced_bytes_in
    ("MCP", "u64"), // h1_spliced_bytes_out
];

/// `show info`'s fields: position, name, tags, value type.
pub const INFO_META: &[(u32, &str, &str, &str)] = &[
    (0, "Name", "POS", "str"),
    (1, "Version", "POS", "str"),
    (2, "Release_date", "POS", "str"),
    (3, "Nbthread", "CGS", "u32"),
    (4, "Nbproc", "CGS", "u32"),
    (5, "Process_num", "KGP", "u32"),
    (6, "Pid", "SGP", "u32"),
    (7, "Uptime", "MDP", "str"),
    (8, "Uptime_sec", "MDP", "u32"),
    (9, "Memmax_MB", "CLP", "u32"),
    (10, "PoolAlloc_MB", "MGP", "u32"),
    (11, "PoolUsed_MB", "MGP", "u32"),
    (12, "PoolFailed", "MCP", "u32"),
    (13, "Ulimit-n", "CLP", "u32"),
    (14, "Maxsock", "CLP", "u32"),
    (15, "Maxconn", "CLP", "u32"),
    (16, "Hard_maxconn", "CLP", "u32"),
    (17, "CurrConns", "MGP", "u32"),
    (18, "CumConns", "MCP", "u32"),
    (19, "CumReq", "MCP", "u32"),
    (20, "MaxSslConns", "MMP", "u32"),
    (21, "CurrSslConns", "MGP", "u32"),
    (22, "CumSslConns", "MCP", "u32"),
    (23, "Maxpipes", "CLP", "u32"),
    (24, "PipesUsed", "MGP", "u32"),
    (25, "PipesFree", "MGP", "u32"),
    (26, "ConnRate", "MRP", "u32"),
    (27, "ConnRateLimit", "CLP", "u32"),
    (28, "MaxConnRate", "MMP", "u32"),
    (29, "SessRate", "MRP", "u32"),
    (30, "SessRateLimit", "CLP", "u32"),
    (31, "MaxSessRate", "MRP", "u32"),
    (32, "SslRate", "MRP", "u32"),
    (33, "SslRateLimit", "CLP", "u32"),
    (34, "MaxSslRate", "MMP", "u32"),
    (35, "SslFrontendKeyRate", "MGP", "u32"),
    (36, "SslFrontendMaxKeyRate", "MMP", "u32"),
    (37, "SslFrontendSessionReuse_pct", "MGP", "u32"),
    (38, "SslBackendKeyRate", "MRP", "u32"),
    (39, "SslBackendMaxKeyRate", "MMP", "u32"),
    (40, "SslCacheLookups", "MCP", "u32"),
    (41, "SslCacheMisses", "MCP", "u32"),
    (42, "CompressBpsIn", "MRP", "u32"),
    (43, "CompressBpsOut", "MRP", "u32"),
    (44, "CompressBpsRateLim", "CLP", "u32"),
    (47, "Tasks", "MGP", "u32"),
    (48, "Run_queue", "MGP", "u32"),
    (49, "Idle_pct", "MaP", "u32"),
    (50, "node", "COS", "str"),
    (52, "Stopping", "MGP", "u32"),
    (53, "Jobs", "MGP", "u32"),
    (54, "Unstoppable Jobs", "MGP", "u32"),
    (55, "Listeners", "MGP", "u32"),
    (56, "ActivePeers", "MGP", "u32"),
    (57, "ConnectedPeers", "MGP", "u32"),
    (58, "DroppedLogs", "MGP", "u32"),
    (59, "BusyPolling", "MGP", "u32"),
    (60, "FailedResolutions", "MGP", "u32"),
    (61, "TotalBytesOut", "MGP", "u64"),
    (62, "TotalSplicdedBytesOut", "MGP", "u64"),
    (63, "BytesOutRate", "MRP", "u64"),
    (64, "DebugCommandsIssued", "MGP", "u32"),
    (65, "CumRecvLogs", "MCP", "u32"),
    (66, "Build info", "POS", "str"),
    (67, "Memmax_bytes", "CLP", "u32"),
    (68, "PoolAlloc_bytes", "MGP", "u64"),
    (69, "PoolUsed_bytes", "MGP", "u64"),
    (70, "Start_time_sec", "MDP", "u32"),
    (71, "Tainted", "SGP", "str"),
];

fn tag_words(tags: &str) -> (&'static str, &'static str, &'static str) {
    let mut c = tags.chars();
    let origin = match c.next() {
        Some('K') => "Key",
        Some('C') => "Config",
        Some('S') => "Status",
        Some('M') => "Metric",
        Some('P') => "Product",
        _ => "Unknown",
    };
    let nature = match c.next() {
        Some('A') => "Age",
        Some('a') => "Avg",
        Some('C') => "Counter",
        Some('D') => "Duration",
        Some('G') => "Gauge",
        Some('L') => "Limit",
        Some('M') => "Max",
        Some('m') => "Min",
        Some('N') => "Name",
        Some('O') => "Output",
        Some('R') => "Rate",
        Some('T') => "Time",
        _ => "Unknown",
    };
    let scope = match c.next() {
        Some('P') => "Process",
        Some('S') => "Service",
        Some('C') => "Cluster",
        Some('s') => "System",
        _ => "Unknown",
    };
    (origin, nature, scope)
}

fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for ch in s.chars() {
        match ch {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A value in JSON: numbers as numbers when the type is one and the text reads as one.
fn json_value(vtype: &str, v: &str) -> String {
    let numeric = vtype != "str" && v.parse::<f64>().is_ok();
    format!(
        "{{\"type\":\"{vtype}\",\"value\":{}}}",
        if numeric { v.to_string() } else { json_str(v) }
    )
}

fn json_field(pos: usize, name: &str, tags: &str, vtype: &str, v: &str) -> String {
    let (o, n, s) = tag_words(tags);
    format!(
        "\"field\":{{\"pos\":{pos},\"name\":{}}},\"processNum\":1,\"tags\":{{\"origin\":\"{o}\",\"nature\":\"{n}\",\"scope\":\"{s}\"}},\"value\":{}",
        json_str(name),
        json_value(vtype, v)
    )
}

/// Where a backend's tags are not a frontend's or a server's: HAProxy gives its
/// session rates and active/backup counts as plain gauges.
fn backend_tags(column: &str) -> Option<&'static str> {
    matches!(column, "rate" | "rate_max" | "act" | "bck").then_some("MGP")
}

/// A row's fields that have a value: (typed position, column, tags, type, value).
fn fields(r: &Row) -> Vec<(usize, &'static str, &'static str, &'static str, String)> {
    r.cells()
        .into_iter()
        .enumerate()
        .filter(|(i, v)| *i != SEPARATOR && !v.is_empty())
        .map(|(i, v)| {
            let pos = if i > SEPARATOR { i - 1 } else { i };
            let (mut tags, vtype) = STAT_META[i];
            if r.kind == RowKind::Backend {
                tags = backend_tags(CSV_COLUMNS[i]).unwrap_or(tags);
            }
            (pos, CSV_COLUMNS[i], tags, vtype, v)
        })
        .collect()
}

fn kind_letter(k: RowKind) -> (char, &'static str) {
    match k {
        RowKind::Frontend => ('F', "Frontend"),
        RowKind::Backend => ('B', "Backend"),
        RowKind::Server => ('S', "Server"),
    }
}

/// `show stat typed`: `F.IID.SID.POS.NAME.1:TAGS:TYPE:VALUE` lines.
pub fn stat_typed(rows: &[Row]) -> String {
    let mut o = String::new();
    for r in rows {
        let (letter, _) = kind_letter(r.kind);
        for (pos, name, tags, vtype, v) in fields(r) {
            let _ = writeln!(
                o,
                "{letter}.{}.{}.{pos}.{name}.1:{tags}:{vtype}:{v}",
                r.ids.iid, r.ids.sid
            );
        }
    }
    o
}

/// `show stat json`: an array of objects, each an array of its fields.
pub fn stat_json(rows: &[Row]) -> String {
    let objects: Vec<String> = rows
        .iter()
        .map(|r| {
            let (_, word) = kind_letter(r.kind);
            let fs: Vec<String> = fields(r)
                .into_iter()
                .map(|(pos, name, tags, vtype, v)| {
                    format!(
                        "{{\"objType\":\"{word}\",\"proxyId\":{},\"id\":{},{}}}",
                        r.ids.iid,
                        r.ids.sid,
                        json_field(pos, name, tags, vtype, &v)
                    )
                })
                .collect();
            format!("[{}]", fs.join(","))
        })
        .collect();
    format!("[{}]\n", objects.join(","))
}

/// A `show info` key's position, tags and type (proxyd gives only HAProxy's keys).
fn info_meta(name: &str) -> (u32, &'static str, &'static str) {
    INFO_META
        .iter()
        .find(|m| m.1 == name)
        .map_or((0, "", "str"), |m| (m.0, m.2, m.3))
}

/// `show info typed`: `POS.NAME.1:TAGS:TYPE:VALUE` lines.
pub fn info_typed(fields: &[(&str, String)]) -> String {
    let mut o = String::new();
    for (k, v) in fields {
        let (pos, tags, vtype) = info_meta(k);
        let _ = writeln!(o, "{pos}.{k}.1:{tags}:{vtype}:{v}");
    }
    o
}

/// `show info json`: an array of fields.
pub fn info_json(fields: &[(&str, String)]) -> String {
    let fs: Vec<String> = fields
        .iter()
        .map(|(k, v)| {
            let (pos, tags, vtype) = info_meta(k);
            format!("{{{}}}", json_field(pos as usize, k, tags, vtype, v))
        })
        .collect();
    format!("[{}]\n", fs.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_but_the_separator_has_a_type() {
        for (i, (tags, vtype)) in STAT_META.iter().enumerate() {
            if i == SEPARATOR {
                assert_eq!(CSV_COLUMNS[i], "-");
                continue;
            }
            assert_eq!(tags.len(), 3, "{}", CSV_COLUMNS[i]);
            assert!(["str", "u32", "u64", "s32", "s64", "flt"].contains(vtype));
            let (o, n, s) = tag_words(tags);
            assert!(
                ![o, n, s].contains(&"Unknown"),
                "{}: {tags}",
                CSV_COLUMNS[i]
            );
        }
    }

    #[test]
    fn info_in_both_forms() {
        let f = vec![("Name", "proxyd".to_string()), ("Pid", "42".to_string())];
        assert_eq!(
            info_typed(&f),
            "0.Name.1:POS:str:proxyd\n6.Pid.1:SGP:u32:42\n"
        );
        assert_eq!(
            info_json(&f),
            "[{\"field\":{\"pos\":0,\"name\":\"Name\"},\"processNum\":1,\"tags\":{\"origin\":\"Product\",\"nature\":\"Output\",\"scope\":\"Service\"},\"value\":{\"type\":\"str\",\"value\":\"proxyd\"}},{\"field\":{\"pos\":6,\"name\":\"Pid\"},\"processNum\":1,\"tags\":{\"origin\":\"Status\",\"nature\":\"Gauge\",\"scope\":\"Process\"},\"value\":{\"type\":\"u32\",\"value\":42}}]\n"
        );
    }
}
