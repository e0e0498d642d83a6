//! A map of values produced once and shared: each key's slot goes Queued (a worker will
//! produce it) -> Running (someone is producing it) -> Ready, or Failed. Whoever needs a value
//! that is not ready produces it, or waits for the one producing it; a change of a slot wakes
//! the waiters, if any (a warm run completes thousands of slots nobody waits for, and each
//! wake-up is a system call).
//!
//! Keys are hashed with FxHash, not SipHash: they are project names and versions from the
//! index, hashed tens of thousands of times per resolve on the solver's path. A hostile index
//! choosing colliding names only slows its own resolve, no more than PubGrub's own FxHash
//! maps over the same packages already allow, and the pages it can serve are bounded.

use std::hash::Hash;
use std::sync::{Condvar, Mutex, MutexGuard};

use rustc_hash::FxHashMap;

use crate::index::IndexError;
use crate::util::lock;

/// The state of one key.
enum Slot<T> {
    /// Queued for a worker that has not started: whoever needs it first produces it.
    Queued,
    /// Someone is producing it: wait.
    Running,
    /// Produced.
    Ready(T),
    /// A worker failed; whoever needs it produces it again and gets the error itself.
    Failed,
}

/// Values by key, each produced once (see the module documentation).
pub(super) struct SlotMap<K, T> {
    slots: Mutex<Slots<K, T>>,
    changed: Condvar,
}

/// The slots, and how many threads wait for one of them to change.
struct Slots<K, T> {
    map: FxHashMap<K, Slot<T>>,
    waiters: usize,
}

impl<K, T> Slots<K, T> {
    /// Wait for a change of any slot (this guard is given up meanwhile).
    fn wait<'m>(mut this: MutexGuard<'m, Self>, changed: &Condvar) -> MutexGuard<'m, Self> {
        this.waiters += 1;
        let mut this = changed
            .wait(this)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        this.waiters -= 1;
        this
    }
}

impl<K: Hash + Eq + Clone, T: Clone> SlotMap<K, T> {
    /// An empty map.
    pub(super) fn new() -> Self {
        Self {
            slots: Mutex::new(Slots {
                map: FxHashMap::default(),
                waiters: 0,
            }),
            changed: Condvar::new(),
        }
    }

    fn slots(&self) -> MutexGuard<'_, Slots<K, T>> {
        lock(&self.slots)
    }

    /// Set `key`'s slot (`None`: forget it) and wake whoever waits for a change.
    fn settle(&self, key: K, slot: Option<Slot<T>>) {
        let mut slots = self.slots();
        match slot {
            Some(slot) => slots.map.insert(key, slot),
            None => slots.map.remove(&key),
        };
        let wake = slots.waiters > 0;
        drop(slots);
        if wake {
            self.changed.notify_all();
        }
    }

    /// Mark `key` queued for a worker; `false` when it is known already (queued, running,
    /// ready or failed).
    pub(super) fn request(&self, key: &K) -> bool {
        let mut slots = self.slots();
        if slots.map.contains_key(key) {
            return false;
        }
        slots.map.insert(key.clone(), Slot::Queued);
        true
    }

    /// Take a queued key for this worker (`Queued` -> `Running`); `false` when someone else
    /// took it, or it was never queued.
    pub(super) fn claim(&self, key: &K) -> bool {
        match self.slots().map.get_mut(key) {
            Some(slot @ Slot::Queued) => {
                *slot = Slot::Running;
                true
            }
            _ => false,
        }
    }

    /// Take a key nobody asked for yet for this worker (absent -> `Running`); `false` when
    /// it is known already.
    pub(super) fn claim_unknown(&self, key: K) -> bool {
        match self.slots().map.entry(key) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(Slot::Running);
                true
            }
        }
    }

    /// A worker's result for a key it claimed: `Ready`, or `Failed` (whoever needs it then
    /// produces it again, and gets the error itself).
    pub(super) fn complete<E>(&self, key: K, result: Result<T, E>) {
        let slot = match result {
            Ok(value) => Slot::Ready(value),
            Err(_) => Slot::Failed,
        };
        self.settle(key, Some(slot));
    }

    /// The value at `key`: waiting for whoever is producing it, or produced here by
    /// `produce`. An error is not kept: whoever asks next tries again and gets it itself.
    pub(super) fn get_or_produce(
        &self,
        key: &K,
        produce: impl FnOnce() -> Result<T, IndexError>,
    ) -> Result<T, IndexError> {
        let mut slots = self.slots();
        loop {
            match slots.map.get(key) {
                Some(Slot::Ready(v)) => return Ok(v.clone()),
                Some(Slot::Running) => slots = Slots::wait(slots, &self.changed),
                Some(Slot::Queued | Slot::Failed) | None => break,
            }
        }
        slots.map.insert(key.clone(), Slot::Running);
        drop(slots);
        // Producers guard their index reads (see `guarded`): whoever waits for this slot is
        // released whatever happens there.
        let result = produce();
        let slot = result.as_ref().ok().map(|v| Slot::Ready(v.clone()));
        self.settle(key.clone(), slot);
        result
    }

    /// The value at `key` if it is ready.
    pub(super) fn if_ready(&self, key: &K) -> Option<T> {
        match self.slots().map.get(key) {
            Some(Slot::Ready(v)) => Some(v.clone()),
            _ => None,
        }
    }

    /// The value at `key` once whoever is producing it has finished (`None`: not ready, and
    /// nobody is producing it).
    pub(super) fn when_ready(&self, key: &K) -> Option<T> {
        let mut slots = self.slots();
        loop {
            match slots.map.get(key) {
                Some(Slot::Ready(v)) => return Some(v.clone()),
                Some(Slot::Running) => slots = Slots::wait(slots, &self.changed),
                _ => return None,
            }
        }
    }

    /// The keys known (queued, running, ready or failed).
    #[cfg(test)]
    pub(super) fn keys(&self) -> Vec<K> {
        self.slots().map.keys().cloned().collect()
    }

    /// Whether `key` is known (queued, running, ready or failed).
    #[cfg(test)]
    pub(super) fn contains(&self, key: &K) -> bool {
        self.slots().map.contains_key(key)
    }

    /// Everything in the map, which is left empty (to be freed elsewhere).
    pub(super) fn take(&self) -> impl Send + 'static
    where
        K: Send + 'static,
        T: Send + 'static,
    {
        std::mem::take(&mut self.slots().map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slot protocol: a key is queued once, claimed by one worker, and whoever needs it
    /// meanwhile waits for that worker's value instead of producing it again.
    #[test]
    fn a_claimed_slot_is_produced_once_and_waited_for() {
        let map: SlotMap<u32, u32> = SlotMap::new();
        assert!(map.request(&1));
        assert!(!map.request(&1), "queued once");
        assert!(map.claim(&1));
        assert!(!map.claim(&1), "claimed once");
        assert!(!map.claim_unknown(1), "known already");
        std::thread::scope(|s| {
            let waiter = s.spawn(|| map.get_or_produce(&1, || panic!("produced twice")));
            std::thread::sleep(std::time::Duration::from_millis(20));
            map.complete::<IndexError>(1, Ok(7));
            assert_eq!(waiter.join().expect("no panic").expect("value"), 7);
        });
        assert_eq!(map.if_ready(&1), Some(7));
        assert_eq!(map.when_ready(&1), Some(7));
        assert_eq!(map.when_ready(&5), None, "nobody produces it: no wait");
        // A worker's failure is not the answer: whoever needs the value produces it.
        assert!(map.claim_unknown(2));
        map.complete::<IndexError>(
            2,
            Err(IndexError::NoMetadata {
                filename: "x".into(),
            }),
        );
        assert_eq!(map.if_ready(&2), None);
        assert_eq!(map.get_or_produce(&2, || Ok(9)).expect("produced"), 9);
        // An error produced here is returned, and not kept either.
        let err = map.get_or_produce(&3, || {
            Err(IndexError::NoMetadata {
                filename: "y".into(),
            })
        });
        assert!(err.is_err());
        assert!(!map.contains(&3));
    }
}
