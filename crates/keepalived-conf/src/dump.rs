//! The resolved model written back in keepalived.conf syntax, every default spelled out,
//! so a user can see what each instance will really do.

use crate::model::*;
use std::fmt::Write;

pub fn to_keepalived_syntax(cfg: &Config) -> String {
    let mut o = String::new();
    let g = &cfg.global;
    let _ = writeln!(o, "global_defs {{");
    if let Some(r) = &g.router_id {
        let _ = writeln!(o, "    router_id {r}");
    }
    if !g.notification_email.is_empty() {
        let _ = writeln!(o, "    notification_email {{");
        for e in &g.notification_email {
            let _ = writeln!(o, "        {e}");
        }
        let _ = writeln!(o, "    }}");
    }
    if let Some(f) = &g.notification_email_from {
        let _ = writeln!(o, "    notification_email_from {f}");
    }
    if let Some(s) = &g.smtp_server {
        let _ = writeln!(o, "    smtp_server {} {}", s.host, s.port);
    }
    let _ = writeln!(o, "    smtp_connect_timeout {}", g.smtp_connect_timeout);
    if g.enable_script_security {
        let _ = writeln!(o, "    enable_script_security");
    }
    if let Some(u) = &g.script_user {
        let _ = writeln!(o, "    script_user {}{}", u.user, opt_sp(&u.group));
    }
    let _ = writeln!(o, "    vrrp_version {}", g.vrrp_version);
    if g.vrrp_strict {
        let _ = writeln!(o, "    vrrp_strict");
    }
    if g.vrrp_skip_check_adv_addr {
        let _ = writeln!(o, "    vrrp_skip_check_adv_addr");
    }
    let _ = writeln!(
        o,
        "    vrrp_garp_interval {}",
        secs(g.vrrp_garp_interval_us)
    );
    let _ = writeln!(o, "    vrrp_gna_interval {}", secs(g.vrrp_gna_interval_us));
    let _ = writeln!(o, "    vrrp_garp_master_delay {}", g.vrrp_garp_master_delay);
    let _ = writeln!(
        o,
        "    vrrp_garp_master_repeat {}",
        g.vrrp_garp_master_repeat
    );
    let _ = writeln!(
        o,
        "    vrrp_garp_master_refresh {}",
        g.vrrp_garp_master_refresh
    );
    let _ = writeln!(
        o,
        "    vrrp_startup_delay {}",
        secs(g.vrrp_startup_delay_us)
    );
    if let Some(a) = g.vrrp_mcast_group4 {
        let _ = writeln!(o, "    vrrp_mcast_group4 {a}");
    }
    if let Some(a) = g.vrrp_mcast_group6 {
        let _ = writeln!(o, "    vrrp_mcast_group6 {a}");
    }
    for (kw, on) in [
        ("vrrp_check_unicast_src", g.vrrp_check_unicast_src),
        ("vrrp_lower_prio_no_advert", g.vrrp_lower_prio_no_advert),
        (
            "vrrp_higher_prio_send_advert",
            g.vrrp_higher_prio_send_advert,
        ),
    ] {
        if on {
            let _ = writeln!(o, "    {kw}");
        }
    }
    let _ = writeln!(o, "}}");
    if !cfg.static_addresses.is_empty() {
        let _ = writeln!(o, "\nstatic_ipaddress {{");
        for v in &cfg.static_addresses {
            let _ = writeln!(o, "    {}/{}{}", v.addr, v.prefix, opt_dev(&v.dev));
        }
        let _ = writeln!(o, "}}");
    }
    if !cfg.static_routes.is_empty() {
        let _ = writeln!(o, "\nstatic_routes {{");
        for r in &cfg.static_routes {
            let _ = writeln!(o, "    {}", r.words.join(" "));
        }
        let _ = writeln!(o, "}}");
    }
    if !cfg.static_rules.is_empty() {
        let _ = writeln!(o, "\nstatic_rules {{");
        for r in &cfg.static_rules {
            let _ = writeln!(o, "    {}", r.words.join(" "));
        }
        let _ = writeln!(o, "}}");
    }
    for s in &cfg.scripts {
        let _ = writeln!(o, "\nvrrp_script {} {{", s.name);
        if let Some(c) = &s.script {
            let _ = writeln!(o, "    script \"{}\"", c.raw);
            if c.shell {
                let _ = writeln!(o, "    # run with /bin/sh -c (shell operators)");
            }
        }
        let _ = writeln!(o, "    interval {}", s.interval);
        let _ = writeln!(o, "    timeout {}", s.timeout);
        let _ = writeln!(
            o,
            "    weight {}{}",
            s.weight,
            if s.weight_reverse { " reverse" } else { "" }
        );
        let _ = writeln!(o, "    rise {}", s.rise);
        let _ = writeln!(o, "    fall {}", s.fall);
        if let Some(u) = &s.user {
            let _ = writeln!(o, "    user {}{}", u.user, opt_sp(&u.group));
        }
        if s.init_fail {
            let _ = writeln!(o, "    init_fail");
        }
        let _ = writeln!(o, "}}");
    }
    for p in &cfg.track_processes {
        let _ = writeln!(o, "\nvrrp_track_process {} {{", p.name);
        if let Some(pr) = &p.process {
            let _ = writeln!(o, "    process {pr}");
        }
        let _ = writeln!(o, "    weight {}", p.weight);
        let _ = writeln!(o, "    quorum {}", p.quorum);
        let _ = writeln!(o, "}}");
    }
    for vi in &cfg.instances {
        instance(&mut o, vi);
    }
    for sg in &cfg.sync_groups {
        let _ = writeln!(o, "\nvrrp_sync_group {} {{", sg.name);
        let _ = writeln!(o, "    group {{");
        for m in &sg.members {
            let _ = writeln!(o, "        {}", m.name);
        }
        let _ = writeln!(o, "    }}");
        track(&mut o, "track_script", &sg.track_scripts);
        track(&mut o, "track_interface", &sg.track_interfaces);
        track(&mut o, "track_process", &sg.track_processes);
        if sg.tracking_weight {
            let _ = writeln!(o, "    sync_group_tracking_weight");
        }
        let _ = writeln!(o, "}}");
    }
    o
}

fn opt_dev(d: &Option<String>) -> String {
    d.as_ref().map(|d| format!(" dev {d}")).unwrap_or_default()
}

fn instance(o: &mut String, vi: &VrrpInstance) {
    let _ = writeln!(o, "\nvrrp_instance {} {{", vi.name);
    let state = match vi.state {
        InitialState::Master => "MASTER",
        InitialState::Backup => "BACKUP",
    };
    let _ = writeln!(o, "    state {state}");
    if let Some(i) = &vi.interface {
        let _ = writeln!(o, "    interface {i}");
    }
    if let Some(v) = vi.vrid {
        let _ = writeln!(o, "    virtual_router_id {v}");
    }
    let _ = writeln!(
        o,
        "    priority {}{}",
        vi.priority,
        if vi.priority == 255 {
            "   # address owner"
        } else {
            ""
        }
    );
    let _ = writeln!(o, "    advert_int {}", vi.advert_int_cs as f64 / 100.0);
    let _ = writeln!(o, "    version {}", vi.version);
    if vi.nopreempt {
        let _ = writeln!(o, "    nopreempt");
    }
    if vi.preempt_delay > 0.0 {
        let _ = writeln!(o, "    preempt_delay {}", vi.preempt_delay);
    }
    if let Some(a) = vi.accept {
        let _ = writeln!(o, "    {}", if a { "accept" } else { "no_accept" });
    }
    if let Some(a) = &vi.auth {
        let t = match a.auth_type {
            AuthType::Pass => "PASS",
            AuthType::Ah => "AH",
        };
        let _ = writeln!(
            o,
            "    authentication {{\n        auth_type {t}\n        auth_pass {}\n    }}",
            a.pass
        );
    }
    for (kw, list) in [
        ("virtual_ipaddress", &vi.vips),
        ("virtual_ipaddress_excluded", &vi.vips_excluded),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(o, "    {kw} {{");
        for v in list {
            let _ = write!(o, "        {}/{}", v.addr, v.prefix);
            if let Some(b) = &v.brd {
                let _ = write!(o, " brd {b}");
            }
            if let Some(d) = &v.dev {
                let _ = write!(o, " dev {d}");
            }
            if let Some(s) = &v.scope {
                let _ = write!(o, " scope {s}");
            }
            if let Some(l) = &v.label {
                let _ = write!(o, " label {l}");
            }
            let _ = writeln!(o);
        }
        let _ = writeln!(o, "    }}");
    }
    if !vi.virtual_routes.is_empty() {
        let _ = writeln!(o, "    virtual_routes {{");
        for r in &vi.virtual_routes {
            let _ = writeln!(o, "        {}", r.words.join(" "));
        }
        let _ = writeln!(o, "    }}");
    }
    track(o, "track_script", &vi.track_scripts);
    track(o, "track_interface", &vi.track_interfaces);
    track(o, "track_process", &vi.track_processes);
    if let Some(ip) = vi.unicast_src_ip {
        let _ = writeln!(o, "    unicast_src_ip {ip}");
    }
    if !vi.unicast_peers.is_empty() {
        let _ = writeln!(o, "    unicast_peer {{");
        for p in &vi.unicast_peers {
            let _ = writeln!(o, "        {p}");
        }
        let _ = writeln!(o, "    }}");
    }
    if let Some(ip) = vi.mcast_src_ip {
        let _ = writeln!(o, "    mcast_src_ip {ip}");
    }
    for (kw, c) in vi.notify.iter() {
        let _ = writeln!(o, "    {kw} \"{}\"{}", c.raw, user_suffix(c));
    }
    if vi.smtp_alert {
        let _ = writeln!(o, "    smtp_alert");
    }
    let _ = writeln!(o, "    garp_master_delay {}", vi.garp_master_delay);
    let _ = writeln!(o, "    garp_master_repeat {}", vi.garp_master_repeat);
    let _ = writeln!(o, "    garp_master_refresh {}", vi.garp_master_refresh);
    let _ = writeln!(
        o,
        "    garp_master_refresh_repeat {}",
        vi.garp_master_refresh_repeat
    );
    if let Some(v) = vi.garp_lower_prio_delay {
        let _ = writeln!(o, "    garp_lower_prio_delay {v}");
    }
    if let Some(v) = vi.garp_lower_prio_repeat {
        let _ = writeln!(o, "    garp_lower_prio_repeat {v}");
    }
    if let Some(v) = &vi.use_vmac {
        let _ = writeln!(o, "    use_vmac {v}");
    }
    if vi.dont_track_primary {
        let _ = writeln!(o, "    dont_track_primary");
    }
    match vi.accept {
        Some(true) => {
            let _ = writeln!(o, "    accept");
        }
        Some(false) => {
            let _ = writeln!(o, "    no_accept");
        }
        None => {}
    }
    if let Some(sm) = vi.strict_mode {
        let _ = writeln!(o, "    strict_mode {}", if sm { "on" } else { "off" });
    }
    for (kw, on) in [
        ("check_unicast_src", vi.check_unicast_src),
        ("skip_check_adv_addr", vi.skip_check_adv_addr),
        ("old_unicast_checksum", vi.old_unicast_checksum),
        ("unicast_fault_no_peer", vi.unicast_fault_no_peer),
        ("vrrpd_announce", vi.announce),
    ] {
        if on {
            let _ = writeln!(o, "    {kw}");
        }
    }
    for (kw, v) in [
        ("lower_prio_no_advert", vi.lower_prio_no_advert),
        ("higher_prio_send_advert", vi.higher_prio_send_advert),
    ] {
        if let Some(b) = v {
            let _ = writeln!(o, "    {kw} {}", if b { "on" } else { "off" });
        }
    }
    if let Some(t) = vi.unicast_ttl {
        let _ = writeln!(o, "    unicast_ttl {t}");
    }
    if !vi.virtual_rules.is_empty() {
        let _ = writeln!(o, "    virtual_rules {{");
        for r in &vi.virtual_rules {
            let _ = writeln!(o, "        {}", r.words.join(" "));
        }
        let _ = writeln!(o, "    }}");
    }
    let _ = writeln!(o, "}}");
}

/// ` USER [GROUP]` after a notify command that has its own user.
fn user_suffix(c: &crate::model::Command) -> String {
    match &c.user {
        Some(u) => match &u.group {
            Some(g) => format!(" {} {g}", u.user),
            None => format!(" {}", u.user),
        },
        None => String::new(),
    }
}

fn track(o: &mut String, kw: &str, list: &[TrackRef]) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(o, "    {kw} {{");
    for t in list {
        let _ = write!(o, "        {}", t.name);
        if let Some(w) = t.weight {
            let _ = write!(o, " weight {w}");
        }
        if t.reverse {
            let _ = write!(o, " reverse");
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "    }}");
}

fn opt_sp(s: &Option<String>) -> String {
    s.as_ref().map(|g| format!(" {g}")).unwrap_or_default()
}

fn secs(us: u64) -> String {
    format!("{}", us as f64 / 1e6)
}
