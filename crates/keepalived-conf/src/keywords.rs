//! The keyword registry: every keyword vrrpd knows, per block, and what it does with it.
//! `docs/keepalived-compat.md` is generated from this table.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Read into the model and acted on.
    Supported,
    /// A real keepalived keyword vrrpd reads but does not act on yet: warning.
    Ignored,
    /// Belongs to a keepalived subsystem vrrpd does not have (LVS, BFD, SNMP...): warning,
    /// the whole block is skipped.
    OtherSubsystem,
    /// A keepalived keyword that would change who holds the VIPs or where traffic goes,
    /// which vrrpd cannot run yet: an error at `-t` and at start, with the reason.
    Refused(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Keyword {
    pub name: &'static str,
    pub status: Status,
}

const fn s(name: &'static str) -> Keyword {
    Keyword {
        name,
        status: Status::Supported,
    }
}
const fn i(name: &'static str) -> Keyword {
    Keyword {
        name,
        status: Status::Ignored,
    }
}
const fn r(name: &'static str, why: &'static str) -> Keyword {
    Keyword {
        name,
        status: Status::Refused(why),
    }
}
const fn o(name: &'static str) -> Keyword {
    Keyword {
        name,
        status: Status::OtherSubsystem,
    }
}

const TRACK_FILE: &str =
    "tracking a file's value changes the priority, and vrrpd has no file tracker";
const TRACK_BFD: &str = "BFD sessions change the priority, and vrrpd has no BFD";

pub const TOP: &[Keyword] = &[
    s("global_defs"),
    s("vrrp_script"),
    s("vrrp_instance"),
    s("vrrp_sync_group"),
    s("vrrp_track_process"),
    s("static_ipaddress"),
    s("static_routes"),
    s("static_rules"),
    r("vrrp_track_file", TRACK_FILE),
    r("track_file", TRACK_FILE),
    i("linkbeat_use_polling"),
    r(
        "net_namespace",
        "keepalived then runs VRRP inside that network namespace",
    ),
    i("instance"),
    o("virtual_server"),
    o("virtual_server_group"),
    o("SSL"),
    o("bfd_instance"),
    o("garp_group"),
];

pub const GLOBAL: &[Keyword] = &[
    s("router_id"),
    s("notification_email"),
    s("notification_email_from"),
    s("smtp_server"),
    s("smtp_connect_timeout"),
    s("smtp_helo_name"),
    s("enable_script_security"),
    s("script_user"),
    s("vrrp_version"),
    s("vrrp_strict"),
    s("vrrp_skip_check_adv_addr"),
    s("vrrp_garp_interval"),
    s("vrrp_gna_interval"),
    s("vrrp_garp_master_delay"),
    s("vrrp_garp_master_repeat"),
    s("vrrp_garp_master_refresh"),
    s("vrrp_garp_master_refresh_repeat"),
    s("vrrp_startup_delay"),
    s("default_interface"),
    s("vrrp_mcast_group4"),
    s("vrrp_mcast_group6"),
    s("vrrp_check_unicast_src"),
    s("vrrp_garp_lower_prio_delay"),
    s("vrrp_garp_lower_prio_repeat"),
    s("vrrp_lower_prio_no_advert"),
    s("vrrp_higher_prio_send_advert"),
    i("vrrp_iptables"),
    i("vrrp_no_swap"),
    i("vrrp_priority"),
    i("vrrp_rt_priority"),
    i("vrrp_cpu_affinity"),
    s("vrrp_notify_fifo"),
    s("vrrp_notify_fifo_script"),
    s("notify_fifo"),
    s("notify_fifo_script"),
    i("max_auto_priority"),
    r(
        "dynamic_interfaces",
        "instances on interfaces that do not exist yet (vrrpd refuses a missing interface)",
    ),
    i("process_names"),
    i("vrrp_netlink_cmd_rcv_bufs"),
    i("vrrp_netlink_monitor_rcv_bufs"),
    i("lvs_sync_daemon"),
    i("lvs_flush"),
    i("lvs_timeouts"),
    i("checker_process_name"),
    i("vrrp_process_name"),
    i("enable_snmp_vrrp"),
    i("enable_snmp_checker"),
    i("enable_snmp_rfc"),
    i("enable_snmp_rfcv2"),
    i("enable_snmp_rfcv3"),
    i("enable_traps"),
    i("snmp_socket"),
    i("enable_dbus"),
    i("nftables"),
    i("nftables_priority"),
    i("nftables_ifindex"),
];

pub const SCRIPT: &[Keyword] = &[
    s("script"),
    s("interval"),
    s("timeout"),
    s("weight"),
    s("rise"),
    s("fall"),
    s("user"),
    s("init_fail"),
];

pub const TRACK_PROCESS: &[Keyword] = &[
    s("process"),
    s("param_match"),
    s("weight"),
    s("quorum"),
    s("quorum_max"),
    s("delay"),
    s("fork_delay"),
    s("terminate_delay"),
    s("full_command"),
];

pub const INSTANCE: &[Keyword] = &[
    s("state"),
    s("interface"),
    s("virtual_router_id"),
    s("priority"),
    s("advert_int"),
    s("version"),
    s("nopreempt"),
    s("preempt"),
    s("preempt_delay"),
    s("accept"),
    s("no_accept"),
    s("authentication"),
    s("virtual_ipaddress"),
    s("virtual_ipaddress_excluded"),
    s("virtual_routes"),
    s("track_script"),
    s("track_interface"),
    s("track_process"),
    s("unicast_src_ip"),
    s("unicast_peer"),
    s("mcast_src_ip"),
    s("notify_master"),
    s("notify_backup"),
    s("notify_fault"),
    s("notify_stop"),
    s("notify"),
    s("smtp_alert"),
    s("garp_master_delay"),
    s("garp_master_repeat"),
    s("garp_master_refresh"),
    s("garp_master_refresh_repeat"),
    s("use_vmac"),
    s("dont_track_primary"),
    i("vmac_xmit_base"),
    s("native_ipv6"),
    s("strict_mode"),
    s("skip_check_adv_addr"),
    s("check_unicast_src"),
    s("unicast_ttl"),
    i("debug"),
    i("lvs_sync_daemon_interface"),
    s("garp_lower_prio_delay"),
    s("garp_lower_prio_repeat"),
    s("lower_prio_no_advert"),
    s("higher_prio_send_advert"),
    i("notify_master_rx_lower_pri"),
    s("virtual_rules"),
    r("track_file", TRACK_FILE),
    r("track_bfd", TRACK_BFD),
    i("kernel_rx_buf_size"),
    s("old_unicast_checksum"),
    s("unicast_fault_no_peer"),
];

pub const SYNC_GROUP: &[Keyword] = &[
    s("group"),
    s("track_script"),
    s("track_interface"),
    s("track_process"),
    s("notify_master"),
    s("notify_backup"),
    s("notify_fault"),
    s("notify_stop"),
    s("notify"),
    s("smtp_alert"),
    s("global_tracking"),
    s("sync_group_tracking_weight"),
    r("track_file", TRACK_FILE),
    r("track_bfd", TRACK_BFD),
];

pub const AUTH: &[Keyword] = &[s("auth_type"), s("auth_pass")];

/// Every table with the block it belongs to, for documentation.
pub const TABLES: &[(&str, &[Keyword])] = &[
    ("top level", TOP),
    ("global_defs", GLOBAL),
    ("vrrp_script", SCRIPT),
    ("vrrp_track_process", TRACK_PROCESS),
    ("vrrp_instance", INSTANCE),
    ("authentication", AUTH),
    ("vrrp_sync_group", SYNC_GROUP),
];

pub fn lookup(table: &[Keyword], word: &str) -> Option<Keyword> {
    table.iter().copied().find(|k| k.name == word)
}

pub fn names(table: &[Keyword]) -> impl Iterator<Item = &'static str> + '_ {
    table.iter().map(|k| k.name)
}

/// docs/keepalived-keywords.md, generated from the tables above.
pub fn markdown() -> String {
    let mut o = String::from(
        "# keepalived.conf keywords in vrrpd\n\n\
         Generated from `crates/keepalived-conf/src/keywords.rs` \
         (`UPDATE_DOCS=1 cargo test -p keepalived-conf --test docs_fresh` rewrites it; \
         the test fails when it is stale).\n\n\
         - **supported**: parsed and checked into the typed model (what the daemon runs from).\n\
         - **ignored**: a real keepalived keyword vrrpd does not act on yet; warning, the rest loads.\n\
         - **other subsystem**: LVS, BFD and similar parts of keepalived that vrrpd does not have; \
         warning, the block is skipped (it is still checked as keepalived checks it).\n\
         - **refused**: a keepalived keyword that would change who holds the VIPs or where traffic \
         goes and that vrrpd cannot run yet: an error at `-t` and at start, with the reason.\n\n\
         A keyword not listed is unknown: an error when it is a near miss of a listed one \
         (`prioirty`), else a warning, as keepalived does.\n",
    );
    for (block, table) in TABLES {
        o.push_str(&format!(
            "\n## {block}\n\n| keyword | status |\n|---|---|\n"
        ));
        for k in table.iter() {
            let status = match k.status {
                Status::Supported => "supported",
                Status::Ignored => "ignored (warning)",
                Status::OtherSubsystem => "other subsystem (warning)",
                Status::Refused(why) => {
                    o.push_str(&format!("| `{}` | **refused** (error): {why} |\n", k.name));
                    continue;
                }
            };
            o.push_str(&format!("| `{}` | {status} |\n", k.name));
        }
    }
    o
}
