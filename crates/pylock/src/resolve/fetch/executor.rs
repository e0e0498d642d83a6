//! The executor of a fetcher's prefetch jobs: a queue worked by threads that live as long as
//! one resolve. It starts with one thread per core (at least four) and adds threads, up to a
//! maximum, while jobs wait on the network.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use crate::util::lock;

/// A job longer than this waited on the network (a cached answer takes well under it).
const SLOW_JOB: std::time::Duration = std::time::Duration::from_millis(15);

/// A job queue and the threads that work it (see [`Executor::run`]).
pub(super) struct Executor<J> {
    queue: Mutex<Queue<J>>,
    work: Condvar,
}

struct Queue<J> {
    jobs: VecDeque<J>,
    closed: bool,
    /// Workers waiting for a job.
    idle: usize,
}

impl<J: Send> Executor<J> {
    /// An empty, open queue.
    pub(super) fn new() -> Self {
        Self {
            queue: Mutex::new(Queue {
                jobs: VecDeque::new(),
                closed: false,
                idle: 0,
            }),
            work: Condvar::new(),
        }
    }

    /// Queue `jobs`, in order, after those queued before, waking one idle worker per job.
    /// Busy workers take the next job themselves when they finish: waking every idle
    /// worker for every job (a warm run queues thousands, one at a time) costs a system
    /// call each and sends most of them back to sleep.
    pub(super) fn submit(&self, jobs: Vec<J>) {
        if jobs.is_empty() {
            return;
        }
        let count = jobs.len();
        let mut queue = lock(&self.queue);
        queue.jobs.extend(jobs);
        let wake = count.min(queue.idle);
        drop(queue);
        for _ in 0..wake {
            self.work.notify_one();
        }
    }

    /// The jobs queued and not started, taken off the queue.
    #[cfg(test)]
    pub(super) fn drain(&self) -> Vec<J> {
        lock(&self.queue).jobs.drain(..).collect()
    }

    /// How many jobs are queued and not started.
    #[cfg(test)]
    pub(super) fn queued(&self) -> usize {
        lock(&self.queue).jobs.len()
    }

    /// Stop the workers once the queue is empty (jobs queued still run).
    pub(super) fn close(&self) {
        lock(&self.queue).closed = true;
        self.work.notify_all();
    }

    /// Run `main` on this thread with up to `max` threads running `handle` on the queued
    /// jobs (starting with one per core, at least four); the queue is closed when `main`
    /// returns (also by a panic), and the threads are joined.
    pub(super) fn run<T>(
        &self,
        max: usize,
        handle: &(dyn Fn(J) + Sync),
        main: impl FnOnce() -> T,
    ) -> T {
        let max = max.max(1);
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let initial = max.min(cores.max(4));
        let workers = AtomicUsize::new(initial);
        /// Closes the queue when `main` ends, also by a panic: the scope waits for the
        /// workers, which wait for the queue to close.
        struct CloseOnDrop<'e, J: Send>(&'e Executor<J>);
        impl<J: Send> Drop for CloseOnDrop<'_, J> {
            fn drop(&mut self) {
                self.0.close();
            }
        }
        std::thread::scope(|s| {
            for _ in 0..initial {
                s.spawn(|| self.work(s, &workers, max, handle));
            }
            let _close = CloseOnDrop(self);
            main()
        })
    }

    /// Work the queue until it is closed and empty. A job that waited on the network adds a
    /// worker (up to `max`): answers from a warm cache are CPU-bound and want one thread per
    /// core, requests over the network want many in flight.
    fn work<'scope, 'env>(
        &'scope self,
        scope: &'scope std::thread::Scope<'scope, 'env>,
        workers: &'scope AtomicUsize,
        max: usize,
        handle: &'scope (dyn Fn(J) + Sync),
    ) {
        while let Some(job) = self.next() {
            let started = std::time::Instant::now();
            handle(job);
            if started.elapsed() > SLOW_JOB {
                self.grow(scope, workers, max, handle);
            }
        }
    }

    /// The next job, waiting for one; `None` once the queue is closed and empty.
    fn next(&self) -> Option<J> {
        let mut queue = lock(&self.queue);
        loop {
            if let Some(job) = queue.jobs.pop_front() {
                return Some(job);
            }
            if queue.closed {
                return None;
            }
            queue.idle += 1;
            queue = (self.work.wait(queue)).unwrap_or_else(std::sync::PoisonError::into_inner);
            queue.idle -= 1;
        }
    }

    /// Requests wait on the network: give every queued job a thread (up to `max`).
    fn grow<'scope, 'env>(
        &'scope self,
        scope: &'scope std::thread::Scope<'scope, 'env>,
        workers: &'scope AtomicUsize,
        max: usize,
        handle: &'scope (dyn Fn(J) + Sync),
    ) {
        let queued = lock(&self.queue).jobs.len();
        let mut current = workers.load(Ordering::Relaxed);
        while current < max.min(current + queued.max(1)) {
            match workers.compare_exchange(
                current,
                current + 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    scope.spawn(move || self.work(scope, workers, max, handle));
                    current += 1;
                }
                Err(actual) => current = actual,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every job submitted before or while `main` runs is handled before `run` returns, by
    /// worker threads, and a job may submit more.
    #[test]
    fn every_job_runs_before_run_returns() {
        let executor: Executor<u32> = Executor::new();
        let done = Mutex::new(Vec::new());
        let handle = |job: u32| {
            if job < 100 {
                executor.submit(vec![job + 100]);
            }
            lock(&done).push(job);
        };
        executor.run(8, &handle, || executor.submit((0..100).collect()));
        let mut done = std::mem::take(&mut *lock(&done));
        done.sort_unstable();
        assert_eq!(done, (0..200).collect::<Vec<_>>());
    }
}
