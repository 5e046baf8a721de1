//! A blocking client of the tower's API, for the TUI's poller and `bananaui
//! node list`: a bearer token when one is given, a bounded time per request,
//! and one retry of a GET that failed before any answer (it is idempotent).

use serde::de::DeserializeOwned;
use std::time::Duration;

/// The client.
pub struct Client {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    /// A client of the tower at `url`, each request bounded by `timeout`.
    pub fn new(url: &str, token: Option<String>, timeout: Duration) -> anyhow::Result<Client> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()?;
        Ok(Client {
            rt,
            http,
            base: url.trim_end_matches('/').to_owned(),
            token,
        })
    }

    /// The tower's URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// GETs `path` and decodes it; the error is one line.
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, String> {
        let text = match self.fetch(path) {
            Err(Fail::NoAnswer(_)) => self.fetch(path),
            r => r,
        }
        .map_err(|(Fail::NoAnswer(e) | Fail::Answer(e))| e)?;
        serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))
    }

    fn fetch(&self, path: &str) -> Result<String, Fail> {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        self.rt.block_on(async {
            // No answer at all (refused, reset, timed out): worth one retry.
            let r = req
                .send()
                .await
                .map_err(|e| Fail::NoAnswer(e.without_url().to_string()))?;
            let status = r.status();
            let text = r
                .text()
                .await
                .map_err(|e| Fail::NoAnswer(e.without_url().to_string()))?;
            match status.as_u16() {
                401 => Err(Fail::Answer(
                    "401: a viewer token is needed (--token-file)".to_owned(),
                )),
                s if !(200..300).contains(&s) => {
                    Err(Fail::Answer(format!("HTTP {status} for {path}")))
                }
                _ => Ok(text),
            }
        })
    }
}

/// Why a fetch failed.
enum Fail {
    /// No answer (refused, reset, timed out): a GET is retried once.
    NoAnswer(String),
    /// The tower answered with an error.
    Answer(String),
}
