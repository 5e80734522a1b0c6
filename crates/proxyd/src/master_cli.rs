//! The master CLI (`-S ADDR[,OPTION,VALUE...]`), as HAProxy's: `show proc` lists the
//! master and its workers, `reload` reloads as SIGUSR2 does and says whether it
//! worked, and `@1 CMD` / `@!PID CMD` run a runtime API command in a worker (through a
//! socket sent to it over its link to the master), `@master CMD` in the master.

use crate::runtime::api::{self, Bound};
use haproxy_conf::model::StatsSocket;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};

/// Now, for uptimes (the daemon is the edge where time comes from).
#[allow(clippy::disallowed_methods)]
pub fn now() -> Instant {
    Instant::now()
}

/// The processes as the CLI shows them, kept up to date by the master's loop.
#[derive(Debug)]
pub struct Procs {
    pub started: Instant,
    pub reloads: u32,
    pub failed: u32,
    /// The current worker first, then the old ones finishing their sessions.
    pub workers: Vec<ProcView>,
}

#[derive(Debug)]
pub struct ProcView {
    pub pid: u32,
    pub started: Instant,
    /// The master's reload count when it started.
    pub born: u32,
    /// Its link to the master: sessions are sent to it there.
    pub link: Arc<UnixStream>,
}

pub type Shared = Arc<Mutex<Procs>>;
/// A reload asked for from the CLI; the answer says whether it worked.
pub type ReloadTx = mpsc::Sender<oneshot::Sender<bool>>;

/// `-S`'s argument: the address, then option names and values, all comma-separated
/// (`/run/proxyd-master.sock,mode,600`).
pub fn socket(arg: &str) -> Result<StatsSocket, String> {
    let mut words = arg.split(',');
    let address = words.next().unwrap_or_default().to_string();
    let mut s = StatsSocket {
        address,
        mode: None,
        user: None,
        group: None,
        level: "admin".into(),
        expose_fd_listeners: false,
    };
    while let Some(k) = words.next() {
        let v = words
            .next()
            .ok_or_else(|| format!("-S {arg}: `{k}` needs a value"))?
            .to_string();
        match k {
            "mode" => s.mode = Some(v),
            "user" | "uid" => s.user = Some(v),
            "group" | "gid" => s.group = Some(v),
            "level" => s.level = v,
            other => {
                return Err(format!(
                    "-S {arg}: proxyd knows `mode`, `user`/`uid`, `group`/`gid` and `level` here, not `{other}`"
                ))
            }
        }
    }
    Ok(s)
}

/// Serve the master CLI on `bound`.
pub fn spawn(bound: Vec<Bound>, procs: Shared, reload: ReloadTx) {
    for b in bound {
        let (procs, reload) = (procs.clone(), reload.clone());
        tokio::spawn(async move {
            loop {
                let r = match &b {
                    Bound::Unix(l, _, _) => l.accept().await.map(|(s, _)| {
                        tokio::spawn(session(s, procs.clone(), reload.clone()));
                    }),
                    Bound::Tcp(l, _) => l.accept().await.map(|(s, _)| {
                        tokio::spawn(session(s, procs.clone(), reload.clone()));
                    }),
                };
                if let Err(e) = r {
                    tracing::error!("master CLI: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        });
    }
}

const HELP: &[(&str, &str)] = &[
    (
        "@<relative pid> <command>",
        "run a command in that worker (1: the current one)",
    ),
    (
        "@!<pid> <command>",
        "run a command in the worker with that pid",
    ),
    ("@master <command>", "run a command in the master"),
    ("help", "this list"),
    ("prompt", "interactive mode on or off"),
    ("quit", "end the session"),
    (
        "reload",
        "read the configuration again and start new workers on it",
    ),
    ("show proc", "the master and its workers"),
    ("show version", "the master's version"),
];

fn help() -> String {
    let mut o = String::from("The master CLI's commands:\n");
    for (c, what) in HELP {
        o.push_str(&format!("  {c:<40}: {what}\n"));
    }
    o
}

/// `0d00h00m05s`.
fn uptime(d: Duration) -> String {
    let s = d.as_secs();
    format!(
        "{}d{:02}h{:02}m{:02}s",
        s / 86400,
        s / 3600 % 24,
        s / 60 % 60,
        s % 60
    )
}

/// `show proc`, in HAProxy's layout (monitoring scripts read its columns).
pub fn show_proc(p: &Procs, master_pid: u32, now: Instant, version: &str) -> String {
    let mut o = format!(
        "{:<15} {:<15} {:<15} {:<15} {:<15}\n",
        "#<PID>", "<type>", "<reloads>", "<uptime>", "<version>"
    );
    o.push_str(&format!(
        "{:<15} {:<15} {:<15} {:<15} {version}\n",
        master_pid,
        "master",
        format!("{} [failed: {}]", p.reloads, p.failed),
        uptime(now.saturating_duration_since(p.started))
    ));
    let row = |w: &ProcView| {
        format!(
            "{:<15} {:<15} {:<15} {:<15} {version}\n",
            w.pid,
            "worker",
            p.reloads.saturating_sub(w.born),
            uptime(now.saturating_duration_since(w.started))
        )
    };
    o.push_str("# workers\n");
    if let Some(w) = p.workers.first() {
        o.push_str(&row(w));
    }
    if p.workers.len() > 1 {
        o.push_str("# old workers\n");
        for w in &p.workers[1..] {
            o.push_str(&row(w));
        }
    }
    o.push_str("# programs\n");
    o
}

struct Session {
    prompt: bool,
    quit: bool,
    /// The last reply ends without the blank line (HAProxy's routing errors and
    /// `@N` alone).
    bare: bool,
}

async fn session<S: AsyncRead + AsyncWrite + Unpin>(s: S, procs: Shared, reload: ReloadTx) {
    let (r, mut w) = tokio::io::split(s);
    let mut r = BufReader::new(r);
    let mut st = Session {
        prompt: false,
        quit: false,
        bare: false,
    };
    loop {
        let mut line = Vec::new();
        let read = tokio::time::timeout(
            Duration::from_secs(600),
            (&mut r).take(64 * 1024).read_until(b'\n', &mut line),
        )
        .await;
        let Ok(Ok(n)) = read else {
            return;
        };
        if n == 0 {
            return;
        }
        let text = String::from_utf8_lossy(&line).into_owned();
        let mut out = String::new();
        let commands = proxy_core::runtime_api::split_line(text.trim_end_matches(['\n', '\r']));
        for cmd in &commands {
            st.bare = false;
            out.push_str(&run(cmd, &mut st, &procs, &reload).await);
            if st.quit {
                break;
            }
            if !st.bare {
                out.push('\n');
            }
        }
        if st.prompt && !st.quit {
            if commands.is_empty() {
                out.push('\n');
            }
            out.push_str("master> ");
        }
        if w.write_all(out.as_bytes()).await.is_err() {
            return;
        }
        let _ = w.flush().await;
        if st.quit || !st.prompt {
            let _ = w.shutdown().await;
            return;
        }
    }
}

async fn run(cmd: &str, st: &mut Session, procs: &Shared, reload: &ReloadTx) -> String {
    let (target, rest) = match cmd.strip_prefix('@') {
        Some(t) => {
            let (t, rest) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
            (Some(t.to_string()), rest.trim().to_string())
        }
        None => (None, cmd.to_string()),
    };
    match target.as_deref() {
        None | Some("master") => master_command(&rest, st, procs, reload).await,
        Some(t) => {
            let link = {
                let p = procs.lock().unwrap_or_else(|e| e.into_inner());
                let found = match t.strip_prefix('!') {
                    Some(pid) => p.workers.iter().find(|w| pid.parse() == Ok(w.pid)),
                    // Relative pid 1 is the current worker.
                    None if t == "1" => p.workers.first(),
                    None => None,
                };
                found.map(|w| w.link.clone())
            };
            match link {
                None => {
                    st.bare = true;
                    format!("Can't find the target PID matching the prefix '@{t}'\n")
                }
                Some(_) if rest.is_empty() => {
                    st.bare = true;
                    String::new()
                }
                Some(link) => in_worker(&link, &rest).await,
            }
        }
    }
}

async fn master_command(cmd: &str, st: &mut Session, procs: &Shared, reload: &ReloadTx) -> String {
    match cmd.split_whitespace().collect::<Vec<_>>().as_slice() {
        ["help", ..] => help(),
        ["prompt", ..] => {
            st.prompt = !st.prompt;
            String::new()
        }
        ["quit", ..] => {
            st.quit = true;
            String::new()
        }
        ["show", "version", ..] => format!("{}\n", api::version()),
        ["show", "proc", ..] => {
            let p = procs.lock().unwrap_or_else(|e| e.into_inner());
            show_proc(&p, std::process::id(), now(), &api::version())
        }
        ["reload", ..] => {
            let (tx, rx) = oneshot::channel();
            if reload.send(tx).await.is_err() {
                return "Success=0\n--\nthe master is stopping\n".into();
            }
            match tokio::time::timeout(Duration::from_secs(120), rx).await {
                Ok(Ok(true)) => "Success=1\n".into(),
                Ok(Ok(false)) => {
                    "Success=0\n--\nthe reload failed: the master's log says why; the running workers go on\n".into()
                }
                _ => "Success=0\n--\nno answer from the master within 2 minutes\n".into(),
            }
        }
        _ => format!("Unknown command.\n{}", help()),
    }
}

/// One runtime API command in a worker: a socket pair, one end sent to the worker
/// (which serves it at the admin level), the command written on the other and the
/// answer read until the worker closes it.
async fn in_worker(link: &UnixStream, cmd: &str) -> String {
    let pair = UnixStream::pair().and_then(|(mine, theirs)| {
        crate::master::send_one(link, crate::master::CLI_KEY, Some(&theirs.into()))
            .map_err(std::io::Error::other)?;
        mine.set_nonblocking(true)?;
        tokio::net::UnixStream::from_std(mine)
    });
    let mut s = match pair {
        Ok(s) => s,
        Err(e) => return format!("cannot reach the worker: {e}\n"),
    };
    let mut out = Vec::new();
    let talk = async {
        s.write_all(format!("{cmd}\n").as_bytes()).await?;
        s.read_to_end(&mut out).await
    };
    match tokio::time::timeout(Duration::from_secs(30), talk).await {
        Ok(Ok(_)) => {
            let mut text = String::from_utf8_lossy(&out).into_owned();
            // The worker ends its answer with a blank line; this session adds its own.
            if text.ends_with("\n\n") || text == "\n" {
                text.pop();
            }
            text
        }
        Ok(Err(e)) => format!("the worker's answer was cut: {e}\n"),
        Err(_) => "no answer from the worker within 30 s\n".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_proc_in_haproxys_columns() {
        let (a, _b) = UnixStream::pair().unwrap();
        let link = Arc::new(a);
        let t0 = now();
        let p = Procs {
            started: t0,
            reloads: 2,
            failed: 1,
            workers: vec![
                ProcView {
                    pid: 20,
                    started: t0,
                    born: 2,
                    link: link.clone(),
                },
                ProcView {
                    pid: 10,
                    started: t0,
                    born: 1,
                    link,
                },
            ],
        };
        let text = show_proc(&p, 7, t0 + Duration::from_secs(3725), "v");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "#<PID>          <type>          <reloads>       <uptime>        <version>      "
        );
        assert_eq!(
            lines[1],
            "7               master          2 [failed: 1]   0d01h02m05s     v"
        );
        assert_eq!(lines[2], "# workers");
        assert_eq!(
            lines[3],
            "20              worker          0               0d01h02m05s     v"
        );
        assert_eq!(lines[4], "# old workers");
        assert_eq!(
            lines[5],
            "10              worker          1               0d01h02m05s     v"
        );
        assert_eq!(lines[6], "# programs");
    }

    #[test]
    fn dash_s_options() {
        let s = socket("/run/m.sock,mode,600,level,operator").unwrap();
        assert_eq!(s.address, "/run/m.sock");
        assert_eq!(s.mode.as_deref(), Some("600"));
        assert_eq!(s.level, "operator");
        assert!(socket("/run/m.sock,mode").is_err());
        assert!(socket("/run/m.sock,bogus,1").is_err());
    }
}
