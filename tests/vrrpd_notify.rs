//! vrrpd's notifications, end to end in a network namespace: notify scripts run as
//! `script_user` with keepalived's arguments and in order per instance (a slow BACKUP
//! script still finishes before MASTER is reported), lines on `notify_fifo`, and
//! `smtp_alert` mail to a fake SMTP server inside the namespace.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{binary, netns_available, wait_for, Lan};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// Accepts SMTP conversations until `stop`, answering every command with success and
/// recording what clients sent.
fn fake_smtp(l: TcpListener, seen: Arc<Mutex<String>>) {
    l.set_nonblocking(true).unwrap();
    for _ in 0..600 {
        let Ok((s, _)) = l.accept() else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        s.set_nonblocking(false).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        let _ = w.write_all(b"220 fake ESMTP\r\n");
        let mut in_data = false;
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            seen.lock().unwrap().push_str(&line);
            let reply: &[u8] = if in_data {
                if line != ".\r\n" {
                    continue;
                }
                in_data = false;
                b"250 queued\r\n"
            } else if line.starts_with("DATA") {
                in_data = true;
                b"354 go on\r\n"
            } else if line.starts_with("QUIT") {
                let _ = w.write_all(b"221 bye\r\n");
                break;
            } else {
                b"250 ok\r\n"
            };
            let _ = w.write_all(reply);
        }
    }
}

#[test]
fn notify_scripts_fifo_and_mail() {
    if !netns_available() {
        return;
    }
    let lan = Lan::new("vn", &[("eth0", "192.168.10.1/24")]);
    let n = &lan.nodes[0];
    let dir = e2e::Scratch::new("vrrpd-notify");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = dir.join("notify.log");
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o666)
        .open(&out)
        .unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o666)).unwrap();
    let script = |name: &str, body: &str| {
        let p = dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p.display().to_string()
    };
    let o = out.display();
    // The BACKUP report is slow: without ordering, MASTER (3.x s later) would come first.
    let generic = script(
        "notify.sh",
        &format!("[ \"$3\" = BACKUP ] && sleep 5\necho \"$* uid=$(id -u)\" >> {o}"),
    );
    let master = script("master.sh", &format!("echo \"master uid=$(id -u)\" >> {o}"));
    let stop = script("stop.sh", &format!("echo stop >> {o}"));
    let fifo = dir.join("fifo");
    let listener = n.listen_tcp("127.0.0.1:2525");
    let seen = Arc::new(Mutex::new(String::new()));
    let smtp = {
        let seen = seen.clone();
        std::thread::spawn(move || fake_smtp(listener, seen))
    };
    let cfg = dir.join("keepalived.conf");
    std::fs::write(
        &cfg,
        format!(
            "global_defs {{
  router_id lb01
  notification_email {{
    ops@example.org
  }}
  notification_email_from lb01@example.org
  smtp_server 127.0.0.1 2525
  smtp_connect_timeout 5
  script_user nobody
  notify_fifo {fifo}
}}
vrrp_instance VI_1 {{
  state BACKUP
  interface eth0
  virtual_router_id 42
  priority 150
  advert_int 1
  virtual_ipaddress {{
    192.168.10.3/24
  }}
  notify {generic}
  notify_master {master}
  notify_stop {stop}
  smtp_alert
}}
",
            fifo = fifo.display()
        ),
    )
    .unwrap();
    let logf = dir.join("vrrpd.log");
    let dump = dir.join("state.json");
    let mut d = n.spawn(
        binary("vrrpd").to_str().unwrap(),
        &[
            "-n",
            "-l",
            "-f",
            cfg.to_str().unwrap(),
            "--dump-file",
            dump.to_str().unwrap(),
        ],
        &logf,
    );
    let nobody = "uid=65534";
    let want = [
        format!("INSTANCE VI_1 BACKUP 150 {nobody}"),
        format!("master {nobody}"),
        format!("INSTANCE VI_1 MASTER 150 {nobody}"),
    ];
    assert!(
        wait_for(15.0, || read(&out).lines().count() >= 3).is_some(),
        "notify log: {}\nvrrpd: {}",
        read(&out),
        read(&logf)
    );
    let lines: Vec<String> = read(&out).lines().map(String::from).collect();
    assert_eq!(lines, want, "vrrpd: {}", read(&logf));

    // The FIFO got one line per state change, in order.
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc_nonblock())
        .open(&fifo)
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let k = f.read(&mut buf).unwrap_or(0);
    assert_eq!(
        String::from_utf8_lossy(&buf[..k]),
        "INSTANCE \"VI_1\" BACKUP 150\nINSTANCE \"VI_1\" MASTER 150\n"
    );

    // Mail: one message per state change, to the configured list.
    assert!(
        wait_for(10.0, || seen
            .lock()
            .unwrap()
            .contains("Subject: [lb01] VRRP instance VI_1 is now MASTER"))
        .is_some(),
        "smtp: {}\nvrrpd: {}",
        seen.lock().unwrap(),
        read(&logf)
    );
    let mail = seen.lock().unwrap().clone();
    assert!(mail.contains("MAIL FROM:<lb01@example.org>\r\nRCPT TO:<ops@example.org>\r\n"));
    assert!(mail.contains("Subject: [lb01] VRRP instance VI_1 is now BACKUP"));

    // keepalived's JSON signal (`--signum=JSON`, SIGRTMIN+2) dumps the state.
    d.signal("36");
    assert!(
        wait_for(3.0, || read(&dump).contains("\"state\":\"Master\"")).is_some(),
        "dump: {}",
        read(&dump)
    );

    // SIGTERM: notify_stop runs before vrrpd exits.
    d.signal("TERM");
    assert!(d.wait_exit(10.0), "vrrpd did not stop: {}", read(&logf));
    assert!(read(&out).lines().any(|l| l == "stop"), "{}", read(&out));
    drop(smtp);
}

/// O_NONBLOCK, so reading the FIFO returns what is buffered instead of waiting.
fn libc_nonblock() -> i32 {
    nix::fcntl::OFlag::O_NONBLOCK.bits()
}
