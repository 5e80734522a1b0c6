//! Checks across the whole model: references, conflicts, and lints keepalived lacks.

use crate::codes;
use crate::model::{Config, InitialState, VrrpInstance};
use conf_diag::{did_you_mean, Diagnostic, Diagnostics};
use std::collections::HashMap;

pub fn check(cfg: &Config, diags: &mut Diagnostics) {
    instances(cfg, diags);
    references(cfg, diags);
    lints(cfg, diags);
}

fn instances(cfg: &Config, diags: &mut Diagnostics) {
    let mut seen: HashMap<(String, u8, bool), &crate::model::VrrpInstance> = HashMap::new();
    let mut names: HashMap<&str, &crate::model::VrrpInstance> = HashMap::new();
    for vi in &cfg.instances {
        if let Some(prev) = names.insert(vi.name.as_str(), vi) {
            diags.push(
                Diagnostic::error(
                    codes::DUPLICATE,
                    format!("vrrp_instance `{}` is defined twice", vi.name),
                )
                .at(vi.span)
                .note(Some(prev.span), "first defined here")
                .help("give each vrrp_instance its own name"),
            );
        }
        if vi.vips.is_empty() {
            diags.push(
                Diagnostic::warning(
                    codes::NO_VIP,
                    format!("vrrp_instance `{}` has no virtual address", vi.name),
                )
                .at(vi.span)
                .label("nothing to fail over")
                .help("add `virtual_ipaddress { <address>/<prefix> }`"),
            );
        }
        if vi.interface.is_none() {
            diags.push(
                Diagnostic::error(
                    codes::MISSING_INTERFACE,
                    format!("vrrp_instance `{}` has no `interface`", vi.name),
                )
                .at(vi.span)
                .help("add `interface <name>` (e.g. `interface eth0`) inside the block"),
            );
        }
        if vi.announce {
            // No adverts: the router id names nothing on the wire.
            announce(cfg, vi, diags);
            continue;
        }
        match vi.vrid {
            None => {
                if vi.vrid_span.is_none() {
                    diags.push(
                        Diagnostic::error(
                            codes::MISSING_VRID,
                            format!("vrrp_instance `{}` has no `virtual_router_id`", vi.name),
                        )
                        .at(vi.span)
                        .help(
                            "add `virtual_router_id <1..255>`, the same on every node of the pair",
                        ),
                    );
                }
            }
            Some(vrid) => {
                if let Some(ifname) = &vi.interface {
                    let key = (ifname.clone(), vrid, vi.ipv6);
                    if let Some(prev) = seen.get(&key) {
                        diags.push(
                            Diagnostic::error(
                                codes::VRID_CONFLICT,
                                format!(
                                    "virtual_router_id {vrid} is used by `{}` and `{}` on {ifname} ({})",
                                    prev.name,
                                    vi.name,
                                    if vi.ipv6 { "IPv6" } else { "IPv4" }
                                ),
                            )
                            .at_opt(vi.vrid_span)
                            .note(prev.vrid_span, format!("`{}` uses it here", prev.name))
                            .help("each instance on one interface and address family needs its own virtual_router_id"),
                        );
                    } else {
                        seen.insert(key, vi);
                    }
                }
            }
        }
    }
}

/// `vrrpd_announce`: the VIPs are put on the node while every tracker passes; there is no
/// election, so weights and the VRRP settings mean nothing, and a sync group (whose
/// members move between MASTER and BACKUP together) cannot hold such an instance.
fn announce(cfg: &Config, vi: &VrrpInstance, diags: &mut Diagnostics) {
    let at = vi.announce_span.unwrap_or(vi.span);
    if let Some(sg) = cfg
        .sync_groups
        .iter()
        .find(|sg| sg.members.iter().any(|m| m.name == vi.name))
    {
        diags.push(
            Diagnostic::error(
                codes::ANNOUNCE,
                format!(
                    "vrrp_instance `{}` uses `vrrpd_announce` and is in vrrp_sync_group `{}`",
                    vi.name, sg.name
                ),
            )
            .at(at)
            .note(Some(sg.span), "the sync group")
            .help("an announcing instance has no MASTER/BACKUP election to synchronise: take it out of the group, or track the same checks in it"),
        );
    }
    let weighted = vi
        .track_scripts
        .iter()
        .chain(&vi.track_processes)
        .chain(&vi.track_interfaces)
        .find(|t| t.weight.is_some_and(|w| w != 0));
    if let Some(t) = weighted {
        diags.push(
            Diagnostic::warning(
                codes::ANNOUNCE,
                format!(
                    "vrrp_instance `{}` uses `vrrpd_announce`: the weight of `{}` has no effect",
                    vi.name, t.name
                ),
            )
            .at(t.span)
            .label("any failing tracker withdraws the addresses")
            .help("remove `weight`: there is no priority to adjust without VRRP"),
        );
    }
    if !vi.unicast_peers.is_empty() || vi.auth.is_some() {
        diags.push(
            Diagnostic::warning(
                codes::ANNOUNCE,
                format!(
                    "vrrp_instance `{}` uses `vrrpd_announce`: it sends and reads no VRRP advert",
                    vi.name
                ),
            )
            .at(at)
            .label("unicast_peer and authentication are unused")
            .help("remove them, or remove `vrrpd_announce` to run VRRP"),
        );
    }
}

fn references(cfg: &Config, diags: &mut Diagnostics) {
    let script_names: Vec<&str> = cfg.scripts.iter().map(|s| s.name.as_str()).collect();
    let proc_names: Vec<&str> = cfg
        .track_processes
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    let undefined_script = |name: &str, span, diags: &mut Diagnostics| {
        let mut d = Diagnostic::error(
            codes::UNDEFINED_SCRIPT,
            format!("track_script `{name}` names no vrrp_script"),
        )
        .at(span)
        .label("not defined");
        d = match did_you_mean(name, script_names.iter().copied()) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None if script_names.is_empty() => d.help(format!(
                "define it: `vrrp_script {name} {{ script \"…\" }}`"
            )),
            None => d.help(format!("defined scripts: {}", script_names.join(", "))),
        };
        diags.push(d);
    };
    for vi in &cfg.instances {
        for t in &vi.track_scripts {
            if cfg.script(&t.name).is_none() {
                undefined_script(&t.name, t.span, diags);
            }
        }
        for t in &vi.track_processes {
            if !proc_names.contains(&t.name.as_str()) {
                let mut d = Diagnostic::error(
                    codes::UNDEFINED_PROCESS,
                    format!("track_process `{}` names no vrrp_track_process", t.name),
                )
                .at(t.span)
                .label("not defined");
                if let Some(s) = did_you_mean(&t.name, proc_names.iter().copied()) {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                diags.push(d);
            }
        }
    }
    let inst_names: Vec<&str> = cfg.instances.iter().map(|i| i.name.as_str()).collect();
    for sg in &cfg.sync_groups {
        let defined = sg
            .members
            .iter()
            .filter(|m| cfg.instance(&m.name).is_some())
            .count();
        if defined < 2 {
            diags.push(
                Diagnostic::warning(
                    codes::SYNC_GROUP_SMALL,
                    format!(
                        "vrrp_sync_group `{}` has {defined} instance{}; a sync group ties two or more together",
                        sg.name,
                        if defined == 1 { "" } else { "s" }
                    ),
                )
                .at(sg.span)
                .help("add the other vrrp_instance names to `group { }`, or drop the sync group"),
            );
        }
        for t in &sg.track_scripts {
            if cfg.script(&t.name).is_none() {
                undefined_script(&t.name, t.span, diags);
            }
        }
        for t in &sg.track_processes {
            if !proc_names.contains(&t.name.as_str()) {
                diags.push(
                    Diagnostic::error(
                        codes::UNDEFINED_PROCESS,
                        format!("track_process `{}` names no vrrp_track_process", t.name),
                    )
                    .at(t.span)
                    .label("not defined"),
                );
            }
        }
        for m in &sg.members {
            if cfg.instance(&m.name).is_none() {
                let mut d = Diagnostic::error(
                    codes::UNDEFINED_INSTANCE,
                    format!(
                        "vrrp_sync_group `{}` names vrrp_instance `{}`, which is not defined",
                        sg.name, m.name
                    ),
                )
                .at(m.span)
                .label("not defined");
                if let Some(s) = did_you_mean(&m.name, inst_names.iter().copied()) {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                diags.push(d);
            }
        }
    }
}

fn lints(cfg: &Config, diags: &mut Diagnostics) {
    for sc in &cfg.scripts {
        if let Some(cmd) = &sc.script {
            if cmd.shell {
                diags.push(
                    Diagnostic::notice(
                        codes::SHELL_OPERATORS,
                        format!("vrrp_script `{}` uses shell syntax; vrrpd runs it with /bin/sh -c", sc.name),
                    )
                    .at(cmd.span)
                    .label("shell operators")
                    .help("keepalived does not use a shell: it passes `&&`, `|`, ... to the program as plain arguments, so under keepalived this check always fails. For a config that also works with keepalived, write: script \"/bin/sh -c '…'\""),
                );
            }
        }
        let tracked = cfg
            .instances
            .iter()
            .flat_map(|i| i.track_scripts.iter())
            .chain(cfg.sync_groups.iter().flat_map(|g| g.track_scripts.iter()))
            .any(|t| t.name == sc.name)
            || cfg
                .instances
                .iter()
                .any(|i| i.dropped_track_scripts.contains(&sc.name));
        if !tracked {
            diags.push(
                Diagnostic::warning(
                    codes::SCRIPT_UNUSED,
                    format!(
                        "vrrp_script `{}` is defined but no instance tracks it",
                        sc.name
                    ),
                )
                .at(sc.span)
                .label("never tracked, so it never runs")
                .help(format!(
                    "add `track_script {{ {} }}` to the vrrp_instance it should steer",
                    sc.name
                )),
            );
        }
    }
    for vi in &cfg.instances {
        if vi.state == InitialState::Master && vi.nopreempt {
            diags.push(
                Diagnostic::warning(
                    codes::MASTER_NOPREEMPT,
                    format!("vrrp_instance `{}`: `nopreempt` needs `state BACKUP`", vi.name),
                )
                .at(vi.span)
                .label("state MASTER")
                .help("keepalived silently ignores nopreempt with state MASTER; write `state BACKUP` on every node to make nopreempt work"),
            );
        }
    }
}
