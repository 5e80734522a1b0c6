//! The vrrpd daemon: vrrp-core driven by tokio, with raw VRRP sockets, VIPs through
//! rtnetlink, gratuitous ARP / NA frames, vrrp_script checks and notify scripts.
//!

mod clock;
mod firewall;
pub(crate) mod host;
mod links;
mod mail;
mod net;
mod notify;
mod pacing;
mod privileges;
mod procs;
mod reactor;
mod scripts;
mod syslog;
mod vips;
mod vmac;

use crate::cli::Args;
use crate::plan::{InstancePlan, Plan};
use anyhow::Context;
use clock::Clock;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use vrrp_core::{Action, Input, Instance, State};

struct Slot {
    /// What the plan says this instance runs; the daemon reads nothing else.
    p: InstancePlan,
    engine: Instance,
    /// The instance's `interface` (its address, its link state).
    iface: host::Iface,
    /// The use_vmac macvlan, when there is one.
    vmac: Option<host::Iface>,
    /// A spaced-out gratuitous ARP / NA burst still going: stopped when the instance
    /// leaves MASTER (a node that lost the VIP must not keep announcing it).
    garp: Option<tokio::task::JoinHandle<()>>,
    /// Adverts that could not be sent since the last one that could (only the first of
    /// a run is logged).
    send_failures: u64,
    /// The last error opening the instance's sockets (logged once until it changes).
    socket_error: Option<String>,
}

impl Slot {
    /// Where adverts, VIPs and gratuitous ARPs go: the vmac if any, else the interface.
    fn net(&self) -> &host::Iface {
        self.vmac.as_ref().unwrap_or(&self.iface)
    }

    /// vrrp_garp_interval / vrrp_gna_interval: the gap between announcements.
    fn garp_gap(&self) -> Duration {
        Duration::from_micros(self.p.garp_gap_us)
    }

    fn name(&self) -> &str {
        &self.p.name
    }
}

struct Packet {
    iface: String,
    rx: net::Received,
}

pub fn run(args: &Args, plan: Plan) -> anyhow::Result<u8> {
    syslog::init(
        args.log_facility,
        !args.no_syslog,
        // The console only with -l, as keepalived: under systemd the journal takes both
        // stderr and syslog, and each line would be there twice.
        args.log_console,
        args.log_file_path().as_deref(),
        args.log_detail,
    )
    .context("log file")?;
    if !args.dont_fork {
        nix::unistd::daemon(false, false).context("cannot daemonise")?;
    }
    for p in [&args.pid, &args.vrrp_pid].into_iter().flatten() {
        std::fs::write(p, format!("{}\n", std::process::id()))
            .with_context(|| format!("pid file {}", p.display()))?;
    }
    // Before the runtime: its threads inherit what this thread keeps.
    match privileges::drop_to_kept() {
        Ok(kept) => tracing::debug!("capabilities kept: {kept:?}"),
        Err(e) => tracing::warn!("cannot drop capabilities: {e}; running with those it has"),
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // The main loop is a task, not block_on's own future: a receive task waking a task
    // costs nothing, while waking block_on's future makes the scheduler poll the driver
    // first (an extra epoll_wait per received packet, a quarter of vrrpd's system calls
    // under a flood of adverts).
    let owned = args.clone();
    let r = rt.block_on(async move {
        match tokio::spawn(async move { main_loop(&owned, plan).await }).await {
            Ok(r) => r,
            Err(e) => Err(anyhow::anyhow!("main loop: {e}")),
        }
    });
    for p in [&args.pid, &args.vrrp_pid].into_iter().flatten() {
        let _ = std::fs::remove_file(p);
    }
    r.map(|_| 0)
}

fn make_slot(p: &InstancePlan) -> anyhow::Result<Slot> {
    let iface = host::interface(&p.interface)
        .with_context(|| format!("interface {} does not exist", p.interface))?;
    if p.engine.primary_ip.is_unspecified() {
        tracing::info!(
            "({}) {} has no {} address yet: FAULT until it has one",
            p.name,
            p.interface,
            if p.ipv6 { "IPv6" } else { "IPv4" }
        );
    }
    Ok(Slot {
        p: p.clone(),
        engine: Instance::new(p.engine.clone()),
        iface,
        vmac: None,
        garp: None,
        send_failures: 0,
        socket_error: None,
    })
}

/// use_vmac: create the instance's macvlan and send and receive through it. Base
/// interfaces whose `arp_ignore` changed are remembered in `restore`, to undo at exit.
async fn attach_vmac(
    s: &mut Slot,
    vips: &vips::Vips,
    restore: &mut Vec<(String, &'static str, String)>,
) -> anyhow::Result<()> {
    let Some(name) = s.p.vmac.clone() else {
        return Ok(());
    };
    let vrid = s.engine.config().vrid;
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
    receivers: HashMap<String, tokio::task::JoinHandle<()>>,
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

    /// Open the slot's sockets unless they are open. An instance without an address yet
    /// has none (it is in FAULT); they open when the address comes.
    fn ensure(&mut self, s: &Slot, pkt_tx: &mpsc::Sender<Packet>) -> anyhow::Result<()> {
        let key = Self::key(s);
        // vrrpd_announce: no adverts to send or read.
        if s.engine.config().announce
            || self.vrrp.contains_key(&key)
            || s.engine.config().primary_ip.is_unspecified()
        {
            return Ok(());
        }
        let group = s.engine.config().mcast_group;
        let g4 = match group {
            Some(IpAddr::V4(g)) => Some(g),
            _ => None,
        };
        let g6 = match group {
            Some(IpAddr::V6(g)) => Some(g),
            _ => None,
        };
        let sock = match s.engine.config().primary_ip {
            IpAddr::V4(primary) if s.vmac.is_some() => {
                net::VrrpSocket::open_v4_vmac(s.net(), primary, g4)
            }
            IpAddr::V4(primary) => net::VrrpSocket::open_v4(s.net(), primary, g4),
            IpAddr::V6(_) => net::VrrpSocket::open_v6(s.net(), g6),
        };
        let sock = Arc::new(sock.context("VRRP socket")?);
        let mut rx_sock = sock.receiver().context("VRRP socket")?;
        let tx = pkt_tx.clone();
        let name = s.net().name.clone();
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            // A receive error never ends the loop (a node that stops hearing adverts
            // would take the VIP): it is logged once per kind, counted, and the socket
            // read again after a pause. A dead interface gets a new socket from the
            // main loop.
            let mut errors = 0u64;
            let mut last: Option<std::io::ErrorKind> = None;
            let mut pacer = pacing::Pacer::default();
            loop {
                // Wait for one packet, then read what else is queued without waiting.
                let mut got = rx_sock.recv(&mut buf).await;
                let mut read = 0usize;
                loop {
                    match got {
                        Ok(Some(rx)) => {
                            read += 1;
                            if errors > 0 {
                                tracing::info!("{name}: receiving again after {errors} error(s)");
                                (errors, last) = (0, None);
                            }
                            let p = Packet {
                                iface: name.clone(),
                                rx,
                            };
                            if tx.send(p).await.is_err() {
                                return;
                            }
                        }
                        Ok(None) => read += 1,
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                        Err(e) => {
                            errors += 1;
                            if last != Some(e.kind()) {
                                tracing::warn!("{name}: receive: {e}");
                                last = Some(e.kind());
                            }
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            break;
                        }
                    }
                    got = rx_sock.try_recv(&mut buf);
                }
                if let Some(pause) = pacer.pause(clock::monotonic(), read) {
                    rx_sock.pause(pause).await;
                }
            }
        });
        self.vrrp.insert(key.clone(), sock);
        self.receivers.insert(key, task);
        if !self.frames.contains_key(&s.net().name) {
            if let Some(f) = net::FrameSocket::open(s.net())? {
                self.frames.insert(s.net().name.clone(), Arc::new(f));
            }
        }
        Ok(())
    }

    /// The slot's address changed: its VRRP socket (bound to the old one) is opened again.
    fn reopen(&mut self, s: &Slot, pkt_tx: &mpsc::Sender<Packet>) -> anyhow::Result<()> {
        self.close(s);
        self.ensure(s, pkt_tx)
    }

    /// Drop the slot's sockets (its interface is gone, or came back as another one).
    fn close(&mut self, s: &Slot) {
        let key = Self::key(s);
        self.vrrp.remove(&key);
        if let Some(t) = self.receivers.remove(&key) {
            t.abort();
        }
        self.frames.remove(&s.net().name);
    }
}

/// Check tasks for the scripts the plan runs.
fn spawn_checks(
    plan: &Plan,
    tx: &mpsc::Sender<(String, bool)>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut handles = Vec::new();
    for c in &plan.checks {
        let run_as = match scripts::RunAs::resolve(c.user.as_ref()) {
            Ok(r) => r,
            Err(e) => {
                // The check stays failed, as keepalived disables a script it cannot run.
                tracing::error!("vrrp_script {}: {e}; not run", c.name);
                continue;
            }
        };
        handles.push(scripts::spawn_check(
            scripts::Check {
                name: c.name.clone(),
                command: c.command.clone(),
                interval: Duration::from_secs(u64::from(c.interval_s)),
                timeout: Duration::from_secs(u64::from(c.timeout_s)),
                run_as,
            },
            tx.clone(),
        ));
    }
    handles
}

/// Everything outside the engines that actions reach: sockets, addresses, notifications.
struct Edge {
    socks: Sockets,
    vips: vips::Vips,
    notifier: notify::Notifier,
    /// Interface sysctls changed for use_vmac: (interface, key, old value).
    sysctl_restore: Vec<(String, &'static str, String)>,
    /// -X: VIPs and routes are removed whenever an instance is not master.
    release_vips: bool,
    /// Accept mode's nftables table, when an instance is without accept mode.
    firewall: Option<firewall::Firewall>,
}

/// Whether the plan has instances without accept mode (IPv4, IPv6).
fn needs_firewall(plan: &Plan) -> (bool, bool) {
    let without = |v6: bool| plan.instances.iter().any(|p| !p.accept && p.ipv6 == v6);
    (without(false), without(true))
}

/// static_ipaddress / static_routes / static_rules: set at start, removed at exit.
async fn statics(plan: &Plan, vips: &vips::Vips, add: bool) {
    let st = &plan.statics;
    if add {
        for a in &st.addresses {
            if let Err(e) = vips.add(a, "").await {
                tracing::error!("static_ipaddress: {e}");
            }
        }
        for r in &st.routes {
            if let Err(e) = vips.add_route(r).await {
                tracing::error!("static_routes: {e}");
            }
        }
        for r in &st.rules {
            if let Err(e) = vips.add_rule(r).await {
                tracing::error!("static_rules: {e}");
            }
        }
    } else {
        for r in &st.rules {
            if let Err(e) = vips.del_rule(r).await {
                tracing::error!("static_rules: {e}");
            }
        }
        for r in &st.routes {
            if let Err(e) = vips.del_route(r).await {
                tracing::error!("static_routes: {e}");
            }
        }
        for a in &st.addresses {
            if let Err(e) = vips.del(a, "").await {
                tracing::error!("static_ipaddress: {e}");
            }
        }
    }
}

/// The address an instance's adverts come from, as the interface has it now: the first
/// IPv4 address (the link-local IPv6 one) that is not one of the instance's VIPs.
fn current_primary(s: &Slot) -> IpAddr {
    let v6 = s.p.ipv6;
    let unspecified = if v6 {
        IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)
    };
    let Some(iface) = host::interface(&s.p.interface) else {
        return unspecified;
    };
    let vip = |a: IpAddr| {
        s.p.vips
            .iter()
            .chain(&s.p.vips_excluded)
            .any(|v| v.addr == a)
    };
    let current = s.engine.config().primary_ip;
    let has = |a: IpAddr| match a {
        IpAddr::V4(a) => iface.v4.contains(&a),
        IpAddr::V6(a) => iface.v6.contains(&a),
    };
    if !current.is_unspecified() && has(current) {
        return current;
    }
    let candidates: Vec<IpAddr> = if v6 {
        iface.v6.iter().map(|a| IpAddr::V6(*a)).collect()
    } else {
        iface.v4.iter().map(|a| IpAddr::V4(*a)).collect()
    };
    let usable: Vec<IpAddr> = candidates.into_iter().filter(|a| !vip(*a)).collect();
    let link_local = |a: &IpAddr| matches!(a, IpAddr::V6(x) if x.segments()[0] & 0xffc0 == 0xfe80);
    usable
        .iter()
        .find(|a| !v6 || link_local(a))
        .or(usable.first())
        .copied()
        .unwrap_or(unspecified)
}

/// An instance's interface now has `index`: if that is not the one its sockets were
/// made for, the interface was deleted and created again (a NIC hot-plug, a bond or VLAN
/// rebuild): the old sockets are bound to a device that no longer exists, so they are
/// dropped and opened on the new one. Logged once per re-creation.
fn renew_iface(s: &mut Slot, index: u32, socks: &mut Sockets, pkt_tx: &mpsc::Sender<Packet>) {
    if index == s.iface.index || s.vmac.is_some() {
        return;
    }
    let Some(fresh) = host::interface(&s.p.interface) else {
        return;
    };
    tracing::warn!(
        "({}) {} was created again (index {} -> {}): its sockets are opened on the new one",
        s.name(),
        s.p.interface,
        s.iface.index,
        fresh.index
    );
    socks.close(s);
    s.iface = fresh;
    s.socket_error = None;
    let opened = socks.ensure(s, pkt_tx);
    note_socket(s, opened);
}

/// Log a socket error once until it changes (it is tried again every second).
fn note_socket(s: &mut Slot, opened: anyhow::Result<()>) {
    match opened {
        Ok(()) => {
            if s.socket_error.take().is_some() {
                tracing::info!("({}) sockets open on {}", s.name(), s.net().name);
            }
        }
        Err(e) => {
            let text = format!("{e:#}");
            if s.socket_error.as_deref() != Some(&text) {
                tracing::error!("({}) {text}; trying again", s.name());
                s.socket_error = Some(text);
            }
        }
    }
}

async fn main_loop(args: &Args, plan: Plan) -> anyhow::Result<()> {
    let clock = Clock::new().context("timerfd")?;
    let vips = vips::Vips::new().context("netlink")?;
    let notifier = notify::Notifier::new(&plan.notify);
    let (fw4, fw6) = needs_firewall(&plan);
    let firewall = firewall::Firewall::start(fw4, fw6).await.map_err(|e| {
        anyhow::anyhow!("accept mode (no_accept / vrrp_strict) needs nftables: {e}")
    })?;
    statics(&plan, &vips, true).await;
    let mut slots: Vec<Slot> = Vec::new();
    let mut sysctl_restore = Vec::new();
    for p in &plan.instances {
        let mut s = make_slot(p)?;
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
        release_vips: args.release_vips,
        firewall,
    };
    let mut plan = plan;
    let (chk_tx, mut chk_rx) = mpsc::channel::<(String, bool)>(64);
    let mut checks = spawn_checks(&plan, &chk_tx);
    checks.extend(procs::spawn(plan.processes.clone(), chk_tx.clone()));
    let mut last_result: HashMap<String, bool> = HashMap::new();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigusr1 = signal(SignalKind::user_defined1())?;
    let mut sigjson = signal(SignalKind::from_raw(crate::cli::JSON_SIGNAL))?;
    let (link_tx, mut link_rx) = mpsc::channel::<links::LinkEvent>(64);
    links::spawn(link_tx).context("netlink link monitor")?;
    // Addresses come and go (DHCP, an admin, IPv6 duplicate address detection): looked at
    // once a second, as keepalived follows them (FAULT while an instance has none).
    let mut addr_tick = tokio::time::interval(Duration::from_secs(1));
    let mut groups = groups_of(&plan, &slots);
    let now = clock.now_ms();
    for s in slots.iter_mut() {
        tracing::debug!("({}) on {}: {}", s.name(), s.p.interface, describe(&s.p));
        // Links already down at start-up count from the start.
        for name in s.p.links.clone() {
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
    tracing::info!("started, {} instance(s)", slots.len());
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
            Some(ev) = link_rx.recv() => {
                let now = clock.now_ms();
                // An instance's interface created again (new index): new sockets first,
                // so that the instance hears the master before it could think it gone.
                for s in slots.iter_mut().filter(|s| s.p.interface == ev.name && !ev.gone) {
                    renew_iface(s, ev.index, &mut edge.socks, &pkt_tx);
                }
                let name = ev.name;
                let mut touched = Vec::new();
                for (i, s) in slots.iter_mut().enumerate().filter(|(_, s)| s.p.links.contains(&name)) {
                    s.engine.handle(now, Input::Link { interface: name.clone(), up: ev.up });
                    touched.push(i);
                }
                flush(now, &mut slots, &mut groups, &touched, &mut edge, false).await;
            }
            _ = addr_tick.tick() => {
                let now = clock.now_ms();
                // The same check as on link events, for one netlink could not tell, and
                // sockets that could not be opened before.
                for s in slots.iter_mut() {
                    if let Some(index) = host::index(&s.p.interface) {
                        renew_iface(s, index, &mut edge.socks, &pkt_tx);
                    }
                    let opened = edge.socks.ensure(s, &pkt_tx);
                    note_socket(s, opened);
                }
                let mut touched = Vec::new();
                for (i, s) in slots.iter_mut().enumerate().filter(|(_, s)| !s.p.fixed_source) {
                    let found = current_primary(s);
                    if found == s.engine.config().primary_ip {
                        continue;
                    }
                    tracing::info!("({}) address on {}: {} -> {found}", s.name(), s.p.interface, s.engine.config().primary_ip);
                    s.engine.handle(now, Input::Primary(found));
                    if !found.is_unspecified() {
                        let opened = edge.socks.reopen(s, &pkt_tx);
                        note_socket(s, opened);
                    }
                    touched.push(i);
                }
                if !touched.is_empty() {
                    flush(now, &mut slots, &mut groups, &touched, &mut edge, false).await;
                }
            }
            Some((name, ok)) = chk_rx.recv() => {
                let now = clock.now_ms();
                if last_result.insert(name.clone(), ok) != Some(ok) {
                    tracing::debug!("tracker {name}: {}", if ok { "succeeded" } else { "failed" });
                }
                let mut touched = Vec::new();
                for (i, s) in slots.iter_mut().enumerate().filter(|(_, s)| s.p.tracks(&name)) {
                    s.engine.handle(now, Input::Tracker { name: name.clone(), ok });
                    touched.push(i);
                }
                flush(now, &mut slots, &mut groups, &touched, &mut edge, false).await;
            }
            _ = async { tokio::select! { _ = sigusr1.recv() => {}, _ = sigjson.recv() => {} } } => {
                let state: Vec<serde_json::Value> = slots
                    .iter()
                    .map(|s| serde_json::json!({
                        "name": s.p.name,
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
                    tracing::error!("SIGUSR1: cannot write {}: {e}", args.dump_file.display());
                }
            }
            _ = sighup.recv() => {
                let Some(new_plan) = crate::config_test::load_for_reload(args) else {
                    tracing::error!("SIGHUP: the new configuration has errors; keeping the running one");
                    continue;
                };
                let now = clock.now_ms();
                edge.notifier.reconfigure(&new_plan.notify);
                let (fw4, fw6) = needs_firewall(&new_plan);
                if edge.firewall.is_none() && (fw4 || fw6) {
                    match firewall::Firewall::start(fw4, fw6).await {
                        Ok(f) => edge.firewall = f,
                        Err(e) => tracing::error!("SIGHUP: accept mode: {e}"),
                    }
                }
                if new_plan.statics != plan.statics {
                    statics(&plan, &edge.vips, false).await;
                    statics(&new_plan, &edge.vips, true).await;
                }
                reload(&new_plan, &mut slots, &mut edge, &pkt_tx, now).await;
                // Membership follows the new config; a kept group keeps its reported state.
                let old_groups = std::mem::replace(&mut groups, groups_of(&new_plan, &slots));
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
                checks = spawn_checks(&new_plan, &chk_tx);
                checks.extend(procs::spawn(new_plan.processes.clone(), chk_tx.clone()));
                plan = new_plan;
                tracing::info!("SIGHUP: configuration reloaded");
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
    if !args.dont_release_vrrp {
        statics(&plan, &edge.vips, false).await;
        for s in slots.iter().filter(|s| s.engine.config().announce) {
            local_routes(s, &mut edge, false).await;
        }
    }
    for s in slots.iter().filter(|s| s.vmac.is_some()) {
        if let Err(e) = edge.vips.delete_vmac(&s.net().name).await {
            tracing::error!("({}) {e}", s.name());
        }
    }
    for (ifname, key, old) in std::mem::take(&mut edge.sysctl_restore) {
        let _ = vmac::set_sysctl(&ifname, key, &old);
    }
    if let Some(f) = edge.firewall.take() {
        f.stop().await;
    }
    edge.notifier.finish(Duration::from_secs(5)).await;
    tracing::info!("stopped");
    Ok(())
}

/// One line on what an instance runs (`-D`).
fn describe(p: &InstancePlan) -> String {
    let e = &p.engine;
    if e.announce {
        return format!(
            "announce mode (no VRRP): {} VIP(s) on {} while [{}] pass and the link is up",
            p.vips.len(),
            e.interface,
            e.trackers
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    format!(
        "VRID {} v{} priority {} advert {} cs, {} VIP(s), {} route(s), {} rule(s), trackers [{}], preempt {} delay {} ms, garp delay {} ms x{} refresh {} ms x{}, lower-prio x{} after {} ms, {} own link{}",
        e.vrid,
        if e.version == vrrp_core::Version::V3 { 3 } else { 2 },
        e.priority,
        e.advert_int_cs,
        p.vips.len(),
        p.routes.len(),
        p.rules.len(),
        e.trackers
            .iter()
            .map(|t| format!("{} {:+}", t.name, t.weight))
            .collect::<Vec<_>>()
            .join(", "),
        e.preempt,
        e.preempt_delay_ms,
        e.garp.master_delay_ms,
        e.garp.repeat,
        e.garp.refresh_ms,
        e.garp.refresh_repeat,
        e.garp.lower_prio_repeat,
        e.garp.lower_prio_delay_ms,
        if e.track_primary { "tracks its" } else { "ignores its" },
        p.vmac
            .as_ref()
            .map(|v| format!(", use_vmac {v}"))
            .unwrap_or_default()
    )
}

/// SIGHUP: instances are matched by name. A kept instance keeps its state and VIPs (the
/// engine restarts the election only if its identity changed); VIPs removed from the
/// config go, added ones come (with gratuitous ARPs); new instances start; removed ones stop.
async fn reload(
    plan: &Plan,
    slots: &mut Vec<Slot>,
    edge: &mut Edge,
    pkt_tx: &mpsc::Sender<Packet>,
    now: u64,
) {
    let mut kept: Vec<Slot> = Vec::new();
    for mut old in std::mem::take(slots) {
        match plan.instances.iter().find(|p| p.name == old.p.name) {
            Some(p) => match make_slot(p) {
                Ok(fresh) => {
                    let was_master = old.engine.state() == State::Master;
                    if was_master {
                        for v in old
                            .p
                            .vips
                            .iter()
                            .filter(|v| !p.vips.iter().any(|n| n.addr == v.addr))
                        {
                            if let Err(e) = edge.vips.del(v, &old.net().name).await {
                                tracing::error!("({}) {e}", old.name());
                            }
                        }
                        for r in old.p.routes.iter().filter(|r| !p.routes.contains(r)) {
                            if let Err(e) = edge.vips.del_route(r).await {
                                tracing::error!("({}) {e}", old.name());
                            }
                        }
                        for r in old.p.rules.iter().filter(|r| !p.rules.contains(r)) {
                            if let Err(e) = edge.vips.del_rule(r).await {
                                tracing::error!("({}) {e}", old.name());
                            }
                        }
                    }
                    // The running engine keeps its address (it follows the interface).
                    let mut cfg = fresh.engine.config().clone();
                    if !old.p.fixed_source && !p.fixed_source {
                        cfg.primary_ip = old.engine.config().primary_ip;
                    }
                    old.engine.handle(now, Input::Reload(Box::new(cfg)));
                    let vmac_changed = old.p.vmac != p.vmac;
                    old.p = p.clone();
                    old.iface = fresh.iface;
                    if vmac_changed {
                        tracing::info!(
                            "({}) use_vmac changed: takes effect at the next restart",
                            old.name()
                        );
                    }
                    drain(&mut old, edge, false).await;
                    if was_master && old.engine.state() == State::Master {
                        // Added routes and rules (adding an existing one is harmless).
                        for r in &old.p.routes {
                            if let Err(e) = edge.vips.add_route(r).await {
                                tracing::error!("({}) {e}", old.name());
                            }
                        }
                        for r in &old.p.rules {
                            if let Err(e) = edge.vips.add_rule(r).await {
                                tracing::error!("({}) {e}", old.name());
                            }
                        }
                    }
                    kept.push(old);
                }
                Err(e) => {
                    tracing::error!("({}) not reloaded: {e:#}", old.name());
                    kept.push(old);
                }
            },
            None => {
                old.engine.handle(now, Input::Shutdown);
                drain(&mut old, edge, false).await;
                if old.engine.config().announce {
                    local_routes(&old, edge, false).await;
                }
                if old.vmac.is_some() {
                    if let Err(e) = edge.vips.delete_vmac(&old.net().name).await {
                        tracing::error!("({}) {e}", old.name());
                    }
                }
            }
        }
    }
    let known: Vec<String> = kept.iter().map(|s| s.p.name.clone()).collect();
    for p in plan.instances.iter().filter(|p| !known.contains(&p.name)) {
        match make_slot(p) {
            Ok(mut s) => {
                if let Err(e) = attach_vmac(&mut s, &edge.vips, &mut edge.sysctl_restore).await {
                    tracing::error!("({}) {e:#}", p.name);
                    continue;
                }
                if let Err(e) = edge.socks.ensure(&s, pkt_tx) {
                    tracing::error!("({}) {e:#}", p.name);
                    continue;
                }
                s.engine.handle(now, Input::Startup);
                drain(&mut s, edge, false).await;
                kept.push(s);
            }
            Err(e) => tracing::error!("({}) not started: {e:#}", p.name),
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

fn groups_of(plan: &Plan, slots: &[Slot]) -> Vec<Group> {
    plan.groups
        .iter()
        .map(|g| Group {
            name: g.name.clone(),
            members: slots
                .iter()
                .enumerate()
                .filter(|(_, s)| g.members.contains(&s.p.name))
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
            tracing::info!("group {}: {} -> {now_state}", group.name, group.reported);
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

/// The instance's addresses (VIPs and excluded ones).
fn addresses(s: &Slot) -> Vec<IpAddr> {
    s.p.vips
        .iter()
        .chain(s.p.vips_excluded.iter())
        .map(|v| v.addr)
        .collect()
}

/// Remove an instance's addresses, routes and rules (absent ones are no error).
async fn release(s: &Slot, edge: &mut Edge) {
    for r in &s.p.rules {
        if let Err(e) = edge.vips.del_rule(r).await {
            tracing::error!("({}) {e}", s.name());
        }
    }
    for r in &s.p.routes {
        if let Err(e) = edge.vips.del_route(r).await {
            tracing::error!("({}) {e}", s.name());
        }
    }
    for v in s.p.vips.iter().chain(s.p.vips_excluded.iter()) {
        if let Err(e) = edge.vips.del(v, &s.net().name).await {
            tracing::error!("({}) {e}", s.name());
        }
    }
    if let (false, Some(f)) = (s.p.accept, &edge.firewall) {
        if let Err(e) = f.unblock(&addresses(s)).await {
            tracing::error!("({}) {e}", s.name());
        }
    }
}

/// vrrpd_announce: the VIPs stay the node's own (see `Vips::local_route`) from the first
/// time they are announced until the instance stops.
async fn local_routes(s: &Slot, edge: &mut Edge, add: bool) {
    for v in &s.p.vips {
        let dev = v.dev.as_deref().unwrap_or(&s.net().name);
        if let Err(e) = edge.vips.local_route(v.addr, dev, add).await {
            tracing::error!("({}) {e}", s.name());
        }
    }
}

/// Carry out one action of an instance.
async fn execute(s: &mut Slot, a: Action, edge: &mut Edge, keep_vips: bool) {
    match a {
        Action::SendAdvert { dst, bytes, .. } => {
            if let Some(sock) = edge.socks.vrrp.get(&Sockets::key(s)) {
                match sock.send(&bytes, dst, s.p.unicast_ttl) {
                    Ok(()) if s.send_failures > 0 => {
                        tracing::info!(
                            "({}) sending adverts again after {} failure(s)",
                            s.name(),
                            s.send_failures
                        );
                        s.send_failures = 0;
                    }
                    Ok(()) => {}
                    Err(e) => {
                        // The first of a run is logged; the rest are counted.
                        if s.send_failures == 0 {
                            tracing::warn!("({}) send to {dst}: {e}", s.name());
                        }
                        s.send_failures += 1;
                    }
                }
            }
        }
        Action::AddVips => {
            if s.engine.config().announce {
                local_routes(s, edge, true).await;
            }
            // Without accept mode the VIPs take no traffic: blocked before they are added.
            if let (false, Some(f)) = (s.p.accept, &edge.firewall) {
                if let Err(e) = f.block(&addresses(s)).await {
                    tracing::error!("({}) {e}", s.name());
                }
            }
            for v in s.p.vips.iter().chain(s.p.vips_excluded.iter()) {
                if let Err(e) = edge.vips.add(v, &s.net().name).await {
                    tracing::error!("({}) {e}", s.name());
                }
            }
            // Routes after addresses: a route may use a VIP as its source.
            for r in &s.p.routes {
                if let Err(e) = edge.vips.add_route(r).await {
                    tracing::error!("({}) {e}", s.name());
                }
            }
            for r in &s.p.rules {
                if let Err(e) = edge.vips.add_rule(r).await {
                    tracing::error!("({}) {e}", s.name());
                }
            }
        }
        Action::RemoveVips if !keep_vips => release(s, edge).await,
        Action::RemoveVips => {}
        Action::SendGarp { count } => {
            if let Some(f) = edge.socks.frames.get(&s.net().name) {
                let frames: Vec<Vec<u8>> = (0..count)
                    .flat_map(|_| s.p.vips.iter())
                    .map(|v| vrrp_core::announce::frame(s.net().mac, v.addr))
                    .collect();
                let who = s.name().to_string();
                if s.garp_gap().is_zero() {
                    // Every frame is sent; the last failure, if any, is told.
                    let mut failed = None;
                    for fr in &frames {
                        if let Err(e) = f.send(fr) {
                            failed = Some(e);
                        }
                    }
                    if let Some(e) = failed {
                        tracing::warn!("({who}) gratuitous ARP / NA: {e}");
                    }
                } else {
                    // Spaced out, without holding up the VRRP timers; a burst still
                    // going gives way to the new one.
                    let (f, gap) = (f.clone(), s.garp_gap());
                    if let Some(old) = s.garp.take() {
                        old.abort();
                    }
                    s.garp = Some(tokio::spawn(async move {
                        let mut warned = false;
                        for (i, fr) in frames.iter().enumerate() {
                            if i > 0 {
                                tokio::time::sleep(gap).await;
                            }
                            if let Err(e) = f.send(fr) {
                                if !warned {
                                    tracing::warn!("({who}) gratuitous ARP / NA: {e}");
                                    warned = true;
                                }
                            }
                        }
                    }));
                }
            }
        }
        Action::StateChanged {
            from,
            to,
            reason,
            priority,
        } => {
            // keepalived's words first (what log watchers look for), then the details.
            let entering = match (from, to) {
                (_, State::Master) => Some("Entering MASTER STATE"),
                (State::Init, State::Backup) => Some("Entering BACKUP STATE (init)"),
                (_, State::Backup) => Some("Entering BACKUP STATE"),
                (_, State::Fault) => Some("entering FAULT state"),
                (_, State::Init) => None,
            };
            if let Some(e) = entering {
                tracing::info!("({}) {e}", s.name());
            }
            tracing::info!(
                "({}) {from:?} -> {to:?} ({reason:?}), priority {priority}",
                s.name()
            );
            // No more announcements of VIPs this node no longer holds.
            if to != State::Master {
                if let Some(g) = s.garp.take() {
                    g.abort();
                }
            }
            // -X (keepalived's --release-vips): an instance that is not master releases its
            // addresses even when this run did not add them (left by a crash, by hand, or a
            // reload that changed the election).
            if edge.release_vips && to != State::Master && from != State::Master && !keep_vips {
                release(s, edge).await;
            }
            edge.notifier.notify(&notify::Event {
                kind: "INSTANCE",
                name: &s.p.name,
                state: state_name(to),
                from: state_name(from),
                priority,
                scripts: &s.p.notify,
                smtp_alert: s.p.smtp_alert,
            });
        }
    }
}
