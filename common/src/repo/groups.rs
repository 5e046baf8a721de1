//! Decompressed groups of small blobs, shared by the readers of one restore
//! (one per worker): a group is decoded by the first reader that needs it,
//! the others wait for that and use the same plaintext, so each group is
//! decoded once per restore whatever the order and the worker of its files,
//! as long as it stays within the byte budget (least recently used groups
//! go first). Tree groups have a budget of their own: a restore reads trees
//! top-down, the reverse of the order a backup wrote them, so they would
//! otherwise be evicted by the data read in between. A restore also says
//! beforehand how often it will read each data group ([`Groups::expect`]):
//! a group with reads left outlives the budget (up to 16 times it), and one
//! whose last read is done goes at once. That keeps decode-once when a
//! group's files are scattered over the tree (the files an incremental
//! backup found changed share new groups). The counts (data groups) say how
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
    /// Data groups' reads still to come, when the restore said.
    remaining: HashMap<GroupKey, u32>,
}

impl State {
    /// One read of `key` done: after its last, it goes.
    fn consumed(&mut self, key: GroupKey, b: usize) {
        let Some(n) = self.remaining.get_mut(&key) else {
            return;
        };
        *n = n.saturating_sub(1);
        if *n > 0 {
            return;
        }
        self.remaining.remove(&key);
        if let Some(i) = self.order[b].iter().position(|k| *k == key) {
            self.order[b].remove(i);
        }
        if let Some(Slot::Ready(p)) = self.slots.remove(&key) {
            self.bytes[b] -= p.len();
        }
    }

    /// Evicts least recently used groups of budget `b` down to `budget`,
    /// sparing those with reads left unless 16 times the budget is held.
    fn evict(&mut self, b: usize, budget: usize) {
        while self.bytes[b] > budget && self.order[b].len() > 1 {
            let hard = self.bytes[b] > budget.saturating_mul(16);
            let remaining = &self.remaining;
            let Some(i) = self.order[b]
                .iter()
                .position(|k| hard || !remaining.contains_key(k))
            else {
                return;
            };
            let Some(old) = self.order[b].remove(i) else {
                return;
            };
            if let Some(Slot::Ready(p)) = self.slots.remove(&old) {
                self.bytes[b] -= p.len();
            }
        }
    }
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

    /// The reads a restore will make of each data group.
    pub fn expect(&self, reads: HashMap<GroupKey, u32>) {
        self.lock().remaining = reads;
    }

    /// (data groups decoded, distinct data groups): equal when none was
    /// decoded twice.
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
                    st.consumed(key, b);
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
                if budget == Budget::Data {
                    st.decodes += 1;
                    st.seen.insert(key);
                }
                st.bytes[b] += plain.len();
                st.slots.insert(key, Slot::Ready(plain.clone()));
                st.order[b].push_back(key);
                st.evict(b, self.budget);
                st.consumed(key, b);
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

/// How often the restore will read each data group: once per content blob of
/// every file (a first pass over the trees, which are read again by the
/// walk). At most `limit` entries are counted; a damaged tree is skipped
/// here and reported by the walk.
pub fn reads(
    reader: &mut super::BlobReader<'_>,
    index: &super::Index,
    root: &Id,
    limit: u64,
) -> HashMap<GroupKey, u32> {
    let mut reads: HashMap<_, u32> = HashMap::new();
    let (mut stack, mut seen) = (vec![*root], 0u64);
    while let Some(t) = stack.pop() {
        let Ok(tree) = reader.tree(&t) else {
            continue;
        };
        for n in tree.nodes {
            seen += 1;
            if seen > limit {
                return reads;
            }
            match n.kind {
                crate::format::tree::NodeKind::Dir => stack.extend(n.subtree),
                crate::format::tree::NodeKind::File => {
                    for id in &n.content {
                        if let Some((p, l)) = index.get(id) {
                            if l.group_length > 0 {
                                *reads.entry((p.id, l.offset)).or_default() += 1;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    reads
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
        assert_eq!(g.counts(), (5, 4));
        let e = g.get_or_decode(((Id([2; 32]), 0), Budget::Data), || {
            Err(crate::Error::damaged("x"))
        });
        assert!(e.is_err());
        assert_eq!(g.counts(), (5, 4));
    }

    #[test]
    fn a_group_with_reads_left_outlives_the_budget_and_goes_after_its_last() {
        let g = Groups::new(1000);
        let k = |i: u32| ((Id([4; 32]), i), Budget::Data);
        g.expect([((Id([4; 32]), 0), 3)].into_iter().collect());
        g.get_or_decode(k(0), || Ok(vec![0; 600])).unwrap();
        for i in 1..=5 {
            g.get_or_decode(k(i), || Ok(vec![0; 600])).unwrap();
        }
        // Group 0 still has two reads to come: kept over the budget.
        g.get_or_decode(k(0), || panic!("decoded twice")).unwrap();
        g.get_or_decode(k(0), || panic!("decoded twice")).unwrap();
        // Its last read is done: it is gone.
        g.get_or_decode(k(0), || Ok(vec![0; 600])).unwrap();
        assert_eq!(g.counts(), (7, 6));
    }
}
