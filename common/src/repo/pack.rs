//! Packs: many compressed chunk payloads in one age file (fresh file key per
//! pack), followed by a sealed header, so that
//! - storage sees one opaque object of ~16–32 MiB;
//! - a restore seeks into the age stream and reads only the blobs it needs;
//! - a node with only the backup half can read the header (it is sealed with the
//!   metadata key, not age) and rebuild its index after a crash.
//!
//! Layout: `age body | sealed header | u32 LE header length | "BNP1"`.

use crate::backend::{Backend, Kind, RangeReader};
use crate::crypto::age::{self, Identity, Plain, Recipient, StreamWriter};
use crate::crypto::{Keys, SealKind};
use crate::error::{Error, Result};
use crate::format::codec;
use crate::format::{
    from_cbor, split_trailer, to_cbor, trailer, BlobEntry, BlobKind, PackHeader, TRAILER,
};
use crate::id::Id;
use std::io::{Read, Seek, SeekFrom, Write};

/// Assembles one pack in memory.
pub struct PackWriter {
    body: StreamWriter<Vec<u8>>,
    offset: u64,
    blobs: Vec<BlobEntry>,
}

/// A finished pack, ready to upload under `id`.
pub struct FinishedPack {
    /// Object name: BLAKE3 of `bytes`.
    pub id: Id,
    /// The whole object.
    pub bytes: Vec<u8>,
    /// Its header (what goes into the index).
    pub header: PackHeader,
}

impl PackWriter {
    /// Starts a pack encrypted to `recipients`.
    pub fn new(recipients: &[Recipient]) -> Result<PackWriter> {
        Ok(PackWriter {
            body: age::writer(recipients, Vec::new())?,
            offset: 0,
            blobs: Vec::new(),
        })
    }

    /// Appends a tagged payload (see [`crate::format::codec`]) holding one blob.
    pub fn add(&mut self, id: Id, kind: BlobKind, payload: &[u8], raw_length: usize) -> Result<()> {
        self.add_group(kind, &[(id, raw_length as u32)], payload)
    }

    /// Appends a payload holding the concatenation of `blobs` (id, length);
    /// with one blob it is an ordinary, ungrouped payload.
    pub fn add_group(&mut self, kind: BlobKind, blobs: &[(Id, u32)], payload: &[u8]) -> Result<()> {
        let too_big = || Error::new(crate::ErrorKind::Other, "pack exceeds 4 GiB");
        let offset = u32::try_from(self.offset).map_err(|_| too_big())?;
        let length = u32::try_from(payload.len()).map_err(|_| too_big())?;
        let total: u64 = blobs.iter().map(|(_, l)| u64::from(*l)).sum();
        let group_length = if blobs.len() > 1 {
            u32::try_from(total).map_err(|_| too_big())?
        } else {
            0
        };
        self.body
            .write_all(payload)
            .map_err(|e| Error::io("pack encryption", e))?;
        let mut inner = 0u32;
        for (id, len) in blobs {
            self.blobs.push(BlobEntry {
                id: *id,
                kind,
                offset,
                length,
                raw_length: *len,
                inner,
                group_length,
            });
            inner += len;
        }
        self.offset += payload.len() as u64;
        Ok(())
    }

    /// Plaintext bytes so far.
    pub fn len(&self) -> u64 {
        self.offset
    }

    /// Blobs so far.
    pub fn blob_count(&self) -> usize {
        self.blobs.len()
    }

    /// Whether no blob was added.
    pub fn is_empty(&self) -> bool {
        self.blobs.is_empty()
    }

    /// Finishes the age stream and appends the sealed header and trailer;
    /// `packed` compresses the header's CBOR (version 2).
    pub fn finish(self, keys: &Keys, packed: bool) -> Result<FinishedPack> {
        let mut bytes = self
            .body
            .finish()
            .map_err(|e| Error::io("pack encryption", e))?;
        let header = PackHeader {
            body_len: bytes.len() as u64,
            body_hash: Id::of_object(&bytes),
            blobs: self.blobs,
        };
        let cbor = to_cbor(&header);
        let plain = if packed {
            codec::pack_metadata(&cbor)
        } else {
            cbor
        };
        let sealed = keys.seal(SealKind::PackHeader, &plain)?;
        let hlen = u32::try_from(sealed.len())
            .map_err(|_| Error::new(crate::ErrorKind::Other, "pack header exceeds 4 GiB"))?;
        bytes.extend_from_slice(&sealed);
        bytes.extend_from_slice(&trailer(hlen));
        Ok(FinishedPack {
            id: Id::of_object(&bytes),
            bytes,
            header,
        })
    }
}

/// Reads and authenticates a pack's header with two range reads (no identity needed).
pub fn read_header(backend: &dyn Backend, id: &Id, size: u64, keys: &Keys) -> Result<PackHeader> {
    let what = format!("pack {id}");
    let name = id.to_hex();
    let tail = backend.read_range(
        Kind::Data,
        &name,
        size.saturating_sub(TRAILER as u64),
        TRAILER as u64,
    )?;
    let hlen = split_trailer(&tail, size, &what)?;
    let start = size - TRAILER as u64 - hlen;
    let sealed = backend.read_range(Kind::Data, &name, start, hlen)?;
    let header: PackHeader = from_cbor(&keys.open(SealKind::PackHeader, &sealed, &what)?, &what)?;
    if header.body_len != start {
        return Err(Error::damaged(format!(
            "{what}: header does not match the body length"
        )));
    }
    Ok(header)
}

/// Parses a whole pack held in memory: checks the name, the trailer and the
/// header's binding to the body. Returns the header.
pub fn parse(bytes: &[u8], id: &Id, keys: &Keys) -> Result<PackHeader> {
    if Id::of_object(bytes) != *id {
        return Err(Error::damaged(format!(
            "pack {id}: content does not match its name"
        )));
    }
    let header = parse_header(bytes, id, keys)?;
    if header.body_hash != Id::of_object(&bytes[..header.body_len as usize]) {
        return Err(Error::damaged(format!(
            "pack {id}: header is not bound to this body"
        )));
    }
    Ok(header)
}

/// Authenticates and decodes the header of a pack held in memory, without
/// checking the body: `check` uses it to pin damage to single blobs.
pub fn parse_header(bytes: &[u8], id: &Id, keys: &Keys) -> Result<PackHeader> {
    let what = format!("pack {id}");
    let total = bytes.len() as u64;
    let hlen = split_trailer(&bytes[bytes.len().saturating_sub(TRAILER)..], total, &what)? as usize;
    let start = bytes.len() - TRAILER - hlen;
    let header: PackHeader = from_cbor(
        &keys.open(SealKind::PackHeader, &bytes[start..start + hlen], &what)?,
        &what,
    )?;
    if header.body_len != start as u64 {
        return Err(Error::damaged(format!(
            "{what}: header does not match the body length"
        )));
    }
    Ok(header)
}

/// Opens the age body of a pack for seeking, reading it range by range.
pub fn open_body<'a>(
    backend: &'a dyn Backend,
    id: &Id,
    body_len: u64,
    identities: &[Identity],
) -> Result<Plain<RangeReader<'a>>> {
    open_body_growing(backend, id, body_len, identities, None)
}

/// [`open_body`] whose range reads grow only while `grow` is on (see
/// [`RangeReader`]); always without it.
pub fn open_body_growing<'a>(
    backend: &'a dyn Backend,
    id: &Id,
    body_len: u64,
    identities: &[Identity],
    grow: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
) -> Result<Plain<RangeReader<'a>>> {
    let mut reader = RangeReader::new(backend, Kind::Data, &id.to_hex(), body_len, 1 << 20);
    if let Some(g) = grow {
        reader = reader.growing_while(g);
    }
    age::reader(identities, reader, body_len, &format!("pack {id}"))
}

/// Reads one blob's payload from an opened body. An entry that lies past
/// the body's end is damage, found before anything is allocated or read
/// (a header sealed by a compromised node may claim anything).
pub fn read_payload<R: Read + Seek>(
    body: &mut Plain<R>,
    entry: &BlobEntry,
    pack: &Id,
) -> Result<Vec<u8>> {
    let end = u64::from(entry.offset) + u64::from(entry.length);
    if end > body.len() {
        return Err(Error::damaged(format!(
            "pack {pack}: blob {} lies past the end of the pack's body ({end} > {} bytes)",
            entry.id,
            body.len()
        )));
    }
    let mut payload = vec![0u8; entry.length as usize];
    body.seek(SeekFrom::Start(u64::from(entry.offset)))
        .and_then(|_| body.read_exact(&mut payload))
        .map_err(|e| Error::damaged(format!("pack {pack}: cannot read blob {}: {e}", entry.id)))?;
    Ok(payload)
}

/// Decompresses a payload (for a group: all of it).
pub fn decompress(entry: &BlobEntry, payload: &[u8], pack: &Id) -> Result<Vec<u8>> {
    let want = entry.payload_raw_length() as usize;
    if want as u64 > crate::format::MAX_BLOB {
        return Err(Error::damaged(format!(
            "pack {pack}: blob {} claims {want} bytes, more than a blob may be",
            entry.id
        )));
    }
    let plain = codec::decompress(payload, want)
        .map_err(|e| Error::damaged(format!("pack {pack}: blob {}: {}", entry.id, e.message())))?;
    if plain.len() != want {
        return Err(Error::damaged(format!(
            "pack {pack}: blob {} has the wrong length",
            entry.id
        )));
    }
    Ok(plain)
}

/// Decompresses a payload and verifies the blob against its keyed id.
pub fn verify_blob(keys: &Keys, entry: &BlobEntry, payload: &[u8], pack: &Id) -> Result<Vec<u8>> {
    verify_in(keys, entry, &decompress(entry, payload, pack)?, pack)
}

/// Cuts the blob out of its decompressed payload and verifies it.
pub fn verify_in(keys: &Keys, entry: &BlobEntry, plain: &[u8], pack: &Id) -> Result<Vec<u8>> {
    let start = if entry.group_length > 0 {
        entry.inner as usize
    } else {
        0
    };
    let plain = plain
        .get(start..start + entry.raw_length as usize)
        .ok_or_else(|| {
            Error::damaged(format!(
                "pack {pack}: blob {} lies outside its group",
                entry.id
            ))
        })?;
    if keys.chunk_id(plain) != entry.id {
        return Err(Error::damaged(format!(
            "pack {pack}: blob {} does not match its id (damaged or forged)",
            entry.id
        )));
    }
    Ok(plain.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MemoryBackend;
    use proptest::prelude::*;

    fn setup() -> (Keys, Identity) {
        (Keys::derive(&[5u8; 32]), age::generate())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn pack_round_trip(blobs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..70_000), 1..6)) {
            let (keys, ident) = setup();
            let mut w = PackWriter::new(&[ident.to_public()]).unwrap();
            for b in &blobs {
                let payload = codec::compress(b, codec::Codec::Xz(0));
                w.add(keys.chunk_id(b), BlobKind::Data, &payload, b.len()).unwrap();
            }
            let p = w.finish(&keys, true).unwrap();
            prop_assert_eq!(&parse(&p.bytes, &p.id, &keys).unwrap(), &p.header);
            let be = MemoryBackend::default();
            be.create().unwrap();
            be.write(Kind::Data, &p.id.to_hex(), &p.bytes).unwrap();
            let h = read_header(&be, &p.id, p.bytes.len() as u64, &keys).unwrap();
            prop_assert_eq!(&h, &p.header);
            let mut body = open_body(&be, &p.id, h.body_len, std::slice::from_ref(&ident)).unwrap();
            for (entry, b) in h.blobs.iter().zip(&blobs).rev() {
                let payload = read_payload(&mut body, entry, &p.id).unwrap();
                prop_assert_eq!(&verify_blob(&keys, entry, &payload, &p.id).unwrap(), b);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn group_round_trip(blobs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..3000), 1..12)) {
            let (keys, ident) = setup();
            let mut w = PackWriter::new(&[ident.to_public()]).unwrap();
            let ids: Vec<(Id, u32)> = blobs.iter().map(|b| (keys.chunk_id(b), b.len() as u32)).collect();
            w.add_group(BlobKind::Tree, &ids, &codec::compress(&blobs.concat(), codec::Codec::Zstd(3))).unwrap();
            let p = w.finish(&keys, true).unwrap();
            let h = parse(&p.bytes, &p.id, &keys).unwrap();
            prop_assert_eq!(h.blobs.len(), blobs.len());
            let be = MemoryBackend::default();
            be.create().unwrap();
            be.write(Kind::Data, &p.id.to_hex(), &p.bytes).unwrap();
            let mut body = open_body(&be, &p.id, h.body_len, std::slice::from_ref(&ident)).unwrap();
            for (entry, b) in h.blobs.iter().zip(&blobs) {
                let payload = read_payload(&mut body, entry, &p.id).unwrap();
                prop_assert_eq!(&verify_blob(&keys, entry, &payload, &p.id).unwrap(), b);
            }
        }
    }

    #[test]
    fn forged_pack_to_same_recipient_is_rejected() {
        let (keys, ident) = setup();
        let mut w = PackWriter::new(&[ident.to_public()]).unwrap();
        let data = b"the real data".to_vec();
        let real_id = keys.chunk_id(&data);
        // The forger knows the recipient and the id but not the chunk key.
        let forged_keys = Keys::derive(&[6u8; 32]);
        let evil = b"evil content!".to_vec();
        w.add(
            real_id,
            BlobKind::Data,
            &codec::compress(&evil, codec::Codec::Zstd(3)),
            evil.len(),
        )
        .unwrap();
        let p = w.finish(&forged_keys, false).unwrap();
        assert!(
            parse(&p.bytes, &p.id, &keys).is_err(),
            "header sealed with another key"
        );
        let entry = BlobEntry {
            id: real_id,
            kind: BlobKind::Data,
            offset: 0,
            length: evil.len() as u32 + 1,
            raw_length: evil.len() as u32,
            inner: 0,
            group_length: 0,
        };
        let payload = codec::compress(&evil, codec::Codec::Zstd(3));
        assert!(
            verify_blob(&keys, &entry, &payload, &p.id).is_err(),
            "content must match keyed id"
        );
    }
}
