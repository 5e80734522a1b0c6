//! `--check-cluster`: the configs of all nodes of one cluster, read together.
//!
//! Instances are matched across nodes by VRID and address family. For each group the
//! settings that must agree are compared, the steady-state master is computed from the
//! effective priorities (keepalived's rules: base ± tracked weights, clamped to 1..254,
//! weight 0 = FAULT), and for every tracked script the question "does the VIP move when
//! this check fails on the master?" is answered.

use crate::model::{Config, InitialState, VrrpInstance};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Effective priority of an instance given which scripts fail; None = FAULT.
pub fn effective_priority(
    cfg: &Config,
    vi: &VrrpInstance,
    failing: &dyn Fn(&str) -> bool,
) -> Option<u8> {
    let base = vi.priority as i32;
    let mut prio = base;
    for (sc, weight, reverse) in cfg.tracked_scripts(vi) {
        let failed = failing(&sc.name);
        if weight == 0 {
            if failed {
                return None;
            }
            continue;
        }
        // A passing check adds a positive weight; a failing one adds a negative weight.
        let delta = match (failed, weight > 0) {
            (false, true) | (true, false) => weight,
            _ => 0,
        };
        prio += if reverse { -delta } else { delta };
    }
    if base == 255 {
        // The address owner's priority is never adjusted.
        return Some(255);
    }
    Some(prio.clamp(1, 254) as u8)
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub severity: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub node: String,
    pub instance: String,
    pub interface: Option<String>,
    pub state: InitialState,
    pub base_priority: u8,
    /// Effective priority with every tracked check passing (None = FAULT).
    pub priority: Option<u8>,
    pub nopreempt: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    pub script: String,
    pub fails_on: String,
    /// The failing node's priority during the failure (None = FAULT).
    pub priority_during: Option<u8>,
    pub new_master: Option<String>,
    pub moves: bool,
    pub verdict: String,
    /// What keepalived itself would do, when it differs (shell-syntax scripts).
    pub keepalived_note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub vrid: u8,
    pub family: &'static str,
    pub vips: Vec<String>,
    pub members: Vec<Member>,
    pub master: Option<String>,
    pub findings: Vec<Finding>,
    pub scenarios: Vec<Scenario>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterReport {
    pub nodes: Vec<String>,
    pub groups: Vec<Group>,
}

impl ClusterReport {
    pub fn has_problems(&self) -> bool {
        self.groups.iter().any(|g| {
            g.findings.iter().any(|f| f.severity == "error") || g.scenarios.iter().any(|s| !s.moves)
        })
    }

    pub fn render(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "cluster of {} nodes: {}",
            self.nodes.len(),
            self.nodes.join(", ")
        );
        for g in &self.groups {
            let _ = writeln!(
                o,
                "\nVRID {} ({}), VIPs {}",
                g.vrid,
                g.family,
                g.vips.join(" ")
            );
            for m in &g.members {
                let _ = writeln!(
                    o,
                    "  {:<12} instance {} on {}: priority {} -> {} with all checks passing{}",
                    m.node,
                    m.instance,
                    m.interface.as_deref().unwrap_or("?"),
                    m.base_priority,
                    prio_text(m.priority),
                    if m.nopreempt { ", nopreempt" } else { "" }
                );
            }
            match &g.master {
                Some(m) => {
                    let _ = writeln!(o, "  master when all is well: {m}");
                }
                None => {
                    let _ = writeln!(o, "  master when all is well: undecided (equal priorities)");
                }
            }
            for f in &g.findings {
                let _ = writeln!(o, "  {}: {}", f.severity, f.message);
            }
            for s in &g.scenarios {
                let _ = writeln!(
                    o,
                    "  [{}] `{}` fails on {}: {}",
                    if s.moves { "ok" } else { "PROBLEM" },
                    s.script,
                    s.fails_on,
                    s.verdict
                );
                if let Some(n) = &s.keepalived_note {
                    let _ = writeln!(o, "       note: {n}");
                }
            }
        }
        o
    }
}

fn prio_text(p: Option<u8>) -> String {
    p.map(|p| p.to_string()).unwrap_or_else(|| "FAULT".into())
}

pub fn analyse(nodes: &[(String, &Config)]) -> ClusterReport {
    let mut groups: BTreeMap<(u8, bool), Vec<(usize, &VrrpInstance)>> = BTreeMap::new();
    for (idx, (_, cfg)) in nodes.iter().enumerate() {
        for vi in &cfg.instances {
            if let Some(vrid) = vi.vrid {
                groups.entry((vrid, vi.ipv6)).or_default().push((idx, vi));
            }
        }
    }
    let mut out = Vec::new();
    for ((vrid, ipv6), members) in groups {
        out.push(group(nodes, vrid, ipv6, &members));
    }
    ClusterReport {
        nodes: nodes.iter().map(|(n, _)| n.clone()).collect(),
        groups: out,
    }
}

fn vip_list(vi: &VrrpInstance) -> Vec<String> {
    let mut v: Vec<String> = vi
        .vips
        .iter()
        .map(|v| format!("{}/{}", v.addr, v.prefix))
        .collect();
    v.sort();
    v
}

fn group(
    nodes: &[(String, &Config)],
    vrid: u8,
    ipv6: bool,
    members: &[(usize, &VrrpInstance)],
) -> Group {
    let mut findings = Vec::new();
    let name = |i: usize| nodes[i].0.clone();
    let present: Vec<usize> = members.iter().map(|(i, _)| *i).collect();
    for (i, (n, _)) in nodes.iter().enumerate() {
        if !present.contains(&i) {
            findings.push(Finding {
                severity: "warning",
                message: format!("{n} has no instance with VRID {vrid}: it takes no part"),
            });
        }
    }
    for (i, _) in members
        .iter()
        .filter(|(i, _)| members.iter().filter(|(j, _)| j == i).count() > 1)
    {
        findings.push(Finding {
            severity: "error",
            message: format!("{} has several instances with VRID {vrid}", name(*i)),
        });
    }
    let (first_idx, first) = members[0];
    for &(idx, vi) in &members[1..] {
        let a = name(first_idx);
        let b = name(idx);
        if vi.advert_int_cs != first.advert_int_cs {
            findings.push(Finding {
                severity: "error",
                message: format!(
                    "advert_int differs: {a} {}s, {b} {}s (VRRPv2 drops adverts with another interval)",
                    first.advert_int_cs as f64 / 100.0,
                    vi.advert_int_cs as f64 / 100.0
                ),
            });
        }
        if vi.version != first.version {
            findings.push(Finding {
                severity: "error",
                message: format!(
                    "VRRP version differs: {a} v{}, {b} v{}",
                    first.version, vi.version
                ),
            });
        }
        if vi.auth != first.auth {
            let show = |v: &VrrpInstance| match &v.auth {
                None => "none".to_string(),
                Some(x) => format!("{:?} `{}`", x.auth_type, x.pass).to_uppercase(),
            };
            findings.push(Finding {
                severity: "error",
                message: format!(
                    "authentication differs: {a} {}, {b} {} (each side drops the other's adverts, both become master)",
                    show(first),
                    show(vi)
                ),
            });
        }
        if vip_list(vi) != vip_list(first) {
            findings.push(Finding {
                severity: "error",
                message: format!(
                    "virtual addresses differ: {a} [{}], {b} [{}]",
                    vip_list(first).join(" "),
                    vip_list(vi).join(" ")
                ),
            });
        }
    }
    let all_ok = |_: &str| false;
    let view: Vec<Member> = members
        .iter()
        .map(|&(i, vi)| Member {
            node: name(i),
            instance: vi.name.clone(),
            interface: vi.interface.clone(),
            state: vi.state,
            base_priority: vi.priority,
            priority: effective_priority(nodes[i].1, vi, &all_ok),
            nopreempt: vi.nopreempt,
        })
        .collect();
    let best = view.iter().filter_map(|m| m.priority).max();
    let top: Vec<&Member> = view
        .iter()
        .filter(|m| m.priority.is_some() && m.priority == best)
        .collect();
    let master = if top.len() == 1 {
        Some(top[0].node.clone())
    } else {
        None
    };
    if top.len() > 1 {
        findings.push(Finding {
            severity: "warning",
            message: format!(
                "{} have the same effective priority {}: the higher IP address wins, so the master depends on addressing",
                top.iter().map(|m| m.node.as_str()).collect::<Vec<_>>().join(" and "),
                prio_text(best)
            ),
        });
    }
    let masters: Vec<&Member> = view
        .iter()
        .filter(|m| m.state == InitialState::Master)
        .collect();
    if masters.len() > 1 {
        findings.push(Finding {
            severity: "notice",
            message: format!(
                "{} all say `state MASTER`; harmless (the election decides), but BACKUP on all but one states the intent",
                masters.iter().map(|m| m.node.as_str()).collect::<Vec<_>>().join(", ")
            ),
        });
    }
    let mut scenarios = Vec::new();
    if let Some(mname) = &master {
        let Some(&(midx, mvi)) = members.iter().find(|(i, _)| &name(*i) == mname) else {
            return Group {
                vrid,
                family: fam(ipv6),
                vips: vip_list(first),
                members: view,
                master,
                findings,
                scenarios,
            };
        };
        let mcfg = nodes[midx].1;
        for t in &mvi.track_scripts {
            let Some(sc) = mcfg.script(&t.name) else {
                continue;
            };
            let during = effective_priority(mcfg, mvi, &|s: &str| s == t.name);
            let (moves, new_master, verdict) = failover(&view, mname, during);
            let keepalived_note = sc.script.as_ref().filter(|c| c.shell).map(|_| {
                format!(
                    "`{}` uses shell syntax: keepalived passes `&&`/`|` to the program as arguments, so under keepalived this check fails on every node all the time and its weight never changes the outcome; vrrpd runs it with /bin/sh -c",
                    t.name
                )
            });
            scenarios.push(Scenario {
                script: t.name.clone(),
                fails_on: mname.clone(),
                priority_during: during,
                new_master,
                moves,
                verdict,
                keepalived_note,
            });
        }
    }
    Group {
        vrid,
        family: fam(ipv6),
        vips: vip_list(first),
        members: view,
        master,
        findings,
        scenarios,
    }
}

fn fam(ipv6: bool) -> &'static str {
    if ipv6 {
        "IPv6"
    } else {
        "IPv4"
    }
}

/// Who is master once the old master's priority drops to `during`.
fn failover(view: &[Member], old: &str, during: Option<u8>) -> (bool, Option<String>, String) {
    let best_other = view
        .iter()
        .filter(|m| m.node != old && m.priority.is_some())
        .max_by_key(|m| m.priority);
    let Some(other) = best_other else {
        return (
            false,
            None,
            "no other node can take over: the VIP stays (or is lost if the master faults)".into(),
        );
    };
    let op = other.priority.unwrap_or(0);
    match during {
        None => (
            true,
            Some(other.node.clone()),
            format!("{old} goes to FAULT (weight 0) -> VIP moves to {} ({op})", other.node),
        ),
        Some(p) if op > p && other.nopreempt => (
            false,
            None,
            format!(
                "{old} drops to {p} < {} {op}, but {} has nopreempt and will not take over -> VIP stays on {old}",
                other.node, other.node
            ),
        ),
        Some(p) if op > p => (
            true,
            Some(other.node.clone()),
            format!("{old} drops to {p} < {} {op} -> VIP moves to {}", other.node, other.node),
        ),
        Some(p) if op == p => (
            false,
            None,
            format!(
                "{old} drops to {p} = {} {op}: a backup does not take over at equal priority -> VIP stays on {old}; make the weight larger than the priority gap",
                other.node
            ),
        ),
        Some(p) => (
            false,
            None,
            format!(
                "{old} drops only to {p} > {} {op} -> VIP stays on {old}; the weight must exceed the priority gap ({})",
                other.node,
                p - op
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{load_str, LexOptions};

    fn node(prio: u8, state: &str, weight: i32) -> Config {
        let text = format!(
            "vrrp_script chk {{\n script \"/bin/true\"\n weight {weight}\n}}\nvrrp_instance V {{\n state {state}\n interface eth0\n virtual_router_id 1\n priority {prio}\n virtual_ipaddress {{\n 10.0.0.1\n }}\n track_script {{\n chk\n }}\n}}\n"
        );
        let l = load_str("t", &text, &LexOptions::default());
        assert!(!l.has_errors(), "{:?}", l.diags);
        l.config
    }

    fn verdict(a: &Config, b: &Config) -> (Option<String>, bool) {
        let r = analyse(&[("a".into(), a), ("b".into(), b)]);
        let g = &r.groups[0];
        (g.master.clone(), g.scenarios[0].moves)
    }

    #[test]
    fn positive_weight_larger_than_gap_moves() {
        assert_eq!(
            verdict(&node(100, "MASTER", 2), &node(99, "BACKUP", 2)),
            (Some("a".into()), true)
        );
    }

    #[test]
    fn positive_weight_equal_to_gap_does_not_move() {
        assert_eq!(
            verdict(&node(101, "MASTER", 1), &node(100, "BACKUP", 1)),
            (Some("a".into()), false)
        );
    }

    #[test]
    fn negative_weight_and_fault() {
        assert_eq!(
            verdict(&node(100, "MASTER", -20), &node(90, "BACKUP", -20)),
            (Some("a".into()), true)
        );
        assert_eq!(
            verdict(&node(100, "MASTER", -5), &node(90, "BACKUP", -5)),
            (Some("a".into()), false)
        );
        assert_eq!(
            verdict(&node(100, "MASTER", 0), &node(90, "BACKUP", 0)),
            (Some("a".into()), true)
        );
    }

    #[test]
    fn clamping_and_owner() {
        let c = node(254, "BACKUP", 50);
        let vi = &c.instances[0];
        assert_eq!(effective_priority(&c, vi, &|_| false), Some(254));
        let c = node(10, "BACKUP", -50);
        assert_eq!(effective_priority(&c, &c.instances[0], &|_| true), Some(1));
        let c = node(255, "MASTER", -50);
        assert_eq!(
            effective_priority(&c, &c.instances[0], &|_| true),
            Some(255)
        );
    }
}
