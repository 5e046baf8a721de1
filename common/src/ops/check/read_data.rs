//! `check --read-data`: every pack's bytes, then every blob in it; a
//! damaged stream chunk costs only the blobs stored in it.

use super::Checker;
use crate::backend::Kind;
use crate::crypto::keyfile::RestoreKey;
use crate::error::{Error, ErrorKind, Result};
use crate::id::Id;
use crate::progress::Progress;
use crate::repo::{pack, Index};
use std::collections::HashMap;

/// A payload decoded once for the entries that share it (see
/// [`crate::format::BlobEntry::payload_key`]).
type Decoded = ((u32, u32, u32), Result<Vec<u8>>);

pub(super) fn check_pack(
    c: &mut Checker<'_>,
    index: &Index,
    restore: &RestoreKey,
    id: &Id,
    damaged: &mut HashMap<Id, Id>,
    progress: &Progress,
) -> Result<()> {
    let obj = format!("pack {id}");
    let mut bytes = match c.repo.read(Kind::Data, &id.to_hex()) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::Io && !e.to_string().contains("not found") => {
            return Err(e)
        }
        Err(e) => {
            c.problem(obj, e.to_string());
            return Ok(());
        }
    };
    progress
        .bytes
        .fetch_add(bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let mark_all = |damaged: &mut HashMap<Id, Id>| {
        for (bid, loc) in index.iter() {
            if index.packs()[loc.pack as usize].id == *id {
                damaged.insert(bid, *id);
            }
        }
    };
    if Id::of_object(&bytes) != *id {
        // Overwritten in storage: the original may survive as an older
        // version (a versioned bucket), which reads then use. Still reported.
        let name = id.to_hex();
        let limit = c.repo.limit(Kind::Data);
        if c.repo.backend().recover(Kind::Data, &name, limit)? {
            c.problem(
                obj.clone(),
                "overwritten in storage: its content does not match its name; an older version holds the original, which restores and this check use",
            );
            bytes = c.repo.read(Kind::Data, &name)?;
        } else {
            c.problem(obj.clone(), "content does not match its name");
        }
    }
    // The header is authenticated on its own, so a damaged body can still be
    // checked blob by blob and the damage pinned to the files it affects.
    let header = match pack::parse_header(&bytes, id, c.repo.keys()) {
        Ok(h) => h,
        Err(e) => {
            c.damage(obj, &e);
            mark_all(damaged);
            return Ok(());
        }
    };
    // Each blob is read through the seekable age stream, so damage to one
    // 64 KiB stream chunk is pinned to the blobs stored there.
    // A reader that hit a damaged chunk is not reused: age's stream reader
    // stays failed after an authentication error.
    let body = &bytes[..header.body_len as usize];
    let open = || {
        crate::crypto::age::reader(
            &restore.identities,
            std::io::Cursor::new(body),
            body.len() as u64,
            &obj,
        )
    };
    // A pack no identity opens is reported like damage (its age header may be
    // the damaged part): with a wrong key every pack is listed.
    let mut reader = match open() {
        Ok(r) => r,
        Err(e) => {
            c.damage(obj, &e);
            mark_all(damaged);
            return Ok(());
        }
    };
    check_blobs(c, index, &header, id, &obj, &mut reader, &open, damaged);
    Ok(())
}

/// Verifies every blob of a pack whose header is authentic; a damaged stream
/// chunk costs only the blobs stored in it.
#[allow(clippy::too_many_arguments)]
fn check_blobs<R: std::io::Read + std::io::Seek>(
    c: &mut Checker<'_>,
    index: &Index,
    header: &crate::format::PackHeader,
    id: &Id,
    obj: &str,
    reader: &mut crate::crypto::age::Plain<R>,
    open: &dyn Fn() -> Result<crate::crypto::age::Plain<R>>,
    damaged: &mut HashMap<Id, Id>,
) {
    // Blobs of one group share a payload (offset and length): it is
    // decompressed once, and a lying entry at the same offset spoils no other.
    let mut group: Option<Decoded> = None;
    for entry in &header.blobs {
        if group
            .as_ref()
            .is_none_or(|(at, _)| *at != entry.payload_key())
        {
            let plain = pack::read_payload(reader, entry, id)
                .and_then(|payload| pack::decompress(entry, &payload, id));
            if plain.is_err() {
                if let Ok(fresh) = open() {
                    *reader = fresh;
                }
            }
            group = Some((entry.payload_key(), plain));
        }
        let ok = match &group {
            Some((_, Ok(plain))) => pack::verify_in(c.repo.keys(), entry, plain, id),
            Some((_, Err(e))) => Err(Error::damaged(e.message().to_owned())),
            None => Err(Error::damaged("no payload")),
        };
        match ok {
            Ok(_) => c.report.blobs_verified += 1,
            Err(e) => {
                damaged.insert(entry.id, *id);
                c.damage(obj.to_owned(), &e);
            }
        }
        if let Some((p, indexed)) = index.entry(&entry.id) {
            if p.id == *id && indexed != *entry {
                c.problem(
                    obj.to_owned(),
                    format!(
                        "index entry of blob {} disagrees with the pack header",
                        entry.id
                    ),
                );
            }
        }
    }
}
