//! vrrp_script checks and notify scripts, run as child processes.

use keepalived_conf::model::Command as ConfCommand;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;
use tokio::sync::mpsc;

fn command(c: &ConfCommand, extra: &[String]) -> Option<Command> {
    let mut cmd = if c.shell {
        // Shell operators: run through the shell (keepalived would not; vrrpd -t says so).
        let mut line = c.raw.clone();
        for e in extra {
            line.push(' ');
            line.push_str(e);
        }
        let mut sh = Command::new("/bin/sh");
        sh.arg("-c").arg(line);
        sh
    } else {
        let (prog, args) = c.argv.split_first()?;
        let mut p = Command::new(prog);
        p.args(args).args(extra);
        p
    };
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .process_group(0);
    Some(cmd)
}

/// One run: success = exit status 0 before the timeout; a timed-out run is a failure.
async fn run_once(c: &ConfCommand, timeout: Duration) -> bool {
    let Some(mut cmd) = command(c, &[]) else {
        return false;
    };
    let Ok(mut child) = cmd.spawn() else {
        return false;
    };
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => status.success(),
        _ => {
            // SIGTERM to the script's process group, SIGKILL a second later.
            if let Some(pid) = child.id() {
                let group = nix::unistd::Pid::from_raw(-(pid as i32));
                let _ = nix::sys::signal::kill(group, nix::sys::signal::Signal::SIGTERM);
                if tokio::time::timeout(Duration::from_secs(1), child.wait())
                    .await
                    .is_ok()
                {
                    return false;
                }
                let _ = nix::sys::signal::kill(group, nix::sys::signal::Signal::SIGKILL);
            }
            let _ = child.kill().await;
            false
        }
    }
}

/// Runs a check every `interval`, sending `(name, ok)` after each run.
pub fn spawn_check(
    name: String,
    c: ConfCommand,
    interval: Duration,
    timeout: Duration,
    tx: mpsc::Sender<(String, bool)>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let ok = run_once(&c, timeout).await;
            if tx.send((name.clone(), ok)).await.is_err() {
                return;
            }
            tokio::time::sleep(interval).await;
        }
    })
}

/// Fire a notify script with keepalived's arguments; nobody waits for it.
pub fn notify(c: &ConfCommand, extra: &[String]) {
    if let Some(mut cmd) = command(c, extra) {
        cmd.kill_on_drop(false);
        if let Ok(mut child) = cmd.spawn() {
            tokio::spawn(async move {
                let _ = child.wait().await;
            });
        }
    }
}
