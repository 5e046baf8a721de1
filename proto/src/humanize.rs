//! Numbers and times for humans, and durations as humans write them; one
//! wording for every binary (agent output, tower messages, TUI).

/// Bytes for humans: `512 B`, `1.5 MiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// A span of seconds: `42s`, `3m 5s`, `3h 12m`, `2d 4h`.
pub fn age(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {}s", s / 60, s % 60),
        3600..=86399 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86400, s % 86400 / 3600),
    }
}

/// `3h 12m ago` or `in 5m 0s` relative to `now`; `never` for `None`.
pub fn ago(t: Option<i64>, now: i64) -> String {
    match t {
        None => "never".into(),
        Some(t) if t <= now => format!("{} ago", age(now.saturating_sub(t))),
        Some(t) => format!("in {}", age(t.saturating_sub(now))),
    }
}

/// A Unix time as RFC 3339 UTC, to the second.
pub fn rfc3339(secs: i64) -> String {
    // humantime formats years up to 9999 only; later times are clamped.
    let secs = secs.clamp(0, 253_402_300_799);
    let st = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64);
    humantime::format_rfc3339_seconds(st).to_string()
}

/// `1 file`, `2 files`: a count with its noun in the right number.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Parses `30s`, `10m`, `1h`, `2d` (or plain seconds) into seconds (> 0).
pub fn parse_duration(s: &str) -> Result<u64, String> {
    let (num, unit) = s.split_at(s.trim_end_matches(|c: char| c.is_ascii_alphabetic()).len());
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a duration like 30s, 10m, 1h, 1d"))?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(format!("'{s}': the unit must be s, m, h or d")),
    };
    n.checked_mul(mult)
        .filter(|&v| v > 0)
        .ok_or_else(|| format!("'{s}' is out of range"))
}

/// Parses a size: bytes, or with K, M, G or T (binary, 1024), optionally
/// followed by `iB` or `B`: `4096`, `500M`, `2GiB`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (num, unit) = t.split_at(t.trim_end_matches(|c: char| c.is_ascii_alphabetic()).len());
    let n: u64 = num
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a size like 4096, 500M, 2G"))?;
    let shift = match unit {
        "" => 0,
        "K" | "k" => 10,
        "M" | "m" => 20,
        "G" | "g" => 30,
        "T" | "t" => 40,
        _ => return Err(format!("'{s}': the unit must be K, M, G or T")),
    };
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("'{s}' is out of range"))
}

/// Makes untrusted text (node names, file names from a snapshot, errors)
/// safe to print on a terminal: control characters (C0, DEL, C1: every
/// escape sequence starts with one) become visible `\x1b`-style escapes, and
/// bidirectional overrides are dropped; the result is one line.
pub fn printable(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{061C}' => {}
            c if c.is_control() => {
                let n = c as u32;
                if n <= 0xff {
                    o.push_str(&format!("\\x{n:02x}"));
                } else {
                    o.push_str(&format!("\\u{{{n:x}}}"));
                }
            }
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wording() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(3 << 20), "3.0 MiB");
        assert_eq!(age(3 * 3600 + 12 * 60), "3h 12m");
        assert_eq!(ago(Some(90), 100), "10s ago");
        assert_eq!(ago(Some(400), 100), "in 5m 0s");
        assert_eq!(ago(None, 100), "never");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(parse_duration("1d"), Ok(86400));
        assert_eq!(parse_duration("90"), Ok(90));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn hostile_text_is_made_visible_and_inert() {
        assert_eq!(printable("a\u{1b}[31mb"), "a\\x1b[31mb");
        assert_eq!(printable("x\u{9b}2Jy\u{7}"), "x\\x9b2Jy\\x07");
        assert_eq!(printable("ab\u{202e}cd\nef"), "abcd\\x0aef");
        assert!(printable("\u{1b}]0;title\u{7}")
            .chars()
            .all(|c| !c.is_control()));
    }
}
