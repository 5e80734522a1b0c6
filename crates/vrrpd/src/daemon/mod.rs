//! The vrrpd daemon: vrrp-core driven by tokio, with raw VRRP sockets, VIPs through
//! rtnetlink, gratuitous ARP / NA frames, vrrp_script checks and notify scripts.
//!

mod alarm;
mod clock;
mod host;
mod links;
mod mail;
mod net;
mod notify;
mod procs;
mod scripts;
mod syslog;
mod vips;
mod vmac;

use crate::cli::Args;
use crate::engine_config;
use anyhow::Context;
use clock::Clock;
use keepalived_conf::model::{Config, VrrpInstance};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use vrrp_core::{Action, Input, Instance, State};

struct Slot {
    vi: VrrpInstance,
    engine: Instance,
    /// The instance's `interface` (its address, its link state).
    iface: host::Iface,
    /// The use_vmac macvlan, when there is one.
    vmac: Option<host::Iface>,
    /// vrrp_garp_interval / vrrp_gna_interval: the gap between announcements.
    garp_gap: Duration,
}

impl Slot {
    /// Where adverts, VIPs and gratuitous ARPs go: the vmac if any, else the interface.
    fn net(&self) -> &host::Iface {
        self.vmac.as_ref().unwrap_or(&self.iface)
    }
}

struct Packet {
    iface: String,
    rx: net::Received,
}

use syslog::log;

pub fn run(args: &Args, cfg: Config) -> anyhow::Result<u8> {
    syslog::init(
        args.log_facility,
        !args.no_syslog,
        args.log_console || args.dont_fork,
    );
    if !args.dont_fork {
        nix::unistd::daemon(false, false).context("cannot daemonise")?;
    }
    for p in [&args.pid, &args.vrrp_pid].into_iter().flatten() {
        std::fs::write(p, format!("{}\n", std::process::id()))
            .with_context(|| format!("pid file {}", p.display()))?;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let r = rt.block_on(main_loop(args, cfg));
    for p in [&args.pid, &args.vrrp_pid].into_iter().flatten() {
        let _ = std::fs::remove_file(p);
    }
    r.map(|_| 0)
}

fn make_slot(cfg: &Config, vi: &VrrpInstance) -> anyhow::Result<Slot> {
    let ifname = vi.interface.clone().unwrap_or_default();
    let iface = host::interface(&ifname).with_context(|| format!("interface {ifname}"))?;
    let primary = iface.primary(vi.ipv6).with_context(|| {
        format!(
            "{ifname} has no {} address",
            if vi.ipv6 { "IPv6" } else { "IPv4" }
        )
    })?;
    let ecfg = engine_config::instance_config(cfg, vi, primary);
    Ok(Slot {
        vi: vi.clone(),
        engine: Instance::new(ecfg),
        iface,
        vmac: None,
        garp_gap: Duration::from_micros(if vi.ipv6 {
            cfg.global.vrrp_gna_interval_us
        } else {
            cfg.global.vrrp_garp_interval_us
        }),
    })
}

/// use_vmac: create the instance's macvlan and send and receive through it. Base
/// interfaces whose `arp_ignore` changed are remembered in `restore`, to undo at exit.
async fn attach_vmac(
    s: &mut Slot,
    vips: &vips::Vips,
    restore: &mut Vec<(String, &'static str, String)>,
) -> anyhow::Result<()> {
    let Some(given) = &s.vi.use_vmac else {
        return Ok(());
    };
    if s.vi.ipv6 {
        log(&format!(
            "({}) use_vmac is IPv4 only in vrrpd; using {} itself",
            s.vi.name, s.iface.name
        ));
        return Ok(());
    }
    let vrid = s.engine.config().vrid;
    let name = vmac::name(given, vrid);
    vips.create_vmac(s.iface.index, &name, vmac::mac(vrid))
        .await
        .map_err(anyhow::Error::msg)?;
    if !restore.iter().any(|(n, _, _)| *n == s.iface.name) {
        // The base interface must neither answer ARP for the VIPs (arp_ignore) nor name
        // a VIP as the sender of its own ARP requests (arp_announce), or neighbours
        // would learn the base MAC for the VIP.
        for (key, value) in [("arp_ignore", "1"), ("arp_announce", "2")] {
            let old = vmac::set_sysctl(&s.iface.name, key, value).map_err(anyhow::Error::msg)?;
            restore.push((s.iface.name.clone(), key, old));
        }
    }
    let iface = host::interface(&name).with_context(|| format!("interface {name}"))?;
    s.vmac = Some(iface);
    Ok(())
}

/// Sockets per interface: the VRRP socket (with its receive task) and the frame socket.
#[derive(Default)]
struct Sockets {
    vrrp: HashMap<String, Arc<net::VrrpSocket>>,
    frames: HashMap<String, Arc<net::FrameSocket>>,
}

impl Sockets {
    fn key(s: &Slot) -> String {
        format!(
            "{}/{}",
            s.net().name,
            s.engine.config().primary_ip.is_ipv6()
        )
    }

    fn ensure(&mut self, s: &Slot, pkt_tx: &mpsc::Sender<Packet>) -> anyhow::Result<()> {
        let key = Self::key(s);
        if self.vrrp.contains_key(&key) {
            return Ok(());
        }
        let sock = match s.engine.config().primary_ip {
            IpAddr::V4(primary) if s.vmac.is_some() => {
                net::VrrpSocket::open_v4_vmac(s.net(), primary)
            }
            IpAddr::V4(primary) => net::VrrpSocket::open_v4(s.net(), primary),
            IpAddr::V6(_) => net::VrrpSocket::open_v6(s.net()),
        };
        let sock = Arc::new(sock.context("VRRP socket")?);
        let rx_sock = sock.clone();
        let tx = pkt_tx.clone();
        let name = s.net().name.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            while let Ok(r) = rx_sock.recv(&mut buf).await {
                let Some(rx) = r else { continue };
                let p = Packet {
                    iface: name.clone(),
                    rx,
                };
                if tx.send(p).await.is_err() {
                    return;
                }
            }
        });
        self.vrrp.insert(key, sock);
        if let Some(f) = net::FrameSocket::open(s.net())? {
            self.frames.insert(s.net().name.clone(), Arc::new(f));
        }
        Ok(())
    }
}

/// Check tasks for the scripts some instance tracks.
fn spawn_checks(
    cfg: &Config,
    slots: &[Slot],
    tx: &mpsc::Sender<(String, bool)>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut handles = Vec::new();
    for sc in &cfg.scripts {
        let used = slots
            .iter()
            .any(|s| s.vi.track_scripts.iter().any(|t| t.name == sc.name));
        let (true, Some(c)) = (used, &sc.script) else {
            continue;
        };
        let run_as = match scripts::RunAs::resolve(cfg, sc.user.as_ref()) {
            Ok(r) => r,
            Err(e) => {
                // The check stays failed, as keepalived disables a script it cannot run.
                log(&format!("vrrp_script {}: {e}; not run", sc.name));
                continue;
            }
        };
        handles.push(scripts::spawn_check(
            scripts::Check {
                name: sc.name.clone(),
                command: c.clone(),
                interval: Duration::from_secs(u64::from(sc.interval)),
                timeout: Duration::from_secs(u64::from(sc.timeout)),
                run_as,
            },
            tx.clone(),
        ));
    }
    handles
}

/// The process watcher for the vrrp_track_process blocks some instance tracks.
fn spawn_process_watch(
    cfg: &Config,
    slots: &[Slot],
    tx: &mpsc::Sender<(String, bool)>,
) -> Option<tokio::task::JoinHandle<()>> {
    let used: Vec<_> = cfg
        .track_processes
        .iter()
        .filter(|tp| {
            slots
                .iter()
                .any(|s| s.vi.track_processes.iter().any(|t| t.name == tp.name))
        })
        .cloned()
        .collect();
    procs::spawn(used, tx.clone())
}

/// Everything outside the engines that actions reach: sockets, addresses, notifications.
struct Edge {
    socks: Sockets,
    vips: vips::Vips,
    notifier: notify::Notifier,
    /// Interface sysctls changed for use_vmac: (interface, key, old value).
    sysctl_restore: Vec<(String, &'static str, String)>,
}

async fn main_loop(args: &Args, cfg: Config) -> anyhow::Result<()> {
    let clock = Clock::new().context("timerfd")?;
    let vips = vips::Vips::new().context("netlink")?;
    let notifier = notify::Notifier::new(&cfg);
    let mut slots: Vec<Slot> = Vec::new();
    let mut sysctl_restore = Vec::new();
    for vi in &cfg.instances {
        let mut s = make_slot(&cfg, vi)?;
        attach_vmac(&mut s, &vips, &mut sysctl_restore).await?;
        slots.push(s);
    }
    let mut socks = Sockets::default();
    let (pkt_tx, mut pkt_rx) = mpsc::channel::<Packet>(256);
    for s in &slots {
        socks.ensure(s, &pkt_tx)?;
    }
    let mut edge = Edge {
        socks,
        vips,
        notifier,
        sysctl_restore,
    };
    let (chk_tx, mut chk_rx) = mpsc::channel::<(String, bool)>(64);
    let mut checks = spawn_checks(&cfg, &slots, &chk_tx);
    checks.extend(spawn_process_watch(&cfg, &slots, &chk_tx));
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigusr1 = signal(SignalKind::user_defined1())?;
    let mut sigjson = signal(SignalKind::from_raw(crate::cli::JSON_SIGNAL))?;
    let (link_tx, mut link_rx) = mpsc::channel::<(String, bool)>(64);
    links::spawn(link_tx).context("netlink link monitor")?;
    let mut groups = groups_of(&cfg, &slots);
    let now = clock.now_ms();
    for s in slots.iter_mut() {
        // Links already down at start-up count from the start.
        let watched: Vec<String> = std::iter::once(s.iface.name.clone())
            .chain(s.vi.track_interfaces.iter().map(|t| t.name.clone()))
            .collect();
        for name in watched {
            if !links::is_up(&name) {
                s.engine.handle(
                    now,
                    Input::Link {
                        interface: name,
                        up: false,
                    },
                );
            }
        }
        s.engine.handle(now, Input::Startup);
    }
    let all: Vec<usize> = (0..slots.len()).collect();
    flush(now, &mut slots, &mut groups, &all, &mut edge, false).await;
    syslog::notify_ready();
    log(&format!("started, {} instance(s)", slots.len()));
    loop {
        let next = slots.iter().filter_map(|s| s.engine.poll_timeout()).min();
        let sleep = clock.sleep_until(next.unwrap_or(clock.now_ms() + 60_000));
        tokio::select! {
            _ = sleep => {
                let now = clock.now_ms();
                let mut touched = Vec::new();
                for (i, s) in slots.iter_mut().enumerate() {
                    if s.engine.poll_timeout().is_some_and(|t| t <= now) {
                        s.engine.handle_timeout(now);
                        touched.push(i);
                    }
                }
                flush(now, &mut slots, &mut groups, &touched, &mut edge, false).await;
            }
            Some(p) = pkt_rx.recv() => {
                let now = clock.now_ms();
                let rx = &p.rx;
                let Some(&vrid) = rx.payload.get(1) else { continue };
                let v6 = rx.src.is_ipv6();
                let mut touched = Vec::new();
                for (i, s) in slots.iter_mut().enumerate().filter(|(_, s)| {
                    s.net().name == p.iface
                        && s.engine.config().vrid == vrid
                        && s.engine.config().primary_ip.is_ipv6() == v6
                }) {
                    s.engine.handle(now, Input::Advert { src: rx.src, dst: rx.dst, ttl: rx.ttl, data: &rx.payload });
                    touched.push(i);
                }
                flush(now, &mut slots, &mut groups, &touched, &mut edge, false).await;
            }
            Some((name, up)) = link_rx.recv() => {
                let now = clock.now_ms();
                let mut touched = Vec::new();
                for (i, s) in slots.iter_mut().enumerate().filter(|(_, s)| {
                    s.iface.name == name || s.vi.track_interfaces.iter().any(|t| t.name == name)
                }) {
                    s.engine.handle(now, Input::Link { interface: name.clone(), up });
                    touched.push(i);
                }
                flush(now, &mut slots, &mut groups, &touched, &mut edge, false).await;
            }
            Some((name, ok)) = chk_rx.recv() => {
                let now = clock.now_ms();
                let tracks = |s: &Slot| {
                    s.vi.track_scripts.iter().chain(s.vi.track_processes.iter()).any(|t| t.name == name)
                };
                let mut touched = Vec::new();
                for (i, s) in slots.iter_mut().enumerate().filter(|(_, s)| tracks(s)) {
                    s.engine.handle(now, Input::Tracker { name: name.clone(), ok });
                    touched.push(i);
                }
                flush(now, &mut slots, &mut groups, &touched, &mut edge, false).await;
            }
            _ = async { tokio::select! { _ = sigusr1.recv() => {}, _ = sigjson.recv() => {} } } => {
                let state: Vec<serde_json::Value> = slots
                    .iter()
                    .map(|s| serde_json::json!({
                        "name": s.vi.name,
                        "interface": s.iface.name,
                        "state": format!("{:?}", s.engine.state()),
                        "priority": s.engine.effective_priority(),
                        "counters": s.engine.counters,
                    }))
                    .collect();
                let text = serde_json::json!({ "instances": state }).to_string();
                // Written aside and renamed, so a reader never sees half a dump.
                let mut tmp = args.dump_file.clone().into_os_string();
                tmp.push(".tmp");
                let written = std::fs::write(&tmp, text + "\n")
                    .and_then(|()| std::fs::rename(&tmp, &args.dump_file));
                if let Err(e) = written {
                    log(&format!("SIGUSR1: cannot write {}: {e}", args.dump_file.display()));
                }
            }
            _ = sighup.recv() => {
                let Some(new_cfg) = crate::config_test::load_for_reload(args) else {
                    log("SIGHUP: the new configuration has errors; keeping the running one");
                    continue;
                };
                let now = clock.now_ms();
                edge.notifier.reconfigure(&new_cfg);
                reload(&new_cfg, &mut slots, &mut edge, &pkt_tx, now).await;
                // Membership follows the new config; a kept group keeps its reported state.
                let old_groups = std::mem::replace(&mut groups, groups_of(&new_cfg, &slots));
                for g in groups.iter_mut() {
                    if let Some(o) = old_groups.iter().find(|o| o.name == g.name) {
                        g.reported = o.reported;
                    }
                }
                let all: Vec<usize> = (0..slots.len()).collect();
                flush(now, &mut slots, &mut groups, &all, &mut edge, false).await;
                for h in checks.drain(..) {
                    h.abort();
                }
                checks = spawn_checks(&new_cfg, &slots, &chk_tx);
                checks.extend(spawn_process_watch(&new_cfg, &slots, &chk_tx));
                log("SIGHUP: configuration reloaded");
            }
            _ = sigterm.recv() => break,
            _ = sigint.recv() => break,
        }
    }
    let now = clock.now_ms();
    for s in slots.iter_mut() {
        s.engine.handle(now, Input::Shutdown);
    }
    let all: Vec<usize> = (0..slots.len()).collect();
    flush(
        now,
        &mut slots,
        &mut groups,
        &all,
        &mut edge,
        args.dont_release_vrrp,
    )
    .await;
    for s in slots.iter().filter(|s| s.vmac.is_some()) {
        if let Err(e) = edge.vips.delete_vmac(&s.net().name).await {
            log(&format!("({}) {e}", s.vi.name));
        }
    }
    for (ifname, key, old) in std::mem::take(&mut edge.sysctl_restore) {
        let _ = vmac::set_sysctl(&ifname, key, &old);
    }
    edge.notifier.finish(Duration::from_secs(5)).await;
    log("stopped");
    Ok(())
}

/// SIGHUP: instances are matched by name. A kept instance keeps its state and VIPs (the
/// engine restarts the election only if its identity changed); VIPs removed from the
/// config go, added ones come (with gratuitous ARPs); new instances start; removed ones stop.
async fn reload(
    cfg: &Config,
    slots: &mut Vec<Slot>,
    edge: &mut Edge,
    pkt_tx: &mpsc::Sender<Packet>,
    now: u64,
) {
    let mut kept: Vec<Slot> = Vec::new();
    for mut old in std::mem::take(slots) {
        match cfg.instances.iter().find(|v| v.name == old.vi.name) {
            Some(vi) => match make_slot(cfg, vi) {
                Ok(fresh) => {
                    if old.engine.state() == State::Master {
                        for v in old
                            .vi
                            .vips
                            .iter()
                            .filter(|v| !vi.vips.iter().any(|n| n.addr == v.addr))
                        {
                            if let Err(e) = edge.vips.del(v, &old.net().name).await {
                                log(&format!("({}) {e}", old.vi.name));
                            }
                        }
                    }
                    let was_master = old.engine.state() == State::Master;
                    if was_master {
                        for r in old
                            .vi
                            .virtual_routes
                            .iter()
                            .filter(|r| !vi.virtual_routes.iter().any(|n| n.words == r.words))
                        {
                            if let Some(spec) = &r.spec {
                                if let Err(e) = edge.vips.del_route(spec).await {
                                    log(&format!("({}) {e}", old.vi.name));
                                }
                            }
                        }
                    }
                    old.engine
                        .handle(now, Input::Reload(Box::new(fresh.engine.config().clone())));
                    old.vi = vi.clone();
                    old.iface = fresh.iface;
                    if old.vi.use_vmac.is_some() != old.vmac.is_some() {
                        log(&format!(
                            "({}) use_vmac changed: takes effect at the next restart",
                            old.vi.name
                        ));
                    }
                    drain(&mut old, edge, false).await;
                    if was_master && old.engine.state() == State::Master {
                        // Added routes (adding an existing one replaces it, harmlessly).
                        for r in old.vi.virtual_routes.iter().filter_map(|r| r.spec.as_ref()) {
                            if let Err(e) = edge.vips.add_route(r).await {
                                log(&format!("({}) {e}", old.vi.name));
                            }
                        }
                    }
                    kept.push(old);
                }
                Err(e) => {
                    log(&format!("({}) not reloaded: {e:#}", old.vi.name));
                    kept.push(old);
                }
            },
            None => {
                old.engine.handle(now, Input::Shutdown);
                drain(&mut old, edge, false).await;
                if old.vmac.is_some() {
                    if let Err(e) = edge.vips.delete_vmac(&old.net().name).await {
                        log(&format!("({}) {e}", old.vi.name));
                    }
                }
            }
        }
    }
    let known: Vec<String> = kept.iter().map(|s| s.vi.name.clone()).collect();
    for vi in cfg.instances.iter().filter(|v| !known.contains(&v.name)) {
        match make_slot(cfg, vi) {
            Ok(mut s) => {
                if let Err(e) = attach_vmac(&mut s, &edge.vips, &mut edge.sysctl_restore).await {
                    log(&format!("({}) {e:#}", vi.name));
                    continue;
                }
                if let Err(e) = edge.socks.ensure(&s, pkt_tx) {
                    log(&format!("({}) {e:#}", vi.name));
                    continue;
                }
                s.engine.handle(now, Input::Startup);
                drain(&mut s, edge, false).await;
                kept.push(s);
            }
            Err(e) => log(&format!("({}) not started: {e:#}", vi.name)),
        }
    }
    *slots = kept;
}

/// keepalived's name for a state in notifications.
fn state_name(s: State) -> &'static str {
    match s {
        State::Master => "MASTER",
        State::Backup => "BACKUP",
        State::Fault => "FAULT",
        State::Init => "STOP",
    }
}

/// Carry out what the engine asked for.
async fn drain(s: &mut Slot, edge: &mut Edge, keep_vips: bool) {
    while let Some(a) = s.engine.poll_action() {
        execute(s, a, edge, keep_vips).await;
    }
}

/// A vrrp_sync_group: the slots it holds, and the state last reported for it.
struct Group {
    name: String,
    members: Vec<usize>,
    notify: keepalived_conf::model::NotifyScripts,
    smtp_alert: bool,
    reported: &'static str,
}

fn groups_of(cfg: &Config, slots: &[Slot]) -> Vec<Group> {
    cfg.sync_groups
        .iter()
        .map(|g| Group {
            name: g.name.clone(),
            members: slots
                .iter()
                .enumerate()
                .filter(|(_, s)| g.members.iter().any(|m| m.name == s.vi.name))
                .map(|(i, _)| i)
                .collect(),
            notify: g.notify.clone(),
            smtp_alert: g.smtp_alert,
            reported: "STOP",
        })
        .filter(|g| !g.members.is_empty())
        .collect()
}

/// After inputs to the slots in `touched`: a sync group's members follow each other
/// (vrrp-core decides how), then every action is carried out and group changes reported.
async fn flush(
    now: u64,
    slots: &mut [Slot],
    groups: &mut [Group],
    touched: &[usize],
    edge: &mut Edge,
    keep_vips: bool,
) {
    let mut settled: Vec<usize> = Vec::new();
    for &i in touched {
        let Some(g) = groups.iter().position(|g| g.members.contains(&i)) else {
            if let Some(s) = slots.get_mut(i) {
                drain(s, edge, keep_vips).await;
            }
            continue;
        };
        if settled.contains(&g) {
            continue;
        }
        settled.push(g);
        let group = &mut groups[g];
        let actions = {
            let mut refs: Vec<&mut Instance> = slots
                .iter_mut()
                .enumerate()
                .filter(|(k, _)| group.members.contains(k))
                .map(|(_, s)| &mut s.engine)
                .collect();
            vrrp_core::sync_group::settle(now, &mut refs)
        };
        // `settle` numbers the members in slot order, as `members` is built.
        for (pos, a) in actions {
            if let Some(&k) = group.members.get(pos) {
                execute(&mut slots[k], a, edge, keep_vips).await;
            }
        }
        let states: Vec<State> = group
            .members
            .iter()
            .map(|&k| slots[k].engine.state())
            .collect();
        let now_state = if states.contains(&State::Fault) {
            "FAULT"
        } else if states.iter().all(|s| *s == State::Master) {
            "MASTER"
        } else if states.iter().all(|s| *s == State::Backup) {
            "BACKUP"
        } else if states.iter().all(|s| *s == State::Init) {
            "STOP"
        } else {
            group.reported
        };
        if now_state != group.reported {
            log(&format!(
                "group {}: {} -> {now_state}",
                group.name, group.reported
            ));
            edge.notifier.notify(&notify::Event {
                kind: "GROUP",
                name: &group.name,
                state: now_state,
                from: group.reported,
                priority: 0,
                scripts: &group.notify,
                smtp_alert: group.smtp_alert,
            });
            group.reported = now_state;
        }
    }
}

/// Carry out one action of an instance.
async fn execute(s: &mut Slot, a: Action, edge: &mut Edge, keep_vips: bool) {
    {
        match a {
            Action::SendAdvert { dst, bytes, .. } => {
                if let Some(sock) = edge.socks.vrrp.get(&Sockets::key(s)) {
                    if let Err(e) = sock.send(&bytes, dst) {
                        log(&format!("({}) send to {dst}: {e}", s.vi.name));
                    }
                }
            }
            Action::AddVips => {
                for v in s.vi.vips.iter().chain(s.vi.vips_excluded.iter()) {
                    if let Err(e) = edge.vips.add(v, &s.net().name).await {
                        log(&format!("({}) {e}", s.vi.name));
                    }
                }
                // Routes after addresses: a route may use a VIP as its source.
                for r in s.vi.virtual_routes.iter().filter_map(|r| r.spec.as_ref()) {
                    if let Err(e) = edge.vips.add_route(r).await {
                        log(&format!("({}) {e}", s.vi.name));
                    }
                }
            }
            Action::RemoveVips if !keep_vips => {
                for r in s.vi.virtual_routes.iter().filter_map(|r| r.spec.as_ref()) {
                    if let Err(e) = edge.vips.del_route(r).await {
                        log(&format!("({}) {e}", s.vi.name));
                    }
                }
                for v in s.vi.vips.iter().chain(s.vi.vips_excluded.iter()) {
                    if let Err(e) = edge.vips.del(v, &s.net().name).await {
                        log(&format!("({}) {e}", s.vi.name));
                    }
                }
            }
            Action::RemoveVips => {}
            Action::SendGarp { count } => {
                if let Some(f) = edge.socks.frames.get(&s.net().name) {
                    let frames: Vec<Vec<u8>> = (0..count)
                        .flat_map(|_| s.vi.vips.iter())
                        .map(|v| vrrp_core::announce::frame(s.net().mac, v.addr))
                        .collect();
                    if s.garp_gap.is_zero() {
                        for fr in &frames {
                            let _ = f.send(fr);
                        }
                    } else {
                        // Spaced out, without holding up the VRRP timers.
                        let (f, gap) = (f.clone(), s.garp_gap);
                        tokio::spawn(async move {
                            for (i, fr) in frames.iter().enumerate() {
                                if i > 0 {
                                    tokio::time::sleep(gap).await;
                                }
                                let _ = f.send(fr);
                            }
                        });
                    }
                }
            }
            Action::StateChanged {
                from,
                to,
                reason,
                priority,
            } => {
                log(&format!(
                    "({}) {from:?} -> {to:?} ({reason:?}), priority {priority}",
                    s.vi.name
                ));
                edge.notifier.notify(&notify::Event {
                    kind: "INSTANCE",
                    name: &s.vi.name,
                    state: state_name(to),
                    from: state_name(from),
                    priority,
                    scripts: &s.vi.notify,
                    smtp_alert: s.vi.smtp_alert,
                });
            }
        }
    }
}
