//! Soft stop: HAProxy's SIGUSR1, and what an old worker does once a reload's new one
//! serves. Listeners stop accepting; sessions in progress finish (an HTTP keep-alive
//! connection answers its request in progress with `Connection: close`, an HTTP/2 one
//! gets GOAWAY and ends once its open streams are answered, an idle one is closed once
//! quiet); the process ends when none is left or `hard-stop-after` passes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::LazyLock;
use tokio::sync::watch;

static STOP: LazyLock<watch::Sender<bool>> = LazyLock::new(|| watch::Sender::new(false));

/// SIGUSR1 came: the `stopping` sample fetch says so, from the start of `grace` on
/// (listeners still accept until it ends).
static ANNOUNCED: AtomicBool = AtomicBool::new(false);

/// The stop is coming (`grace` runs) or has begun: what the `stopping` fetch says.
pub fn announce() {
    ANNOUNCED.store(true, Ordering::Relaxed);
}

/// The `stopping` sample fetch.
pub fn announced() -> bool {
    ANNOUNCED.load(Ordering::Relaxed) || stopping()
}

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
