//! HTTP answers read with a bound, from clients that follow no redirect:
//! what storage, Vault or the tower hands back is hostile until checked.
//!
//! - Every client Banana builds starts from [`client`]: redirects are never
//!   followed (a 3xx is an answer like any other), so no credential header
//!   goes to another host and no https request is downgraded to http.
//! - A body is read chunk by chunk and stops at a cap ([`body`]): a declared
//!   `Content-Length` over the cap is refused before anything is read, and a
//!   server that ignores `Range` or streams for ever costs at most the cap.
//!   Error bodies are only ever read to [`ERROR_BODY`] ([`prefix`]).

use std::time::Duration;

/// Most bytes of an error answer read (enough for an S3 `<Code>` or a
/// Keystone message; the rest is dropped unread).
pub const ERROR_BODY: usize = 64 * 1024;

/// A client builder that follows no redirect and gives up connecting after
/// `connect`.
pub fn client(connect: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect)
}

/// Why a body was not read whole.
#[derive(Debug)]
pub enum BodyError {
    /// The answer holds more than the cap (declared or sent).
    TooLarge {
        /// The cap.
        cap: u64,
    },
    /// The transport failed while reading.
    Transport(reqwest::Error),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TooLarge { cap } => write!(f, "the answer is longer than {cap} bytes"),
            BodyError::Transport(e) => write!(f, "{}", error_chain(e)),
        }
    }
}

/// An error with its sources, on one line.
/// The innermost cause of an error, as a short phrase: `connection
/// refused`, not the chain of wrappers around it (nor `(os error 111)`).
pub fn root_cause(e: &dyn std::error::Error) -> String {
    let mut last = e;
    while let Some(c) = last.source() {
        last = c;
    }
    let text = last.to_string();
    let text = match text.find(" (os error ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

/// Every message of an error's chain, joined by `: `.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s.replace('\n', " ")
}

/// The whole body of `resp`, at most `cap` bytes: more is
/// [`BodyError::TooLarge`], found as soon as it is declared or sent.
pub async fn body(mut resp: reqwest::Response, cap: u64) -> Result<Vec<u8>, BodyError> {
    if resp.content_length().is_some_and(|n| n > cap) {
        return Err(BodyError::TooLarge { cap });
    }
    let first = resp.content_length().unwrap_or(0).min(cap).min(1 << 20);
    let mut out = Vec::with_capacity(usize::try_from(first).unwrap_or(0));
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Transport)? {
        if (out.len() + chunk.len()) as u64 > cap {
            return Err(BodyError::TooLarge { cap });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// The first `cap` bytes of `resp`'s body (an error answer, say); the rest
/// is left unread, and a transport error ends what was read.
pub async fn prefix(mut resp: reqwest::Response, cap: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let room = cap.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= cap {
            break;
        }
    }
    out
}
