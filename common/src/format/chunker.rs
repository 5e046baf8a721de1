//! Content-defined chunking (FastCDC 2020) with a gear table seeded from the
//! chunk key, so cut points — like ids — depend on the key. Pure: a reader in,
//! chunks out.

use fastcdc::v2020::{Normalization, StreamCDC};
use serde::{Deserialize, Serialize};
use std::io::Read;

/// Chunk size bounds, recorded in the repository config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkerParams {
    /// Smallest chunk (except a file's last).
    pub min: u32,
    /// Target average.
    pub avg: u32,
    /// Largest chunk.
    pub max: u32,
}

impl Default for ChunkerParams {
    fn default() -> Self {
        ChunkerParams {
            min: 512 << 10,
            avg: 1 << 20,
            max: 8 << 20,
        }
    }
}

impl ChunkerParams {
    /// Whether fastcdc accepts these bounds.
    pub fn is_valid(&self) -> bool {
        (64..=1 << 20).contains(&self.min)
            && (256..=4 << 20).contains(&self.avg)
            && (1024..=16 << 20).contains(&self.max)
            && self.min < self.avg
            && self.avg < self.max
    }
}

/// Splits `reader` into chunks; yields owned buffers. A source no longer than
/// `min` is one chunk read directly, without the chunker's `max`-sized buffer.
pub fn chunks<'r, R: Read + 'r>(
    mut reader: R,
    size_hint: u64,
    params: ChunkerParams,
    seed: u64,
) -> Box<dyn Iterator<Item = std::io::Result<Vec<u8>>> + 'r> {
    if size_hint <= u64::from(params.min) {
        let mut buf = Vec::with_capacity(size_hint as usize);
        let small = (&mut reader)
            .take(u64::from(params.min) + 1)
            .read_to_end(&mut buf);
        match small {
            Err(e) => return Box::new(std::iter::once(Err(e))),
            Ok(n) if n <= params.min as usize => {
                return Box::new((n > 0).then_some(Ok(buf)).into_iter());
            }
            // The file grew past the hint: chunk what we read plus the rest.
            Ok(_) => {
                let chained = std::io::Cursor::new(buf).chain(reader);
                return stream(Box::new(chained), params, seed);
            }
        }
    }
    stream(Box::new(reader), params, seed)
}

fn stream<'r>(
    reader: Box<dyn Read + 'r>,
    p: ChunkerParams,
    seed: u64,
) -> Box<dyn Iterator<Item = std::io::Result<Vec<u8>>> + 'r> {
    let cdc =
        StreamCDC::with_level_and_seed(reader, p.min, p.avg, p.max, Normalization::Level1, seed);
    Box::new(cdc.map(|r| {
        r.map(|c| c.data).map_err(|e| match e {
            fastcdc::v2020::Error::IoError(io) => io,
            other => std::io::Error::other(other.to_string()),
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SMALL: ChunkerParams = ChunkerParams {
        min: 256,
        avg: 1024,
        max: 4096,
    };

    fn cut(data: &[u8], seed: u64) -> Vec<Vec<u8>> {
        chunks(data, data.len() as u64, SMALL, seed)
            .map(|c| c.unwrap())
            .collect()
    }

    proptest! {
        #[test]
        fn deterministic_bounded_lossless(data in proptest::collection::vec(any::<u8>(), 0..40_000), seed: u64) {
            let a = cut(&data, seed);
            prop_assert_eq!(&a, &cut(&data, seed));
            prop_assert_eq!(a.concat(), data.clone());
            for (i, c) in a.iter().enumerate() {
                prop_assert!(c.len() <= SMALL.max as usize);
                prop_assert!(!c.is_empty());
                if i + 1 < a.len() { prop_assert!(c.len() >= SMALL.min as usize); }
            }
        }
    }

    #[test]
    fn insert_shifts_few_chunks() {
        let data: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let a = cut(&data, 1);
        let mut changed = data.clone();
        changed.splice(1000..1000, [1u8, 2, 3]);
        let b = cut(&changed, 1);
        let shared = b.iter().filter(|c| a.contains(c)).count();
        assert!(shared + 3 >= a.len(), "shared {shared} of {}", a.len());
    }

    #[test]
    fn seed_changes_cut_points() {
        let data: Vec<u8> = (0..100_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert_ne!(cut(&data, 1), cut(&data, 2));
    }
}
