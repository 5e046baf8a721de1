//! External plugins: an executable `banana-plugin-NAME` found on the
//! configured plugin path, speaking the protocol of `docs/plugins.md`:
//!
//! - `banana-plugin-NAME plan` prints one JSON line, `{"streams": [..],
//!   "meta": {..}}` (both optional: one stream named after the job, no
//!   metadata);
//! - `banana-plugin-NAME backup STREAM` prints the stream on stdout, once
//!   per stream, each run under the rules of [`super::command`] (a non-zero
//!   exit after printing data fails the job; the snapshot is kept marked
//!   `failed`, never `latest`);
//! - `banana-plugin-NAME restore STREAM` reads the stream on stdin.
//!
//! Every run gets a private 0700 run directory (its working directory and
//! `TMPDIR`, removed afterwards) and the environment `BANANA_PLUGIN_PROTOCOL`,
//! `BANANA_JOB`, `BANANA_RUN_DIR`, `BANANA_OPTIONS` (the job's `options` as
//! JSON) and, for a job with credentials, `BANANA_SECRET_FILE`. The program
//! must be owned by root or the agent's user and writable by no one else,
//! in a directory likewise: the agent runs it with its own privileges.

use crate::error::{Error, ErrorKind, Result};
use crate::id::Id;
use crate::names::unsafe_name;
use crate::ops::backup::{Run, Source};
use crate::plugins::command::{run_to_end, store_streams, CommandSpec, Feed, RunDir};
use crate::plugins::{Entry, JobKeys, JobPlugin, KeyError, Registry, RunEnv, ServerRestore};
use serde::Deserialize;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The protocol version a plugin is told (`BANANA_PLUGIN_PROTOCOL`).
pub const PROTOCOL: &str = "1";
/// Longest `plan` line.
pub const PLAN_LIMIT: usize = 64 * 1024;
/// Most streams one plan may name.
pub const MAX_STREAMS: usize = 10_000;
/// Most metadata entries one plan may give.
pub const MAX_META: usize = 100;

/// An external plugin job.
#[derive(Debug, Clone)]
pub struct ExternalSpec {
    /// The plugin's name (`NAME` of `banana-plugin-NAME`).
    pub plugin: String,
    /// Directories searched, in order.
    pub search: Vec<PathBuf>,
    /// The job's name.
    pub job: String,
    /// The job's `options`, a JSON object.
    pub options: String,
    /// A 0600 file with the job's credentials.
    pub secret_file: Option<PathBuf>,
    /// Each run of the program is killed after this long.
    pub timeout: Option<Duration>,
    /// Where the private run directory is made (the node's state directory).
    pub run_base: PathBuf,
}

/// Whether `name` can name an external plugin: lowercase letters, digits,
/// `-` and `_`, at most 64, starting with a letter or digit.
pub fn valid_plugin_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_".contains(&b))
        && !name.starts_with(['-', '_'])
}

/// Where `banana-plugin-NAME` is on `search`, checked (see [`trusted`]):
/// the resolved path, the one the agent runs (a symlink swapped after the
/// check changes nothing).
pub fn find(plugin: &str, search: &[PathBuf]) -> Result<PathBuf> {
    let file = format!("banana-plugin-{plugin}");
    for dir in search {
        if !dir.is_absolute() {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("plugin_path entry '{}' is not absolute", dir.display()),
            )
            .hint("give plugin_path absolute directories"));
        }
        let p = dir.join(&file);
        if p.symlink_metadata().is_ok() {
            return trusted(&p);
        }
    }
    let dirs: Vec<String> = search.iter().map(|d| d.display().to_string()).collect();
    Err(Error::new(
        ErrorKind::BadInput,
        format!(
            "plugin '{}' is not built in ({}) and there is no {} in {}",
            crate::humanize::printable(plugin),
            Registry::built_in().names(),
            crate::humanize::printable(&file),
            if dirs.is_empty() {
                "an empty plugin_path".to_owned()
            } else {
                dirs.join(", ")
            }
        ),
    )
    .hint("install the plugin there, or set plugin_path in the config file"))
}

/// A plugin the agent may run, resolved one component at a time as the
/// kernel would: the directory holding the plugin's name, the directory
/// holding every symlink followed on the way (a link into a directory
/// another user controls would let that user pick which program runs), and
/// the directory holding the file itself are owned by root or the agent's
/// user and writable by no one else; so is the file, an executable regular
/// file; every symlink followed is owned by root or the agent's user;
/// other directories passed through may also be writable by others when
/// sticky (`/tmp`), where no one else can rename or remove what is in them.
/// The resolved path is the one the agent runs: a link swapped after the
/// check changes nothing.
fn trusted(p: &Path) -> Result<PathBuf> {
    let io = |at: &Path, e| Error::io(format!("plugin {} (at {})", p.display(), at.display()), e);
    let mut todo: std::collections::VecDeque<std::ffi::OsString> =
        p.iter().map(std::ffi::OsStr::to_owned).collect();
    let mut at = PathBuf::from("/");
    let mut hops = 0;
    // Whether the directory `at` holds something the walk relies on (a link
    // followed, or the file): then it must be closed, sticky or not.
    let mut holds = vec![p.parent().map(Path::to_path_buf)];
    while let Some(c) = todo.pop_front() {
        match c.to_str() {
            Some("/") | Some(".") => continue,
            Some("..") => {
                at.pop();
                continue;
            }
            _ => {}
        }
        let next = at.join(&c);
        let m = next.symlink_metadata().map_err(|e| io(&next, e))?;
        if m.file_type().is_symlink() {
            hops += 1;
            if hops > 40 {
                return Err(Error::new(
                    ErrorKind::BadInput,
                    format!("plugin {}: too many symlinks", p.display()),
                ));
            }
            owned_and_closed("plugin symlink", &next, true)?;
            holds.push(Some(at.clone()));
            let target = std::fs::read_link(&next).map_err(|e| io(&next, e))?;
            if target.is_absolute() {
                at = PathBuf::from("/");
            }
            for t in target.iter().rev() {
                todo.push_front(t.to_owned());
            }
        } else {
            at = next;
        }
    }
    let meta = at.metadata().map_err(|e| io(&at, e))?;
    if !meta.is_file() || meta.mode() & 0o111 == 0 {
        return Err(Error::new(
            ErrorKind::BadInput,
            format!("plugin {} is not an executable file", p.display()),
        )
        .hint("chmod 755 it"));
    }
    owned_and_closed("plugin", &at, false)?;
    holds.push(at.parent().map(Path::to_path_buf));
    for dir in holds.into_iter().flatten() {
        let dir = dir.canonicalize().map_err(|e| io(&dir, e))?;
        for (i, a) in dir.ancestors().enumerate() {
            owned_and_closed("plugin directory", a, i > 0)?;
        }
    }
    Ok(at)
}

/// `path` is owned by root or the agent's user and writable by no one else
/// (or, with `sticky_ok`, by others only with the sticky bit set). A
/// symlink is judged by its owner alone.
fn owned_and_closed(what: &str, path: &Path, sticky_ok: bool) -> Result<()> {
    let m = path
        .symlink_metadata()
        .map_err(|e| Error::io(format!("{what} {}", path.display()), e))?;
    let me = nix::unistd::geteuid().as_raw();
    if m.uid() != 0 && m.uid() != me {
        return Err(Error::new(
            ErrorKind::BadInput,
            format!(
                "{what} {} is owned by uid {}, not by root or the agent's user: the agent would run code another user controls",
                path.display(),
                m.uid()
            ),
        )
        .hint("chown root it"));
    }
    if !m.file_type().is_symlink()
        && m.mode() & 0o022 != 0
        && !(sticky_ok && m.mode() & 0o1000 != 0)
    {
        return Err(Error::new(
            ErrorKind::BadInput,
            format!(
                "{what} {} is writable by group or others (mode {:04o}): the agent would run code another user controls",
                path.display(),
                m.mode() & 0o7777
            ),
        )
        .hint("chmod go-w it"));
    }
    Ok(())
}

impl ExternalSpec {
    /// The program run as `PROGRAM VERB [STREAM]` in `dir`.
    pub(crate) fn command(
        &self,
        program: &Path,
        verb: &str,
        stream: Option<&str>,
        dir: &RunDir,
        extra: &[(&str, &str)],
    ) -> CommandSpec {
        let run = dir.path().display().to_string();
        let mut env = vec![
            ("BANANA_PLUGIN_PROTOCOL".to_owned(), PROTOCOL.to_owned()),
            ("BANANA_JOB".into(), self.job.clone()),
            ("BANANA_RUN_DIR".into(), run.clone()),
            ("BANANA_OPTIONS".into(), self.options.clone()),
            ("TMPDIR".into(), run),
        ];
        if let Some(f) = &self.secret_file {
            env.push(("BANANA_SECRET_FILE".into(), f.display().to_string()));
        }
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let mut argv = vec![program.display().to_string(), verb.to_owned()];
        argv.extend(stream.map(str::to_owned));
        CommandSpec {
            argv,
            name: stream.unwrap_or(&self.job).to_owned(),
            timeout: self.timeout,
            env,
            label: format!("plugin-{}", self.plugin),
            cwd: Some(dir.path().to_owned()),
        }
    }
}

/// What `plan` prints.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Plan {
    #[serde(default)]
    streams: Option<Vec<String>>,
    #[serde(default)]
    meta: serde_json::Map<String, serde_json::Value>,
}

/// A plan's metadata entries.
type Meta = Vec<(String, String)>;

/// Parses and checks a `plan` line: stream names usable as file names,
/// unique; metadata flat, bounded.
fn parse_plan(plugin: &str, job: &str, out: &[u8]) -> Result<(Vec<String>, Meta)> {
    let bad = |why: String| {
        Error::new(
            ErrorKind::Other,
            format!("plugin '{plugin}': its plan {why}"),
        )
        .hint("the plan is one JSON line: {\"streams\": [\"NAME\", ...], \"meta\": {\"KEY\": \"VALUE\"}} (docs/plugins.md)")
    };
    let text = std::str::from_utf8(out).map_err(|_| bad("is not UTF-8".into()))?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let [line] = lines[..] else {
        return Err(bad(format!("has {} lines, not one", lines.len())));
    };
    let plan: Plan = serde_json::from_str(line).map_err(|e| bad(format!("is not valid: {e}")))?;
    let streams = plan.streams.unwrap_or_else(|| vec![job.to_owned()]);
    if streams.is_empty() || streams.len() > MAX_STREAMS {
        return Err(bad(format!(
            "names {} streams (1 to {MAX_STREAMS})",
            streams.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for s in &streams {
        if !seen.insert(s) {
            return Err(bad(format!(
                "names stream '{}' twice",
                crate::humanize::printable(s)
            )));
        }
    }
    if plan.meta.len() > MAX_META {
        return Err(bad(format!(
            "has {} metadata entries (at most {MAX_META})",
            plan.meta.len()
        )));
    }
    let mut meta = Vec::new();
    for (k, v) in plan.meta {
        let value = match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => {
                return Err(bad(format!(
                    "gives '{}' a value that is not a string, number or boolean",
                    crate::humanize::printable(&k)
                )))
            }
        };
        let key = crate::humanize::printable(&k);
        if key.is_empty() || key.len() > 64 || value.len() > 4096 {
            return Err(bad(format!(
                "has an empty or oversized metadata entry '{key}'"
            )));
        }
        meta.push((key, crate::humanize::printable(&value)));
    }
    Ok((streams, meta))
}

/// An external plugin's source.
pub struct ExternalSource {
    spec: ExternalSpec,
}

impl ExternalSource {
    /// A source for `spec`; the program is found when the run starts.
    pub fn new(spec: ExternalSpec) -> Result<ExternalSource> {
        if !valid_plugin_name(&spec.plugin) {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!(
                    "plugin name '{}' is not valid",
                    crate::humanize::printable(&spec.plugin)
                ),
            )
            .hint("use lowercase letters, digits, '-' and '_' (banana-plugin-NAME)"));
        }
        Ok(ExternalSource { spec })
    }
}

impl Source for ExternalSource {
    fn paths(&self) -> Vec<Vec<u8>> {
        vec![format!("plugin-{}:{}", self.spec.plugin, self.spec.job).into_bytes()]
    }

    fn read(self: Box<Self>, run: &mut Run<'_, '_, '_>) -> Result<Id> {
        let spec = &self.spec;
        let program = find(&spec.plugin, &spec.search)?;
        let dir = RunDir::new(&spec.run_base)?;
        let plan = spec.command(&program, "plan", None, &dir, &[]);
        let failed = |why: String| {
            Error::new(
                ErrorKind::Other,
                format!("plugin '{}': plan failed: {why}", spec.plugin),
            )
        };
        let (out, more) = run_to_end(&plan, None, PLAN_LIMIT).map_err(|e| failed(e.to_string()))?;
        if more {
            return Err(failed(format!("it printed more than {PLAN_LIMIT} bytes")));
        }
        let (streams, meta) = parse_plan(&spec.plugin, &spec.job, &out)?;
        let streams = run.usable("stream", streams, &|_| None);
        for (k, v) in meta {
            run.meta(&k, v);
        }
        // After the plugin's own entries: it cannot rename itself.
        run.meta("program", program.display().to_string());
        let specs: Vec<_> = streams
            .iter()
            .map(|name| {
                let spec = spec.command(&program, "backup", Some(name), &dir, &[]);
                (format!("stream '{name}'"), spec)
            })
            .collect();
        store_streams(run, &specs)
    }
}

/// Refuses a stream name (from a snapshot) that may not reach the
/// plugin's argv.
pub(crate) fn safe_stream(spec: &ExternalSpec, name: &str) -> Result<()> {
    match unsafe_name(name) {
        None => Ok(()),
        Some(why) => Err(Error::new(
            ErrorKind::BadInput,
            format!(
                "stream '{}' cannot be passed safely to plugin '{}': {why}",
                crate::humanize::printable(name),
                spec.plugin
            ),
        )),
    }
}

/// Restores one stream, read from `data`, with `banana-plugin-NAME restore
/// STREAM` (`BANANA_RESTORE_AS` set to `rename`, when given). Fails with the
/// end of the plugin's stderr.
pub fn restore(
    spec: &ExternalSpec,
    name: &str,
    rename: Option<&str>,
    data: Feed<'_>,
) -> Result<()> {
    safe_stream(spec, name)?;
    let program = find(&spec.plugin, &spec.search)?;
    let dir = RunDir::new(&spec.run_base)?;
    let extra: Vec<(&str, &str)> = rename
        .map(|r| ("BANANA_RESTORE_AS", r))
        .into_iter()
        .collect();
    // What it prints is its own business (progress, say): not kept.
    run_to_end(
        &spec.command(&program, "restore", Some(name), &dir, &extra),
        Some(data),
        0,
    )
    .map_err(|e| {
        Error::new(
            ErrorKind::Other,
            format!(
                "plugin '{}': restoring stream '{name}' failed: {e}",
                spec.plugin
            ),
        )
    })?;
    Ok(())
}

/// An external plugin's keys of a `[[job]]` table (besides `credentials`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalTable {
    /// Options handed to the plugin as JSON (`BANANA_OPTIONS`; not for secrets).
    #[serde(default)]
    pub options: Option<toml::Table>,
}

/// Where external plugins are looked for when the config sets no
/// `plugin_path`.
pub const DEFAULT_PLUGIN_PATH: &[&str] =
    &["/usr/local/lib/banana/plugins", "/usr/lib/banana/plugins"];

/// Every external plugin's entry.
const ENTRY: Entry = Entry {
    name: "external",
    keys: super::fields::<ExternalTable>,
    credentials: true,
    check,
};

/// The entry of an external plugin: any name the registry does not hold,
/// checked as a program name (`banana-plugin-NAME`).
pub(super) fn entry(
    registry: &Registry,
    job: &JobKeys<'_>,
) -> std::result::Result<Entry, KeyError> {
    if registry.get(job.plugin).is_none() && !valid_plugin_name(job.plugin) {
        return Err(job.error_at(
            "plugin",
            format!(
                "unknown plugin '{}' (built in: {}; external plugins are programs banana-plugin-NAME in plugin_path (default {}), NAME of lowercase letters, digits, '-' and '_')",
                crate::humanize::printable(job.plugin),
                registry.names(),
                DEFAULT_PLUGIN_PATH.join(", ")
            ),
        ));
    }
    Ok(ENTRY)
}

/// A plugin that is not built in: found when the job runs (a plugin missing
/// fails that job, not the config).
fn check(
    job: &JobKeys<'_>,
    rest: toml::Table,
) -> std::result::Result<Box<dyn JobPlugin>, KeyError> {
    let t: ExternalTable = super::table(job, rest)?;
    let options = serde_json::to_string(&t.options.unwrap_or_default())
        .map_err(|e| job.error(format!("options: {e}")))?;
    let spec = ExternalSpec {
        plugin: job.plugin.to_owned(),
        search: Vec::new(),
        job: job.name.to_owned(),
        options,
        secret_file: None,
        timeout: job.program_timeout(),
        run_base: PathBuf::new(),
    };
    ExternalSource::new(spec.clone()).map_err(|e| job.error(e))?;
    Ok(Box::new(spec))
}

impl JobPlugin for ExternalSpec {
    fn name(&self) -> &str {
        &self.plugin
    }

    fn for_run(&self, env: &RunEnv) -> Box<dyn JobPlugin> {
        let mut s = self.clone();
        s.run_base = env.state_dir.clone();
        s.search = env.plugin_path.clone();
        if env.secret_file.is_some() {
            s.secret_file = env.secret_file.clone();
        }
        Box::new(s)
    }

    fn source(&self) -> Result<Box<dyn Source>> {
        Ok(Box::new(ExternalSource::new(self.clone())?))
    }

    fn server(&self) -> Option<&dyn ServerRestore> {
        Some(self)
    }

    crate::plugin_plumbing!();
}

impl ServerRestore for ExternalSpec {
    /// Every stream is one: the plugin knows what it holds.
    fn database<'s>(&self, stream: &'s str) -> Option<&'s str> {
        Some(stream)
    }

    fn restore(&self, stream: &str, _: &str, rename: Option<&str>, dump: Feed<'_>) -> Result<()> {
        restore(self, stream, rename, dump)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_checked() {
        let ok = |t: &str| parse_plan("p", "job", t.as_bytes());
        let (s, m) = ok("{}\n").unwrap();
        assert_eq!(s, ["job"]);
        assert!(m.is_empty());
        let (s, m) =
            ok(r#"{"streams": ["a.ldif", "b"], "meta": {"version": 3, "ok": true, "v": "x"}}"#)
                .unwrap();
        assert_eq!(s, ["a.ldif", "b"]);
        assert_eq!(m.len(), 3);
        for (bad, why) in [
            ("", "0 lines"),
            ("{}\n{}", "2 lines"),
            ("[1]", "not valid"),
            (r#"{"stream": []}"#, "not valid"),
            (r#"{"streams": []}"#, "0 streams"),
            (r#"{"streams": ["a", "a"]}"#, "twice"),
            (r#"{"meta": {"a": [1]}}"#, "not a string"),
        ] {
            let e = ok(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn plugin_names_are_file_name_safe() {
        assert!(valid_plugin_name("ldap"));
        assert!(valid_plugin_name("my-db_2"));
        for n in ["", "Ldap", "a/b", "-x", "a b", "..", &"x".repeat(65)] {
            assert!(!valid_plugin_name(n), "{n}");
        }
    }

    #[test]
    fn only_a_private_executable_is_run() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let search = vec![dir.path().to_owned()];
        let e = find("ldap", &search).unwrap_err().to_string();
        assert!(e.contains("no banana-plugin-ldap in"), "{e}");
        let p = dir.path().join("banana-plugin-ldap");
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(find("ldap", &search)
            .unwrap_err()
            .to_string()
            .contains("not an executable"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = find("ldap", &search).unwrap_err().to_string();
        assert!(e.contains("writable by group or others (mode 0777)"), "{e}");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        let real = p.canonicalize().unwrap();
        assert_eq!(find("ldap", &search).unwrap(), real);
        // A symlink runs what it resolves to, and its own directory counts.
        let links = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(&p, links.path().join("banana-plugin-ldap")).unwrap();
        let via = vec![links.path().to_owned()];
        std::fs::set_permissions(links.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(find("ldap", &via).unwrap(), real);
        std::fs::set_permissions(links.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = find("ldap", &via).unwrap_err().to_string();
        assert!(e.contains("plugin directory") && e.contains("0777"), "{e}");
        let e = find("ldap", &[PathBuf::from("plugins")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("not absolute"), "{e}");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = find("ldap", &search).unwrap_err().to_string();
        assert!(e.contains("plugin directory"), "{e}");
    }

    /// Issue 22, item 10: in a chain of two symlinks, the directory of the
    /// middle link is checked too (its owner would pick what runs).
    #[test]
    fn every_link_of_a_chain_is_checked() {
        use std::os::unix::fs::PermissionsExt;
        if !nix::unistd::geteuid().is_root() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI runs as root"
            );
            return;
        }
        let top = tempfile::tempdir().unwrap();
        let mode =
            |p: &Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
        mode(top.path(), 0o755);
        let (plugins, mid, bin) = (
            top.path().join("plugins"),
            top.path().join("mid"),
            top.path().join("bin"),
        );
        for d in [&plugins, &mid, &bin] {
            std::fs::create_dir(d).unwrap();
            mode(d, 0o755);
        }
        let prog = bin.join("prog");
        std::fs::write(&prog, "#!/bin/sh\n").unwrap();
        mode(&prog, 0o755);
        std::os::unix::fs::symlink(mid.join("link"), plugins.join("banana-plugin-x")).unwrap();
        std::os::unix::fs::symlink(&prog, mid.join("link")).unwrap();
        let search = vec![plugins.clone()];
        assert_eq!(find("x", &search).unwrap(), prog.canonicalize().unwrap());
        // The middle directory belongs to someone else: refused, naming it.
        nix::unistd::chown(&mid, Some(nix::unistd::Uid::from_raw(65534)), None).unwrap();
        let e = find("x", &search).unwrap_err().to_string();
        assert!(e.contains("plugin directory") && e.contains("mid"), "{e}");
        // So is a middle link that someone else owns in a root-owned place.
        nix::unistd::chown(&mid, Some(nix::unistd::Uid::from_raw(0)), None).unwrap();
        std::os::unix::fs::lchown(mid.join("link"), Some(65534), None).unwrap();
        let e = find("x", &search).unwrap_err().to_string();
        assert!(e.contains("plugin symlink") && e.contains("link"), "{e}");
    }
}
