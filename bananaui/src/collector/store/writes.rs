//! [`Writes`]: a group of writes applied as one atomic batch; reads through
//! it see its own pending writes, and a [`Savepoint`] undoes what one
//! request wrote when it is refused.

use super::*;
use std::collections::BTreeMap;

/// A pending value: `None` when the key is removed.
type Pending = Option<Vec<u8>>;

/// A group of writes, applied as one batch; reads through it see its own
/// pending writes (the writer thread applies many events per group).
#[derive(Default)]
pub struct Writes {
    /// The latest pending value of each key written (`None`: removed).
    overlay: BTreeMap<Vec<u8>, Pending>,
    /// Each write in order, with what the overlay held for its key before
    /// (`None`: nothing pending).
    undo: Vec<(Vec<u8>, Option<Pending>)>,
}

/// Where a group stood before a request: [`Writes::rollback`] goes back to it.
#[derive(Debug, Clone, Copy)]
pub struct Savepoint(usize);

impl Writes {
    fn set(&mut self, k: Vec<u8>, v: Pending) {
        let before = self.overlay.insert(k.clone(), v);
        self.undo.push((k, before));
    }
    fn put<T: Serialize>(&mut self, k: Vec<u8>, v: &T) -> anyhow::Result<()> {
        self.set(k, Some(serde_json::to_vec(v)?));
        Ok(())
    }
    fn remove(&mut self, k: Vec<u8>) {
        self.set(k, None);
    }
    fn read<T: DeserializeOwned>(&self, store: &Store, k: &[u8]) -> anyhow::Result<Option<T>> {
        match self.overlay.get(k) {
            Some(Some(v)) => Ok(Some(decode(k, v)?)),
            Some(None) => Ok(None),
            None => store.get(k),
        }
    }
    fn contains(&self, store: &Store, k: &[u8]) -> anyhow::Result<bool> {
        match self.overlay.get(k) {
            Some(v) => Ok(v.is_some()),
            None => Ok(store.db.contains_key(k)?),
        }
    }
    /// The records under `prefix`, stored or pending (pending ones win), by key.
    fn scan<T: DeserializeOwned>(
        &self,
        store: &Store,
        prefix: &[u8],
    ) -> anyhow::Result<Vec<(Vec<u8>, T)>> {
        let mut all: BTreeMap<Vec<u8>, Pending> = BTreeMap::new();
        for kv in store.db.scan_prefix(prefix) {
            let (k, v) = kv?;
            all.insert(k.to_vec(), Some(v.to_vec()));
        }
        let pending = self
            .overlay
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix));
        for (k, v) in pending {
            all.insert(k.clone(), v.clone());
        }
        all.into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .map(|(k, v)| Ok((k.clone(), decode(&k, &v)?)))
            .collect()
    }

    /// Where the group stands now.
    pub fn savepoint(&self) -> Savepoint {
        Savepoint(self.undo.len())
    }
    /// Undoes every write made since `sp` (a refused request commits nothing).
    pub fn rollback(&mut self, sp: Savepoint) {
        while self.undo.len() > sp.0 {
            let Some((k, before)) = self.undo.pop() else {
                break;
            };
            match before {
                Some(v) => self.overlay.insert(k, v),
                None => self.overlay.remove(&k),
            };
        }
    }
    /// The batch that applies the group.
    pub(super) fn into_batch(self) -> sled::Batch {
        let mut b = sled::Batch::default();
        for (k, v) in self.overlay {
            match v {
                Some(v) => b.insert(k, v),
                None => b.remove(k),
            }
        }
        b
    }

    /// Writes a node.
    pub fn put_node(&mut self, n: &NodeRec) -> anyhow::Result<()> {
        self.put(node_key(&n.name), n)
    }
    /// Reads a node, seeing this group's writes.
    pub fn node(&self, store: &Store, name: &str) -> anyhow::Result<Option<NodeRec>> {
        self.read(store, &node_key(name))
    }
    /// Writes a job.
    pub fn put_job(&mut self, j: &JobRec) -> anyhow::Result<()> {
        self.put(job_key(&j.node, &j.job), j)
    }
    /// Reads a job, seeing this group's writes.
    pub fn job(&self, store: &Store, node: &str, job: &str) -> anyhow::Result<Option<JobRec>> {
        self.read(store, &job_key(node, job))
    }
    /// Adds a run to a job's history; false if it replaced one (same run).
    pub fn put_run(&mut self, store: &Store, node: &str, r: &RunRec) -> anyhow::Result<bool> {
        let k = run_key(node, &r.job, r.ended_at, &r.run);
        let new = !self.contains(store, &k)?;
        self.put(k, r)?;
        Ok(new)
    }
    /// Drops the oldest `n` stored runs of a job (runs added in this group are
    /// newer than any stored one); returns how many went.
    pub fn drop_oldest_runs(&mut self, store: &Store, node: &str, job: &str, n: usize) -> usize {
        let old: Vec<Vec<u8>> = store
            .db
            .scan_prefix(runs_prefix(node, job))
            .keys()
            .filter_map(Result::ok)
            .filter(|k| !matches!(self.overlay.get(k.as_ref()), Some(None)))
            .take(n)
            .map(|k| k.to_vec())
            .collect();
        let count = old.len();
        for k in old {
            self.remove(k);
        }
        count
    }
    /// Drops the stored runs of a job that ended before `before`; returns how many.
    pub fn drop_runs_before(
        &mut self,
        store: &Store,
        node: &str,
        job: &str,
        before: i64,
    ) -> anyhow::Result<usize> {
        let mut old = Vec::new();
        for kv in store.db.scan_prefix(runs_prefix(node, job)) {
            let (k, v) = kv?;
            let run: RunRec = decode(&k, &v)?;
            if run.ended_at >= before {
                break;
            }
            if !matches!(self.overlay.get(k.as_ref()), Some(None)) {
                old.push(k.to_vec());
            }
        }
        let n = old.len();
        for k in old {
            self.remove(k);
        }
        Ok(n)
    }

    /// Records an event id.
    pub fn put_event(&mut self, node: &str, id: &str, at: i64) -> anyhow::Result<()> {
        self.put(event_time_key(at, node, id), &())?;
        self.put(event_key(node, id), &at)
    }
    /// Whether an event id is stored or pending.
    pub fn has_event(&self, store: &Store, node: &str, id: &str) -> anyhow::Result<bool> {
        self.contains(store, &event_key(node, id))
    }
    /// Records a nonce with the body hash it signed.
    pub fn put_nonce(&mut self, ts: i64, node: &str, nonce: &str, body_hash: &str) {
        self.set(
            nonce_key(ts, node, nonce),
            Some(body_hash.as_bytes().to_vec()),
        );
    }
    /// The body hash recorded for a nonce, seeing this group's writes.
    pub fn nonce(
        &self,
        store: &Store,
        ts: i64,
        node: &str,
        nonce: &str,
    ) -> anyhow::Result<Option<String>> {
        let k = nonce_key(ts, node, nonce);
        match self.overlay.get(&k) {
            Some(v) => Ok(v.as_ref().map(|b| String::from_utf8_lossy(b).into_owned())),
            None => store.nonce(ts, node, nonce),
        }
    }
    /// The chain record of `node` in `repo`, seeing this group's writes.
    pub fn chain(&self, store: &Store, node: &str, repo: &str) -> anyhow::Result<Option<ChainRec>> {
        self.read(store, &chain_key(node, repo))
    }
    /// Writes a chain record.
    pub fn put_chain(&mut self, node: &str, repo: &str, c: &ChainRec) -> anyhow::Result<()> {
        self.put(chain_key(node, repo), c)
    }
    /// The chain records of `node` as (repository, record), seeing this group's writes.
    pub fn chains_of(&self, store: &Store, node: &str) -> anyhow::Result<Vec<(String, ChainRec)>> {
        let p = node_prefix(b"c", node);
        Ok(self
            .scan(store, &p)?
            .into_iter()
            .map(|(k, c)| (String::from_utf8_lossy(&k[p.len()..]).into_owned(), c))
            .collect())
    }
    /// The jobs of `node`, seeing this group's writes.
    pub fn jobs_of(&self, store: &Store, node: &str) -> anyhow::Result<Vec<JobRec>> {
        Ok(self
            .scan(store, &node_prefix(b"j", node))?
            .into_iter()
            .map(|(_, j)| j)
            .collect())
    }
    /// The evidence about `node`, seeing this group's writes.
    pub fn witnesses_of(&self, store: &Store, node: &str) -> anyhow::Result<Vec<WitnessRec>> {
        Ok(self
            .scan(store, &node_prefix(b"w", node))?
            .into_iter()
            .map(|(_, w)| w)
            .collect())
    }
    /// Records a piece of evidence; false if it was not kept (already there,
    /// or the node has [`MAX_EVIDENCE`] unacknowledged pieces).
    pub fn put_witness(&mut self, store: &Store, w: &WitnessRec) -> anyhow::Result<bool> {
        let k = w.key();
        if self.contains(store, &k)? {
            return Ok(false);
        }
        if self.witnesses_of(store, &w.node)?.len() >= MAX_EVIDENCE {
            tracing::warn!(
                "{}: {} more evidence not kept, {MAX_EVIDENCE} pieces wait for 'bananaui alert ack': {}",
                w.node,
                w.rule,
                w.message.escape_debug()
            );
            return Ok(false);
        }
        self.put(k, w)?;
        Ok(true)
    }
    /// Removes the evidence of `rule` about `node` that the tower stored
    /// before `before` (when the acknowledgement was issued): evidence that
    /// arrived since stays. Returns how many pieces went.
    pub fn remove_witness(
        &mut self,
        store: &Store,
        node: &str,
        rule: &str,
        before: i64,
    ) -> anyhow::Result<usize> {
        let gone: Vec<Vec<u8>> = self
            .witnesses_of(store, node)?
            .iter()
            .filter(|w| w.rule == rule && w.since < before)
            .map(WitnessRec::key)
            .collect();
        let n = gone.len();
        for k in gone {
            self.remove(k);
        }
        Ok(n)
    }
    /// Writes an alert.
    pub fn put_alert(&mut self, a: &AlertRec) -> anyhow::Result<()> {
        self.put(a.key(), a)
    }
    /// Drops nonces older than `nonce_before`, event ids stored before
    /// `history_before` (runs age out per job as new ones arrive, see
    /// [`Writes::drop_runs_before`]), and resolved alerts older than
    /// `resolved_before`; returns how many records go.
    pub fn prune(
        &mut self,
        store: &Store,
        nonce_before: i64,
        history_before: Option<i64>,
        resolved_before: i64,
    ) -> anyhow::Result<usize> {
        let mut gone = 0;
        let end = nonce_key(nonce_before, "", "");
        for kv in store.db.range(b"x\0".to_vec()..end) {
            self.remove(kv?.0.to_vec());
            gone += 1;
        }
        if let Some(before) = history_before {
            // Event ids by time: a range, never a scan of the whole store.
            let end = event_time_key(before, "", "");
            for kv in store.db.range(b"t\0".to_vec()..end) {
                let k = kv?.0;
                // "t\0" + 8-byte time + "\0", then "node\0id".
                let rest = k.get(11..).unwrap_or_default();
                let mut parts = rest.splitn(2, |&b| b == 0);
                let (node, id) = (
                    parts.next().unwrap_or_default(),
                    parts.next().unwrap_or_default(),
                );
                self.remove(event_key(
                    &String::from_utf8_lossy(node),
                    &String::from_utf8_lossy(id),
                ));
                self.remove(k.to_vec());
                gone += 1;
            }
        }
        for a in store.alerts()? {
            if a.state == AlertState::Resolved && a.resolved_at.unwrap_or(0) < resolved_before {
                self.remove(a.key());
                gone += 1;
            }
        }
        Ok(gone)
    }

    /// Deletes a job the node no longer has, with its runs and alerts.
    pub fn remove_job(&mut self, store: &Store, node: &str, job: &str) -> anyhow::Result<()> {
        let mut keys = vec![job_key(node, job)];
        for k in store.db.scan_prefix(runs_prefix(node, job)).keys() {
            keys.push(k?.to_vec());
        }
        // A witness alert stays with its evidence until acknowledged.
        for a in store.alerts()? {
            if a.node == node && a.job.as_deref() == Some(job) && a.evidence.is_none() {
                keys.push(a.key());
            }
        }
        for k in keys {
            self.remove(k);
        }
        Ok(())
    }

    /// Deletes everything about `node`: its key, jobs, runs, event ids and
    /// alerts (nonces age out). Returns how many records go.
    pub fn remove_node(&mut self, store: &Store, node: &str) -> anyhow::Result<usize> {
        let mut keys: Vec<Vec<u8>> = vec![node_key(node)];
        for tag in [b"j", b"r", b"e", b"c", b"w"] {
            for k in store.db.scan_prefix(node_prefix(tag, node)).keys() {
                keys.push(k?.to_vec());
            }
        }
        for kv in store.db.scan_prefix(key(&[b"e", node.as_bytes()])) {
            let (k, v) = kv?;
            if k.get(2 + node.len()) != Some(&0) {
                continue;
            }
            let at: i64 = serde_json::from_slice(&v).unwrap_or(0);
            let id = String::from_utf8_lossy(&k[3 + node.len()..]).into_owned();
            keys.push(event_time_key(at, node, &id));
        }
        for a in store.alerts()? {
            if a.node == node {
                keys.push(a.key());
            }
        }
        let n = keys.len();
        for k in keys {
            self.remove(k);
        }
        Ok(n)
    }

    /// Whether there is anything to apply.
    pub fn is_empty(&self) -> bool {
        self.overlay.is_empty()
    }
}
