//! The registry walk: every keyword of keepalived-conf's registry has exactly one runtime
//! status, and this test holds each to it.
//!
//! - `Supported`: a sample config with the keyword (or two with different values) builds a
//!   different daemon plan ([`crate::plan`], everything the daemon runs) than the config
//!   without it: the keyword is read by the runtime.
//! - `Ignored` / `OtherSubsystem`: the config loads with a warning naming the keyword, and
//!   the plan is the same as without it (ignored really means ignored).
//! - `Refused`: the config has an error naming the keyword (the daemon does not start).
//!
//! A keyword without a sample fails the test, so a new registry entry must say here how it
//! shows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::environment::{self, Host};
use crate::plan::{self, PlanHost};
use conf_diag::{Diagnostics, Severity};
use keepalived_conf::keywords::{self, Status};
use keepalived_conf::{codes, load_str, LexOptions};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// A host where eth0, eth1 and ens160 exist (10.0.0.1, 10.1.0.1), programs exist, and the
/// users root and nobody, but not keepalived_script.
struct Fake;

impl Host for Fake {
    fn interface_exists(&self, name: &str) -> bool {
        matches!(name, "eth0" | "eth1" | "ens160")
    }
    fn user_uid(&self, name: &str) -> Option<u32> {
        match name {
            "root" => Some(0),
            "nobody" => Some(65534),
            _ => None,
        }
    }
    fn group_exists(&self, name: &str) -> bool {
        matches!(name, "root" | "nogroup")
    }
    fn file_mode(&self, path: &Path) -> Option<(u32, bool)> {
        path.starts_with("/bin").then_some((0o755, true))
    }
    fn resolves(&self, _host: &str, _port: u16) -> bool {
        true
    }
    fn path_dirs(&self) -> Vec<PathBuf> {
        vec![PathBuf::from("/bin")]
    }
    fn route_table(&self, name: &str) -> Option<u32> {
        (name == "vips").then_some(100)
    }
    fn nft_available(&self) -> bool {
        true
    }
}

impl PlanHost for Fake {
    fn primary(&self, ifname: &str, v6: bool) -> Option<IpAddr> {
        let a = match (ifname, v6) {
            ("eth0", false) => "10.0.0.1",
            ("eth1", false) => "10.1.0.1",
            ("ens160", false) => "10.2.0.1",
            (_, true) => "fe80::1",
            _ => return None,
        };
        a.parse().ok()
    }
    fn route_table(&self, name: &str) -> Option<u32> {
        Host::route_table(self, name)
    }
}

/// What a config makes the daemon run: the plan (as JSON, so source positions do not
/// count) and the errors that would stop it.
fn outcome(text: &str) -> (serde_json::Value, Vec<&'static str>, Diagnostics) {
    let mut l = load_str("walk.conf", text, &LexOptions::default());
    let report = environment::check(&l.config, &Fake, &mut l.diags);
    let p = plan::build(&l.config, &report, &Fake, &mut l.diags);
    let mut errors: Vec<&'static str> = l
        .diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.code)
        .collect();
    errors.sort_unstable();
    (serde_json::to_value(&p).unwrap(), errors, l.diags)
}

/// The parts of the base config a sample goes into.
#[derive(Default, Clone, Copy)]
struct Parts<'a> {
    global: &'a str,
    script: &'a str,
    process: &'a str,
    instance: &'a str,
    auth: Option<&'a str>,
    group: Option<&'a str>,
    top: &'a str,
}

fn config(p: Parts<'_>) -> String {
    let auth = p
        .auth
        .map(|a| format!("    authentication {{\n{a}\n    }}\n"))
        .unwrap_or_default();
    let group = p
        .group
        .map(|g| {
            format!(
                "vrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_2\n    }}\n{g}\n}}\n"
            )
        })
        .unwrap_or_default();
    format!(
        "global_defs {{\n    smtp_server 127.0.0.1\n    notification_email {{\n        ops@example.com\n    }}\n{g}\n}}\n\
         vrrp_script chk {{\n    script \"/bin/true\"\n{s}\n}}\n\
         vrrp_track_process tp {{\n    process sshd\n{tp}\n}}\n\
         vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 1\n    priority 100\n    virtual_ipaddress {{\n        10.0.0.100/24\n    }}\n    track_script {{\n        chk\n    }}\n    track_process {{\n        tp\n    }}\n{auth}{i}\n}}\n\
         vrrp_instance VI_2 {{\n    interface eth1\n    virtual_router_id 2\n    priority 100\n    virtual_ipaddress {{\n        10.1.0.100/24\n    }}\n}}\n\
         {group}{top}\n",
        g = p.global,
        s = p.script,
        tp = p.process,
        i = p.instance,
        top = p.top
    )
}

/// How a keyword shows.
enum Sample {
    /// The line goes into the keyword's block; the base has no such line.
    Line(&'static str),
    /// Two values of the keyword (the base needs it, or a value must be compared).
    Vary(&'static str, &'static str),
    /// Whole configs: without and with the keyword (for keywords whose effect needs
    /// something else around them).
    Configs(fn() -> (String, String)),
}

use Sample::*;

fn in_block(table: &str, line: &str) -> Parts<'static> {
    let line: &'static str = Box::leak(line.to_string().into_boxed_str());
    let mut p = Parts::default();
    match table {
        "top level" => p.top = line,
        "global_defs" => p.global = line,
        "vrrp_script" => p.script = line,
        "vrrp_track_process" => p.process = line,
        "vrrp_instance" => p.instance = line,
        "authentication" => p.auth = Some(line),
        "vrrp_sync_group" => p.group = Some(line),
        other => panic!("no base for table {other}"),
    }
    p
}

fn base_of(table: &str) -> Parts<'static> {
    let mut p = Parts::default();
    match table {
        "authentication" => p.auth = Some(""),
        "vrrp_sync_group" => p.group = Some(""),
        _ => {}
    }
    p
}

fn sample(table: &str, kw: &str) -> Option<Sample> {
    Some(match (table, kw) {
        // ---- top level
        ("top level", "global_defs") => Configs(|| {
            // Without a global_defs block there is no mail to send.
            let with = config(Parts::default());
            let i = with.find("vrrp_script").unwrap();
            (with[i..].to_string(), with)
        }),
        ("top level", "vrrp_script") => Line("vrrp_script other {\n script \"/bin/false\"\n}\nvrrp_instance VI_3 {\n interface ens160\n virtual_router_id 3\n virtual_ipaddress {\n 10.2.0.100\n }\n track_script {\n other\n }\n}"),
        ("top level", "vrrp_instance") => Line("vrrp_instance VI_3 {\n interface ens160\n virtual_router_id 3\n virtual_ipaddress {\n 10.2.0.100\n }\n}"),
        ("top level", "vrrp_sync_group") => Line("vrrp_sync_group G {\n group {\n VI_1\n VI_2\n }\n}"),
        ("top level", "vrrp_track_process") => Line("vrrp_track_process other {\n process cron\n}\nvrrp_instance VI_3 {\n interface ens160\n virtual_router_id 3\n virtual_ipaddress {\n 10.2.0.100\n }\n track_process {\n other\n }\n}"),
        ("top level", "static_ipaddress") => Line("static_ipaddress {\n 10.9.0.1/24 dev eth0\n}"),
        ("top level", "static_routes") => Line("static_routes {\n 10.8.0.0/16 via 10.0.0.254 dev eth0\n}"),
        ("top level", "static_rules") => Line("static_rules {\n from 10.0.0.0/24 table 5 priority 50\n}"),
        ("top level", "vrrp_track_file" | "track_file") => {
            Line(Box::leak(format!("{kw} f {{\n file /tmp/x\n}}").into_boxed_str()))
        }
        ("top level", "linkbeat_use_polling") => Line("linkbeat_use_polling"),
        ("top level", "net_namespace") => Line("net_namespace blue"),
        ("top level", "instance") => Line("instance lb1"),
        ("top level", "virtual_server") => Line("virtual_server 10.0.0.100 80 {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n real_server 10.0.0.11 80 {\n }\n}"),
        ("top level", "virtual_server_group") => Line("virtual_server_group vsg {\n 10.0.0.100 80\n}"),
        ("top level", "SSL") => Line("SSL {\n password x\n}"),
        ("top level", "bfd_instance") => Line("bfd_instance b {\n neighbor_ip 10.0.0.2\n}"),
        ("top level", "garp_group") => Line("garp_group {\n garp_interval 1\n interface eth0\n}"),
        // ---- global_defs
        ("global_defs", "router_id") => Line("router_id lb1"),
        ("global_defs", "notification_email") => Line("notification_email {\n noc@example.com\n}"),
        ("global_defs", "notification_email_from") => Line("notification_email_from ka@example.com"),
        ("global_defs", "smtp_server") => Vary("smtp_server 127.0.0.1", "smtp_server 127.0.0.2 2525"),
        ("global_defs", "smtp_connect_timeout") => Line("smtp_connect_timeout 7"),
        ("global_defs", "smtp_helo_name") => Line("smtp_helo_name lb1.example.com"),
        // No script_user and no user keepalived_script here: scripts are refused.
        ("global_defs", "enable_script_security") => Line("enable_script_security"),
        ("global_defs", "script_user") => Vary("script_user root", "script_user nobody"),
        ("global_defs", "vrrp_version") => Line("vrrp_version 3"),
        ("global_defs", "vrrp_strict") => Line("vrrp_strict"),
        ("global_defs", "vrrp_min_garp") => Line("vrrp_min_garp"),
        ("global_defs", "vrrp_skip_check_adv_addr") => Configs(|| {
            let p = Parts {
                global: "vrrp_strict",
                ..Parts::default()
            };
            let q = Parts {
                global: "vrrp_strict\nvrrp_skip_check_adv_addr",
                ..Parts::default()
            };
            (config(p), config(q))
        }),
        ("global_defs", "vrrp_garp_interval") => Line("vrrp_garp_interval 0.01"),
        ("global_defs", "vrrp_gna_interval") => Configs(|| {
            let v6 = |g: &'static str| {
                config(Parts {
                    global: g,
                    ..Parts::default()
                })
                .replace("10.1.0.100/24", "fd00::100/64")
            };
            (v6(""), v6("vrrp_gna_interval 0.01"))
        }),
        ("global_defs", "vrrp_garp_master_delay") => Line("vrrp_garp_master_delay 9"),
        ("global_defs", "vrrp_garp_master_repeat") => Line("vrrp_garp_master_repeat 2"),
        ("global_defs", "vrrp_garp_master_refresh") => Line("vrrp_garp_master_refresh 60"),
        ("global_defs", "vrrp_garp_master_refresh_repeat") => Line("vrrp_garp_master_refresh_repeat 3"),
        ("global_defs", "vrrp_garp_lower_prio_delay") => Line("vrrp_garp_lower_prio_delay 2"),
        ("global_defs", "vrrp_garp_lower_prio_repeat") => Line("vrrp_garp_lower_prio_repeat 2"),
        ("global_defs", "vrrp_startup_delay") => Line("vrrp_startup_delay 5"),
        ("global_defs", "default_interface") => Configs(|| {
            let no_iface = |g: &'static str| {
                config(Parts {
                    global: g,
                    ..Parts::default()
                })
                .replacen("    interface eth0\n", "", 1)
            };
            (no_iface(""), no_iface("default_interface eth0"))
        }),
        ("global_defs", "vrrp_notify_fifo" | "notify_fifo") => Line(match kw {
            "notify_fifo" => "notify_fifo /run/ka.fifo",
            _ => "vrrp_notify_fifo /run/ka.fifo",
        }),
        ("global_defs", "vrrp_notify_fifo_script" | "notify_fifo_script") => {
            Configs(|| {
                let f = |g: &'static str| {
                    config(Parts {
                        global: g,
                        ..Parts::default()
                    })
                };
                (
                    f("notify_fifo /run/ka.fifo\nvrrp_notify_fifo /run/kav.fifo"),
                    f("notify_fifo /run/ka.fifo\nvrrp_notify_fifo /run/kav.fifo\nnotify_fifo_script /bin/reader\nvrrp_notify_fifo_script /bin/reader"),
                )
            })
        }
        ("global_defs", "vrrp_mcast_group4") => Line("vrrp_mcast_group4 224.0.0.19"),
        ("global_defs", "vrrp_mcast_group6") => Configs(|| {
            let v6 = |g: &'static str| {
                config(Parts {
                    global: g,
                    ..Parts::default()
                })
                .replace("10.1.0.100/24", "fd00::100/64")
            };
            (v6(""), v6("vrrp_mcast_group6 ff02::13"))
        }),
        ("global_defs", "vrrp_check_unicast_src") => Line("vrrp_check_unicast_src"),
        ("global_defs", "vrrp_lower_prio_no_advert") => Line("vrrp_lower_prio_no_advert"),
        ("global_defs", "vrrp_higher_prio_send_advert") => Line("vrrp_higher_prio_send_advert"),
        ("global_defs", kw) => Line(Box::leak(format!("{kw} 1").into_boxed_str())),
        // ---- vrrp_script
        ("vrrp_script", "script") => Vary("script \"/bin/true\"", "script \"/bin/true -x\""),
        ("vrrp_script", "interval") => Line("interval 5"),
        ("vrrp_script", "timeout") => Line("timeout 9"),
        ("vrrp_script", "weight") => Line("weight -20"),
        ("vrrp_script", "rise") => Line("rise 3"),
        ("vrrp_script", "fall") => Line("fall 3"),
        ("vrrp_script", "user") => Line("user nobody"),
        ("vrrp_script", "init_fail") => Line("init_fail"),
        // ---- vrrp_track_process
        ("vrrp_track_process", "process") => Vary("process sshd", "process cron"),
        ("vrrp_track_process", "param_match") => Line("param_match partial"),
        ("vrrp_track_process", "weight") => Line("weight 10"),
        ("vrrp_track_process", "quorum") => Line("quorum 2"),
        ("vrrp_track_process", "quorum_max") => Line("quorum_max 4"),
        ("vrrp_track_process", "delay" | "fork_delay" | "terminate_delay") => {
            Line(Box::leak(format!("{kw} 2").into_boxed_str()))
        }
        ("vrrp_track_process", "full_command") => Line("full_command"),
        // ---- vrrp_instance
        ("vrrp_instance", "state") => Configs(|| {
            // MASTER without a priority is the address owner (255).
            let c = |i: &'static str| {
                config(Parts {
                    instance: i,
                    ..Parts::default()
                })
                .replacen("    priority 100\n", "", 1)
            };
            (c(""), c("state MASTER"))
        }),
        ("vrrp_instance", "interface") => Vary("interface eth0", "interface ens160"),
        ("vrrp_instance", "virtual_router_id") => Vary("virtual_router_id 1", "virtual_router_id 9"),
        ("vrrp_instance", "priority") => Vary("priority 100", "priority 150"),
        ("vrrp_instance", "advert_int") => Line("advert_int 3"),
        ("vrrp_instance", "version") => Line("version 3"),
        ("vrrp_instance", "nopreempt") => Line("nopreempt"),
        ("vrrp_instance", "preempt") => Vary("nopreempt", "nopreempt\npreempt"),
        ("vrrp_instance", "preempt_delay") => Line("preempt_delay 30"),
        ("vrrp_instance", "accept") => Configs(|| {
            let c = |i: &'static str| {
                config(Parts {
                    global: "vrrp_strict",
                    instance: i,
                    ..Parts::default()
                })
                .replacen("    priority 100\n", "    priority 100\n    version 3\n", 1)
            };
            (c(""), c("accept"))
        }),
        ("vrrp_instance", "no_accept") => Line("no_accept"),
        ("vrrp_instance", "authentication") => Line("authentication {\n auth_type PASS\n auth_pass x\n}"),
        ("vrrp_instance", "virtual_ipaddress") => Line("virtual_ipaddress {\n 10.0.0.101/24\n}"),
        ("vrrp_instance", "virtual_ipaddress_excluded") => Line("virtual_ipaddress_excluded {\n 10.0.0.102/24\n}"),
        ("vrrp_instance", "virtual_routes") => Line("virtual_routes {\n 10.7.0.0/16 via 10.0.0.254 dev eth0\n}"),
        ("vrrp_instance", "virtual_rules") => Line("virtual_rules {\n from 10.0.0.100 table vips priority 100\n}"),
        ("vrrp_instance", "track_script") => Line("track_script {\n chk weight 5\n}"),
        ("vrrp_instance", "track_interface") => Line("track_interface {\n ens160\n}"),
        ("vrrp_instance", "track_process") => Line("track_process {\n tp weight 5\n}"),
        ("vrrp_instance", "unicast_src_ip") => Line("unicast_src_ip 10.0.0.5"),
        ("vrrp_instance", "unicast_peer") => Line("unicast_peer {\n 10.0.0.2\n}"),
        ("vrrp_instance", "mcast_src_ip") => Line("mcast_src_ip 10.0.0.5"),
        ("vrrp_instance", "notify_master" | "notify_backup" | "notify_fault" | "notify_stop" | "notify") => {
            Line(Box::leak(format!("{kw} /bin/true").into_boxed_str()))
        }
        ("vrrp_instance", "smtp_alert") => Line("smtp_alert"),
        ("vrrp_instance", "garp_master_delay") => Line("garp_master_delay 9"),
        ("vrrp_instance", "garp_master_repeat") => Line("garp_master_repeat 2"),
        ("vrrp_instance", "garp_master_refresh") => Line("garp_master_refresh 60"),
        ("vrrp_instance", "garp_master_refresh_repeat") => Line("garp_master_refresh_repeat 3"),
        ("vrrp_instance", "garp_lower_prio_delay") => Line("garp_lower_prio_delay 2"),
        ("vrrp_instance", "garp_lower_prio_repeat") => Line("garp_lower_prio_repeat 2"),
        ("vrrp_instance", "use_vmac") => Line("use_vmac"),
        ("vrrp_instance", "dont_track_primary") => Line("dont_track_primary"),
        // IPv6 with IPv4 addresses: keepalived and vrrpd refuse the family mismatch.
        ("vrrp_instance", "native_ipv6") => Line("native_ipv6"),
        ("vrrp_instance", "strict_mode") => Line("strict_mode"),
        ("vrrp_instance", "skip_check_adv_addr") => Configs(|| {
            let c = |i: &'static str| {
                config(Parts {
                    instance: i,
                    ..Parts::default()
                })
            };
            (c("strict_mode"), c("strict_mode\nskip_check_adv_addr"))
        }),
        ("vrrp_instance", "check_unicast_src") => Line("check_unicast_src"),
        ("vrrp_instance", "unicast_ttl") => Line("unicast_ttl 10"),
        ("vrrp_instance", "lower_prio_no_advert") => Line("lower_prio_no_advert"),
        ("vrrp_instance", "higher_prio_send_advert") => Line("higher_prio_send_advert"),
        ("vrrp_instance", "old_unicast_checksum") => Configs(|| {
            let c = |i: &'static str| {
                config(Parts {
                    instance: i,
                    ..Parts::default()
                })
            };
            (
                c("unicast_peer {\n 10.0.0.2\n}"),
                c("unicast_peer {\n 10.0.0.2\n}\nold_unicast_checksum"),
            )
        }),
        ("vrrp_instance", "unicast_fault_no_peer") => Line("unicast_fault_no_peer"),
        ("vrrp_instance", "vrrpd_announce") => Line("vrrpd_announce"),
        ("vrrp_instance", "track_file") => Line("track_file {\n f\n}"),
        ("vrrp_instance", "track_bfd") => Line("track_bfd {\n b\n}"),
        ("vrrp_instance", "vmac_xmit_base") => Configs(|| {
            let c = |i: &'static str| {
                config(Parts {
                    instance: i,
                    ..Parts::default()
                })
            };
            (c("use_vmac"), c("use_vmac\nvmac_xmit_base"))
        }),
        ("vrrp_instance", kw) => Line(Box::leak(format!("{kw} 1").into_boxed_str())),
        // ---- authentication
        ("authentication", "auth_type") => Vary(
            "        auth_type PASS\n        auth_pass secret",
            "        auth_type AH\n        auth_pass secret",
        ),
        ("authentication", "auth_pass") => Vary(
            "        auth_type PASS\n        auth_pass secret",
            "        auth_type PASS\n        auth_pass other",
        ),
        // ---- vrrp_sync_group
        ("vrrp_sync_group", "group") => Configs(|| {
            let g = |group: &'static str| {
                config(Parts::default()) + "vrrp_sync_group G {\n" + group + "}\n"
            };
            (g(""), g("    group {\n        VI_1\n        VI_2\n    }\n"))
        }),
        ("vrrp_sync_group", "track_script") => Line("track_script {\n chk\n}"),
        ("vrrp_sync_group", "track_interface") => Line("track_interface {\n ens160\n}"),
        ("vrrp_sync_group", "track_process") => Line("track_process {\n tp\n}"),
        ("vrrp_sync_group", "notify_master" | "notify_backup" | "notify_fault" | "notify_stop" | "notify") => {
            Line(Box::leak(format!("{kw} /bin/true").into_boxed_str()))
        }
        ("vrrp_sync_group", "smtp_alert") => Line("smtp_alert"),
        ("vrrp_sync_group", "notify_priority_changes") => Line("notify_priority_changes"),
        ("vrrp_sync_group", "global_tracking" | "sync_group_tracking_weight") => {
            Configs(|| {
                // A member's weighted tracker keeps its weight.
                let c = |g: &'static str| {
                    config(Parts {
                        script: "weight 10",
                        group: Some(g),
                        ..Parts::default()
                    })
                };
                (c(""), c("sync_group_tracking_weight"))
            })
        }
        ("vrrp_sync_group", "track_file") => Line("track_file {\n f\n}"),
        ("vrrp_sync_group", "track_bfd") => Line("track_bfd {\n b\n}"),
        _ => return None,
    })
}

#[test]
fn every_registry_keyword_has_its_runtime_status() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (table, list) in keywords::TABLES {
        for k in list.iter() {
            let Some(s) = sample(table, k.name) else {
                failures.push(format!(
                    "{table} `{}`: no sample in registry_walk.rs",
                    k.name
                ));
                continue;
            };
            let (without, with) = match &s {
                Line(l) => (config(base_of(table)), config(in_block(table, l))),
                Vary(a, b) => (config(in_block(table, a)), config(in_block(table, b))),
                Configs(f) => {
                    let (a, b) = f();
                    // global_tracking is the deprecated spelling of the same thing.
                    if k.name == "global_tracking" {
                        (
                            a,
                            b.replace("sync_group_tracking_weight", "global_tracking"),
                        )
                    } else {
                        (a, b)
                    }
                }
            };
            checked += 1;
            let (plan_a, err_a, _) = outcome(&without);
            let (plan_b, err_b, diags_b) = outcome(&with);
            let named = |sev: Severity| {
                diags_b.iter().any(|d| {
                    d.severity == sev
                        && (d.code == codes::UNSUPPORTED || d.code == codes::REFUSED)
                        && d.message.contains(&format!("`{}`", k.name))
                })
            };
            match k.status {
                Status::Supported => {
                    if plan_a == plan_b && err_a == err_b {
                        failures.push(format!(
                            "{table} `{}` is supported, but the daemon's plan is the same with and without it:\n{with}",
                            k.name
                        ));
                    }
                }
                Status::Ignored | Status::OtherSubsystem => {
                    if !named(Severity::Warning) {
                        failures.push(format!(
                            "{table} `{}` is {:?}, but -t gives no warning naming it",
                            k.name, k.status
                        ));
                    }
                    if plan_a != plan_b || err_a != err_b {
                        failures.push(format!(
                            "{table} `{}` is {:?}, but it changes the daemon's plan (errors {err_a:?} -> {err_b:?})",
                            k.name, k.status
                        ));
                    }
                }
                Status::Refused(_) => {
                    if !named(Severity::Error) {
                        failures.push(format!(
                            "{table} `{}` is refused, but -t gives no error naming it",
                            k.name
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} keywords:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 150, "walked {checked} keywords");
}

/// The walk itself can fail: a keyword that is parsed but not read would be caught.
#[test]
fn the_walk_catches_a_keyword_the_runtime_does_not_read() {
    // `smtp_alert` of an instance only reaches the plan through InstancePlan::smtp_alert;
    // two configs that differ in a word the runtime does not read give equal plans.
    let (a, _, _) = outcome(&config(Parts::default()));
    let (b, _, _) = outcome(&config(Parts {
        instance: "# a comment is parsed and not read",
        ..Parts::default()
    }));
    assert_eq!(a, b);
    let (c, _, _) = outcome(&config(Parts {
        instance: "smtp_alert",
        ..Parts::default()
    }));
    assert_ne!(a, c);
}

/// keepalived drops a check it cannot run (missing program, missing user) from the instances
/// that track it: measured, its effective priority stays at the base priority. vrrpd's plan
/// drops the tracker too (it used to keep it as passing, adding its weight for good).
#[test]
fn checks_that_cannot_run_are_not_tracked() {
    for (script, user, tracked) in [
        ("/bin/true", "", true),
        ("/usr/local/bin/nope.sh", "", false),
        ("/bin/true", "user kao_no_such_user", false),
    ] {
        let text = config(Parts::default()).replace(
            "script \"/bin/true\"",
            &format!("script \"{script}\"\n{user}"),
        );
        let (plan, _, diags) = outcome(&text);
        let trackers = &plan["instances"][0]["engine"]["trackers"];
        let has = trackers
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "chk");
        assert_eq!(has, tracked, "{script} {user}: {trackers}\n{diags:?}");
        let checks = plan["checks"].as_array().unwrap().len();
        assert_eq!(checks, usize::from(tracked), "{script} {user}");
    }
}
