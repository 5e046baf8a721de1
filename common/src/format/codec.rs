//! The only module that touches a compressor: chunk payloads are compressed
//! one by one (small blobs in groups) with zstd (the default) or xz, or
//! stored raw when they would not shrink. Incompressible data is detected
//! cheaply (byte entropy of a sample) so no compressor time is spent on it.
//! Every reader reads every codec; decoding never trusts a claimed size: the
//! output grows only as the stream really decodes, stops at the blob's
//! recorded length, and zstd's window is capped at [`ZSTD_WINDOW_LOG_MAX`].

use crate::error::{Error, ErrorKind, Result};
use std::io::Read;
use xz2::stream::{Action, Check, Filters, LzmaOptions, Status, Stream};

/// Payload tag: stored as is.
pub const RAW: u8 = 0;
/// Payload tag: an xz stream (no integrity check; the keyed id verifies).
pub const XZ: u8 = 1;
/// Payload tag: one zstd frame (no checksum; the keyed id verifies).
pub const ZSTD: u8 = 2;
/// Largest zstd window a reader accepts (128 MiB), whatever a frame claims.
pub const ZSTD_WINDOW_LOG_MAX: u32 = 27;

/// How new payloads are compressed: a repository's default (its config)
/// or a run's override.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// Stored raw.
    None,
    /// xz at a preset, 0 (fastest) to 9.
    Xz(u32),
    /// zstd at a level, 1 to 19.
    Zstd(i32),
}

impl Default for Codec {
    fn default() -> Self {
        Codec::Zstd(3)
    }
}

impl std::fmt::Display for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Codec::None => f.write_str("none"),
            Codec::Xz(p) => write!(f, "xz:{p}"),
            Codec::Zstd(l) => write!(f, "zstd:{l}"),
        }
    }
}

impl std::str::FromStr for Codec {
    type Err = Error;

    /// `zstd[:1-19]` (3 by default), `xz[:0-9]` (0), `none`, or a bare
    /// `0`–`9`: an xz preset, as before zstd.
    fn from_str(s: &str) -> Result<Codec> {
        let bad = || {
            Error::new(
                ErrorKind::BadInput,
                format!("compression '{s}' is not a codec"),
            )
            .hint("use zstd[:1-19], xz[:0-9] or none (a bare 0-9 is an xz preset)")
        };
        let (name, level) = match s.split_once(':') {
            Some((n, l)) => (n, Some(l.parse::<i32>().map_err(|_| bad())?)),
            None => (s, None),
        };
        match (name, level) {
            ("none", None) => Ok(Codec::None),
            ("zstd", l) if (1..=19).contains(&l.unwrap_or(3)) => Ok(Codec::Zstd(l.unwrap_or(3))),
            ("xz", l) if (0..=9).contains(&l.unwrap_or(0)) => Ok(Codec::Xz(l.unwrap_or(0) as u32)),
            (n, None) => match n.parse::<u32>() {
                Ok(p) if p <= 9 => Ok(Codec::Xz(p)),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }
}

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

/// Compresses `data` with `codec`, returning the tagged payload: raw when
/// the data looks incompressible or compression would not shrink it.
pub fn compress(data: &[u8], codec: Codec) -> Vec<u8> {
    if codec == Codec::None || data.len() < 64 || entropy(data) > ENTROPY_LIMIT {
        return tagged(RAW, data);
    }
    let packed = match codec {
        Codec::Xz(preset) => xz(data, preset).map(|c| (XZ, c)),
        Codec::Zstd(level) => zstd_compress(data, level).map(|c| (ZSTD, c)),
        Codec::None => None,
    };
    match packed {
        Some((tag, c)) if c.len() + 1 < data.len() => {
            let mut out = Vec::with_capacity(c.len() + 1);
            out.push(tag);
            out.extend_from_slice(&c);
            out
        }
        _ => tagged(RAW, data),
    }
}

/// One zstd frame with its content size and no checksum, from a compression
/// context kept per thread (setting one up costs more than a small blob).
fn zstd_compress(data: &[u8], level: i32) -> Option<Vec<u8>> {
    use std::cell::RefCell;
    thread_local! {
        static CCTX: RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> =
            const { RefCell::new(None) };
    }
    CCTX.with(|c| {
        let mut c = c.borrow_mut();
        if c.as_ref().map(|(l, _)| *l) != Some(level) {
            *c = Some((level, zstd::bulk::Compressor::new(level).ok()?));
        }
        let (_, cctx) = c.as_mut()?;
        cctx.compress(data).ok()
    })
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
        ZSTD => zstd_decompress(body, raw_len),
        t => Err(Error::damaged(format!(
            "unknown chunk payload tag {t} (written by a newer bananactl?)"
        ))),
    }
}

/// The magic number that starts a zstd frame.
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// Sealed metadata (version 2): CBOR compressed as one zstd frame.
pub fn pack_metadata(cbor: &[u8]) -> Vec<u8> {
    zstd_compress(cbor, 3).unwrap_or_else(|| cbor.to_vec())
}

/// Reverses [`pack_metadata`] when `plain` is a zstd frame (CBOR of a map
/// never starts with its magic), up to `cap` bytes; anything else is returned
/// as it is.
pub fn unpack_metadata(plain: Vec<u8>, cap: u64) -> Result<Vec<u8>> {
    if !plain.starts_with(&ZSTD_MAGIC) {
        return Ok(plain);
    }
    let out = zstd_decode(&plain, usize::try_from(cap).unwrap_or(usize::MAX))?;
    if out.len() as u64 > cap {
        return Err(Error::damaged(
            "metadata decompresses to more than its kind may hold",
        ));
    }
    Ok(out)
}

/// [`unpack_metadata`] as a stream: the CBOR is decoded as the frame is,
/// never held whole (an index file of 170,000 blobs is 27 MB of CBOR). It
/// ends after `cap` bytes, so a value longer than that does not decode.
pub fn metadata_reader(frame: &[u8], cap: u64) -> Result<impl Read + '_> {
    let d = frame_reader(frame)
        .map_err(|e| Error::damaged(format!("metadata is not valid zstd: {e}")))?;
    Ok(std::io::BufReader::with_capacity(64 << 10, d.take(cap)))
}

/// One zstd frame of `body` as a reader, its window capped.
fn frame_reader(body: &[u8]) -> std::io::Result<impl Read + '_> {
    let mut d = zstd::stream::read::Decoder::with_buffer(body)?;
    d.window_log_max(ZSTD_WINDOW_LOG_MAX)?;
    Ok(d.single_frame())
}

/// One zstd frame back to exactly `raw_len` bytes: the window is capped, the
/// output grows only as it really decodes and never past `raw_len`.
fn zstd_decompress(body: &[u8], raw_len: usize) -> Result<Vec<u8>> {
    let out = zstd_decode(body, raw_len)?;
    match out.len().cmp(&raw_len) {
        std::cmp::Ordering::Equal => Ok(out),
        std::cmp::Ordering::Greater => Err(Error::damaged(
            "chunk decompresses to more than its recorded length",
        )),
        std::cmp::Ordering::Less => Err(Error::damaged(
            "chunk decompresses to less than its recorded length",
        )),
    }
}

/// Decodes one zstd frame to at most `max + 1` bytes (so a caller sees
/// "more"), with the window capped.
fn zstd_decode(body: &[u8], max: usize) -> Result<Vec<u8>> {
    let bad = |e: std::io::Error| Error::damaged(format!("chunk payload is not valid zstd: {e}"));
    let d = frame_reader(body).map_err(bad)?;
    let mut out = Vec::with_capacity(max.min(body.len().saturating_mul(4).max(64 << 10)));
    d.take((max as u64).saturating_add(1))
        .read_to_end(&mut out)
        .map_err(bad)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn text_shrinks_random_stays_raw() {
        let text = "fn main() { println!(\"banana\"); }\n".repeat(2000);
        for (codec, tag) in [
            (Codec::Xz(1), XZ),
            (Codec::Zstd(3), ZSTD),
            (Codec::None, RAW),
        ] {
            let c = compress(text.as_bytes(), codec);
            assert_eq!(c[0], tag, "{codec}");
            if tag != RAW {
                assert!(c.len() < text.len() / 10, "{codec}");
            }
            assert_eq!(decompress(&c, text.len()).unwrap(), text.as_bytes());
        }
        let random: Vec<u8> = (0..100_000).map(|_| rand::random::<u8>()).collect();
        let c = compress(&random, Codec::Zstd(3));
        assert_eq!(c[0], RAW);
        assert_eq!(decompress(&c, random.len()).unwrap(), random);
    }

    #[test]
    fn codecs_parse_and_print() {
        for (s, c) in [
            ("zstd", Codec::Zstd(3)),
            ("zstd:19", Codec::Zstd(19)),
            ("xz", Codec::Xz(0)),
            ("xz:6", Codec::Xz(6)),
            ("9", Codec::Xz(9)),
            ("none", Codec::None),
        ] {
            assert_eq!(s.parse::<Codec>().unwrap(), c, "{s}");
            assert_eq!(c.to_string().parse::<Codec>().unwrap(), c);
        }
        for bad in ["zstd:0", "zstd:20", "xz:10", "10", "lz4", "zstd:", ""] {
            let e = bad.parse::<Codec>().unwrap_err().to_string();
            assert!(e.contains("zstd[:1-19], xz[:0-9] or none"), "{bad}: {e}");
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decompress(&[XZ, 1, 2, 3], 10).is_err());
        assert!(decompress(&[ZSTD, 1, 2, 3], 10).is_err());
        assert!(decompress(&[9], 0).is_err());
        assert!(decompress(&[], 0).is_err());
    }

    /// A frame that decodes to more than the blob's recorded length, one
    /// that claims a 2 GiB window, and one cut short: refused, and the
    /// refusal allocates no more than the recorded length.
    #[test]
    fn zstd_bombs_and_lies_are_refused() {
        let zeros = vec![0u8; 64 << 20];
        let mut bomb = vec![ZSTD];
        bomb.extend(zstd::bulk::compress(&zeros, 3).unwrap());
        assert!(bomb.len() < 64 << 10);
        let e = decompress(&bomb, 1000).expect_err("bomb refused");
        assert!(
            e.to_string().contains("more than its recorded length"),
            "{e}"
        );
        let e = decompress(&bomb, (64 << 20) + 1).expect_err("short refused");
        assert!(e.to_string().contains("less than"), "{e}");
        // A frame declaring a 2 GiB window (no content size, window
        // descriptor exponent 21: log 31), holding one raw byte: refused
        // before the decoder allocates its window.
        let wide = [ZSTD, 0x28, 0xB5, 0x2F, 0xFD, 0x00, 21 << 3, 9, 0, 0, b'x'];
        let e = decompress(&wide, 1).expect_err("a 2 GiB window is refused");
        assert!(e.to_string().contains("not valid zstd"), "{e}");
        // The same frame with an 8 MiB window decodes.
        let narrow = [ZSTD, 0x28, 0xB5, 0x2F, 0xFD, 0x00, 13 << 3, 9, 0, 0, b'x'];
        assert_eq!(decompress(&narrow, 1).ok().as_deref(), Some(&b"x"[..]));
        let good = compress(&"banana ".repeat(10_000).into_bytes(), Codec::Zstd(3));
        assert!(decompress(&good[..good.len() - 4], 70_000).is_err());
    }

    proptest! {
        #[test]
        fn round_trip(data in proptest::collection::vec(0u8..4, 0..20_000), level in 0i32..4) {
            for codec in [Codec::Xz(level as u32), Codec::Zstd(level + 1)] {
                let c = compress(&data, codec);
                prop_assert_eq!(decompress(&c, data.len()).unwrap(), data.clone());
            }
        }
    }
}
