//! vrrpd's privileges, read from /proc of the running daemon in a network namespace:
//! it keeps NET_ADMIN, NET_RAW, SETUID, SETGID and KILL and nothing else (keepalived
//! keeps all of root's), and still does all its work with them: takes the VIP, adds a
//! new one on SIGHUP, reopens its sockets when the interface is re-created. Scripts run
//! as `script_user` have no capabilities; a notify script run as root has root's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{binary, netns_available, wait_for, Lan};
use std::os::unix::fs::PermissionsExt;

/// A capability line of /proc/PID/status (`CapEff`, `CapBnd`...), as a bit set.
fn caps(status: &str, key: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:\t")))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or_else(|| panic!("no {key} in\n{status}"))
}

/// CAP_KILL (5), CAP_SETGID (6), CAP_SETUID (7), CAP_NET_ADMIN (12), CAP_NET_RAW (13).
const KEPT: u64 = 1 << 5 | 1 << 6 | 1 << 7 | 1 << 12 | 1 << 13;

#[test]
fn vrrpd_keeps_only_the_capabilities_it_needs() {
    if !netns_available() {
        return;
    }
    let lan = Lan::new("vp", &[("eth0", "192.168.10.1/24")]);
    let n = &lan.nodes[0];
    let dir = e2e::Scratch::new("vrrpd-privileges");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let script = |name: &str, out: &str| {
        let p = dir.join(name);
        let o = dir.join(out);
        std::fs::write(
            &p,
            format!(
                "#!/bin/sh\n{{ id -u; grep -E '^Cap(Eff|Prm)' /proc/self/status; }} > {o}.tmp && mv {o}.tmp {o}\n",
                o = o.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p.display().to_string()
    };
    let check = script("check.sh", "check.out");
    let master = script("master.sh", "master.out");
    let cfg = dir.join("keepalived.conf");
    let conf = |vips: &str| {
        format!(
            "global_defs {{
  router_id lb01
  script_user nobody
  enable_script_security
}}
vrrp_script chk {{
  script \"{check}\"
  interval 1
}}
vrrp_instance VI_1 {{
  state MASTER
  interface eth0
  virtual_router_id 42
  priority 150
  advert_int 1
  virtual_ipaddress {{
{vips}  }}
  track_script {{
    chk
  }}
  notify_master \"{master}\" root
}}
"
        )
    };
    std::fs::write(&cfg, conf("    192.168.10.3/24\n")).unwrap();
    let logf = dir.join("vrrpd.log");
    let d = n.spawn(
        binary("vrrpd").to_str().unwrap(),
        &["-n", "-l", "-f", cfg.to_str().unwrap()],
        &logf,
    );
    let log = || std::fs::read_to_string(&logf).unwrap_or_default();
    // Master with its VIP: NET_RAW (adverts) and NET_ADMIN (the address) still work.
    assert!(
        wait_for(8.0, || n.has_addr("eth0", "192.168.10.3")).is_some(),
        "no VIP; log:\n{}",
        log()
    );
    let status = std::fs::read_to_string(format!("/proc/{}/status", d.pid())).unwrap();
    let own = std::fs::read_to_string("/proc/self/status").unwrap();
    assert_eq!(caps(&status, "CapEff"), KEPT, "{status}");
    assert_eq!(caps(&status, "CapPrm"), KEPT, "{status}");
    assert_eq!(caps(&status, "CapInh"), 0, "{status}");
    assert_eq!(caps(&status, "CapAmb"), 0, "{status}");
    // The bounding set is left alone, so root's scripts are root.
    assert_eq!(caps(&status, "CapBnd"), caps(&own, "CapBnd"));
    // The check script as `nobody`: no capabilities at all.
    let out = dir.join("check.out");
    assert!(
        wait_for(5.0, || out.exists()).is_some(),
        "check script did not run; log:\n{}",
        log()
    );
    let got = std::fs::read_to_string(&out).unwrap();
    assert!(got.starts_with("65534\n"), "{got}");
    assert!(got.contains("CapEff:\t0000000000000000"), "{got}");
    // notify_master as root: root's capabilities, as under keepalived.
    let out = dir.join("master.out");
    assert!(wait_for(5.0, || out.exists()).is_some(), "{}", log());
    let got = std::fs::read_to_string(&out).unwrap();
    assert!(got.starts_with("0\n"), "{got}");
    let eff = got
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:\t"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap();
    assert_eq!(eff, caps(&own, "CapBnd"), "{got}");
    // A reload that adds a VIP (NET_ADMIN after the drop).
    std::fs::write(&cfg, conf("    192.168.10.3/24\n    192.168.10.4/24\n")).unwrap();
    d.signal("HUP");
    assert!(
        wait_for(5.0, || n.has_addr("eth0", "192.168.10.4")).is_some(),
        "reload did not add the VIP; log:\n{}",
        log()
    );
    // The interface deleted and created again: the sockets are reopened (NET_RAW) and
    // the VIPs put back.
    lan.replug(0, "eth0", "192.168.10.1/24");
    assert!(
        wait_for(10.0, || n.has_addr("eth0", "192.168.10.3")
            && n.has_addr("eth0", "192.168.10.4"))
        .is_some(),
        "VIPs not back after the interface came back; log:\n{}",
        log()
    );
    assert!(
        !log().contains("Operation not permitted"),
        "something lacked a capability:\n{}",
        log()
    );
}
