//! Mail alerts: seed 001's `email-alert` lines (level info, from, to, a `mailers`
//! section) under proxyd and HAProxy 2.6, each with a fake SMTP server. A checked server
//! goes DOWN and comes UP again: proxyd mails both changes, and its conversation (HELO,
//! MAIL FROM, RCPT TO, DATA, the headers and text, QUIT) is HAProxy's, line for line
//! (dates and check durations aside).
#![allow(clippy::unwrap_used, clippy::expect_used)]
// End-to-end tests measure real time.
#![allow(clippy::disallowed_methods)]

use e2e::{binary, free_port, have, in_ci, wait_for, Scratch};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A fake SMTP server: every conversation's lines, one list per connection.
fn smtp() -> (u16, Arc<Mutex<Vec<Vec<String>>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen: Arc<Mutex<Vec<Vec<String>>>> = Arc::default();
    let out = seen.clone();
    std::thread::spawn(move || {
        for c in l.incoming().flatten() {
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut w = c.try_clone().unwrap();
                let mut r = BufReader::new(c);
                let mut lines = Vec::new();
                let _ = w.write_all(b"220 fake ESMTP\r\n");
                let mut data = false;
                loop {
                    let mut l = String::new();
                    if r.read_line(&mut l).unwrap_or(0) == 0 {
                        break;
                    }
                    lines.push(l.clone());
                    let reply: &[u8] = if data {
                        if l == ".\r\n" {
                            data = false;
                            b"250 queued\r\n"
                        } else {
                            continue;
                        }
                    } else if l.to_ascii_uppercase().starts_with("DATA") {
                        data = true;
                        b"354 go on\r\n"
                    } else if l.to_ascii_uppercase().starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n");
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    let _ = w.write_all(reply);
                }
                seen.lock().unwrap().push(lines);
            });
        }
    });
    (port, out)
}

/// Run `prog` with the alert settings, take its server down and up again; the mails its
/// SMTP server got.
fn run(prog: &Path) -> Vec<Vec<String>> {
    let (smtp_port, mails) = smtp();
    let web = free_port();
    let fe = free_port();
    let dir = Scratch::new("mail");
    let cfg = dir.join("haproxy.cfg");
    std::fs::write(
        &cfg,
        format!(
            "defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
mailers mta
    mailer smtp1 127.0.0.1:{smtp_port}
frontend fe
    bind 127.0.0.1:{fe}
    default_backend be
backend be
    option httpchk GET /
    server s1 127.0.0.1:{web} check inter 300 fall 2 rise 2
    email-alert mailers mta
    email-alert level info
    email-alert from haproxy-alert@domain.com
    email-alert to admin@domain.com
    email-alert myhostname lb1.domain.com
"
        ),
    )
    .unwrap();
    let serve = |on: bool| -> Option<(
        Arc<std::sync::atomic::AtomicBool>,
        std::thread::JoinHandle<()>,
    )> {
        if !on {
            return None;
        }
        let l = std::net::TcpListener::bind(("127.0.0.1", web)).unwrap();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s2 = stop.clone();
        let t = std::thread::spawn(move || {
            e2e::http_responder(l, "web".into(), s2, Arc::default());
        });
        Some((stop, t))
    };
    let up = serve(true);
    let mut child = std::process::Command::new(prog)
        .args(["-db", "-f"])
        .arg(&cfg)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    // Down, then up, twice (HAProxy may not mail the first change after its start).
    let mut up = up;
    for _ in 0..2 {
        if let Some((stop, t)) = up.take() {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let _ = t.join();
        }
        let n = mails.lock().unwrap().len();
        wait_for(5.0, || mails.lock().unwrap().len() > n);
        up = serve(true);
        let n = mails.lock().unwrap().len();
        wait_for(5.0, || mails.lock().unwrap().len() > n);
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let _ = child.kill();
    let _ = child.wait();
    if let Some((stop, t)) = up.take() {
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = t.join();
    }
    let got = mails.lock().unwrap().clone();
    got
}

/// A mail with what differs from run to run blanked: the date, check durations.
fn normal(mail: &[String]) -> Vec<String> {
    mail.iter()
        .map(|l| {
            if l.starts_with("Date: ") {
                "Date: -\r\n".to_string()
            } else {
                blank_duration(l)
            }
        })
        .collect()
}

/// `check duration: 12ms` -> `check duration: Nms`.
fn blank_duration(l: &str) -> String {
    match l.find("check duration: ") {
        Some(i) => {
            let start = i + "check duration: ".len();
            let end = l[start..].find("ms").map(|e| start + e).unwrap_or(start);
            format!("{}N{}", &l[..start], &l[end..])
        }
        None => l.to_string(),
    }
}

#[test]
fn seed001_mail_alerts_are_sent_as_haproxy_sends_them() {
    let ours = run(&binary("proxyd"));
    let subjects: Vec<String> = ours
        .iter()
        .filter_map(|m| m.iter().find(|l| l.starts_with("Subject: ")).cloned())
        .collect();
    assert_eq!(subjects.len(), 4, "{ours:#?}");
    for (s, word) in subjects.iter().zip(["DOWN", "UP", "DOWN", "UP"]) {
        assert!(
            s.starts_with(&format!("Subject: [HAProxy Alert] Server be/s1 is {word},")),
            "{s}"
        );
    }
    let first = &ours[0];
    assert_eq!(first[0], "HELO lb1.domain.com\r\n");
    assert_eq!(first[1], "MAIL FROM:<haproxy-alert@domain.com>\r\n");
    assert_eq!(first[2], "RCPT TO:<admin@domain.com>\r\n");
    assert_eq!(first.last().map(String::as_str), Some("QUIT\r\n"));
    if !have("haproxy") {
        assert!(!in_ci(), "haproxy is missing (tests/run.sh installs it)");
        return;
    }
    let theirs = run(Path::new("haproxy"));
    assert!(theirs.len() >= 2, "{theirs:#?}");
    // The last DOWN and UP mails of each, line for line.
    let last_two = |m: &[Vec<String>]| -> Vec<Vec<String>> {
        m[m.len() - 2..].iter().map(|x| normal(x)).collect()
    };
    assert_eq!(last_two(&ours), last_two(&theirs));
}
