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

/// What keepalived 2.2.7 does with the keyword written without its value (measured with
/// `keepalived -t`, tests/keepalived-oracle cases 246-). The text is the form to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Empty {
    /// Nothing special: a flag, an optional value, a block, or a value the builder asks
    /// for itself (keepalived stops at a missing one, `-t` exits 2).
    Checked,
    /// keepalived stops reading at the line: `-t` exits 2 (an error in vrrpd). Listed for
    /// keywords vrrpd does not read, whose value the builder never asks for.
    Stops(&'static str),
    /// keepalived says the value is missing and ignores the line: `-t` exits 5. vrrpd
    /// does the same (a warning, the line is ignored).
    Warns(&'static str),
    /// keepalived ignores the line without a word: `-t` exits 0. vrrpd ignores it with a
    /// warning of its own.
    Silent(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Keyword {
    pub name: &'static str,
    pub status: Status,
    pub empty: Empty,
}

impl Keyword {
    const fn stops(self, form: &'static str) -> Keyword {
        Keyword {
            empty: Empty::Stops(form),
            ..self
        }
    }
    const fn warns(self, form: &'static str) -> Keyword {
        Keyword {
            empty: Empty::Warns(form),
            ..self
        }
    }
    const fn silent(self, form: &'static str) -> Keyword {
        Keyword {
            empty: Empty::Silent(form),
            ..self
        }
    }
}

const fn kw(name: &'static str, status: Status) -> Keyword {
    Keyword {
        name,
        status,
        empty: Empty::Checked,
    }
}
const fn s(name: &'static str) -> Keyword {
    kw(name, Status::Supported)
}
const fn i(name: &'static str) -> Keyword {
    kw(name, Status::Ignored)
}
const fn r(name: &'static str, why: &'static str) -> Keyword {
    kw(name, Status::Refused(why))
}
const fn o(name: &'static str) -> Keyword {
    kw(name, Status::OtherSubsystem)
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
    )
    .warns("net_namespace NAME"),
    i("instance").warns("instance NAME"),
    o("virtual_server"),
    o("virtual_server_group"),
    o("SSL"),
    o("bfd_instance"),
    o("garp_group"),
];

pub const GLOBAL: &[Keyword] = &[
    s("router_id").warns("router_id NAME"),
    s("notification_email"),
    s("notification_email_from").warns("notification_email_from ADDRESS"),
    s("smtp_server"),
    s("smtp_connect_timeout"),
    s("smtp_helo_name").silent("smtp_helo_name NAME"),
    s("enable_script_security"),
    s("script_user").warns("script_user USER [GROUP]"),
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
    s("default_interface").warns("default_interface INTERFACE"),
    s("vrrp_mcast_group4"),
    s("vrrp_mcast_group6"),
    s("vrrp_check_unicast_src"),
    s("vrrp_garp_lower_prio_delay"),
    s("vrrp_garp_lower_prio_repeat"),
    s("vrrp_lower_prio_no_advert"),
    s("vrrp_higher_prio_send_advert"),
    i("vrrp_iptables"),
    i("vrrp_no_swap"),
    i("vrrp_priority").warns("vrrp_priority <-20..19>"),
    i("vrrp_rt_priority").warns("vrrp_rt_priority <1..99>"),
    i("vrrp_cpu_affinity").warns("vrrp_cpu_affinity CPU..."),
    s("vrrp_notify_fifo").warns("vrrp_notify_fifo PATH"),
    s("vrrp_notify_fifo_script").warns("vrrp_notify_fifo_script COMMAND"),
    s("notify_fifo").warns("notify_fifo PATH"),
    s("notify_fifo_script").warns("notify_fifo_script COMMAND"),
    i("max_auto_priority"),
    r(
        "dynamic_interfaces",
        "instances on interfaces that do not exist yet (vrrpd refuses a missing interface)",
    ),
    i("process_names"),
    i("vrrp_netlink_cmd_rcv_bufs").warns("vrrp_netlink_cmd_rcv_bufs BYTES"),
    i("vrrp_netlink_monitor_rcv_bufs").warns("vrrp_netlink_monitor_rcv_bufs BYTES"),
    i("lvs_sync_daemon").warns("lvs_sync_daemon INTERFACE VRRP_INSTANCE"),
    i("lvs_flush"),
    i("lvs_timeouts").warns("lvs_timeouts tcp SECONDS tcpfin SECONDS udp SECONDS"),
    i("checker_process_name").stops("checker_process_name NAME"),
    i("vrrp_process_name").stops("vrrp_process_name NAME"),
    i("enable_snmp_vrrp"),
    i("enable_snmp_checker"),
    i("enable_snmp_rfc"),
    i("enable_snmp_rfcv2"),
    i("enable_snmp_rfcv3"),
    i("enable_traps"),
    i("snmp_socket").warns("snmp_socket SOCKET"),
    i("enable_dbus"),
    i("nftables"),
    i("nftables_priority").stops("nftables_priority PRIORITY"),
    i("nftables_ifindex"),
    // keepalived 2.2.7's other global keywords (its man page, measured with `-t`).
    s("vrrp_min_garp"),
    s("vrrp_down_timer_adverts"),
    r(
        "startup_script",
        "a script run at start may set up what the addresses need; run it from the service manager (systemd ExecStartPre=) instead",
    )
    .warns("startup_script COMMAND"),
    r(
        "shutdown_script",
        "a script run at stop may undo what the addresses need; run it from the service manager (systemd ExecStopPost=) instead",
    )
    .warns("shutdown_script COMMAND"),
    i("startup_script_timeout").warns("startup_script_timeout SECONDS"),
    i("shutdown_script_timeout").warns("shutdown_script_timeout SECONDS"),
    i("vrrp_garp_extra_if").warns("vrrp_garp_extra_if [all] SECONDS"),
    i("vrrp_notify_priority_changes"),
    i("vrrp_rlimit_rttime").stops("vrrp_rlimit_rttime MICROSECONDS"),
    i("vrrp_rx_bufs_multiplier").warns("vrrp_rx_bufs_multiplier N"),
    i("vrrp_rx_bufs_policy").warns("vrrp_rx_bufs_policy POLICY"),
    i("vrrp_netlink_cmd_rcv_bufs_force"),
    i("vrrp_netlink_monitor_rcv_bufs_force"),
    i("vmac_prefix").stops("vmac_prefix PREFIX"),
    i("vmac_addr_prefix").stops("vmac_addr_prefix PREFIX"),
    i("min_auto_priority_delay").warns("min_auto_priority_delay MICROSECONDS"),
    i("process_name").stops("process_name NAME"),
    i("process_monitor_rcv_bufs").warns("process_monitor_rcv_bufs BYTES"),
    i("process_monitor_rcv_bufs_force"),
    i("tmp_config_directory").warns("tmp_config_directory DIRECTORY"),
    i("config_save_dir").stops("config_save_dir DIRECTORY"),
    i("include_check"),
    i("data_use_instance"),
    i("umask").stops("umask MASK"),
    i("random_seed").stops("random_seed N"),
    i("reload_check_config"),
    i("reload_file"),
    i("reload_repeat"),
    i("reload_time_file").warns("reload_time_file PATH"),
    i("fifo_write_vrrp_states_on_reload"),
    i("log_unknown_vrids"),
    i("dbus_service_name").warns("dbus_service_name NAME"),
    i("smtp_alert"),
    i("smtp_alert_vrrp"),
    i("smtp_alert_checker"),
    i("no_email_faults"),
    i("no_checker_emails"),
    i("checker_log_all_failures"),
    i("checker_no_swap"),
    i("checker_priority").warns("checker_priority <-20..19>"),
    i("checker_rt_priority").warns("checker_rt_priority <1..99>"),
    i("checker_cpu_affinity").warns("checker_cpu_affinity CPU..."),
    i("checker_rlimit_rttime").stops("checker_rlimit_rttime MICROSECONDS"),
    i("bfd_no_swap"),
    i("bfd_priority").warns("bfd_priority <-20..19>"),
    i("bfd_rt_priority").warns("bfd_rt_priority <1..99>"),
    i("bfd_cpu_affinity").warns("bfd_cpu_affinity CPU..."),
    i("bfd_rlimit_rttime").stops("bfd_rlimit_rttime MICROSECONDS"),
    i("bfd_process_name").stops("bfd_process_name NAME"),
    i("lvs_flush_on_stop"),
    i("lvs_notify_fifo").warns("lvs_notify_fifo PATH"),
    i("lvs_notify_fifo_script").warns("lvs_notify_fifo_script COMMAND"),
    i("lvs_netlink_cmd_rcv_bufs").warns("lvs_netlink_cmd_rcv_bufs BYTES"),
    i("lvs_netlink_cmd_rcv_bufs_force"),
    i("lvs_netlink_monitor_rcv_bufs").warns("lvs_netlink_monitor_rcv_bufs BYTES"),
    i("lvs_netlink_monitor_rcv_bufs_force"),
    i("rs_init_notifies"),
    i("nftables_counters"),
    i("nftables_ipvs"),
    i("nftables_ipvs_priority").stops("nftables_ipvs_priority PRIORITY"),
    i("nftables_ipvs_start_fwmark").stops("nftables_ipvs_start_fwmark FWMARK"),
];

pub const SCRIPT: &[Keyword] = &[
    s("script").silent("script \"/path/to/check args\""),
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
    s("weight").warns("weight N [reverse]"),
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
    i("debug").stops("debug LEVEL"),
    i("lvs_sync_daemon_interface").stops("lvs_sync_daemon_interface INTERFACE"),
    s("garp_lower_prio_delay"),
    s("garp_lower_prio_repeat"),
    s("lower_prio_no_advert"),
    s("higher_prio_send_advert"),
    i("notify_master_rx_lower_pri").stops("notify_master_rx_lower_pri COMMAND"),
    s("virtual_rules"),
    r("track_file", TRACK_FILE),
    r("track_bfd", TRACK_BFD),
    i("kernel_rx_buf_size").warns("kernel_rx_buf_size BYTES"),
    s("old_unicast_checksum"),
    s("unicast_fault_no_peer"),
    s("vrrpd_announce"),
    // keepalived 2.2.7's other instance keywords (its man page, measured with `-t`).
    s("down_timer_adverts"),
    r(
        "mcast_dst_ip",
        "adverts to another multicast group: peers listening on the usual one would not hear them",
    )
    .stops("mcast_dst_ip ADDRESS"),
    r(
        "track_src_ip",
        "the instance goes to FAULT when its source address goes away, and vrrpd does not watch it",
    ),
    r(
        "promote_secondaries",
        "it changes which addresses the kernel keeps on the interface when one is removed",
    ),
    r(
        "use_ipvlan",
        "the addresses then live on an ipvlan interface vrrpd does not create",
    ),
    r(
        "use_vmac_addr",
        "it changes the MAC address adverts and the addresses use",
    ),
    r(
        "vrf",
        "the instance then runs in a VRF, which vrrpd does not join",
    )
    .stops("vrf NAME"),
    i("garp_extra_if").warns("garp_extra_if [all] SECONDS"),
    i("linkbeat_use_polling"),
    i("notify_priority_changes"),
];

/// vrrpd's own keywords: keepalived does not know them (its `-t` reports them as unknown).
pub const EXTENSIONS: &[&str] = &["vrrpd_announce"];

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
    i("notify_priority_changes"),
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
    o.push_str(
        "\nA keyword written without the value it needs is a missing parameter: keepalived \
         stops reading there (`-t` exits 2), and vrrpd reports an error. The last column lists \
         the keywords keepalived 2.2.7 treats otherwise (measured): **reported** means it says \
         the value is missing and ignores the line (`-t` exits 5; vrrpd warns and ignores the \
         line too), **silent** means it ignores the line without a word (`-t` exits 0; vrrpd \
         warns), **stops** is listed for keywords vrrpd does not read otherwise.\n",
    );
    for (block, table) in TABLES {
        o.push_str(&format!(
            "\n## {block}\n\n| keyword | status | without its value |\n|---|---|---|\n"
        ));
        for k in table.iter() {
            let status = match k.status {
                Status::Supported if EXTENSIONS.contains(&k.name) => {
                    "supported: **vrrpd extension**, keepalived does not know it".to_string()
                }
                Status::Supported => "supported".to_string(),
                Status::Ignored => "ignored (warning)".to_string(),
                Status::OtherSubsystem => "other subsystem (warning)".to_string(),
                Status::Refused(why) => format!("**refused** (error): {why}"),
            };
            let empty = match k.empty {
                Empty::Checked => String::new(),
                Empty::Stops(form) => format!("stops (exit 2): write `{form}`"),
                Empty::Warns(form) => format!("reported, line ignored (exit 5): write `{form}`"),
                Empty::Silent(form) => format!("silent, line ignored (exit 0): write `{form}`"),
            };
            o.push_str(&format!("| `{}` | {status} | {empty} |\n", k.name));
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The form written in a diagnostic's help starts with the keyword itself.
    #[test]
    fn empty_value_forms_name_their_keyword() {
        for (block, table) in TABLES {
            for k in table.iter() {
                if let Empty::Stops(form) | Empty::Warns(form) | Empty::Silent(form) = k.empty {
                    assert!(
                        form.starts_with(&format!("{} ", k.name)),
                        "{block} `{}`: {form}",
                        k.name
                    );
                }
            }
        }
    }
}
