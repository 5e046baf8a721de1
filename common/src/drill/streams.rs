//! A drill of a database or plugin snapshot: every stream decoded whole into
//! the scratch directory (each blob authenticated as it is read), then
//! checked by its own tool: `pg_restore` reads a PostgreSQL archive from its
//! table of contents to its last byte, a MariaDB/MySQL dump must end with
//! its `-- Dump completed` trailer, `etcdctl snapshot status` checks an etcd
//! snapshot's hash, an external plugin answers `verify STREAM`. Stream names
//! come from the snapshot (a compromised node may have written it): they
//! reach no argv; the tools get the scratch file's own name.

use super::{DrillOptions, DrillReport, StreamCheck};
use crate::error::{Error, Result};
use crate::format::Node;
use crate::ops::restore::name_ok;
use crate::plugins::command::{run_to_end, CommandSpec};
use crate::repo::BlobReader;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a stream holds, by its plugin and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum StreamKind {
    /// A PostgreSQL custom-format archive of this database.
    PgArchive(String),
    /// PostgreSQL roles and tablespaces (`globals.sql`).
    PgGlobals,
    /// A MariaDB/MySQL dump of this database.
    MysqlDump(String),
    /// An etcd snapshot.
    Etcd,
    /// An external plugin's stream.
    Plugin(String),
    /// Something else: its bytes only.
    Other,
}

/// A stream decoded into the scratch directory.
#[derive(Debug, Clone)]
pub(super) struct Decoded {
    /// What it holds.
    pub(super) kind: StreamKind,
    /// The scratch file.
    pub(super) file: PathBuf,
}

/// Longest a tool runs on one stream.
const TOOL_TIMEOUT: Duration = Duration::from_secs(6 * 3600);
/// Bytes of a tool's output kept.
const TOOL_OUTPUT: usize = 4 << 20;

fn kind_of(plugin: &str, name: &str) -> StreamKind {
    match plugin {
        "postgres" if name == "globals.sql" => StreamKind::PgGlobals,
        "postgres" => match name.strip_suffix(".pgdump") {
            Some(db) => StreamKind::PgArchive(db.to_owned()),
            None => StreamKind::Other,
        },
        "mysql" => match name.strip_suffix(".sql") {
            Some(db) => StreamKind::MysqlDump(db.to_owned()),
            None => StreamKind::Other,
        },
        "etcd" if name == "etcd.snapshot" => StreamKind::Etcd,
        p if crate::plugins::external::valid_plugin_name(p) && p != "etcd" => {
            StreamKind::Plugin(p.to_owned())
        }
        _ => StreamKind::Other,
    }
}

/// Decodes and checks every stream of `nodes`.
pub(super) fn check(
    reader: &mut BlobReader<'_>,
    nodes: &[Node],
    scratch: &Path,
    opts: &DrillOptions,
    report: &mut DrillReport,
) -> Result<Vec<Decoded>> {
    let dir = scratch.join("streams");
    crate::fsutil::private_dir(&dir)
        .map_err(|e| Error::io(format!("scratch directory {}", dir.display()), e))?;
    let short = report.snapshot.short();
    let mut decoded = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let raw = String::from_utf8_lossy(&node.name).into_owned();
        let name = crate::humanize::printable(&raw);
        if !name_ok(&node.name) || std::str::from_utf8(&node.name).is_err() {
            report.failures.push(format!(
                "snapshot {short}: refusing stream with unsafe name {raw:?}"
            ));
            continue;
        }
        let kind = kind_of(&report.plugin, &raw);
        let what = match &kind {
            StreamKind::PgArchive(db) | StreamKind::MysqlDump(db) => {
                format!("database '{}' ({name})", crate::humanize::printable(db))
            }
            _ => format!("stream {name}"),
        };
        let file = dir.join(format!("{i:05}"));
        let started = Instant::now();
        let wrote = decode(reader, node, &file);
        report.restore_time += started.elapsed();
        if let Err(e) = wrote {
            report
                .failures
                .push(format!("snapshot {short}: {what}: {}", e.message()));
            continue;
        }
        let stream = Decoded { kind, file };
        match tool_check(&stream, &raw, opts) {
            Ok(c) => {
                report.files += 1;
                report.bytes = report.bytes.saturating_add(node.size);
                report.streams.push(StreamCheck {
                    stream: name.clone(),
                    bytes: node.size,
                    ..c
                })
            }
            Err(e) => report
                .failures
                .push(format!("snapshot {short}: {what}: {}", e.message())),
        }
        decoded.push(stream);
    }
    Ok(decoded)
}

/// Writes `node`'s chunks, each authenticated, to `file`.
fn decode(reader: &mut BlobReader<'_>, node: &Node, file: &Path) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
        .map_err(|e| Error::io(format!("scratch file {}", file.display()), e))?;
    let mut n = 0u64;
    for chunk in &node.content {
        let data = reader.read(chunk)?;
        n += data.len() as u64;
        // A stream longer than it says stops here, not when the disk is full.
        if n > node.size {
            return Err(Error::damaged(format!(
                "its chunks hold more than the {} bytes the snapshot records",
                node.size
            )));
        }
        f.write_all(&data)
            .map_err(|e| Error::io(format!("scratch file {}", file.display()), e))?;
    }
    if n != node.size {
        return Err(Error::damaged(format!(
            "its chunks hold {n} bytes, the snapshot records {}",
            node.size
        )));
    }
    Ok(())
}

/// A tool run on a scratch file; its output (bounded).
fn tool(argv: &[&str], cwd: &Path) -> Result<String> {
    let spec = CommandSpec {
        argv: argv.iter().map(|s| (*s).to_owned()).collect(),
        name: "drill".into(),
        timeout: Some(TOOL_TIMEOUT),
        env: Vec::new(),
        label: "drill".into(),
        cwd: Some(cwd.to_owned()),
    };
    let (out, _) = run_to_end(&spec, None, TOOL_OUTPUT)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Whether `program` is on `PATH`.
pub(super) fn installed(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

fn unchecked(program: &str, package: &str) -> StreamCheck {
    StreamCheck {
        detail: format!("bytes only: '{program}' is not installed here (package {package})"),
        ..Default::default()
    }
}

/// The last `n` bytes of `file`.
fn tail(file: &Path, n: u64) -> Result<Vec<u8>> {
    let mut f = std::fs::File::open(file).map_err(|e| Error::io("scratch file", e))?;
    let len = f
        .metadata()
        .map_err(|e| Error::io("scratch file", e))?
        .len();
    f.seek(SeekFrom::Start(len.saturating_sub(n)))
        .map_err(|e| Error::io("scratch file", e))?;
    let mut b = Vec::new();
    f.read_to_end(&mut b)
        .map_err(|e| Error::io("scratch file", e))?;
    Ok(b)
}

fn trailer(file: &Path, want: &str, tool: &str) -> Result<StreamCheck> {
    let end = tail(file, 4096)?;
    if !String::from_utf8_lossy(&end).contains(want) {
        return Err(Error::damaged(format!(
            "the dump ends without its '{want}' trailer: it was cut short"
        )));
    }
    Ok(StreamCheck {
        tool: Some(tool.into()),
        detail: format!("ends with '{want}'"),
        ..Default::default()
    })
}

/// Checks one decoded stream with its own tool.
fn tool_check(s: &Decoded, raw: &str, opts: &DrillOptions) -> Result<StreamCheck> {
    let file = s.file.to_string_lossy().into_owned();
    let cwd = s.file.parent().unwrap_or(Path::new("/"));
    let damaged = |e: Error| Error::damaged(e.message().to_owned());
    match &s.kind {
        StreamKind::PgArchive(_) => {
            if !installed("pg_restore") {
                return Ok(unchecked("pg_restore", "postgresql-client"));
            }
            let toc = tool(&["pg_restore", "--list", &file], cwd).map_err(damaged)?;
            let entries = toc
                .lines()
                .filter(|l| !l.starts_with(';') && !l.is_empty())
                .count();
            // The whole archive, every data block, read to the end.
            tool(&["pg_restore", "--file=/dev/null", &file], cwd).map_err(damaged)?;
            Ok(StreamCheck {
                tool: Some("pg_restore".into()),
                detail: format!("{entries} archive entries, read to the end"),
                ..Default::default()
            })
        }
        StreamKind::PgGlobals => trailer(
            &s.file,
            "PostgreSQL database cluster dump complete",
            "dump trailer",
        ),
        StreamKind::MysqlDump(_) => trailer(&s.file, "-- Dump completed", "dump trailer"),
        StreamKind::Etcd => {
            if !installed("etcdctl") {
                return Ok(unchecked("etcdctl", "etcd-client"));
            }
            let st = crate::plugins::etcd::status(&s.file).map_err(damaged)?;
            Ok(StreamCheck {
                tool: Some("etcdctl snapshot status".into()),
                detail: format!("revision {}, {} keys", st["revision"], st["totalKey"]),
                ..Default::default()
            })
        }
        StreamKind::Plugin(p) => plugin_verify(p, raw, s, opts),
        StreamKind::Other => Ok(StreamCheck {
            detail: "bytes only: no tool checks this kind of stream".into(),
            ..Default::default()
        }),
    }
}

/// `banana-plugin-NAME verify STREAM`, the stream on its stdin: exit 0
/// passes, 64 says the plugin does not verify (its bytes were), anything
/// else fails with its stderr's last line.
fn plugin_verify(plugin: &str, raw: &str, s: &Decoded, opts: &DrillOptions) -> Result<StreamCheck> {
    let spec = crate::plugins::external::ExternalSpec {
        plugin: plugin.to_owned(),
        search: opts.plugin_path.clone(),
        job: "drill".into(),
        options: "{}".into(),
        secret_file: None,
        timeout: Some(TOOL_TIMEOUT),
        run_base: s.file.parent().unwrap_or(Path::new("/")).to_owned(),
    };
    use crate::plugins::verify::{verify, Verified};
    match verify(&spec, raw, &s.file)? {
        Verified::Passed => Ok(StreamCheck {
            tool: Some(format!("banana-plugin-{plugin} verify")),
            detail: "verified by the plugin".into(),
            ..Default::default()
        }),
        Verified::NotSupported => Ok(StreamCheck {
            detail: format!("bytes only: plugin '{plugin}' does not verify (exit 64)"),
            ..Default::default()
        }),
        Verified::NotInstalled => Ok(StreamCheck {
            detail: format!("bytes only: plugin '{plugin}' is not installed here"),
            ..Default::default()
        }),
    }
}
