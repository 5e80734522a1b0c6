//! The statistics report, rendered from counter snapshots: HAProxy's CSV (the same columns
//! in the same order, so scripts written for HAProxy's `;csv` keep working; columns proxyd
//! does not keep are left empty) and a plain HTML table.

use crate::counters::{CheckRecord, Snapshot};
use std::fmt::Write;

/// What a row describes (HAProxy's `type` column: 0, 1, 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Frontend,
    Backend,
    Server,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub proxy: String,
    pub kind: RowKind,
    /// The server's name (servers only; FRONTEND / BACKEND otherwise).
    pub server: Option<String>,
    /// OPEN, UP, DOWN, "UP 1/3", "no check"...
    pub status: String,
    pub weight: Option<u32>,
    /// Servers: 1 when active (not backup); backends: how many active / backup are UP.
    pub active: Option<u32>,
    pub backup: Option<u32>,
    /// Session limit (slim).
    pub limit: Option<u64>,
    /// Seconds since the last state change.
    pub last_change_s: Option<u64>,
    pub check: Option<CheckRecord>,
    pub counters: Snapshot,
    /// Identities and settings the report shows beside the counters.
    pub ids: Ids,
}

/// A row's identities and settings: HAProxy's `iid`/`sid` (which `show stat IID TYPE
/// SID` filters on and hatop navigates by), the proxy's mode and algorithm, the server's
/// address (shown from the operator level up), its configured weight and check settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ids {
    pub iid: u32,
    pub sid: u32,
    pub mode: Option<&'static str>,
    pub algo: Option<String>,
    pub addr: Option<String>,
    /// The weight set by configuration or the runtime API (`uweight`).
    pub uweight: Option<u32>,
    /// The check's rise, fall, and where it stands between them (0 .. rise+fall-1).
    pub check_cfg: Option<(u32, u32, u32)>,
    /// `tracked`: the server it follows, `backend/server`.
    pub tracked: Option<String>,
}

/// HAProxy 2.6's CSV columns, in order (the `-` column separates the proxies' own
/// fields from the modules' counters).
pub const CSV_COLUMNS: [&str; 128] = [
    "pxname",
    "svname",
    "qcur",
    "qmax",
    "scur",
    "smax",
    "slim",
    "stot",
    "bin",
    "bout",
    "dreq",
    "dresp",
    "ereq",
    "econ",
    "eresp",
    "wretr",
    "wredis",
    "status",
    "weight",
    "act",
    "bck",
    "chkfail",
    "chkdown",
    "lastchg",
    "downtime",
    "qlimit",
    "pid",
    "iid",
    "sid",
    "throttle",
    "lbtot",
    "tracked",
    "type",
    "rate",
    "rate_lim",
    "rate_max",
    "check_status",
    "check_code",
    "check_duration",
    "hrsp_1xx",
    "hrsp_2xx",
    "hrsp_3xx",
    "hrsp_4xx",
    "hrsp_5xx",
    "hrsp_other",
    "hanafail",
    "req_rate",
    "req_rate_max",
    "req_tot",
    "cli_abrt",
    "srv_abrt",
    "comp_in",
    "comp_out",
    "comp_byp",
    "comp_rsp",
    "lastsess",
    "last_chk",
    "last_agt",
    "qtime",
    "ctime",
    "rtime",
    "ttime",
    "agent_status",
    "agent_code",
    "agent_duration",
    "check_desc",
    "agent_desc",
    "check_rise",
    "check_fall",
    "check_health",
    "agent_rise",
    "agent_fall",
    "agent_health",
    "addr",
    "cookie",
    "mode",
    "algo",
    "conn_rate",
    "conn_rate_max",
    "conn_tot",
    "intercepted",
    "dcon",
    "dses",
    "wrew",
    "connect",
    "reuse",
    "cache_lookups",
    "cache_hits",
    "srv_icur",
    "src_ilim",
    "qtime_max",
    "ctime_max",
    "rtime_max",
    "ttime_max",
    "eint",
    "idle_conn_cur",
    "safe_conn_cur",
    "used_conn_cur",
    "need_conn_est",
    "uweight",
    "agg_server_status",
    "agg_server_check_status",
    "agg_check_status",
    "-",
    "ssl_sess",
    "ssl_reused_sess",
    "ssl_failed_handshake",
    "h2_headers_rcvd",
    "h2_data_rcvd",
    "h2_settings_rcvd",
    "h2_rst_stream_rcvd",
    "h2_goaway_rcvd",
    "h2_detected_conn_protocol_errors",
    "h2_detected_strm_protocol_errors",
    "h2_rst_stream_resp",
    "h2_goaway_resp",
    "h2_open_connections",
    "h2_backend_open_streams",
    "h2_total_connections",
    "h2_backend_total_streams",
    "h1_open_connections",
    "h1_open_streams",
    "h1_total_connections",
    "h1_total_streams",
    "h1_bytes_in",
    "h1_bytes_out",
    "h1_spliced_bytes_in",
    "h1_spliced_bytes_out",
];

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

impl Row {
    fn svname(&self) -> &str {
        match self.kind {
            RowKind::Frontend => "FRONTEND",
            RowKind::Backend => "BACKEND",
            RowKind::Server => self.server.as_deref().unwrap_or(""),
        }
    }

    /// The row's cells, one per `CSV_COLUMNS` entry.
    pub fn cells(&self) -> [String; CSV_COLUMNS.len()] {
        let c = &self.counters;
        let is_fe = self.kind == RowKind::Frontend;
        // Frontends have no queue, no server errors and no check.
        let be_only = |v: String| if is_fe { String::new() } else { v };
        let mut out: [String; CSV_COLUMNS.len()] = std::array::from_fn(|_| String::new());
        out[0] = self.proxy.clone();
        out[1] = self.svname().to_string();
        out[2] = be_only(c.queue_cur.to_string());
        out[3] = be_only(c.queue_max.to_string());
        out[4] = c.cur.to_string();
        out[5] = c.max.to_string();
        out[6] = opt(self.limit);
        out[7] = c.total.to_string();
        out[8] = c.bytes_in.to_string();
        out[9] = c.bytes_out.to_string();
        // Servers deny nothing themselves: HAProxy leaves their dreq empty.
        out[10] = if self.kind == RowKind::Server {
            String::new()
        } else {
            c.denied_req.to_string()
        };
        out[11] = c.denied_resp.to_string();
        // Request errors are the frontend's (HAProxy leaves the others' ereq empty).
        out[12] = if is_fe {
            c.request_errors.to_string()
        } else {
            String::new()
        };
        out[13] = be_only(c.connect_errors.to_string());
        out[14] = be_only(c.response_errors.to_string());
        out[15] = be_only(c.retries.to_string());
        out[16] = be_only(c.redispatches.to_string());
        out[17] = self.status.clone();
        out[18] = opt(self.weight);
        out[19] = opt(self.active);
        out[20] = opt(self.backup);
        out[23] = opt(self.last_change_s);
        out[32] = match self.kind {
            RowKind::Frontend => "0",
            RowKind::Backend => "1",
            RowKind::Server => "2",
        }
        .to_string();
        out[33] = c.rate.to_string();
        if let Some(ch) = &self.check {
            out[36] = ch.status.code().to_string();
            out[38] = ch.duration_ms.to_string();
        }
        for i in 0..6 {
            out[39 + i] = c.http[i].to_string();
        }
        let ids = &self.ids;
        out[26] = "1".into();
        out[27] = ids.iid.to_string();
        out[28] = ids.sid.to_string();
        out[31] = ids.tracked.clone().unwrap_or_default();
        if let Some(ch) = &self.check {
            out[65] = ch.status.reason().to_string();
        }
        if let Some((rise, fall, health)) = ids.check_cfg {
            out[67] = rise.to_string();
            out[68] = fall.to_string();
            out[69] = health.to_string();
        }
        out[73] = ids.addr.clone().unwrap_or_default();
        out[75] = ids.mode.unwrap_or_default().to_string();
        out[76] = ids.algo.clone().unwrap_or_default();
        out[99] = opt(ids.uweight);
        out[103] = "-".into();
        out
    }
}

/// The `;csv` report: a `# ` header line, then one line per row.
pub fn csv(rows: &[Row]) -> String {
    let mut o = format!("# {},\n", CSV_COLUMNS.join(","));
    for r in rows {
        let _ = writeln!(o, "{},", r.cells().join(","));
    }
    o
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The columns of the HTML table: (title, CSV column).
const HTML_COLUMNS: [(&str, usize); 17] = [
    ("proxy", 0),
    ("name", 1),
    ("status", 17),
    ("weight", 18),
    ("queue cur", 2),
    ("queue max", 3),
    ("sessions cur", 4),
    ("sessions max", 5),
    ("sessions total", 7),
    ("bytes in", 8),
    ("bytes out", 9),
    ("denied req", 10),
    ("conn errors", 13),
    ("resp errors", 14),
    ("retries", 15),
    ("redispatches", 16),
    ("last check", 36),
];

/// What the page is for this request: its URI, whether `stats admin` lets this client
/// change servers, and the outcome of the last change (`;st=CODE`).
#[derive(Debug, Clone, Copy, Default)]
pub struct PageView<'a> {
    pub uri: &'a str,
    pub admin: bool,
    pub outcome: Option<crate::stats_admin::Outcome>,
}

/// The HTML page; `version` is shown in the title unless `stats hide-version`. With
/// `stats admin`, each server row has a check box and each backend a form (an action
/// for the servers checked) posting to the page.
pub fn html(rows: &[Row], version: Option<&str>, view: &PageView) -> String {
    let mut o = String::from(
        "<!DOCTYPE html>\n<html><head><title>Statistics Report</title></head><body>\n",
    );
    match version {
        Some(v) => {
            let _ = writeln!(o, "<h1>Statistics Report for proxyd {}</h1>", escape(v));
        }
        None => o.push_str("<h1>Statistics Report</h1>\n"),
    }
    if let Some(out) = view.outcome {
        let (msg, good) = out.message();
        let _ = writeln!(
            o,
            "<p class={}>{msg} <a href=\"{}\" title=\"Hide this message\">[X]</a></p>",
            if good { "done" } else { "failed" },
            escape(view.uri)
        );
    }
    o.push_str("<table border=1>\n<tr>");
    if view.admin {
        o.push_str("<th></th>");
    }
    for (title, _) in HTML_COLUMNS {
        let _ = write!(o, "<th>{title}</th>");
    }
    o.push_str("<th>2xx</th><th>4xx</th><th>5xx</th></tr>\n");
    for r in rows {
        let cells = r.cells();
        o.push_str("<tr>");
        if view.admin {
            // The box belongs to its backend's form, below the table.
            match (&r.kind, &r.server) {
                (RowKind::Server, Some(s)) => {
                    let _ = write!(
                        o,
                        "<td><input type=\"checkbox\" name=\"s\" value=\"{}\" form=\"b{}\"></td>",
                        escape(s).replace('"', "&quot;"),
                        r.ids.iid
                    );
                }
                _ => o.push_str("<td></td>"),
            }
        }
        for (_, i) in HTML_COLUMNS {
            let _ = write!(o, "<td>{}</td>", escape(&cells[i]));
        }
        for i in [40, 42, 43] {
            let _ = write!(o, "<td>{}</td>", cells[i]);
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n");
    if view.admin {
        // One form per backend with servers: `b` is its `#ID`, as HAProxy's page sends.
        let mut seen = Vec::new();
        for r in rows.iter().filter(|r| r.kind == RowKind::Server) {
            if seen.contains(&r.ids.iid) {
                continue;
            }
            seen.push(r.ids.iid);
            let _ = write!(
                o,
                "<form id=\"b{iid}\" method=\"post\"><input type=\"hidden\" name=\"b\" value=\"#{iid}\">{}: <select name=\"action\"><option value=\"\"></option>",
                escape(&r.proxy),
                iid = r.ids.iid
            );
            for (_, value, label) in crate::stats_admin::Action::ALL {
                let _ = write!(o, "<option value=\"{value}\">{label}</option>");
            }
            o.push_str("</select> <input type=\"submit\" value=\"Apply\"></form>\n");
        }
    }
    o.push_str("</body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counters::{CheckStatus, Counters};

    fn server_row() -> Row {
        let c = Counters::default();
        c.begin();
        c.bytes_in(100);
        c.bytes_out(2000);
        c.status(200);
        c.status(503);
        c.connect_error();
        c.retry();
        Row {
            proxy: "be".into(),
            kind: RowKind::Server,
            server: Some("web<1>".into()),
            status: "UP".into(),
            weight: Some(1),
            active: Some(1),
            backup: Some(0),
            limit: Some(10),
            last_change_s: Some(42),
            check: Some(CheckRecord {
                status: CheckStatus::L7Ok,
                duration_ms: 3,
                at: 0,
            }),
            counters: c.snapshot(),
            ids: Ids {
                iid: 3,
                sid: 1,
                mode: Some("http"),
                uweight: Some(1),
                check_cfg: Some((2, 3, 4)),
                addr: Some("127.0.0.1:80".into()),
                ..Ids::default()
            },
        }
    }

    #[test]
    fn csv_has_haproxys_columns_in_order() {
        let out = csv(&[server_row()]);
        let mut lines = out.lines();
        let head = lines.next().unwrap();
        assert!(head.starts_with("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,"));
        assert!(head.ends_with("h1_spliced_bytes_in,h1_spliced_bytes_out,"));
        assert_eq!(
            head.split(',').count(),
            129,
            "128 columns and the trailing comma"
        );
        let row: Vec<&str> = lines.next().unwrap().split(',').collect();
        let col = |name: &str| row[CSV_COLUMNS.iter().position(|c| *c == name).unwrap()];
        assert_eq!(col("pxname"), "be");
        assert_eq!(col("svname"), "web<1>");
        assert_eq!(col("scur"), "1");
        assert_eq!(col("stot"), "1");
        assert_eq!(col("slim"), "10");
        assert_eq!(col("bin"), "100");
        assert_eq!(col("bout"), "2000");
        assert_eq!(col("econ"), "1");
        assert_eq!(col("wretr"), "1");
        assert_eq!(col("status"), "UP");
        assert_eq!(col("lastchg"), "42");
        assert_eq!(col("type"), "2");
        assert_eq!(col("check_status"), "L7OK");
        assert_eq!(col("check_duration"), "3");
        assert_eq!(col("hrsp_2xx"), "1");
        assert_eq!(col("hrsp_5xx"), "1");
        assert_eq!(col("iid"), "3");
        assert_eq!(col("sid"), "1");
        assert_eq!(col("pid"), "1");
        assert_eq!(col("check_desc"), "Layer7 check passed");
        assert_eq!(
            (col("check_rise"), col("check_fall"), col("check_health")),
            ("2", "3", "4")
        );
        assert_eq!(col("addr"), "127.0.0.1:80");
        assert_eq!(col("mode"), "http");
        assert_eq!(col("uweight"), "1");
        assert_eq!(col("-"), "-");
    }

    #[test]
    fn frontends_leave_server_columns_empty() {
        let mut r = server_row();
        r.kind = RowKind::Frontend;
        r.check = None;
        let cells = r.cells();
        assert_eq!(cells[1], "FRONTEND");
        assert_eq!(cells[13], "", "econ");
        assert_eq!(cells[2], "", "qcur");
        assert_eq!(cells[32], "0");
    }

    #[test]
    fn html_admin_forms_post_what_haproxys_page_posts() {
        let view = PageView {
            uri: "/st",
            admin: true,
            outcome: Some(crate::stats_admin::Outcome::Done),
        };
        let page = html(&[server_row()], None, &view);
        assert!(page
            .contains("<input type=\"checkbox\" name=\"s\" value=\"web&lt;1&gt;\" form=\"b3\">"));
        assert!(page.contains(
            "<form id=\"b3\" method=\"post\"><input type=\"hidden\" name=\"b\" value=\"#3\">"
        ));
        assert!(page.contains("<option value=\"drain\">"));
        assert!(page.contains("class=done"));
        let ro = html(&[server_row()], None, &PageView::default());
        assert!(!ro.contains("<form") && !ro.contains("checkbox"));
    }

    #[test]
    fn html_escapes_and_hides_the_version() {
        let page = html(&[server_row()], None, &PageView::default());
        assert!(page.contains("<h1>Statistics Report</h1>"));
        assert!(page.contains("web&lt;1&gt;"));
        assert!(!page.contains("web<1>"));
        assert!(html(&[], Some("1.2"), &PageView::default())
            .contains("Statistics Report for proxyd 1.2"));
    }
}
