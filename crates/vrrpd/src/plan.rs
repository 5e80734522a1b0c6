//! What the daemon runs, decided once from the model: `vrrpd -t` builds it, and the daemon
//! builds it the same way and reads nothing else, so a configuration the daemon would refuse
//! fails `-t` too (with its file:line:col), and every setting that reaches the daemon is
//! visible here (the registry walk in `registry_walk.rs` checks that each supported keyword
//! changes the plan).
//!
//! Pure: what depends on the host comes in through [`PlanHost`] (the interfaces' addresses)
//! and the [`EnvReport`] of the host checks (scripts that cannot run).

use crate::engine_config;
use crate::environment::EnvReport;
use conf_diag::{Diagnostic, Diagnostics};
use keepalived_conf::codes;
use keepalived_conf::model::{
    Command, Config, IpRule, NotifyFifo, NotifyScripts, SmtpServer, TrackProcess, UserGroup,
    VirtualIp, VrrpInstance,
};
use keepalived_conf::routes::RouteSpec;
use keepalived_conf::rules::{RuleAction, RuleSpec, TableRef};
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use vrrp_core::InstanceConfig;

/// The host as plan building sees it.
pub trait PlanHost {
    /// The address an instance's adverts come from on `ifname` (the first IPv4 address, or
    /// the link-local IPv6 one); None when the interface has none yet.
    fn primary(&self, ifname: &str, v6: bool) -> Option<IpAddr>;
    /// A routing table's number from its name (/etc/iproute2/rt_tables).
    fn route_table(&self, name: &str) -> Option<u32>;
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub instances: Vec<InstancePlan>,
    pub groups: Vec<GroupPlan>,
    /// The vrrp_scripts that run (tracked by an instance or a group, runnable here).
    pub checks: Vec<CheckPlan>,
    /// The vrrp_track_process blocks that are watched.
    pub processes: Vec<TrackProcess>,
    pub notify: NotifyPlan,
    pub statics: StaticsPlan,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstancePlan {
    pub name: String,
    pub interface: String,
    pub ipv6: bool,
    /// The VRRP engine's settings. `primary_ip` is unspecified while the interface has no
    /// address: the instance is then in FAULT until one appears.
    pub engine: InstanceConfig,
    /// The source address is `unicast_src_ip`/`mcast_src_ip`, not the interface's.
    pub fixed_source: bool,
    pub vips: Vec<VirtualIp>,
    pub vips_excluded: Vec<VirtualIp>,
    pub routes: Vec<RouteSpec>,
    pub rules: Vec<RuleSpec>,
    pub notify: NotifyScripts,
    pub smtp_alert: bool,
    /// use_vmac: the macvlan's name.
    pub vmac: Option<String>,
    /// Gap between the gratuitous ARPs / NAs of one burst, microseconds.
    pub garp_gap_us: u64,
    /// Accept mode: traffic to the VIPs is delivered. Without it (`no_accept`, or
    /// vrrp_strict on a non-owner) the master drops it with nftables, as keepalived does.
    pub accept: bool,
    /// `unicast_ttl`: TTL / hop limit of unicast adverts (255 otherwise).
    pub unicast_ttl: u8,
    /// Interfaces whose link state goes to the engine.
    pub links: Vec<String>,
}

impl InstancePlan {
    /// Whether this instance follows tracker `name` (a script or process, its own or its
    /// sync group's).
    pub fn tracks(&self, name: &str) -> bool {
        self.engine.trackers.iter().any(|t| t.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupPlan {
    pub name: String,
    pub members: Vec<String>,
    pub notify: NotifyScripts,
    pub smtp_alert: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckPlan {
    pub name: String,
    pub command: Command,
    pub interval_s: u32,
    pub timeout_s: u32,
    /// The script's `user`, else `script_user`; None: keepalived_script if it exists, else root.
    pub user: Option<UserGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotifyPlan {
    /// `script_user` (notify scripts without their own user run as it).
    pub script_user: Option<UserGroup>,
    pub fifos: Vec<NotifyFifo>,
    /// smtp_alert mail; None when there is no server or no address.
    pub mail: Option<MailPlan>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MailPlan {
    pub server: SmtpServer,
    pub to: Vec<String>,
    /// None: `vrrpd@HOSTNAME`.
    pub from: Option<String>,
    /// None: the host name.
    pub helo: Option<String>,
    /// None: the host name.
    pub router_id: Option<String>,
    pub timeout_s: u32,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct StaticsPlan {
    pub addresses: Vec<VirtualIp>,
    pub routes: Vec<RouteSpec>,
    pub rules: Vec<RuleSpec>,
}

/// Build the plan. Problems that stop the daemon are errors in `diags`, at the keyword.
pub fn build(cfg: &Config, env: &EnvReport, host: &dyn PlanHost, diags: &mut Diagnostics) -> Plan {
    let g = &cfg.global;
    let mut instances = Vec::new();
    for vi in &cfg.instances {
        if let Some(mut p) = instance(cfg, vi, host, diags) {
            // keepalived drops a script it cannot run from the instances that track it
            // (its weight no longer counts), it does not keep it as passing.
            p.engine.trackers.retain(|t| {
                t.kind != vrrp_core::TrackerKind::Script || !env.disabled_scripts.contains(&t.name)
            });
            instances.push(p);
        }
    }
    let groups: Vec<GroupPlan> = cfg
        .sync_groups
        .iter()
        .map(|sg| GroupPlan {
            name: sg.name.clone(),
            members: sg
                .members
                .iter()
                .filter(|m| cfg.instance(&m.name).is_some())
                .map(|m| m.name.clone())
                .collect(),
            notify: sg.notify.clone(),
            smtp_alert: sg.smtp_alert,
        })
        .filter(|g| !g.members.is_empty())
        .collect();
    let tracked = |name: &str| instances.iter().any(|i: &InstancePlan| i.tracks(name));
    let checks = cfg
        .scripts
        .iter()
        .filter(|sc| tracked(&sc.name) && !env.disabled_scripts.contains(&sc.name))
        .filter_map(|sc| {
            Some(CheckPlan {
                name: sc.name.clone(),
                command: sc.script.clone()?,
                interval_s: sc.interval,
                timeout_s: sc.timeout,
                user: sc.user.clone().or_else(|| g.script_user.clone()),
            })
        })
        .collect();
    let processes = cfg
        .track_processes
        .iter()
        .filter(|tp| tracked(&tp.name))
        .cloned()
        .collect();
    let mail = match (&g.smtp_server, g.notification_email.is_empty()) {
        (Some(server), false) => Some(MailPlan {
            server: server.clone(),
            to: g.notification_email.clone(),
            from: g.notification_email_from.clone(),
            helo: g.smtp_helo_name.clone(),
            router_id: g.router_id.clone(),
            timeout_s: g.smtp_connect_timeout.max(1),
        }),
        _ => None,
    };
    let fifos = [&g.notify_fifo, &g.vrrp_notify_fifo]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    for a in cfg.static_addresses.iter().filter(|a| a.dev.is_none()) {
        diags.push(
            Diagnostic::error(
                codes::MISSING_SETTING,
                format!("static_ipaddress {}/{} has no `dev`", a.addr, a.prefix),
            )
            .at(a.span)
            .label("vrrpd does not know which interface to put it on")
            .help(format!("write `{}/{} dev <interface>`", a.addr, a.prefix)),
        );
    }
    Plan {
        instances,
        groups,
        checks,
        processes,
        notify: NotifyPlan {
            script_user: g.script_user.clone(),
            fifos,
            mail,
        },
        statics: StaticsPlan {
            addresses: cfg.static_addresses.clone(),
            routes: cfg
                .static_routes
                .iter()
                .filter_map(|r| r.spec.clone())
                .collect(),
            rules: resolve_rules(&cfg.static_rules, host),
        },
    }
}

fn instance(
    cfg: &Config,
    vi: &VrrpInstance,
    host: &dyn PlanHost,
    diags: &mut Diagnostics,
) -> Option<InstancePlan> {
    let interface = vi.interface.clone()?;
    if vi.use_vmac.is_some() && vi.ipv6 {
        diags.push(
            Diagnostic::error(
                codes::UNSUPPORTED,
                format!(
                    "vrrp_instance `{}`: use_vmac with IPv6 addresses is not supported by vrrpd yet",
                    vi.name
                ),
            )
            .at(vi.span)
            .label("keepalived runs this; vrrpd cannot")
            .help("remove use_vmac (the VIPs then move with gratuitous NAs), or run this instance with keepalived"),
        );
        return None;
    }
    let fixed = vi.unicast_src_ip.or(vi.mcast_src_ip);
    let primary = fixed
        .or_else(|| host.primary(&interface, vi.ipv6))
        .unwrap_or(if vi.ipv6 {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        });
    let engine = engine_config::instance_config(cfg, vi, primary);
    let mut links: Vec<String> = Vec::new();
    if engine.track_primary {
        links.push(interface.clone());
    }
    for t in &engine.trackers {
        if t.kind == vrrp_core::TrackerKind::Interface && !links.contains(&t.name) {
            links.push(t.name.clone());
        }
    }
    let vmac = vi
        .use_vmac
        .as_ref()
        .map(|given| vmac_name(given, vi.vrid.unwrap_or(0)));
    Some(InstancePlan {
        name: vi.name.clone(),
        interface,
        ipv6: vi.ipv6,
        engine,
        fixed_source: fixed.is_some(),
        vips: vi.vips.clone(),
        vips_excluded: vi.vips_excluded.clone(),
        routes: vi
            .virtual_routes
            .iter()
            .filter_map(|r| r.spec.clone())
            .collect(),
        rules: resolve_rules(&vi.virtual_rules, host),
        notify: vi.notify.clone(),
        smtp_alert: vi.smtp_alert,
        vmac,
        garp_gap_us: if vi.ipv6 {
            cfg.global.vrrp_gna_interval_us
        } else {
            cfg.global.vrrp_garp_interval_us
        },
        // An announced address takes traffic wherever the router sends it.
        accept: vi.announce || vi.accept_mode(&cfg.global),
        unicast_ttl: vi.unicast_ttl.unwrap_or(vrrp_core::codec::VRRP_TTL),
        links,
    })
}

/// The rules that can be installed, table names turned into numbers (an unknown name is
/// reported by the host checks).
fn resolve_rules(list: &[IpRule], host: &dyn PlanHost) -> Vec<RuleSpec> {
    list.iter()
        .filter_map(|r| r.spec.clone())
        .filter_map(|mut r| {
            if let Some(RuleAction::Table(TableRef::Name(n))) = &r.action {
                let id = host.route_table(n)?;
                r.action = Some(RuleAction::Table(TableRef::Id(id)));
            }
            Some(r)
        })
        .collect()
}

/// `use_vmac` alone names the interface `vrrp.VRID`, as keepalived does.
pub fn vmac_name(given: &str, vrid: u8) -> String {
    if given.is_empty() {
        format!("vrrp.{vrid}")
    } else {
        given.to_string()
    }
}
