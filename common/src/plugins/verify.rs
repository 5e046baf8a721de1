//! `banana-plugin-NAME verify STREAM`: an external plugin's check of one
//! stream for a drill ([`crate::drill`], `docs/plugins.md`).

use super::command::{run_to_end, RunDir};
use super::external::{find, ExternalSpec};
use crate::error::{Error, ErrorKind, Result};
use std::path::Path;

/// What `banana-plugin-NAME verify STREAM` answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// Exit 0: the stream is sound.
    Passed,
    /// Exit 64: the plugin does not verify streams.
    NotSupported,
    /// There is no such plugin on the search path.
    NotInstalled,
}

/// Exit status of a plugin that does not know a verb (`EX_USAGE`).
pub const EXIT_UNKNOWN_VERB: i32 = 64;

/// Checks one stream, read from `file`, with `banana-plugin-NAME verify
/// STREAM` (a drill). Any exit but 0 and 64 fails with the end of its stderr.
pub fn verify(spec: &ExternalSpec, name: &str, file: &Path) -> Result<Verified> {
    super::external::safe_stream(spec, name)?;
    let program = match find(&spec.plugin, &spec.search) {
        Ok(p) => p,
        Err(_)
            if spec
                .search
                .iter()
                .all(|d| !d.join(format!("banana-plugin-{}", spec.plugin)).exists()) =>
        {
            return Ok(Verified::NotInstalled)
        }
        Err(e) => return Err(e),
    };
    let dir = RunDir::new(&spec.run_base)?;
    let mut feed = |w: &mut dyn std::io::Write| {
        let mut f = std::fs::File::open(file).map_err(|e| Error::io("the decoded stream", e))?;
        std::io::copy(&mut f, w).map_err(|e| Error::io("the plugin's stdin", e))?;
        Ok(())
    };
    match run_to_end(
        &spec.command(&program, "verify", Some(name), &dir, &[]),
        Some(&mut feed),
        0,
    ) {
        Ok(_) => Ok(Verified::Passed),
        // The status, from the failure's own words (before the stderr
        // line it quotes, which the plugin chose).
        Err(e) if exit_status(e.message()) == Some(EXIT_UNKNOWN_VERB) => Ok(Verified::NotSupported),
        Err(e) => Err(Error::new(
            ErrorKind::Damaged,
            format!(
                "plugin '{}': verify of stream '{}' failed: {}",
                spec.plugin,
                crate::humanize::printable(name),
                e.message()
            ),
        )),
    }
}

/// The exit status a program-running failure states first
/// (`command '…' exited with status N: …`).
fn exit_status(message: &str) -> Option<i32> {
    // The program is the plugin's trusted path; its stderr comes after.
    let (_, rest) = message
        .strip_prefix("command '")?
        .split_once("' exited with status ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_plugins_exit_status_is_read_before_its_stderr() {
        let m =
            "command '/usr/lib/banana/plugins/banana-plugin-x' exited with status 64: unknown verb";
        assert_eq!(super::exit_status(m), Some(64));
        let forged =
            "command '/p/banana-plugin-x' exited with status 1: command '/p' exited with status 64";
        assert_eq!(super::exit_status(forged), Some(1));
        assert_eq!(super::exit_status("stream 'a' exited with status 64"), None);
    }
}
