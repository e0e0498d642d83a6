//! How many requests each origin (scheme, host and port) gets at once: a limit that follows
//! the latency of the origin's answers, in the spirit of TCP Vegas and of the "gradient"
//! limiters of Netflix's concurrency-limits.
//!
//! A server that answers as fast with 32 requests in flight as with 2 is latency-bound (a
//! remote index): it wants many requests in flight. A server whose answers slow down as
//! requests are added is queueing them (a loopback server on one core, a Python server
//! holding one lock): more in flight only makes each answer later, and contention can make
//! the whole run slower. Each origin's limit:
//!
//! - starts at [`FIRST_LIMIT`] and, while answers keep their speed, grows by one per answer
//!   (a slow start, as TCP's, judged every [`MIN_WINDOW`] answers): connections open no
//!   faster than answers come back, which spares servers with a small listen backlog a
//!   burst of connections;
//! - after the slow start, judges latency one window at a time (about one round trip: as
//!   many answers as the limit), by the window's median, so that one slow answer (a cache
//!   miss behind a CDN, a big page) changes nothing;
//! - keeps the origin's fastest answer (one with nothing queued before it: the first of a
//!   burst is one); a window whose median is over [`TOLERANCE`] times that is queueing,
//!   and the limit is multiplied by `TOLERANCE × fastest / median` (at most halved per
//!   window), plus one request of
//!   headroom, so that it settles where answers take about twice the baseline instead of
//!   falling to the floor;
//! - otherwise grows by the square root of the limit per window, while the window used at
//!   least half of the limit (a limit nobody reaches says nothing about the server);
//! - halves on an explicit "too busy" answer (429, 503);
//! - stays within [`MIN_LIMIT`] (or the cap, if lower) and the cap (`--concurrency`);
//! - judges queueing only on origins whose baseline (the lowest window median) is at most
//!   [`QUEUE_VISIBLE`] (a loopback or LAN server): over a wide network, jitter is larger
//!   than what a queue adds.
//!
//! Latency is the time until the response's headers arrive: bodies are read after, and a big
//! page must not look like a queue. Requests waiting for a permit are served first come,
//! first served. The baseline never rises: a limiter lives as long as its client, one run
//! (a path that really got slower for good holds the limit low for the rest of it).
//!
//! The resolver's prefetch workers see a request that waits here as a slow job and add
//! workers (up to the cap); those wait here too, in order, and cost a thread each.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::Thread;
use std::time::{Duration, Instant};

use url::Url;

use crate::util::lock;

/// Requests in flight to an origin before any answer came back.
const FIRST_LIMIT: f64 = 6.0;
/// The fewest requests in flight an origin is held to (when the cap allows as many). With 2,
/// a client whose own CPU is the bottleneck (it reads answers late, which looks like
/// queueing) left its pipeline empty: large linux-3.11 cold took 1.02-1.38 s against
/// 0.74-1.06 s with the fixed ramp; with 4 it takes 0.74 s, and the loopback server on the
/// backtracking set still spends far less than with 32 (see benches/README).
const MIN_LIMIT: f64 = 4.0;
/// The fewest answers a window of latencies is judged on.
const MIN_WINDOW: usize = 2;
/// How many times the fastest answer a window's median latency may be before the origin is
/// judged to be queueing requests (with a window-median baseline instead, 2 held a loopback
/// Python server at 3-10 requests in flight, 1.5 at 2-3 and 3 at 6-10, where the server
/// was as slow as with 32: benches/README.md "Session 13 (limit)").
const TOLERANCE: f64 = 2.0;
/// The highest baseline latency a queue is judged at. Over it, the origin is across a wide
/// network: the live PyPI's answers vary from 20 to 90 ms with nothing queued (a CDN fetching
/// pages from its origin), and a limit that followed them made a cold `torch` resolve 3.5 s
/// instead of 2.1 s; such an origin's limit only grows (it is latency-bound anyway).
const QUEUE_VISIBLE: Duration = Duration::from_millis(10);
/// The least a window's judgement multiplies the limit by.
const MOST_CUT: f64 = 0.5;

/// The limits of every origin a client talks to.
pub(super) struct Origins {
    cap: usize,
    origins: Mutex<HashMap<String, Arc<Limiter>>>,
}

impl Origins {
    /// Limits of at most `cap` requests in flight per origin.
    pub(super) fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(1),
            origins: Mutex::new(HashMap::new()),
        }
    }

    /// Wait for a permit to send a request to `url`'s origin.
    pub(super) fn enter(&self, url: &Url) -> Permit {
        let origin = url.origin().ascii_serialization();
        let limiter = {
            let mut origins = lock(&self.origins);
            let limiter = origins
                .entry(origin)
                .or_insert_with(|| Limiter::new(self.cap));
            Arc::clone(limiter)
        };
        limiter.enter()
    }
}

/// One origin's limit (see the module documentation).
pub(super) struct Limiter {
    cap: f64,
    state: Mutex<State>,
}

struct State {
    /// Requests allowed in flight (fractional: growth by square roots accumulates).
    limit: f64,
    in_flight: usize,
    /// Requests waiting for a permit, first come first served.
    waiting: VecDeque<Arc<Waiter>>,
    /// Latencies of the answers of the current window.
    window: Vec<Duration>,
    /// The most requests in flight during the current window.
    busiest: usize,
    /// The lowest window median seen: how far the origin is.
    baseline: Option<Duration>,
    /// The lowest latency seen: an answer with nothing queued before it (the first of a
    /// burst is one).
    fastest: Option<Duration>,
    /// No window has been judged to queue yet.
    slow_start: bool,
    /// The limit was halved for a busy answer in the current window (once per window: a
    /// burst of busy answers is one signal).
    cut_for_busy: bool,
}

/// A thread waiting for a permit; whoever grants it sets `granted` and wakes the thread.
struct Waiter {
    thread: Thread,
    granted: AtomicBool,
}

impl Limiter {
    fn new(cap: usize) -> Arc<Self> {
        let cap = cap.max(1) as f64;
        Arc::new(Self {
            cap,
            state: Mutex::new(State {
                limit: FIRST_LIMIT.min(cap),
                in_flight: 0,
                waiting: VecDeque::new(),
                window: Vec::new(),
                busiest: 0,
                baseline: None,
                fastest: None,
                slow_start: true,
                cut_for_busy: false,
            }),
        })
    }

    /// A permit, once one is free and every request that waited before has had its own.
    fn enter(self: Arc<Self>) -> Permit {
        let waiter = {
            let mut state = lock(&self.state);
            if state.waiting.is_empty() && state.has_room() {
                state.take_one();
                None
            } else {
                let waiter = Arc::new(Waiter {
                    thread: std::thread::current(),
                    granted: AtomicBool::new(false),
                });
                state.waiting.push_back(Arc::clone(&waiter));
                Some(waiter)
            }
        };
        if let Some(waiter) = waiter {
            // `park` may return spuriously; the permit is ours once `granted` is set.
            while !waiter.granted.load(Ordering::Acquire) {
                std::thread::park();
            }
        }
        Permit {
            limiter: self,
            started: Instant::now(),
        }
    }

    /// Requests currently allowed in flight.
    #[cfg(test)]
    fn limit(&self) -> usize {
        lock(&self.state).allowed()
    }

    /// An answer came back after `latency`: judge the window once it is full.
    fn answered(&self, latency: Duration) {
        let mut state = lock(&self.state);
        state.window.push(latency);
        state.fastest = Some(state.fastest.map_or(latency, |f| f.min(latency)));
        // A slow start judges every few answers: it grows by one per answer.
        let full = if state.slow_start {
            MIN_WINDOW
        } else {
            MIN_WINDOW.max(state.allowed())
        };
        if state.window.len() >= full {
            state.judge(self.cap);
            state.grant();
        }
    }

    /// The origin said it is too busy: halve the limit (once per window).
    fn overloaded(&self) {
        let mut state = lock(&self.state);
        if std::mem::replace(&mut state.cut_for_busy, true) {
            return;
        }
        state.slow_start = false;
        state.limit = (state.limit * MOST_CUT).max(MIN_LIMIT.min(self.cap));
    }

    fn leave(&self) {
        let mut state = lock(&self.state);
        state.in_flight -= 1;
        state.grant();
    }
}

impl State {
    /// Requests allowed in flight, a whole number.
    fn allowed(&self) -> usize {
        (self.limit.floor() as usize).max(1)
    }

    fn has_room(&self) -> bool {
        self.in_flight < self.allowed()
    }

    fn take_one(&mut self) {
        self.in_flight += 1;
        self.busiest = self.busiest.max(self.in_flight);
    }

    /// Hand free permits to the longest waiting requests.
    fn grant(&mut self) {
        while self.has_room() {
            let Some(waiter) = self.waiting.pop_front() else {
                break;
            };
            self.take_one();
            waiter.granted.store(true, Ordering::Release);
            waiter.thread.unpark();
        }
    }

    /// Judge a full window (see the module documentation) and start the next.
    fn judge(&mut self, cap: f64) {
        let answers = self.window.len() as f64;
        let median = median(&mut self.window);
        self.window.clear();
        self.cut_for_busy = false;
        let used = self.busiest as f64 * 2.0 >= self.limit;
        self.busiest = self.in_flight;
        let baseline = self.baseline.map_or(median, |b| b.min(median));
        self.baseline = Some(baseline);
        let fastest = self.fastest.unwrap_or(median).as_secs_f64();
        let gradient = if baseline <= QUEUE_VISIBLE {
            TOLERANCE * fastest / median.as_secs_f64().max(1e-9)
        } else {
            1.0
        };
        let limit = if gradient < 1.0 {
            self.slow_start = false;
            (self.limit * gradient.max(MOST_CUT) + 1.0).min(self.limit)
        } else if !used {
            self.limit
        } else if self.slow_start {
            self.limit + answers
        } else {
            self.limit + self.limit.sqrt()
        };
        self.limit = limit.clamp(MIN_LIMIT.min(cap), cap);
    }
}

/// The median of `latencies` (the lower one of an even count: one slow answer of two is
/// not a queue), reordering them.
fn median(latencies: &mut [Duration]) -> Duration {
    let middle = (latencies.len() - 1) / 2;
    *latencies.select_nth_unstable(middle).1
}

/// Leave to send one request; dropping it lets the next one go.
pub(super) struct Permit {
    limiter: Arc<Limiter>,
    started: Instant,
}

impl Permit {
    /// The response's headers arrived: its latency counts.
    pub(super) fn answered(&self) {
        self.limiter.answered(self.started.elapsed());
    }

    /// The server answered that it is too busy (429, 503).
    pub(super) fn overloaded(&self) {
        self.limiter.overloaded();
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limiter.leave();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// Runs `rounds` round trips against `limiter`: each round sends as many requests as
    /// the limit allows, and each answer takes `latency(in flight)`. Returns the limit after
    /// every round.
    fn simulate_into(
        limiter: &Arc<Limiter>,
        rounds: usize,
        mut latency: impl FnMut(usize) -> Duration,
    ) -> Vec<usize> {
        let mut limits = Vec::new();
        for _ in 0..rounds {
            let n = limiter.limit();
            let permits: Vec<Permit> = (0..n).map(|_| Arc::clone(limiter).enter()).collect();
            for permit in &permits {
                permit.limiter.answered(latency(n));
            }
            drop(permits);
            limits.push(limiter.limit());
        }
        limits
    }

    /// [`simulate_into`] a new limiter of cap `cap`.
    fn simulate(cap: usize, rounds: usize, latency: impl FnMut(usize) -> Duration) -> Vec<usize> {
        simulate_into(&Limiter::new(cap), rounds, latency)
    }

    /// A server on one core that takes 0.4 ms per request: each answer waits for those in
    /// flight before it.
    fn queueing(in_flight: usize) -> Duration {
        Duration::from_micros(100 + 400 * in_flight as u64)
    }

    #[test]
    fn a_queueing_server_gets_a_few_requests_at_once() {
        let limits = simulate(32, 200, queueing);
        let settled = &limits[50..];
        assert!(settled.iter().all(|&l| (2..=12).contains(&l)), "{limits:?}");
    }

    #[test]
    fn a_server_as_fast_under_load_gets_the_cap() {
        let limits = simulate(32, 20, |_| 2 * MS);
        // Slow start from 6: one more per answer.
        assert_eq!(limits[..4], [12, 24, 32, 32], "{limits:?}");
        assert!(limits.iter().skip(3).all(|&l| l == 32), "{limits:?}");
    }

    #[test]
    fn jitter_that_does_not_follow_load_keeps_the_cap() {
        // Latencies anywhere from 2 to 3.9 ms, whatever the load; a deterministic sequence.
        let mut seed = 12345u64;
        let limits = simulate(32, 100, |_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            Duration::from_micros(2000 + (seed >> 33) % 2000)
        });
        assert!(limits[10..].iter().all(|&l| l == 32), "{limits:?}");
    }

    #[test]
    fn one_slow_answer_in_a_window_changes_nothing() {
        let limiter = Limiter::new(32);
        simulate_into(&limiter, 3, |_| 2 * MS);
        assert_eq!(limiter.limit(), 32);
        let permits: Vec<Permit> = (0..32).map(|_| Arc::clone(&limiter).enter()).collect();
        for (i, permit) in permits.iter().enumerate() {
            let latency = if i == 3 { 1000 * MS } else { 2 * MS };
            permit.limiter.answered(latency);
        }
        drop(permits);
        // Not cut.
        assert_eq!(limiter.limit(), 32);
    }

    #[test]
    fn a_server_that_slows_down_under_load_later_is_backed_off_from() {
        // Fast at any load for a while (the limit reaches the cap), then queueing.
        let mut answers = 0;
        let limits = simulate(32, 120, |n| {
            answers += 1;
            if answers < 500 {
                5 * MS
            } else {
                queueing(n) + 5 * MS
            }
        });
        assert!(limits[..20].contains(&32), "{limits:?}");
        assert!(*limits.last().expect("rounds") < 32, "{limits:?}");
    }

    #[test]
    fn a_remote_origin_is_not_judged_to_queue() {
        // A queue on a 30 ms path: the same cuts would bring it to a few requests.
        let limits = simulate(32, 100, |n| 30 * MS + queueing(n) * 4);
        assert!(limits[4..].iter().all(|&l| l == 32), "{limits:?}");
    }

    #[test]
    fn an_unused_limit_does_not_grow() {
        let limiter = Limiter::new(32);
        let single = |n: usize| {
            for _ in 0..n {
                Arc::clone(&limiter).enter().answered();
            }
        };
        simulate_into(&limiter, 2, |_| 20 * MS);
        // A window that began with the simulation's requests in flight.
        single(8);
        let limit = limiter.limit();
        assert!(limit >= 8, "{limit}");
        // One request at a time: the limit is never half used.
        single(100);
        assert_eq!(limiter.limit(), limit);
    }

    #[test]
    fn too_busy_answers_halve_the_limit_once_a_window_down_to_the_floor() {
        let limiter = Limiter::new(32);
        simulate_into(&limiter, 4, |_| 20 * MS);
        assert_eq!(limiter.limit(), 32);
        let permit = Arc::clone(&limiter).enter();
        for _ in 0..6 {
            permit.overloaded();
        }
        assert_eq!(limiter.limit(), 16, "a burst of busy answers is one signal");
        for _ in 0..10 {
            for _ in 0..limiter.limit().max(MIN_WINDOW) {
                limiter.answered(20 * MS);
            }
            permit.overloaded();
        }
        assert_eq!(limiter.limit(), MIN_LIMIT as usize);
    }

    #[test]
    fn the_cap_bounds_the_limit_and_the_floor() {
        assert!(simulate(3, 30, |_| 20 * MS).iter().all(|&l| l <= 3));
        assert!(simulate(1, 30, queueing).iter().all(|&l| l == 1));
    }

    #[test]
    fn waiting_requests_are_served_in_order() {
        let limiter = Limiter::new(1);
        let order = Arc::new(Mutex::new(Vec::new()));
        let first = Arc::clone(&limiter).enter();
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let mine = Arc::clone(&limiter);
                let order = Arc::clone(&order);
                let handle = std::thread::spawn(move || {
                    let _permit = mine.enter();
                    lock(&order).push(i);
                });
                // Each thread queues before the next starts.
                while lock(&limiter.state).waiting.len() <= i {
                    std::thread::yield_now();
                }
                handle
            })
            .collect();
        drop(first);
        for h in handles {
            h.join().expect("joined");
        }
        assert_eq!(*lock(&order), [0, 1, 2, 3]);
    }

    #[test]
    fn origins_are_limited_apart() {
        let origins = Origins::new(32);
        let a = Url::parse("https://pypi.org/simple/a/").expect("url");
        let b = Url::parse("https://files.pythonhosted.org/x.whl").expect("url");
        // Six permits fill pypi.org's first limit; another origin is not held up by them.
        let held: Vec<Permit> = (0..6).map(|_| origins.enter(&a)).collect();
        let other = origins.enter(&b);
        assert_eq!(lock(&held[0].limiter.state).in_flight, 6);
        assert_eq!(lock(&other.limiter.state).in_flight, 1);
    }
}
