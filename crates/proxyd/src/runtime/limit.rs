//! A connection limit that the runtime API can change while connections hold slots
//! (`set maxconn frontend|global`): raising it lets the waiting connections in at once;
//! lowering it takes the free slots now and the busy ones as their sessions end, so no
//! session is cut and no new one starts until the count is under the new limit.

use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug)]
pub struct Limit(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    slots: Arc<Semaphore>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The limit as last set.
    max: usize,
    /// Slots a lowering still has to take back from running sessions.
    owed: usize,
    /// Whether a task is taking them back.
    collecting: bool,
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Limit {
    pub fn new(max: usize) -> Self {
        Limit(Arc::new(Inner {
            slots: Arc::new(Semaphore::new(max)),
            state: Mutex::new(State {
                max,
                ..State::default()
            }),
        }))
    }

    pub fn max(&self) -> usize {
        self.0.state().max
    }

    /// One slot, waiting for it (`None` only if the semaphore were closed).
    pub async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        self.0.slots.clone().acquire_owned().await.ok()
    }

    /// Change the limit; must run inside the tokio runtime (a lowering below the slots
    /// in use waits for them in a task).
    pub fn set(&self, new: usize) {
        let mut st = self.0.state();
        if new >= st.max {
            // What a lowering still owes is cancelled first, the rest frees slots.
            let more = new - st.max;
            let cancel = more.min(st.owed);
            st.owed -= cancel;
            self.0.slots.add_permits(more - cancel);
        } else {
            let less = st.max - new;
            let took = self.0.slots.forget_permits(less);
            st.owed += less - took;
        }
        st.max = new;
        if st.owed > 0 && !st.collecting {
            st.collecting = true;
            tokio::spawn(collect(self.0.clone()));
        }
    }
}

/// Take back owed slots one by one as sessions release them: queued with the accept
/// loops, fairly, so the limit is reached as fast as sessions end.
async fn collect(inner: Arc<Inner>) {
    loop {
        {
            let mut st = inner.state();
            if st.owed == 0 {
                st.collecting = false;
                return;
            }
        }
        let Ok(p) = inner.slots.clone().acquire_owned().await else {
            inner.state().collecting = false;
            return;
        };
        let mut st = inner.state();
        if st.owed > 0 {
            p.forget();
            st.owed -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn raising_and_lowering_while_slots_are_held() {
        let l = Limit::new(2);
        let a = l.acquire().await;
        let b = l.acquire().await;
        assert_eq!(l.0.slots.available_permits(), 0);
        // Lowered to 1 with 2 in use: nothing new until both end and one is taken back.
        l.set(1);
        assert_eq!(l.max(), 1);
        drop(a);
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
        assert_eq!(l.0.slots.available_permits(), 0, "the freed slot was owed");
        drop(b);
        tokio::task::yield_now().await;
        assert_eq!(l.0.slots.available_permits(), 1);
        // Raised: slots at once.
        l.set(5);
        assert_eq!(l.0.slots.available_permits(), 5);
        // Lowered with none in use: free slots go at once.
        l.set(0);
        assert_eq!(l.0.slots.available_permits(), 0);
        assert_eq!(l.0.state().owed, 0);
    }

    #[tokio::test]
    async fn a_raise_cancels_what_a_lowering_still_owes() {
        let l = Limit::new(3);
        let held: Vec<_> = [l.acquire().await, l.acquire().await, l.acquire().await].into();
        l.set(1);
        l.set(3);
        tokio::task::yield_now().await;
        drop(held);
        tokio::task::yield_now().await;
        assert_eq!(l.0.slots.available_permits(), 3);
    }
}
