//! The only module that touches xz: chunk payloads are xz-compressed one by one,
//! or stored raw when they would not shrink. Incompressible data is detected
//! cheaply (byte entropy of a sample) so no xz time is spent on it.

use crate::error::{Error, Result};
use xz2::stream::{Action, Check, Filters, LzmaOptions, Status, Stream};

/// Payload tag: stored as is.
pub const RAW: u8 = 0;
/// Payload tag: an xz stream (no integrity check; the keyed id verifies).
pub const XZ: u8 = 1;

/// Bits per byte above which a sample is treated as incompressible.
const ENTROPY_LIMIT: f64 = 7.5;
const SAMPLE: usize = 16 * 1024;

/// Estimated Shannon entropy (bits per byte) of up to four samples of `data`.
pub fn entropy(data: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    let mut n = 0u32;
    let step = data.len() / 4;
    for i in 0..4 {
        let start = i * step;
        for &b in &data[start..(start + SAMPLE).min(data.len())] {
            counts[b as usize] += 1;
            n += 1;
        }
        if step == 0 {
            break;
        }
    }
    if n == 0 {
        return 0.0;
    }
    let n = f64::from(n);
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Compresses `data` with xz at `preset`, returning the tagged payload: raw when
/// the data looks incompressible or compression would not shrink it.
pub fn compress(data: &[u8], preset: u32) -> Vec<u8> {
    if data.len() < 64 || entropy(data) > ENTROPY_LIMIT {
        return tagged(RAW, data);
    }
    match xz(data, preset) {
        Some(c) if c.len() + 1 < data.len() => {
            let mut out = Vec::with_capacity(c.len() + 1);
            out.push(XZ);
            out.extend_from_slice(&c);
            out
        }
        _ => tagged(RAW, data),
    }
}

fn tagged(tag: u8, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 1);
    out.push(tag);
    out.extend_from_slice(data);
    out
}

fn xz(data: &[u8], preset: u32) -> Option<Vec<u8>> {
    let mut opts = LzmaOptions::new_preset(preset.min(9)).ok()?;
    // A dictionary larger than the input only costs set-up time and memory.
    let want = (data.len() as u32).next_power_of_two().max(4096);
    let dict = want.min(opts_dict(preset));
    opts.dict_size(dict);
    let mut filters = Filters::new();
    filters.lzma2(&opts);
    let mut stream = Stream::new_stream_encoder(&filters, Check::None).ok()?;
    let mut out = Vec::with_capacity(data.len() / 2 + 128);
    loop {
        let consumed = stream.total_in() as usize;
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(4096));
        }
        match stream
            .process_vec(&data[consumed..], &mut out, Action::Finish)
            .ok()?
        {
            Status::StreamEnd => return Some(out),
            _ if out.len() > data.len() => return None,
            _ => {}
        }
    }
}

fn opts_dict(preset: u32) -> u32 {
    // xz's preset dictionary sizes.
    const DICT: [u32; 10] = [
        256 << 10,
        1 << 20,
        2 << 20,
        4 << 20,
        4 << 20,
        8 << 20,
        8 << 20,
        16 << 20,
        32 << 20,
        64 << 20,
    ];
    DICT[preset.min(9) as usize]
}

/// Reverses [`compress`]; `raw_len` is the expected plaintext length.
pub fn decompress(payload: &[u8], raw_len: usize) -> Result<Vec<u8>> {
    let (&tag, body) = payload
        .split_first()
        .ok_or_else(|| Error::damaged("empty chunk payload"))?;
    match tag {
        RAW if body.len() == raw_len => Ok(body.to_vec()),
        RAW => Err(Error::damaged("raw chunk payload has the wrong length")),
        XZ => {
            let mut stream = Stream::new_stream_decoder(256 << 20, 0)
                .map_err(|e| Error::damaged(format!("xz decoder: {e}")))?;
            // Grown as the stream really decodes: a claimed length alone
            // never allocates.
            let mut out =
                Vec::with_capacity(raw_len.min(body.len().saturating_mul(4)).min(1 << 20));
            loop {
                let consumed = stream.total_in() as usize;
                if out.len() == out.capacity() {
                    if out.len() >= raw_len {
                        return Err(Error::damaged(
                            "chunk decompresses to more than its recorded length",
                        ));
                    }
                    out.reserve((raw_len - out.len()).min(out.len().max(64 << 10)));
                }
                let status = stream
                    .process_vec(&body[consumed..], &mut out, Action::Finish)
                    .map_err(|e| Error::damaged(format!("chunk payload is not valid xz: {e}")))?;
                if status == Status::StreamEnd {
                    return Ok(out);
                }
                if stream.total_in() as usize == consumed && out.len() < out.capacity() {
                    return Err(Error::damaged("chunk payload is a truncated xz stream"));
                }
            }
        }
        t => Err(Error::damaged(format!("unknown chunk payload tag {t}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn text_shrinks_random_stays_raw() {
        let text = "fn main() { println!(\"banana\"); }\n".repeat(2000);
        let c = compress(text.as_bytes(), 1);
        assert_eq!(c[0], XZ);
        assert!(c.len() < text.len() / 10);
        assert_eq!(decompress(&c, text.len()).unwrap(), text.as_bytes());
        let random: Vec<u8> = (0..100_000).map(|_| rand::random::<u8>()).collect();
        let c = compress(&random, 1);
        assert_eq!(c[0], RAW);
        assert_eq!(decompress(&c, random.len()).unwrap(), random);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decompress(&[XZ, 1, 2, 3], 10).is_err());
        assert!(decompress(&[9], 0).is_err());
        assert!(decompress(&[], 0).is_err());
    }

    proptest! {
        #[test]
        fn round_trip(data in proptest::collection::vec(0u8..4, 0..20_000), preset in 0u32..3) {
            let c = compress(&data, preset);
            prop_assert_eq!(decompress(&c, data.len()).unwrap(), data);
        }
    }
}
