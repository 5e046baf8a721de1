//! The only module that imports the age crate: X25519 identities and
//! recipients, and age streams (a fresh file key per stream, seekable on
//! read so a restore decrypts only the part of a pack it needs).

use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;
use ::age::secrecy::ExposeSecret;
use std::io::{Read, Seek, Write};
use std::str::FromStr;

/// An age X25519 identity (secret key).
pub type Identity = ::age::x25519::Identity;
/// An age X25519 recipient (public key).
pub type Recipient = ::age::x25519::Recipient;
/// An age stream being written.
pub type StreamWriter<W> = ::age::stream::StreamWriter<W>;
/// An age stream being read (seekable when its input is).
pub type StreamReader<R> = ::age::stream::StreamReader<R>;

/// Plaintext bytes of a STREAM chunk, and the tag each chunk adds.
const CHUNK: u64 = 64 * 1024;
const TAG: u64 = 16;

/// An age stream being read that knows how long its plaintext is (from the
/// ciphertext's length, which age authenticates when the last chunk is
/// read): a reader can refuse a range past the end before it seeks, since
/// age's own reader panics on a read after a seek past the end that stays
/// within its current, last chunk (found by fuzzing), and a caller must not
/// allocate what a hostile header claims.
pub struct Plain<R> {
    reader: StreamReader<Counted<R>>,
    len: u64,
}

impl<R> Plain<R> {
    /// Bytes of plaintext (a bound: a stream whose last chunk does not
    /// authenticate fails when read).
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the plaintext is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<R: Read> Read for Plain<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.reader.read(buf)
    }
}

impl<R: Read + Seek> Seek for Plain<R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.reader.seek(pos)
    }
}

/// The input of a [`Plain`]: counts what age reads of it before the stream
/// starts (its header and nonce), and its length.
struct Counted<R> {
    inner: R,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counted<R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// A fresh identity.
pub fn generate() -> Identity {
    Identity::generate()
}

/// The identity as `AGE-SECRET-KEY-1…`, in a [`Secret`].
pub fn identity_secret(id: &Identity) -> Secret {
    Secret::new(id.to_string().expose_secret())
}

/// The identity's recipient as `age1…`.
pub fn recipient_of(id: &Identity) -> String {
    id.to_public().to_string()
}

/// Parses an `AGE-SECRET-KEY-1…` identity; the error never quotes it.
pub fn parse_identity(s: &str) -> Result<Identity> {
    Identity::from_str(s.trim()).map_err(|_| {
        Error::new(
            ErrorKind::BadInput,
            "an identity is not a valid age secret key",
        )
    })
}

/// Parses an `age1...` recipient, with an error that quotes it.
pub fn parse_recipient(s: &str) -> Result<Recipient> {
    Recipient::from_str(s.trim()).map_err(|e| {
        Error::new(
            ErrorKind::BadInput,
            format!("'{s}' is not an age X25519 recipient: {e}"),
        )
        .hint("a recipient looks like age1... (see 'age-keygen -y')")
    })
}

/// Encrypts a stream to age recipients: every call makes a fresh file key.
pub fn writer<W: Write>(recipients: &[Recipient], out: W) -> Result<StreamWriter<W>> {
    let enc =
        ::age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn ::age::Recipient))
            .map_err(|e| Error::new(ErrorKind::Other, format!("age: cannot encrypt: {e}")))?;
    enc.wrap_output(out)
        .map_err(|e| Error::io("age encryption", e))
}

/// Opens an age stream of `total` bytes with the given identities.
pub fn reader<R: Read + Seek>(
    identities: &[Identity],
    input: R,
    total: u64,
    what: &str,
) -> Result<Plain<R>> {
    let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = Counted {
        inner: input,
        read: read.clone(),
    };
    let reader = open(identities, counted, what)?;
    // age has read its header and the nonce, nothing more: the rest is the
    // STREAM, chunks of 64 KiB, each with a 16-byte tag.
    let start = read.load(std::sync::atomic::Ordering::Relaxed);
    let body = total.saturating_sub(start);
    let len = body.saturating_sub(body.div_ceil(CHUNK + TAG) * TAG);
    Ok(Plain { reader, len })
}

/// The age stream of `input`, opened with one of `identities`.
fn open<R: Read>(identities: &[Identity], input: R, what: &str) -> Result<StreamReader<R>> {
    let dec = ::age::Decryptor::new(input)
        // age's own text spans lines and advises upgrading: a damaged
        // header is said in one line (the cause's first, a read's error).
        .map_err(|e| {
            Error::damaged(format!(
                "{what}: its encrypted body is damaged (no valid age header: {})",
                crate::humanize::printable(e.to_string().lines().next().unwrap_or_default())
            ))
        })?;
    dec.decrypt(identities.iter().map(|i| i as &dyn ::age::Identity))
        .map_err(|e| match e {
            ::age::DecryptError::NoMatchingKeys => Error::new(
                ErrorKind::WrongKey,
                format!("{what}: none of the identities in the key can decrypt it"),
            )
            .hint("use the key that was used at backup time, or a break-glass identity"),
            e => Error::damaged(format!(
                "{what}: its encrypted body is damaged (cannot decrypt: {})",
                crate::humanize::printable(e.to_string().lines().next().unwrap_or_default())
            )),
        })
}

/// Encrypts `plain` to `recipients` in one go.
pub fn encrypt(recipients: &[Recipient], plain: &[u8]) -> Result<Vec<u8>> {
    let mut w = writer(recipients, Vec::new())?;
    w.write_all(plain)
        .map_err(|e| Error::io("age encryption", e))?;
    w.finish().map_err(|e| Error::io("age encryption", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_identity() {
        let id = generate();
        let r = parse_recipient(&recipient_of(&id)).unwrap();
        let ct = encrypt(&[r], b"banana").unwrap();
        let mut out = Vec::new();
        reader(
            std::slice::from_ref(&id),
            std::io::Cursor::new(&ct),
            ct.len() as u64,
            "x",
        )
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
        assert_eq!(out, b"banana");
        let e = reader(
            &[generate()],
            std::io::Cursor::new(&ct),
            ct.len() as u64,
            "x",
        )
        .err();
        assert_eq!(e.map(|e| e.kind()), Some(ErrorKind::WrongKey));
        let again = parse_identity(identity_secret(&id).expose()).unwrap();
        assert_eq!(recipient_of(&again), recipient_of(&id));
        let e = parse_identity("nope").err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| !e.contains("nope")));
    }

    /// The plaintext length is known before reading, for every shape of
    /// the last chunk (empty stream, short, exactly full, one byte over).
    #[test]
    fn the_plaintext_length_is_known_before_reading() {
        let id = generate();
        let r = parse_recipient(&recipient_of(&id)).unwrap();
        for n in [0usize, 1, 100, 65_535, 65_536, 65_537, 200_000, 3 * 65_536] {
            let plain: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
            let ct = encrypt(std::slice::from_ref(&r), &plain).unwrap();
            let mut p = reader(
                std::slice::from_ref(&id),
                std::io::Cursor::new(&ct),
                ct.len() as u64,
                "x",
            )
            .unwrap();
            assert_eq!(p.len(), n as u64, "{n} bytes");
            let mut out = Vec::new();
            p.read_to_end(&mut out).unwrap();
            assert_eq!(out, plain);
        }
    }
}
