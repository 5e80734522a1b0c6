//! vrrpd for real: seed 000's two load balancers (lb01, lb02 with `eth0`, VIP 192.168.10.3)
//! in network namespaces on a bridge, running seed 000's keepalived.conf files unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{binary, netns_available, repo_root, wait_for, Lan};

const VIP: &str = "192.168.10.3";
/// 3 x advert_int + skew(99) + 0.5 s, from the issue.
const FAILOVER_BOUND: f64 = 3.0 + (256.0 - 99.0) / 256.0 + 0.5;
/// skew(99) + 0.5 s.
const HANDOVER_BOUND: f64 = (256.0 - 99.0) / 256.0 + 0.5;

#[test]
fn seed000_failover_preempt_and_graceful_handover() {
    if !netns_available() {
        return;
    }
    let vrrpd = binary("vrrpd");
    let vrrpd = vrrpd.to_str().unwrap();
    let confs = repo_root().join("conf-examples/keepalived");
    let c1 = confs.join("seed000-lb01.conf");
    let c2 = confs.join("seed000-lb02.conf");
    let lan = Lan::new(
        "vf",
        &[("eth0", "192.168.10.1/24"), ("eth0", "192.168.10.2/24")],
    );
    let (lb01, lb02) = (&lan.nodes[0], &lan.nodes[1]);
    let logs = std::env::temp_dir().join(format!("vrrpd-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&logs).unwrap();

    let mut d1 = lb01.spawn(
        vrrpd,
        &["-n", "-l", "-f", c1.to_str().unwrap()],
        &logs.join("lb01.log"),
    );
    let mut d2 = lb02.spawn(
        vrrpd,
        &["-n", "-l", "-f", c2.to_str().unwrap()],
        &logs.join("lb02.log"),
    );
    let show = || {
        format!(
            "lb01 log:\n{}\nlb02 log:\n{}",
            std::fs::read_to_string(logs.join("lb01.log")).unwrap_or_default(),
            std::fs::read_to_string(logs.join("lb02.log")).unwrap_or_default()
        )
    };

    // The VIP settles on lb01 (priority 100 > 99) and only there.
    assert!(
        wait_for(10.0, || lb01.has_addr("eth0", VIP)).is_some(),
        "VIP never on lb01\n{}",
        show()
    );
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert!(
        lb01.has_addr("eth0", VIP) && !lb02.has_addr("eth0", VIP),
        "VIP not on lb01 only\n{}",
        show()
    );

    // SIGKILL the master: lb02 takes the VIP within the master-down bound.
    d1.kill();
    let t = wait_for(FAILOVER_BOUND + 1.0, || lb02.has_addr("eth0", VIP));
    assert!(
        t.is_some_and(|t| t <= FAILOVER_BOUND),
        "failover took {t:?} s (bound {FAILOVER_BOUND:.2})\n{}",
        show()
    );
    eprintln!("failover after SIGKILL: {:.3} s", t.unwrap_or(0.0));

    // A killed keepalived leaves its VIP behind too; clean it as an admin would, restart.
    lb01.exec("ip", &["addr", "del", &format!("{VIP}/32"), "dev", "eth0"]);
    let mut d1 = lb01.spawn(
        vrrpd,
        &["-n", "-l", "-f", c1.to_str().unwrap()],
        &logs.join("lb01.log"),
    );
    assert!(
        wait_for(10.0, || lb01.has_addr("eth0", VIP)).is_some(),
        "VIP did not return to lb01\n{}",
        show()
    );
    assert!(
        wait_for(2.0, || !lb02.has_addr("eth0", VIP)).is_some(),
        "lb02 kept the VIP\n{}",
        show()
    );

    // SIGTERM on the master: priority-0 advert, lb02 takes over within the skew time.
    d1.signal("TERM");
    let t = wait_for(HANDOVER_BOUND + 1.0, || lb02.has_addr("eth0", VIP));
    assert!(
        t.is_some_and(|t| t <= HANDOVER_BOUND),
        "handover took {t:?} s (bound {HANDOVER_BOUND:.2})\n{}",
        show()
    );
    eprintln!("handover after SIGTERM: {:.3} s", t.unwrap_or(0.0));
    assert!(d1.wait_exit(3.0), "vrrpd did not exit on SIGTERM");
    assert!(!lb01.has_addr("eth0", VIP), "SIGTERM left the VIP on lb01");

    d2.signal("TERM");
    assert!(d2.wait_exit(3.0));
    assert!(!lb02.has_addr("eth0", VIP), "SIGTERM left the VIP on lb02");
    let _ = std::fs::remove_dir_all(&logs);
}
