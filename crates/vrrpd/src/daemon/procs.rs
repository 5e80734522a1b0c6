//! vrrp_track_process without forking: /proc is scanned twice a second to find the
//! processes, and each tracked process's quorum (how many matching processes run) becomes
//! a tracker result. Every matching process is also watched through a pidfd, which the
//! kernel makes readable the moment it exits: a dead proxy is seen within milliseconds,
//! not at the next scan, and a master in FAULT resigns with a priority-0 advert at once
//! (docs/vrrpd.md, "Sub-second handover"). This works in any PID or network namespace,
//! unlike the proc connector.

use keepalived_conf::model::{ParamMatch, TrackProcess};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How often /proc is scanned. A scan of a few hundred processes costs well under 1 ms.
const PERIOD: Duration = Duration::from_millis(500);

/// One running process, as much as matching needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proc {
    pub pid: i32,
    /// The kernel's name for it (/proc/PID/comm, 15 bytes at most).
    pub comm: String,
    /// Its arguments (/proc/PID/cmdline); empty for kernel threads.
    pub argv: Vec<String>,
}

/// Whether `p` is the process `tp` describes (keepalived's rules): the name is compared
/// with the kernel's process name, or with argv[0] under `full_command`; parameters, when
/// given, must equal the arguments (`exact`, the default), start them (`initial`), or
/// appear in them in a row (`partial`).
pub fn matches(tp: &TrackProcess, p: &Proc) -> bool {
    let Some(spec) = &tp.process else {
        return false;
    };
    let mut words = spec.split_whitespace();
    let Some(name) = words.next() else {
        return false;
    };
    let params: Vec<&str> = words.collect();
    let name_ok = if tp.full_command {
        p.argv.first().is_some_and(|a| a == name)
    } else {
        // The kernel keeps 15 bytes of the name.
        let short: String = name.chars().take(15).collect();
        p.comm == short
    };
    if !name_ok {
        return false;
    }
    let args: Vec<&str> = p.argv.iter().skip(1).map(String::as_str).collect();
    match tp.param_match {
        // No parameters written: any will do, unless `param_match` alone asks for none.
        _ if params.is_empty() => tp.param_match != Some(ParamMatch::Exact) || args.is_empty(),
        // keepalived.conf(5): partial, the first n parameters match exactly; initial,
        // the same but the n-th may be longer in the process.
        Some(ParamMatch::Partial) => args.starts_with(&params),
        Some(ParamMatch::Initial) => {
            let n = params.len();
            args.len() >= n
                && args[..n - 1] == params[..n - 1]
                && args[n - 1].starts_with(params[n - 1])
        }
        Some(ParamMatch::Exact) | None => args == params,
    }
}

/// Whether the quorum holds: at least `quorum` (and at most `quorum_max`) matches.
pub fn quorum_ok(tp: &TrackProcess, count: u32) -> bool {
    count >= tp.quorum && tp.quorum_max.is_none_or(|max| count <= max)
}

fn scan() -> Vec<Proc> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in dir.flatten() {
        let name = e.file_name();
        let Some((pid, n)) = name
            .to_str()
            .and_then(|n| Some((n, n.parse::<i32>().ok()?)))
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue; // gone meanwhile
        };
        let Some(comm) = live_comm(&stat) else {
            continue;
        };
        let argv = std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|b| {
                b.split(|&c| c == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect()
            })
            .unwrap_or_default();
        out.push(Proc {
            pid: n,
            comm: comm.to_string(),
            argv,
        });
    }
    out
}

/// The process name from a /proc/PID/stat line ("PID (NAME) STATE ..."), or None for a
/// process that has exited and is waiting to be reaped (a zombie is not running).
fn live_comm(stat: &str) -> Option<&str> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let state = stat.get(close + 1..)?.split_whitespace().next()?;
    if state == "Z" || state == "X" {
        return None;
    }
    stat.get(open + 1..close)
}

/// Watch one process's exit: its pid goes to `exited` when the kernel says it has ended.
/// None when it cannot be watched (it has already gone: then it is reported at once; or
/// the kernel has no pidfds: then the scans alone find it gone).
fn watch_exit(pid: i32, exited: &mpsc::UnboundedSender<i32>) -> Option<JoinHandle<()>> {
    use rustix::process::{pidfd_open, Pid, PidfdFlags};
    let fd = match Pid::from_raw(pid).map(|p| pidfd_open(p, PidfdFlags::NONBLOCK)) {
        Some(Ok(fd)) => fd,
        Some(Err(rustix::io::Errno::SRCH)) => {
            let _ = exited.send(pid);
            return None;
        }
        Some(Err(e)) => {
            warn_once(&format!(
                "cannot watch process {pid} (pidfd_open: {e}): its exit is seen at the next scan"
            ));
            return None;
        }
        None => return None,
    };
    let fd = match super::reactor::Exit::new(fd) {
        Ok(fd) => fd,
        Err(e) => {
            warn_once(&format!(
                "cannot watch process {pid} ({e}): its exit is seen at the next scan"
            ));
            return None;
        }
    };
    let exited = exited.clone();
    Some(tokio::spawn(async move {
        fd.ended().await;
        let _ = exited.send(pid);
    }))
}

/// The exit watches of one tracking task, ended with it (also when a reload aborts it).
#[derive(Default)]
struct Watches(HashMap<i32, JoinHandle<()>>);

impl Drop for Watches {
    fn drop(&mut self) {
        for h in self.0.values() {
            h.abort();
        }
    }
}

fn warn_once(msg: &str) {
    static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
        tracing::warn!("{msg}");
    }
}

/// Watch the tracked processes; sends `(name, ok)` at start and on every change. A lost
/// quorum is reported after the process's `delay`, a regained one at once.
pub fn spawn(
    tracked: Vec<TrackProcess>,
    tx: mpsc::Sender<(String, bool)>,
) -> Option<tokio::task::JoinHandle<()>> {
    if tracked.is_empty() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut reported: Vec<Option<bool>> = vec![None; tracked.len()];
        let mut lost_since: Vec<Option<tokio::time::Instant>> = vec![None; tracked.len()];
        let mut tick = tokio::time::interval(PERIOD);
        let (exit_tx, mut exit_rx) = mpsc::unbounded_channel::<i32>();
        let mut watched = Watches::default();
        // Processes the kernel said have ended, while /proc may still show them (until
        // their parent reaps them, or for the instant before their state reads Z).
        let mut ended: HashSet<i32> = HashSet::new();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                Some(pid) = exit_rx.recv() => {
                    ended.insert(pid);
                    while let Ok(pid) = exit_rx.try_recv() {
                        ended.insert(pid);
                    }
                }
            }
            let procs = tokio::task::spawn_blocking(scan).await.unwrap_or_default();
            // A pid that is gone from /proc is free again: forget that it ended.
            let present: HashSet<i32> = procs.iter().map(|p| p.pid).collect();
            ended.retain(|p| present.contains(p));
            let procs: Vec<Proc> = procs
                .into_iter()
                .filter(|p| !ended.contains(&p.pid))
                .collect();
            let wanted: HashSet<i32> = procs
                .iter()
                .filter(|p| tracked.iter().any(|tp| matches(tp, p)))
                .map(|p| p.pid)
                .collect();
            watched.0.retain(|pid, h| {
                let keep = wanted.contains(pid);
                if !keep {
                    h.abort();
                }
                keep
            });
            for pid in &wanted {
                if !watched.0.contains_key(pid) {
                    if let Some(h) = watch_exit(*pid, &exit_tx) {
                        watched.0.insert(*pid, h);
                    }
                }
            }
            let now = tokio::time::Instant::now();
            for (i, tp) in tracked.iter().enumerate() {
                let count = procs.iter().filter(|p| matches(tp, p)).count() as u32;
                let mut ok = quorum_ok(tp, count);
                if ok {
                    lost_since[i] = None;
                } else if reported[i] == Some(true) {
                    let since = *lost_since[i].get_or_insert(now);
                    if now.duration_since(since).as_secs_f64() < tp.delay {
                        ok = true; // not yet: wait out the delay
                    }
                }
                if reported[i] != Some(ok) {
                    reported[i] = Some(ok);
                    if tx.send((tp.name.clone(), ok)).await.is_err() {
                        return;
                    }
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(process: &str, param_match: Option<ParamMatch>, full: bool) -> TrackProcess {
        TrackProcess {
            name: "t".into(),
            span: conf_diag::Span::new(conf_diag::FileId(0), 0, 0),
            process: Some(process.into()),
            param_match,
            weight: 0,
            weight_reverse: false,
            quorum: 1,
            quorum_max: None,
            delay: 0.0,
            full_command: full,
        }
    }

    fn p(comm: &str, argv: &[&str]) -> Proc {
        Proc {
            pid: 1,
            comm: comm.into(),
            argv: argv.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn names_and_parameters() {
        let hap = p(
            "haproxy",
            &["/usr/sbin/haproxy", "-Ws", "-f", "/etc/haproxy.cfg"],
        );
        assert!(matches(&tp("haproxy", None, false), &hap));
        assert!(!matches(&tp("proxyd", None, false), &hap));
        assert!(matches(&tp("/usr/sbin/haproxy", None, true), &hap));
        assert!(!matches(&tp("haproxy", None, true), &hap));
        assert!(matches(
            &tp("haproxy -Ws -f /etc/haproxy.cfg", None, false),
            &hap
        ));
        assert!(!matches(&tp("haproxy -Ws", None, false), &hap), "exact");
        let (initial, partial) = (Some(ParamMatch::Initial), Some(ParamMatch::Partial));
        // partial: the first parameters, exactly.
        assert!(matches(&tp("haproxy -Ws", partial, false), &hap));
        assert!(matches(&tp("haproxy -Ws -f", partial, false), &hap));
        assert!(
            !matches(&tp("haproxy -f", partial, false), &hap),
            "not first"
        );
        assert!(!matches(
            &tp("haproxy -Ws -f /etc/hap", partial, false),
            &hap
        ));
        // initial: the same, the last one may be longer in the process.
        assert!(matches(
            &tp("haproxy -Ws -f /etc/hap", initial, false),
            &hap
        ));
        assert!(matches(&tp("haproxy -W", initial, false), &hap));
        assert!(!matches(&tp("haproxy -f /etc/hap", initial, false), &hap));
        assert!(!matches(
            &tp("haproxy -Ws -f /etc/haproxy.cfg.x", initial, false),
            &hap
        ));
        // `param_match` alone with no parameters written: the process must have none.
        let exact = Some(ParamMatch::Exact);
        assert!(!matches(&tp("haproxy", exact, false), &hap));
        assert!(matches(
            &tp("haproxy", exact, false),
            &p("haproxy", &["haproxy"])
        ));
        assert!(matches(
            &tp("haproxy -Ws -f /etc/haproxy.cfg", exact, false),
            &hap
        ));
        // The kernel's name is cut at 15 bytes.
        let long = p("a-very-long-pro", &["a-very-long-process-name"]);
        assert!(matches(&tp("a-very-long-process-name", None, false), &long));
    }

    /// A tracked process that dies is reported from its pidfd, not at the next /proc scan
    /// (500 ms apart), and also while it is an unreaped zombie.
    #[tokio::test]
    async fn a_dead_process_is_reported_at_once() {
        let Ok(mut child) = std::process::Command::new("sleep").arg("31.25").spawn() else {
            panic!("cannot start sleep");
        };
        let mut t = tp("sleep 31.25", None, false);
        t.name = "sleeper".into();
        let (tx, mut rx) = mpsc::channel(4);
        let task = spawn(vec![t], tx);
        let first = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
        assert_eq!(first.ok().flatten(), Some(("sleeper".to_string(), true)));
        // Just after a scan (at 500 ms), so that the next one is 470 ms away.
        tokio::time::sleep(Duration::from_millis(530)).await;
        let killed = tokio::time::Instant::now();
        let _ = child.kill();
        let lost = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
        let took = killed.elapsed();
        assert_eq!(lost.ok().flatten(), Some(("sleeper".to_string(), false)));
        assert!(took < Duration::from_millis(400), "seen after {took:?}");
        let _ = child.wait();
        if let Some(t) = task {
            t.abort();
        }
    }

    #[tokio::test]
    async fn a_process_gone_before_its_watch_is_reported() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        // No such process: pid_max is at most 2^22.
        assert!(watch_exit(1 << 23, &tx).is_none());
        assert_eq!(rx.try_recv().ok(), Some(1 << 23));
    }

    #[test]
    fn stat_lines() {
        assert_eq!(live_comm("42 (haproxy) S 1 42 42 0"), Some("haproxy"));
        assert_eq!(live_comm("42 (a (b) c) R 1"), Some("a (b) c"));
        assert_eq!(live_comm("42 (haproxy) Z 1 42"), None, "zombie");
    }

    #[test]
    fn quorum_bounds() {
        let mut t = tp("x", None, false);
        t.quorum = 2;
        t.quorum_max = Some(3);
        assert!(!quorum_ok(&t, 1));
        assert!(quorum_ok(&t, 2));
        assert!(quorum_ok(&t, 3));
        assert!(!quorum_ok(&t, 4));
    }

    #[test]
    fn this_test_process_is_found() {
        let me = std::fs::read_to_string("/proc/self/comm").unwrap_or_default();
        let me = me.trim_end();
        let all = scan();
        assert!(
            all.iter().any(|p| p.comm == me),
            "{me} not in {} processes",
            all.len()
        );
    }
}
