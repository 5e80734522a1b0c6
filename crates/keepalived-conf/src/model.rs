//! The typed configuration, with keepalived 2.2's defaults applied.
//! Spans are kept (not serialised) so later checks can point at the source.

use conf_diag::Span;
use serde::Serialize;
use std::net::IpAddr;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Config {
    pub global: GlobalDefs,
    pub scripts: Vec<VrrpScript>,
    pub track_processes: Vec<TrackProcess>,
    pub instances: Vec<VrrpInstance>,
    pub sync_groups: Vec<SyncGroup>,
    /// `static_ipaddress`: addresses set at start-up whatever the VRRP state.
    pub static_addresses: Vec<VirtualIp>,
    /// `static_routes`.
    pub static_routes: Vec<VirtualRoute>,
    /// `static_rules`.
    pub static_rules: Vec<IpRule>,
    /// Scripts of the LVS blocks (vrrpd does not run them; keepalived checks them).
    pub lvs_scripts: Vec<Command>,
}

/// `notify_master`, `notify_backup`, `notify_fault`, `notify_stop` and `notify`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NotifyScripts {
    pub master: Option<Command>,
    pub backup: Option<Command>,
    pub fault: Option<Command>,
    pub stop: Option<Command>,
    /// `notify`: called on every change with `INSTANCE|GROUP name state priority`.
    pub any: Option<Command>,
}

impl NotifyScripts {
    /// The configured commands with their keywords, in keyword order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Command)> {
        [
            ("notify_master", &self.master),
            ("notify_backup", &self.backup),
            ("notify_fault", &self.fault),
            ("notify_stop", &self.stop),
            ("notify", &self.any),
        ]
        .into_iter()
        .filter_map(|(k, c)| c.as_ref().map(|c| (k, c)))
    }
}

impl VrrpInstance {
    /// `strict_mode`, else the global `vrrp_strict`.
    pub fn strict(&self, g: &GlobalDefs) -> bool {
        self.strict_mode.unwrap_or(g.vrrp_strict)
    }

    /// Accept mode: traffic to the VIPs is delivered on the master. `accept` / `no_accept`,
    /// else keepalived's default: yes, except under vrrp_strict for a non-owner.
    pub fn accept_mode(&self, g: &GlobalDefs) -> bool {
        self.accept
            .unwrap_or(!self.strict(g) || self.priority == 255)
    }
}

impl Config {
    /// Every notify command of every instance and sync group.
    pub fn notify_commands(&self) -> impl Iterator<Item = &Command> {
        self.instances
            .iter()
            .map(|i| &i.notify)
            .chain(self.sync_groups.iter().map(|g| &g.notify))
            .flat_map(|n| n.iter().map(|(_, c)| c))
    }

    pub fn script(&self, name: &str) -> Option<&VrrpScript> {
        self.scripts.iter().find(|s| s.name == name)
    }
    pub fn instance(&self, name: &str) -> Option<&VrrpInstance> {
        self.instances.iter().find(|i| i.name == name)
    }

    /// The scripts an instance tracks, each with its weight and `reverse` flag (the
    /// `track_script` line's own weight overrides the script's). Undefined names are skipped.
    pub fn tracked_scripts<'a>(
        &'a self,
        vi: &'a VrrpInstance,
    ) -> impl Iterator<Item = (&'a VrrpScript, i32, bool)> + 'a {
        vi.track_scripts.iter().filter_map(move |t| {
            let sc = self.script(&t.name)?;
            Some(match t.weight {
                Some(w) => (sc, w, t.reverse),
                None => (sc, sc.weight, sc.weight_reverse),
            })
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct GlobalDefs {
    pub router_id: Option<String>,
    pub notification_email: Vec<String>,
    pub notification_email_from: Option<String>,
    pub smtp_server: Option<SmtpServer>,
    /// Seconds.
    pub smtp_connect_timeout: u32,
    pub enable_script_security: bool,
    pub script_user: Option<UserGroup>,
    pub vrrp_version: u8,
    pub vrrp_strict: bool,
    pub vrrp_skip_check_adv_addr: bool,
    /// Delay between gratuitous ARPs of one burst, microseconds.
    pub vrrp_garp_interval_us: u64,
    /// Delay between unsolicited NAs of one burst, microseconds.
    pub vrrp_gna_interval_us: u64,
    /// Seconds after becoming master before the second GARP burst.
    pub vrrp_garp_master_delay: u32,
    pub vrrp_garp_master_repeat: u32,
    /// Seconds between periodic GARP refreshes while master (0 = none).
    pub vrrp_garp_master_refresh: u32,
    pub vrrp_garp_master_refresh_repeat: u32,
    /// After hearing a lower-priority master (defaults: the `vrrp_garp_master_*` values).
    pub vrrp_garp_lower_prio_delay: Option<u32>,
    pub vrrp_garp_lower_prio_repeat: Option<u32>,
    /// Microseconds to stay in backup after start before any transition.
    pub vrrp_startup_delay_us: u64,
    /// `vrrp_down_timer_adverts`: the instances' default `down_timer_adverts`.
    pub vrrp_down_timer_adverts: u8,
    pub default_interface: Option<String>,
    pub smtp_helo_name: Option<String>,
    /// `notify_fifo` / `vrrp_notify_fifo`: state changes written as lines to a FIFO.
    pub notify_fifo: Option<NotifyFifo>,
    pub vrrp_notify_fifo: Option<NotifyFifo>,
    /// `vrrp_mcast_group4` / `vrrp_mcast_group6`: where multicast adverts go.
    pub vrrp_mcast_group4: Option<IpAddr>,
    pub vrrp_mcast_group6: Option<IpAddr>,
    pub vrrp_check_unicast_src: bool,
    pub vrrp_lower_prio_no_advert: bool,
    pub vrrp_higher_prio_send_advert: bool,
    /// Keywords read but not acted on (kept for `--dump-conf`).
    pub other: Vec<(String, Vec<String>)>,
}

impl Default for GlobalDefs {
    fn default() -> Self {
        GlobalDefs {
            router_id: None,
            notification_email: Vec::new(),
            notification_email_from: None,
            smtp_server: None,
            smtp_connect_timeout: 30,
            enable_script_security: false,
            script_user: None,
            vrrp_version: 2,
            vrrp_strict: false,
            vrrp_skip_check_adv_addr: false,
            vrrp_garp_interval_us: 0,
            vrrp_gna_interval_us: 0,
            vrrp_garp_master_delay: 5,
            vrrp_garp_master_repeat: 5,
            vrrp_garp_master_refresh: 0,
            vrrp_garp_master_refresh_repeat: 1,
            vrrp_garp_lower_prio_delay: None,
            vrrp_garp_lower_prio_repeat: None,
            vrrp_startup_delay_us: 0,
            vrrp_down_timer_adverts: 3,
            default_interface: None,
            smtp_helo_name: None,
            notify_fifo: None,
            vrrp_notify_fifo: None,
            vrrp_mcast_group4: None,
            vrrp_mcast_group6: None,
            vrrp_check_unicast_src: false,
            vrrp_lower_prio_no_advert: false,
            vrrp_higher_prio_send_advert: false,
            other: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotifyFifo {
    pub path: String,
    /// `*_fifo_script`: started with the FIFO's path as its argument, to read it.
    pub script: Option<Command>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserGroup {
    pub user: String,
    pub group: Option<String>,
}

/// A command line to run (scripts, notify hooks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Command {
    /// As written in the config.
    pub raw: String,
    /// Split as keepalived splits it (whitespace, single/double quotes).
    pub argv: Vec<String>,
    /// Contains shell operators: vrrpd runs it with `/bin/sh -c`.
    pub shell: bool,
    /// notify scripts: the user (and group) written after the command.
    pub user: Option<UserGroup>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct VrrpScript {
    pub name: String,
    #[serde(skip)]
    pub span: Span,
    pub script: Option<Command>,
    /// Seconds between runs.
    pub interval: u32,
    /// Seconds a run may take (defaults to `interval`).
    pub timeout: u32,
    pub weight: i32,
    pub weight_reverse: bool,
    pub rise: u32,
    pub fall: u32,
    pub user: Option<UserGroup>,
    pub init_fail: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackProcess {
    pub name: String,
    #[serde(skip)]
    pub span: Span,
    pub process: Option<String>,
    pub param_match: Option<ParamMatch>,
    pub weight: i32,
    pub weight_reverse: bool,
    pub quorum: u32,
    pub quorum_max: Option<u32>,
    /// Seconds.
    pub delay: f64,
    pub full_command: bool,
}

/// `param_match` of a vrrp_track_process: how the parameters after `process NAME` match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamMatch {
    /// `param_match` alone: the parameters exactly as written; with none written, the
    /// process must have none (keepalived.conf(5)).
    Exact,
    /// `param_match initial`: the parameters written start the process's, the last one
    /// possibly longer there (`-f /etc/hap` matches `-f /etc/haproxy.cfg -Ws`).
    Initial,
    /// `param_match partial`: the parameters written are the process's first ones,
    /// exactly (`-f /etc/haproxy.cfg` matches `-f /etc/haproxy.cfg -Ws`).
    Partial,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum InitialState {
    Master,
    Backup,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum AuthType {
    Pass,
    Ah,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Auth {
    pub auth_type: AuthType,
    /// At most 8 bytes (longer passwords are truncated, as keepalived does).
    pub pass: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VirtualIp {
    pub addr: IpAddr,
    pub prefix: u8,
    pub brd: Option<IpAddr>,
    pub dev: Option<String>,
    pub scope: Option<String>,
    pub label: Option<String>,
    pub no_track: bool,
    #[serde(skip)]
    pub span: Span,
}

/// A virtual route, kept as written (`to`, `via`, `dev`, ... in ip-route order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VirtualRoute {
    pub words: Vec<String>,
    /// The route as the kernel gets it; None when the line could not be read (an error).
    pub spec: Option<crate::routes::RouteSpec>,
    #[serde(skip)]
    pub span: Span,
}

/// A policy-routing rule (`virtual_rules`, `static_rules`), kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IpRule {
    pub words: Vec<String>,
    /// None when the line could not be read (an error).
    pub spec: Option<crate::rules::RuleSpec>,
    #[serde(skip)]
    pub span: Span,
}

/// `name [weight N [reverse]]` in a track_* block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackRef {
    pub name: String,
    pub weight: Option<i32>,
    pub reverse: bool,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct VrrpInstance {
    pub name: String,
    #[serde(skip)]
    pub span: Span,
    pub state: InitialState,
    pub interface: Option<String>,
    #[serde(skip)]
    pub interface_span: Option<Span>,
    pub vrid: Option<u8>,
    #[serde(skip)]
    pub vrid_span: Option<Span>,
    /// Configured priority (1..255); 255 means address owner.
    pub priority: u8,
    pub priority_set: bool,
    /// Advertisement interval in centiseconds.
    pub advert_int_cs: u32,
    /// `down_timer_adverts` (1..100; `vrrp_down_timer_adverts` in global_defs, else 3).
    pub down_timer_adverts: u8,
    pub version: u8,
    pub ipv6: bool,
    pub nopreempt: bool,
    /// Seconds.
    pub preempt_delay: f64,
    pub accept: Option<bool>,
    pub auth: Option<Auth>,
    pub vips: Vec<VirtualIp>,
    pub vips_excluded: Vec<VirtualIp>,
    pub virtual_routes: Vec<VirtualRoute>,
    pub virtual_rules: Vec<IpRule>,
    pub track_scripts: Vec<TrackRef>,
    pub track_interfaces: Vec<TrackRef>,
    pub track_processes: Vec<TrackRef>,
    pub unicast_src_ip: Option<IpAddr>,
    pub unicast_peers: Vec<IpAddr>,
    pub mcast_src_ip: Option<IpAddr>,
    pub notify: NotifyScripts,
    pub smtp_alert: bool,
    /// Seconds (defaults from global_defs).
    pub garp_master_delay: u32,
    pub garp_master_repeat: u32,
    pub garp_master_refresh: u32,
    pub garp_master_refresh_repeat: u32,
    /// After hearing a lower-priority master; None = the global `vrrp_garp_lower_prio_*`,
    /// else this instance's `garp_master_delay` / `garp_master_repeat`.
    pub garp_lower_prio_delay: Option<u32>,
    pub garp_lower_prio_repeat: Option<u32>,
    pub use_vmac: Option<String>,
    pub dont_track_primary: bool,
    /// `strict_mode` (None: global `vrrp_strict`).
    pub strict_mode: Option<bool>,
    pub check_unicast_src: bool,
    pub skip_check_adv_addr: bool,
    /// None: the global `vrrp_lower_prio_no_advert` / `vrrp_higher_prio_send_advert`.
    pub lower_prio_no_advert: Option<bool>,
    pub higher_prio_send_advert: Option<bool>,
    pub unicast_ttl: Option<u8>,
    pub old_unicast_checksum: bool,
    pub unicast_fault_no_peer: bool,
    /// `vrrpd_announce` (a vrrpd extension, keepalived has no such keyword): no VRRP;
    /// the VIPs are on `interface` exactly while every tracker passes, for a routing
    /// daemon (FRR, BIRD) to announce them as connected routes.
    pub announce: bool,
    #[serde(skip)]
    pub announce_span: Option<Span>,
    /// Tracked scripts keepalived drops (weighted, on an address owner): reported, not run.
    #[serde(skip)]
    pub dropped_track_scripts: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncGroup {
    pub name: String,
    #[serde(skip)]
    pub span: Span,
    pub members: Vec<TrackRef>,
    pub track_scripts: Vec<TrackRef>,
    pub track_interfaces: Vec<TrackRef>,
    pub track_processes: Vec<TrackRef>,
    pub notify: NotifyScripts,
    pub smtp_alert: bool,
    /// `sync_group_tracking_weight` (or the deprecated `global_tracking`): members keep the
    /// weights of their own trackers; otherwise keepalived sets them to 0.
    pub tracking_weight: bool,
}
