//! Names HAProxy knows in expressions: sample fetches (for ACLs) and log-format aliases.

/// Fetch names (ACL criteria), without arguments or suffixes.
const FETCHES: &[&str] = &[
    "always_false",
    "always_true",
    "avg_queue",
    "base",
    "base32",
    "base32+src",
    "base_beg",
    "base_dir",
    "base_dom",
    "base_end",
    "base_len",
    "base_reg",
    "base_sub",
    "be_conn",
    "be_conn_free",
    "be_id",
    "be_name",
    "be_sess_rate",
    "bin",
    "bool",
    "capture.req.hdr",
    "capture.req.method",
    "capture.req.uri",
    "capture.req.ver",
    "capture.res.hdr",
    "capture.res.ver",
    "connslots",
    "cook",
    "cook_beg",
    "cook_cnt",
    "cook_dir",
    "cook_dom",
    "cook_end",
    "cook_len",
    "cook_reg",
    "cook_sub",
    "cook_val",
    "date",
    "distcc_body",
    "distcc_param",
    "dst",
    "dst_conn",
    "dst_is_local",
    "dst_port",
    "env",
    "fe_conn",
    "fe_id",
    "fe_name",
    "fe_req_rate",
    "fe_sess_rate",
    "hdr",
    "hdr_beg",
    "hdr_cnt",
    "hdr_dir",
    "hdr_dom",
    "hdr_end",
    "hdr_ip",
    "hdr_len",
    "hdr_reg",
    "hdr_sub",
    "hdr_val",
    "hostname",
    "http_auth",
    "http_auth_group",
    "http_auth_pass",
    "http_auth_type",
    "http_auth_user",
    "http_first_req",
    "int",
    "ipv4",
    "ipv6",
    "lat_ns_avg",
    "lat_ns_tot",
    "meth",
    "method",
    "nbproc",
    "nbsrv",
    "path",
    "path_beg",
    "path_dir",
    "path_dom",
    "path_end",
    "path_len",
    "path_reg",
    "path_sub",
    "pathq",
    "payload",
    "payload_lv",
    "proc",
    "query",
    "queue",
    "rand",
    "rdp_cookie",
    "rdp_cookie_cnt",
    "rep_ssl_hello_type",
    "req_len",
    "req_proto_http",
    "req_rdp_cookie",
    "req_rdp_cookie_cnt",
    "req_ssl_hello_type",
    "req_ssl_sni",
    "req_ssl_ver",
    "req_ver",
    "res.ver",
    "resp_ver",
    "scook",
    "scook_cnt",
    "scook_val",
    "set-cookie",
    "shdr",
    "shdr_beg",
    "shdr_cnt",
    "shdr_dir",
    "shdr_dom",
    "shdr_end",
    "shdr_ip",
    "shdr_len",
    "shdr_reg",
    "shdr_sub",
    "shdr_val",
    "src",
    "src_port",
    "srv_conn",
    "srv_id",
    "srv_is_up",
    "srv_name",
    "srv_queue",
    "srv_sess_rate",
    "status",
    "stopping",
    "str",
    "thread",
    "txn.sess_term_state",
    "unique-id",
    "url",
    "url32",
    "url32+src",
    "url_beg",
    "url_dir",
    "url_dom",
    "url_end",
    "url_ip",
    "url_len",
    "url_param",
    "url_port",
    "url_reg",
    "url_sub",
    "urlp",
    "urlp_val",
    "uuid",
    "var",
    "wait_end",
    "fc_rtt",
    "fc_rttvar",
    "so_id",
    "so_name",
    "cpu_calls",
    "cpu_ns_avg",
    "cpu_ns_tot",
    "last_rule_file",
    "last_rule_line",
    "quic_enabled",
    "ssl_bc",
    "ssl_fc",
    "ssl_c_used",
    "ssl_c_verify",
    "ssl_fc_sni",
    "ssl_fc_has_sni",
    "ssl_fc_alpn",
    "ssl_fc_protocol",
    "ssl_fc_cipher",
    "ssl_fc_has_crt",
    "ssl_c_s_dn",
    "ssl_c_i_dn",
    "ssl_fc_session_id",
];

/// Families of fetches recognised by prefix (there are too many to list one by one).
const FETCH_PREFIXES: &[&str] = &[
    "req.",
    "res.",
    "sc0_",
    "sc1_",
    "sc2_",
    "sc_",
    "src_",
    "table_",
    "ssl_",
    "fc_",
    "bc_",
    "be_",
    "fe_",
    "srv_",
    "capture.",
    "txn.",
    "sess.",
    "var(",
    "http_auth",
    "51d.",
    "da-csv",
    "hdr",
    "cook",
    "url",
    "path",
    "base",
];

/// Whether `fetch` (possibly with `(args)` and `,converters`) names a known fetch.
pub fn is_known_fetch(fetch: &str) -> bool {
    let name = fetch.split(['(', ',']).next().unwrap_or(fetch);
    FETCHES.contains(&name) || FETCH_PREFIXES.iter().any(|p| name.starts_with(p))
}

pub fn fetch_names() -> impl Iterator<Item = &'static str> {
    FETCHES.iter().copied()
}

/// log-format aliases (`%ci`, `%Tr`...).
const LOG_ALIASES: &[&str] = &[
    "B", "CC", "CS", "H", "HM", "HP", "HPO", "HQ", "HU", "HV", "ID", "ST", "T", "Ta", "Tc", "Td",
    "Th", "Ti", "Tl", "Tq", "TR", "Tr", "Ts", "Tt", "Tu", "Tw", "U", "ac", "b", "bc", "bi", "bp",
    "bq", "ci", "cp", "f", "fc", "fi", "fp", "ft", "hr", "hrl", "hs", "hsl", "lc", "ms", "pid",
    "r", "rc", "rt", "s", "sc", "si", "sp", "sq", "sslc", "sslv", "t", "tr", "trg", "trl", "ts",
    "tsc", "o",
];

/// The unknown `%alias` names of a log-format string.
pub fn unknown_log_aliases(fmt: &str) -> Vec<String> {
    let mut bad = Vec::new();
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '%' {
            i += 1;
            continue;
        }
        i += 1;
        match chars.get(i) {
            Some('%') | None => {
                i += 1;
                continue;
            }
            Some('{') => {
                while i < chars.len() && chars[i] != '}' {
                    i += 1;
                }
                i += 1;
            }
            _ => {}
        }
        if chars.get(i) == Some(&'[') {
            // %[sample expression]
            while i < chars.len() && chars[i] != ']' {
                i += 1;
            }
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_alphabetic() {
            i += 1;
        }
        let alias: String = chars[start..i].iter().collect();
        if alias.is_empty() {
            continue;
        }
        // Longest known alias that prefixes the letters (e.g. `%Tt` then text).
        let known = (1..=alias.len())
            .rev()
            .any(|n| LOG_ALIASES.contains(&&alias[..n]));
        if !known {
            bad.push(alias);
        }
    }
    bad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetches() {
        assert!(is_known_fetch("path_beg"));
        assert!(is_known_fetch("hdr(host)"));
        assert!(is_known_fetch("req.hdr(host),lower"));
        assert!(is_known_fetch("sc0_http_req_rate(tbl)"));
        assert!(!is_known_fetch("no_such_fetch"));
    }

    #[test]
    fn log_aliases() {
        assert!(unknown_log_aliases("%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r %[src] 100%%").is_empty());
        assert_eq!(unknown_log_aliases("%ci %zz"), vec!["zz"]);
    }
}
