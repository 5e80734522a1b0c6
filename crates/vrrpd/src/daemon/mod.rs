//! The vrrpd daemon: vrrp-core driven by tokio, with raw VRRP sockets, VIPs through
//! rtnetlink, gratuitous ARP / NA frames, vrrp_script checks and notify scripts.
//!
//! Not yet: IPv6 instances, SIGHUP reload, link tracking through netlink, use_vmac,
//! vrrp_track_process, smtp_alert, notify_fifo, syslog (logs go to stderr).

mod clock;
mod host;
mod net;
mod scripts;
mod vips;

use crate::cli::Args;
use crate::engine_config;
use anyhow::Context;
use clock::Clock;
use keepalived_conf::model::{Config, VrrpInstance};
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use vrrp_core::{Action, Input, Instance, State};

struct Slot {
    vi: VrrpInstance,
    engine: Instance,
    iface: host::Iface,
}

struct Packet {
    iface: String,
    data: Vec<u8>,
}

fn log(args: &Args, msg: &str) {
    if args.log_console || args.dont_fork {
        eprintln!("vrrpd: {msg}");
    }
}

pub fn run(args: &Args, cfg: Config) -> anyhow::Result<u8> {
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

async fn main_loop(args: &Args, cfg: Config) -> anyhow::Result<()> {
    let clock = Clock::new();
    let vips = vips::Vips::new().context("netlink")?;
    let mut slots: Vec<Slot> = Vec::new();
    for vi in &cfg.instances {
        let ifname = vi.interface.clone().unwrap_or_default();
        let iface = host::interface(&ifname).with_context(|| format!("interface {ifname}"))?;
        if vi.ipv6 {
            anyhow::bail!(
                "vrrp_instance {}: IPv6 instances are not supported by this vrrpd build yet",
                vi.name
            );
        }
        let primary = iface
            .primary(false)
            .with_context(|| format!("{ifname} has no IPv4 address"))?;
        let ecfg = engine_config::instance_config(&cfg, vi, primary);
        slots.push(Slot {
            vi: vi.clone(),
            engine: Instance::new(ecfg),
            iface,
        });
    }
    // One VRRP socket and one frame socket per interface.
    let mut sockets: HashMap<String, std::sync::Arc<net::VrrpSocket>> = HashMap::new();
    let mut frames: HashMap<String, net::FrameSocket> = HashMap::new();
    let (pkt_tx, mut pkt_rx) = mpsc::channel::<Packet>(256);
    for s in &slots {
        if sockets.contains_key(&s.iface.name) {
            continue;
        }
        let Some(IpAddr::V4(primary)) = s.engine.config().primary_ip.into() else {
            continue;
        };
        let sock = std::sync::Arc::new(
            net::VrrpSocket::open_v4(&s.iface, primary).context("VRRP socket")?,
        );
        let rx_sock = sock.clone();
        let tx = pkt_tx.clone();
        let name = s.iface.name.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            while let Ok(n) = rx_sock.recv(&mut buf).await {
                if tx
                    .send(Packet {
                        iface: name.clone(),
                        data: buf[..n].to_vec(),
                    })
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
        sockets.insert(s.iface.name.clone(), sock);
        if let Some(f) = net::FrameSocket::open(&s.iface)? {
            frames.insert(s.iface.name.clone(), f);
        }
    }
    // Checks, for the scripts some instance tracks.
    let (chk_tx, mut chk_rx) = mpsc::channel::<(String, bool)>(64);
    for sc in &cfg.scripts {
        let used = slots
            .iter()
            .any(|s| s.vi.track_scripts.iter().any(|t| t.name == sc.name));
        if let (true, Some(c)) = (used, &sc.script) {
            scripts::spawn_check(
                sc.name.clone(),
                c.clone(),
                Duration::from_secs(u64::from(sc.interval)),
                Duration::from_secs(u64::from(sc.timeout)),
                chk_tx.clone(),
            );
        }
    }
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigusr1 = signal(SignalKind::user_defined1())?;
    let now = clock.now_ms();
    for s in slots.iter_mut() {
        s.engine.handle(now, Input::Startup);
        drain(args, s, &sockets, &frames, &vips, false).await;
    }
    loop {
        let next = slots.iter().filter_map(|s| s.engine.poll_timeout()).min();
        let sleep =
            tokio::time::sleep_until(clock.deadline(next.unwrap_or(clock.now_ms() + 60_000)));
        tokio::select! {
            _ = sleep => {
                let now = clock.now_ms();
                for s in slots.iter_mut() {
                    if s.engine.poll_timeout().is_some_and(|t| t <= now) {
                        s.engine.handle_timeout(now);
                        drain(args, s, &sockets, &frames, &vips, false).await;
                    }
                }
            }
            Some(p) = pkt_rx.recv() => {
                let now = clock.now_ms();
                let Some((src, dst, ttl, proto, payload)) = vrrp_core::codec::parse_ipv4(&p.data) else { continue };
                if proto != vrrp_core::codec::IPPROTO_VRRP || payload.len() < 2 {
                    continue;
                }
                let vrid = payload[1];
                for s in slots.iter_mut().filter(|s| s.iface.name == p.iface && s.engine.config().vrid == vrid) {
                    s.engine.handle(now, Input::Advert { src: IpAddr::V4(src), dst: IpAddr::V4(dst), ttl, data: payload });
                    drain(args, s, &sockets, &frames, &vips, false).await;
                }
            }
            Some((name, ok)) = chk_rx.recv() => {
                let now = clock.now_ms();
                for s in slots.iter_mut().filter(|s| s.vi.track_scripts.iter().any(|t| t.name == name)) {
                    s.engine.handle(now, Input::Tracker { name: name.clone(), ok });
                    drain(args, s, &sockets, &frames, &vips, false).await;
                }
            }
            _ = sigusr1.recv() => {
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
                if let Err(e) = std::fs::write(&args.dump_file, text + "\n") {
                    log(args, &format!("SIGUSR1: cannot write {}: {e}", args.dump_file.display()));
                }
            }
            _ = sighup.recv() => log(args, "SIGHUP: reload is not supported by this build yet; configuration unchanged"),
            _ = sigterm.recv() => break,
            _ = sigint.recv() => break,
        }
    }
    let now = clock.now_ms();
    for s in slots.iter_mut() {
        s.engine.handle(now, Input::Shutdown);
        drain(args, s, &sockets, &frames, &vips, args.dont_release_vrrp).await;
    }
    log(args, "stopped");
    Ok(())
}

/// Carry out what the engine asked for.
async fn drain(
    args: &Args,
    s: &mut Slot,
    sockets: &HashMap<String, std::sync::Arc<net::VrrpSocket>>,
    frames: &HashMap<String, net::FrameSocket>,
    vips: &vips::Vips,
    keep_vips: bool,
) {
    while let Some(a) = s.engine.poll_action() {
        match a {
            Action::SendAdvert { dst, bytes, .. } => {
                if let Some(sock) = sockets.get(&s.iface.name) {
                    if let Err(e) = sock.send(&bytes, dst) {
                        log(args, &format!("({}) send to {dst}: {e}", s.vi.name));
                    }
                }
            }
            Action::AddVips => {
                for v in s.vi.vips.iter().chain(s.vi.vips_excluded.iter()) {
                    if let Err(e) = vips.add(v, &s.iface.name).await {
                        log(args, &format!("({}) {e}", s.vi.name));
                    }
                }
            }
            Action::RemoveVips if !keep_vips => {
                for v in s.vi.vips.iter().chain(s.vi.vips_excluded.iter()) {
                    if let Err(e) = vips.del(v, &s.iface.name).await {
                        log(args, &format!("({}) {e}", s.vi.name));
                    }
                }
            }
            Action::RemoveVips => {}
            Action::SendGarp { count } => {
                if let Some(f) = frames.get(&s.iface.name) {
                    for _ in 0..count {
                        for v in &s.vi.vips {
                            let _ = f.send(&vrrp_core::announce::frame(s.iface.mac, v.addr));
                        }
                    }
                }
            }
            Action::StateChanged {
                from,
                to,
                reason,
                priority,
            } => {
                log(
                    args,
                    &format!(
                        "({}) {from:?} -> {to:?} ({reason:?}), priority {priority}",
                        s.vi.name
                    ),
                );
                let state = match to {
                    State::Master => "MASTER",
                    State::Backup => "BACKUP",
                    State::Fault => "FAULT",
                    State::Init => "STOP",
                };
                let specific = match to {
                    State::Master => &s.vi.notify.master,
                    State::Backup => &s.vi.notify.backup,
                    State::Fault => &s.vi.notify.fault,
                    State::Init => &s.vi.notify.stop,
                };
                if let Some(c) = specific {
                    scripts::notify(c, &[]);
                }
                if let Some(c) = &s.vi.notify.any {
                    scripts::notify(
                        c,
                        &[
                            "INSTANCE".into(),
                            s.vi.name.clone(),
                            state.into(),
                            priority.to_string(),
                        ],
                    );
                }
            }
        }
    }
}
