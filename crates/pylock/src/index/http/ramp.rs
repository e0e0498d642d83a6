//! Requests waiting for an answer (until the response headers arrive; bodies are read after),
//! ramped up as answers come back.

use std::sync::{Condvar, Mutex};

/// Requests in flight, opened gradually: a cold resolve wants dozens at once, and servers
/// with a small listen backlog (Python's `http.server` has 5) drop the connections of such a
/// burst, which the OS retries only after 1, 3, 7 seconds. The first few requests run at
/// once; each answer allows one more, so new connections open no faster than answers come
/// back, and keep-alive connections are reused.
pub(super) struct Ramp {
    /// (in flight, allowed).
    state: Mutex<(usize, usize)>,
    freed: Condvar,
}

/// Requests in flight at the start of a run.
const FIRST_IN_FLIGHT: usize = 6;
/// The most requests in flight (uv allows 50).
const MAX_IN_FLIGHT: usize = 64;

impl Ramp {
    pub(super) fn new() -> Self {
        Self {
            state: Mutex::new((0, FIRST_IN_FLIGHT)),
            freed: Condvar::new(),
        }
    }

    pub(super) fn enter(&self) -> RampSlot<'_> {
        let mut state = crate::util::lock(&self.state);
        while state.0 >= state.1 {
            state = self
                .freed
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        state.0 += 1;
        RampSlot(self)
    }
}

/// One request in flight; leaving it lets the next one start.
pub(super) struct RampSlot<'r>(&'r Ramp);

impl RampSlot<'_> {
    /// The server answered: one more request may run at once.
    pub(super) fn answered(&self) {
        let mut state = crate::util::lock(&self.0.state);
        state.1 = (state.1 + 1).min(MAX_IN_FLIGHT);
        self.0.freed.notify_one();
    }
}

impl Drop for RampSlot<'_> {
    fn drop(&mut self) {
        crate::util::lock(&self.0.state).0 -= 1;
        self.0.freed.notify_all();
    }
}
