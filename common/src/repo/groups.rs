//! Decompressed groups of small blobs, shared by the readers of one restore
//! (one per worker): a group is decoded by the first reader that needs it,
//! the others wait for that and use the same plaintext, so each group is
//! decoded once per restore whatever the order and the worker of its files,
//! as long as it stays within the byte budget (least recently used groups
//! go first). Tree groups have a budget of their own: a restore reads trees
//! top-down, the reverse of the order a backup wrote them, so they would
//! otherwise be evicted by the data read in between. The counts say how
//! well that held.

use crate::error::Result;
use crate::id::Id;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// A group: its pack and its payload's offset there.
pub type GroupKey = (Id, u32);

/// Which budget a group counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Data blobs.
    Data = 0,
    /// Tree blobs.
    Tree = 1,
}

enum Slot {
    Decoding,
    Ready(Arc<Vec<u8>>),
}

#[derive(Default)]
struct State {
    slots: HashMap<GroupKey, Slot>,
    /// Ready groups per budget, least recently used first.
    order: [VecDeque<GroupKey>; 2],
    bytes: [usize; 2],
    decodes: u64,
    seen: HashSet<GroupKey>,
}

/// The shared cache.
pub struct Groups {
    state: Mutex<State>,
    ready: Condvar,
    budget: usize,
}

impl Groups {
    /// A cache holding up to `budget` bytes of decoded data groups, and as
    /// much again of tree groups.
    pub fn new(budget: usize) -> Arc<Groups> {
        Arc::new(Groups {
            state: Mutex::new(State::default()),
            ready: Condvar::new(),
            budget,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// (groups decoded, distinct groups): equal when none was decoded twice.
    pub fn counts(&self) -> (u64, u64) {
        let st = self.lock();
        (st.decodes, st.seen.len() as u64)
    }

    /// The plaintext of group `key`: cached, being decoded by another
    /// reader (waited for), or decoded here by `decode`.
    pub fn get_or_decode(
        &self,
        (key, budget): (GroupKey, Budget),
        decode: impl FnOnce() -> Result<Vec<u8>>,
    ) -> Result<Arc<Vec<u8>>> {
        let b = budget as usize;
        let mut st = self.lock();
        loop {
            match st.slots.get(&key) {
                Some(Slot::Ready(p)) => {
                    let p = p.clone();
                    if let Some(i) = st.order[b].iter().position(|k| *k == key) {
                        st.order[b].remove(i);
                    }
                    st.order[b].push_back(key);
                    return Ok(p);
                }
                Some(Slot::Decoding) => {
                    st = self.ready.wait(st).unwrap_or_else(|p| p.into_inner());
                }
                None => break,
            }
        }
        st.slots.insert(key, Slot::Decoding);
        drop(st);
        let decoded = decode();
        let mut st = self.lock();
        let out = match decoded {
            Ok(plain) => {
                let plain = Arc::new(plain);
                st.decodes += 1;
                st.seen.insert(key);
                st.bytes[b] += plain.len();
                st.slots.insert(key, Slot::Ready(plain.clone()));
                st.order[b].push_back(key);
                while st.bytes[b] > self.budget && st.order[b].len() > 1 {
                    let Some(old) = st.order[b].pop_front() else {
                        break;
                    };
                    if let Some(Slot::Ready(p)) = st.slots.remove(&old) {
                        st.bytes[b] -= p.len();
                    }
                }
                Ok(plain)
            }
            Err(e) => {
                st.slots.remove(&key);
                Err(e)
            }
        };
        self.ready.notify_all();
        out
    }

    /// Forgets everything (a pack was replaced by an older version).
    pub fn clear(&self) {
        let mut st = self.lock();
        st.slots.retain(|_, s| matches!(s, Slot::Decoding));
        st.order = Default::default();
        st.bytes = [0; 2];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_readers_decode_a_group_once_and_the_budget_evicts() {
        let g = Groups::new(3000);
        let key = (Id([1; 32]), 0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    let p = g
                        .get_or_decode((key, Budget::Data), || {
                            std::thread::sleep(std::time::Duration::from_millis(20));
                            Ok(vec![7; 1000])
                        })
                        .unwrap();
                    assert_eq!(p.len(), 1000);
                });
            }
        });
        assert_eq!(g.counts(), (1, 1));
        for i in 1..=3u32 {
            g.get_or_decode(((Id([1; 32]), i), Budget::Data), || Ok(vec![0; 1000]))
                .unwrap();
        }
        // Trees do not push data out (nor the other way round).
        g.get_or_decode(((Id([3; 32]), 0), Budget::Tree), || Ok(vec![1; 2500]))
            .unwrap();
        g.get_or_decode(((Id([1; 32]), 3), Budget::Data), || panic!("evicted"))
            .unwrap();
        // 4,000 data bytes over a 3,000 budget: the oldest (key) went.
        g.get_or_decode((key, Budget::Data), || Ok(vec![7; 1000]))
            .unwrap();
        assert_eq!(g.counts(), (6, 5));
        let e = g.get_or_decode(((Id([2; 32]), 0), Budget::Data), || {
            Err(crate::Error::damaged("x"))
        });
        assert!(e.is_err());
        assert_eq!(g.counts(), (6, 5));
    }
}
