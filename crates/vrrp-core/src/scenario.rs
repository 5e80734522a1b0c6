//! Scenarios: a readable record of inputs and the actions they cause, as JSON lines.
//!
//! ```text
//! {"config": {"name": "VI_1", "vrid": 1, "priority": 100, "primary_ip": "10.0.0.1", "vips": ["10.0.0.100"]}}
//! {"t": 0, "in": "startup"}
//! {"t": 0, "out": "state Init->Backup startup prio=100"}
//! {"t": 3609, "out": "state Backup->Master master_down prio=100"}
//! {"t": 5000, "end": true}
//! ```
//!
//! Several `config` lines make a sync group (inputs then name a `member`). The golden
//! tests replay the inputs and compare the outputs; the daemon can record the same format.

use crate::codec::{Advert, Auth, ChecksumMode};
use crate::instance::{Action, Input, Instance, InstanceConfig, Instant, Reason};
use crate::sync_group::SyncGroup;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioInput {
    Startup,
    Shutdown,
    /// An advert from a peer, built with the instance's own settings unless overridden.
    Advert {
        src: IpAddr,
        prio: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ttl: Option<u8>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        interval_cs: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pass: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vrid: Option<u8>,
        /// The advert's addresses, when not the instance's own.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        addrs: Option<Vec<IpAddr>>,
        /// Sent to this address (a unicast peer) rather than the multicast group.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dst: Option<IpAddr>,
    },
    Link {
        interface: String,
        up: bool,
    },
    Tracker {
        name: String,
        ok: bool,
    },
    Reload {
        config: Box<InstanceConfig>,
    },
    /// The instance's own address changed (the unspecified address: it has none).
    Primary {
        ip: IpAddr,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Line {
    Config {
        config: Box<InstanceConfig>,
    },
    In {
        t: Instant,
        #[serde(rename = "in")]
        input: ScenarioInput,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        member: Option<usize>,
    },
    Out {
        t: Instant,
        out: String,
    },
    End {
        t: Instant,
        end: bool,
    },
}

/// One action as a line of text.
pub fn describe(a: &Action) -> String {
    match a {
        Action::SendAdvert { dst, priority, .. } => format!("advert prio={priority} to {dst}"),
        Action::AddVips => "add_vips".into(),
        Action::RemoveVips => "remove_vips".into(),
        Action::SendGarp { count } => format!("garp x{count}"),
        Action::StateChanged {
            from,
            to,
            reason,
            priority,
        } => {
            let r = match reason {
                Reason::Fault(why) => format!("fault({why})"),
                other => serde_json::to_value(other)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| format!("{other:?}")),
            };
            format!("state {from:?}->{to:?} {r} prio={priority}")
        }
    }
}

pub fn parse(text: &str) -> Result<Vec<Line>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

pub fn render(lines: &[Line]) -> String {
    lines
        .iter()
        .filter_map(|l| serde_json::to_string(l).ok())
        .map(|s| s + "\n")
        .collect()
}

fn advert_bytes(
    cfg: &InstanceConfig,
    input: &ScenarioInput,
) -> Option<(IpAddr, IpAddr, u8, Vec<u8>)> {
    let ScenarioInput::Advert {
        src,
        prio,
        ttl,
        interval_cs,
        pass,
        vrid,
        addrs,
        dst,
    } = input
    else {
        return None;
    };
    let auth = match pass {
        Some(p) => Auth::pass(p),
        None => cfg.auth.clone(),
    };
    let adv = Advert {
        version: cfg.version,
        vrid: vrid.unwrap_or(cfg.vrid),
        priority: *prio,
        interval_cs: interval_cs.unwrap_or(cfg.advert_int_cs),
        auth,
        addrs: addrs.clone().unwrap_or_else(|| cfg.vips.clone()),
    };
    let dst = dst.unwrap_or(if cfg.primary_ip.is_ipv6() {
        IpAddr::V6(crate::codec::MCAST_V6)
    } else {
        IpAddr::V4(crate::codec::MCAST_V4)
    });
    Some((
        *src,
        dst,
        ttl.unwrap_or(255),
        adv.encode(*src, dst, ChecksumMode::PseudoHeader),
    ))
}

/// Replays the inputs of a scenario; returns the scenario with the outputs it produces.
pub fn run(lines: &[Line]) -> Vec<Line> {
    let configs: Vec<InstanceConfig> = lines
        .iter()
        .filter_map(|l| match l {
            Line::Config { config } => Some((**config).clone()),
            _ => None,
        })
        .collect();
    let names: Vec<String> = configs.iter().map(|c| c.name.clone()).collect();
    let grouped = configs.len() > 1;
    let mut group = SyncGroup::new(
        "scenario",
        configs.iter().cloned().map(Instance::new).collect(),
    );
    let mut out: Vec<Line> = configs
        .into_iter()
        .map(|c| Line::Config {
            config: Box::new(c),
        })
        .collect();
    let mut drain = |group: &mut SyncGroup, t: Instant, out: &mut Vec<Line>| {
        while let Some((m, a)) = group.poll_action() {
            let text = describe(&a);
            out.push(Line::Out {
                t,
                out: if grouped {
                    format!("{}: {text}", names[m])
                } else {
                    text
                },
            });
        }
    };
    let run_timers =
        |group: &mut SyncGroup,
         until: Instant,
         out: &mut Vec<Line>,
         drain: &mut dyn FnMut(&mut SyncGroup, Instant, &mut Vec<Line>)| {
            // Bounded: a scenario never needs more steps than this.
            for _ in 0..100_000 {
                match group.poll_timeout() {
                    Some(dl) if dl <= until => {
                        group.handle_timeout(dl);
                        drain(group, dl, out);
                    }
                    _ => break,
                }
            }
        };
    for line in lines {
        match line {
            Line::In { t, input, member } => {
                run_timers(&mut group, *t, &mut out, &mut drain);
                out.push(line.clone());
                let idx = member.unwrap_or(0);
                let cfg = group.members().get(idx).map(|m| m.config().clone());
                let packet = cfg.as_ref().and_then(|c| advert_bytes(c, input));
                let core_input = match (input, &packet) {
                    (ScenarioInput::Startup, _) => Some(Input::Startup),
                    (ScenarioInput::Shutdown, _) => Some(Input::Shutdown),
                    (ScenarioInput::Advert { .. }, Some((src, dst, ttl, bytes))) => {
                        Some(Input::Advert {
                            src: *src,
                            dst: *dst,
                            ttl: *ttl,
                            data: bytes,
                        })
                    }
                    (ScenarioInput::Link { interface, up }, _) => Some(Input::Link {
                        interface: interface.clone(),
                        up: *up,
                    }),
                    (ScenarioInput::Tracker { name, ok }, _) => Some(Input::Tracker {
                        name: name.clone(),
                        ok: *ok,
                    }),
                    (ScenarioInput::Reload { config }, _) => Some(Input::Reload(config.clone())),
                    (ScenarioInput::Primary { ip }, _) => Some(Input::Primary(*ip)),
                    _ => None,
                };
                if let Some(ci) = core_input {
                    match (member, input) {
                        (
                            None,
                            ScenarioInput::Startup
                            | ScenarioInput::Shutdown
                            | ScenarioInput::Link { .. },
                        ) => group.handle_all(*t, ci),
                        _ => group.handle(*t, idx, ci),
                    }
                }
                drain(&mut group, *t, &mut out);
            }
            Line::End { t, .. } => {
                run_timers(&mut group, *t, &mut out, &mut drain);
                out.push(line.clone());
            }
            Line::Config { .. } | Line::Out { .. } => {}
        }
    }
    out
}
