//! Every S3 request on the wire: signed by rust-s3 (its `Command`s, URLs and
//! SigV4 headers), sent by the backend's own client ([`crate::bounded`]),
//! so that no redirect is followed and no answer is read past a cap: a
//! listing page, a range, a version listing and an error body each have
//! theirs, whatever a hostile server declares or sends.

use super::S3Backend;
use crate::bounded::{self, BodyError, ERROR_BODY};
use crate::error::{Error, ErrorKind};
use s3::command::{Command, HttpMethod};
use s3::request::tokio_backend::ReqwestRequest;
use s3::request::Request as _;
use s3::Bucket;

/// A 2xx answer.
pub(super) struct Answer {
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

/// Why a request failed.
#[derive(Debug)]
pub(super) enum Failed {
    /// Not a 2xx: the status and the start of the body.
    Status(u16, String),
    /// A 2xx whose body is longer than the request's cap.
    TooLarge(u64),
    /// The transport failed (connect, timeout, reset, truncated answer).
    Transport(reqwest::Error),
    /// The request could not be signed or built.
    Build(String),
}

impl From<s3::error::S3Error> for Failed {
    fn from(e: s3::error::S3Error) -> Self {
        Failed::Build(crate::backend::remote::error_chain(&e))
    }
}

impl S3Backend {
    /// Sends `command` on `key` of `bucket` (its extra query included),
    /// with the timeout for moving `bytes`; reads at most `cap` bytes of a
    /// 2xx answer and [`ERROR_BODY`] of any other.
    pub(super) async fn call(
        &self,
        bucket: &Bucket,
        key: &str,
        command: Command<'_>,
        cap: u64,
        bytes: usize,
    ) -> Result<Answer, Failed> {
        self.count();
        let req = ReqwestRequest::new(bucket, key, command).await?;
        let url = req.url()?;
        let signed = req.headers().await?;
        let (method, head) = match req.command().http_verb() {
            HttpMethod::Get => (reqwest::Method::GET, false),
            HttpMethod::Put => (reqwest::Method::PUT, false),
            HttpMethod::Post => (reqwest::Method::POST, false),
            HttpMethod::Delete => (reqwest::Method::DELETE, false),
            HttpMethod::Head => (reqwest::Method::HEAD, true),
        };
        let mut b = self
            .client
            .request(method, url.as_str())
            .timeout(self.timeout(bytes));
        for (k, v) in signed.iter() {
            b = b.header(k.as_str(), v.as_bytes());
        }
        let body = req.request_body()?;
        if !body.is_empty() {
            b = b.body(body);
        }
        let resp = b.send().await.map_err(Failed::Transport)?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            let text = bounded::prefix(resp, ERROR_BODY).await;
            return Err(Failed::Status(
                status,
                String::from_utf8_lossy(&text).into_owned(),
            ));
        }
        let headers = resp.headers().clone();
        let body = if head {
            Vec::new()
        } else {
            bounded::body(resp, cap).await.map_err(|e| match e {
                BodyError::TooLarge { cap } => Failed::TooLarge(cap),
                BodyError::Transport(t) => Failed::Transport(t),
            })?
        };
        Ok(Answer { headers, body })
    }

    /// Maps a failed request on `key` to an error naming the endpoint and
    /// the object, classified for the retry layer.
    pub(super) fn fail(&self, op: &str, key: &str, e: Failed) -> Error {
        let at = format!(
            "{} {op} s3://{}/{key}",
            self.loc.endpoint(),
            self.loc.bucket
        );
        match e {
            Failed::Status(code, body) => self.status_error(&at, code, &body),
            Failed::Transport(r) => {
                let what = if r.is_timeout() {
                    "timed out".to_owned()
                } else if r.is_connect() {
                    "cannot connect".to_owned()
                } else {
                    format!("transport error: {}", bounded::error_chain(&r))
                };
                Error::new(ErrorKind::StorageUnavailable, format!("{at}: {what}"))
            }
            Failed::TooLarge(cap) => Error::damaged(format!(
                "repository {}: {at}: the storage answered more than the {cap} bytes asked for or allowed",
                self.location_text()
            )),
            Failed::Build(why) => Error::new(ErrorKind::Other, format!("{at}: {why}")),
        }
    }

    fn status_error(&self, at: &str, code: u16, body: &str) -> Error {
        let s3code = xml_tag(body, "Code").unwrap_or_default();
        match code {
            404 if s3code == "NoSuchBucket" => Error::new(
                ErrorKind::BadInput,
                format!(
                    "S3 bucket '{}' does not exist at {}",
                    self.loc.bucket,
                    self.loc.endpoint()
                ),
            )
            .hint(format!(
                "buckets are the administrator's: create it (e.g. 'aws --endpoint-url {} s3 mb s3://{}'), then run again",
                self.loc.endpoint(),
                self.loc.bucket
            )),
            404 => Error::new(ErrorKind::NotFound, format!("{at}: no such object")),
            401 | 403 => Error::new(
                ErrorKind::StorageDenied,
                format!("{at}: refused by the storage ({code} {s3code})"),
            )
            .hint("check the node's storage credential and its policy (docs/storage.md)"),
            408 | 429 | 500..=599 => Error::new(
                ErrorKind::StorageUnavailable,
                format!("{at}: the storage answered {code} {s3code}"),
            ),
            300..=399 => Error::new(
                ErrorKind::Io,
                format!("{at}: the storage answered {code}, a redirect (never followed)"),
            )
            .hint("give the endpoint the bucket really lives at (its region's host)"),
            _ => Error::new(
                ErrorKind::Io,
                format!("{at}: the storage answered {code} {s3code}"),
            ),
        }
    }
}

/// What Banana reads of a `ListObjectsV2` page (other fields ignored).
#[derive(Debug, serde::Deserialize)]
pub(super) struct Page {
    #[serde(rename = "Contents", default)]
    pub contents: Vec<Listed>,
    #[serde(rename = "IsTruncated", default)]
    pub is_truncated: bool,
    #[serde(rename = "NextContinuationToken")]
    pub next_continuation_token: Option<String>,
}

/// One key of a listing page.
#[derive(Debug, serde::Deserialize)]
pub(super) struct Listed {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Size")]
    pub size: u64,
    #[serde(rename = "LastModified", default)]
    pub last_modified: Option<String>,
}

/// The text of the first `<tag>` in an S3 XML answer (no entities expected
/// in the keys and ids Banana writes).
pub(super) fn xml_text<'a>(body: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find("</")? + start;
    Some(&body[start..end])
}

/// [`xml_text`] made safe for a message: printable, at most 64 characters.
fn xml_tag(body: &str, tag: &str) -> Option<String> {
    Some(
        xml_text(body, tag)?
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(64)
            .collect(),
    )
}
