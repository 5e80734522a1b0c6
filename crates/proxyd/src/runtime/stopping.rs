//! Soft stop: HAProxy's SIGUSR1, and what an old worker does once a reload's new one
//! serves. Listeners stop accepting; sessions in progress finish (an HTTP keep-alive
//! connection answers its request in progress with `Connection: close`, an HTTP/2 one
//! gets GOAWAY and ends once its open streams are answered, an idle one is closed once
//! quiet); the process ends when none is left or `hard-stop-after` passes.

use std::sync::LazyLock;
use tokio::sync::watch;

static STOP: LazyLock<watch::Sender<bool>> = LazyLock::new(|| watch::Sender::new(false));

/// Begin the soft stop (once; later calls change nothing).
pub fn begin() {
    STOP.send_replace(true);
}

pub fn stopping() -> bool {
    *STOP.borrow()
}

/// Returns when the soft stop begins.
pub async fn wait() {
    let mut rx = STOP.subscribe();
    let _ = rx.wait_for(|s| *s).await;
}
