//! `cargo xtask deb [--revision N] [--no-build]`: the Debian packages
//! `bananactl`, `bananaui` and `bananadm`, written to `target/debian/`.
//!
//! Built with `dpkg-deb` rather than cargo-deb: the package holds files this
//! xtask already generates (man pages, completions), hand-written maintainer
//! scripts (`*/debian/`) and units (`*/systemd/`), and nothing here needs a
//! tool that is not on a Debian machine (`dpkg-deb`, `dpkg-shlibdeps`,
//! `gzip`). What the packages do is in docs/install.md; the test is
//! `scripts/test-packages.sh`.

use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One binary package.
struct Package {
    name: &'static str,
    summary: &'static str,
    /// The extended description, one paragraph per entry.
    description: &'static [&'static str],
    depends: &'static str,
    recommends: &'static str,
    suggests: &'static str,
    /// Unit files in `<name>/systemd/`.
    units: &'static [&'static str],
    /// A commented config in `<name>/debian/`, installed as a conffile in
    /// `/etc/banana/`.
    conffile: Option<&'static str>,
    /// Empty directories the package owns.
    dirs: &'static [&'static str],
}

const PACKAGES: [Package; 3] = [
    Package {
        name: "bananactl",
        summary: "encrypted, deduplicated backups of a node (Banana agent)",
        description: &[
            "bananactl backs up files, MySQL/MariaDB, PostgreSQL, etcd and any command's output. It chunks, deduplicates, compresses (zstd) and encrypts (age) before anything leaves the node, into a local directory, an NFS or Samba mount, S3 or OpenStack Swift. Keys come from a key file or from Vault; an enrolled node can write backups it cannot read back.",
            "The banana-agent timer runs the configured jobs that are due; it is not enabled until the admin enables it. The package also holds banana(7), the overview of the whole system, and its guides.",
        ],
        depends: "",
        // The clients the database plugins run: one of them (a node with a
        // database server has its client already); etcd's is rarer.
        recommends: "mariadb-client | default-mysql-client | postgresql-client",
        suggests: "etcd-client, bananaui, bananadm",
        units: &["banana-agent.service", "banana-agent.timer"],
        conffile: Some("bananactl.toml"),
        dirs: &["usr/lib/banana/plugins"],
    },
    Package {
        name: "bananaui",
        summary: "watch tower of a Banana backup fleet (collector, alerts, TUI)",
        description: &[
            "bananaui collects the signed status every node's agent sends after a run, keeps it in a local database, alerts on overdue, failed, shrunk and rolled-back backups, serves a JSON API, Prometheus metrics and a page, and shows the fleet in a terminal UI. It holds no credential of any node, and witnesses each node's snapshot chain.",
            "The banana-tower service runs as the banana-tower system user; it is not started until the admin enables it.",
        ],
        depends: "adduser",
        recommends: "",
        suggests: "nginx | apache2, bananactl",
        units: &["banana-tower.service"],
        conffile: Some("bananaui.toml"),
        dirs: &[],
    },
    Package {
        name: "bananadm",
        summary: "administration of a Banana backup fleet (Vault, reaper, drills, copies)",
        description: &[
            "bananadm sets up Vault or OpenBao for Banana, enrols nodes, rotates their keys, grants restores, and runs the fleet's separate roles: the reaper that applies retention without being able to decrypt, the drill host that proves backups restore, and the copier that keeps a second copy.",
            "The reaper, drill and copy units are shipped disabled: enable them on the host that holds their Vault tokens.",
        ],
        depends: "",
        recommends: "bananactl",
        suggests: "",
        units: &[
            "banana-reaper.service",
            "banana-reaper.timer",
            "banana-drill.service",
            "banana-drill.timer",
            "banana-copy.service",
            "banana-copy.timer",
        ],
        conffile: None,
        dirs: &[],
    },
];

const MAINTAINER: &str = "Banana developers <banana@example.invalid>";

/// Where the packages go.
fn out_dir() -> PathBuf {
    super::root().join("target/debian")
}

pub fn main(args: &[String]) -> anyhow::Result<()> {
    let mut revision = "1".to_owned();
    let mut build = true;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--revision" => {
                revision = it
                    .next()
                    .filter(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '+'))
                    .context("--revision needs a Debian revision (digits, letters, '.', '+'), e.g. --revision 2")?
                    .clone();
            }
            "--no-build" => build = false,
            other => bail!("cargo xtask deb: unknown argument {other:?}; usage: cargo xtask deb [--revision N] [--no-build]"),
        }
    }
    if build {
        run(
            Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .current_dir(super::root())
                .args([
                    "build",
                    "--profile",
                    "dist",
                    "--locked",
                    "-p",
                    "bananactl",
                    "-p",
                    "bananadm",
                    "-p",
                    "bananaui",
                ]),
        )?;
    }
    let version = format!("{}-{revision}", env!("CARGO_PKG_VERSION"));
    let arch = output(Command::new("dpkg").arg("--print-architecture"))?;
    let work = out_dir().join("build");
    if work.exists() {
        std::fs::remove_dir_all(&work).with_context(|| format!("clearing {}", work.display()))?;
    }
    write(
        &work.join("debian/control"),
        b"Source: banana\n\nPackage: bananactl\nArchitecture: any\n",
    )?;
    for p in &PACKAGES {
        let deb = package(p, &work, &version, &arch)?;
        println!(
            "{} ({} bytes)",
            deb.display(),
            std::fs::metadata(&deb)?.len()
        );
    }
    std::fs::remove_dir_all(&work).with_context(|| format!("removing {}", work.display()))?;
    Ok(())
}

/// Stages one package under `work/debian/NAME` and builds its `.deb`.
fn package(p: &Package, work: &Path, version: &str, arch: &str) -> anyhow::Result<PathBuf> {
    let root = super::root();
    let stage = work.join("debian").join(p.name);
    let bin = root.join("target/dist").join(p.name);
    if !bin.exists() {
        bail!(
            "{} is missing: run cargo xtask deb without --no-build",
            bin.display()
        );
    }
    install(&bin, &stage.join("usr/bin").join(p.name), 0o755)?;
    man_pages(p, &stage)?;
    completions(p, &stage)?;
    for unit in p.units {
        install(
            &root.join(p.name).join("systemd").join(unit),
            &stage.join("lib/systemd/system").join(unit),
            0o644,
        )?;
    }
    if let Some(conf) = p.conffile {
        install(
            &root.join(p.name).join("debian").join(conf),
            &stage.join("etc/banana").join(conf),
            0o644,
        )?;
    }
    for dir in p.dirs {
        std::fs::create_dir_all(stage.join(dir))?;
    }
    docs(p, &stage, version)?;
    // Justified in docs/install.md ("lintian").
    write(
        &stage.join("usr/share/lintian/overrides").join(p.name),
        format!("# Not uploaded to Debian: there is no ITP bug to close.\n{}: initial-upload-closes-no-bugs\n", p.name).as_bytes(),
    )?;
    control_files(p, work, &stage, version, arch)?;
    let deb = out_dir().join(format!("{}_{version}_{arch}.deb", p.name));
    run(Command::new("dpkg-deb")
        .env("SOURCE_DATE_EPOCH", source_date())
        .args(["--root-owner-group", "-Zxz", "--build"])
        .arg(&stage)
        .arg(&deb))?;
    Ok(deb)
}

/// `DEBIAN/`: maintainer scripts, conffiles, md5sums, control (with the
/// shared libraries' dependencies from dpkg-shlibdeps).
fn control_files(
    p: &Package,
    work: &Path,
    stage: &Path,
    version: &str,
    arch: &str,
) -> anyhow::Result<()> {
    let root = super::root();
    let debian = stage.join("DEBIAN");
    for script in ["postinst", "prerm", "postrm"] {
        install(
            &root.join(p.name).join("debian").join(script),
            &debian.join(script),
            0o755,
        )?;
    }
    if let Some(conf) = p.conffile {
        write(
            &debian.join("conffiles"),
            format!("/etc/banana/{conf}\n").as_bytes(),
        )?;
    }
    let shlibs = output(
        Command::new("dpkg-shlibdeps")
            .current_dir(work)
            .args(["-O", "-e"])
            .arg(
                Path::new("debian")
                    .join(p.name)
                    .join("usr/bin")
                    .join(p.name),
            ),
    )?;
    let shlibs = shlibs
        .strip_prefix("shlibs:Depends=")
        .unwrap_or(&shlibs)
        .to_owned();
    let depends = [shlibs.as_str(), p.depends]
        .iter()
        .filter(|d| !d.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    write(&debian.join("md5sums"), md5sums(stage)?.as_bytes())?;
    write(
        &debian.join("control"),
        control(p, version, arch, &depends, installed_size(stage)?).as_bytes(),
    )?;
    Ok(())
}

/// The `DEBIAN/control` file.
fn control(p: &Package, version: &str, arch: &str, depends: &str, size_kib: u64) -> String {
    let mut c = format!(
        "Package: {}\nVersion: {version}\nArchitecture: {arch}\nMaintainer: {MAINTAINER}\nInstalled-Size: {size_kib}\n",
        p.name
    );
    for (field, value) in [
        ("Depends", depends),
        ("Recommends", p.recommends),
        ("Suggests", p.suggests),
    ] {
        if !value.is_empty() {
            c.push_str(&format!("{field}: {value}\n"));
        }
    }
    c.push_str("Section: admin\nPriority: optional\n");
    c.push_str(&format!("Description: {}\n", p.summary));
    for (i, para) in p.description.iter().enumerate() {
        if i > 0 {
            c.push_str(" .\n");
        }
        for line in wrap(para, 72) {
            c.push_str(&format!(" {line}\n"));
        }
    }
    c
}

/// `text` in lines of at most `width` characters, broken at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(l) if l.len() + 1 + word.len() <= width => {
                l.push(' ');
                l.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

/// The package's man pages, gzipped: `NAME.1`, `NAME-*.1`, and banana(7)
/// in bananactl, which every machine of a fleet has.
fn man_pages(p: &Package, stage: &Path) -> anyhow::Result<()> {
    let man = super::root().join("man");
    let mut n = 0;
    for e in std::fs::read_dir(&man).with_context(|| format!("reading {}", man.display()))? {
        let name = e?.file_name().to_string_lossy().into_owned();
        let ours = name == format!("{}.1", p.name)
            || (name.starts_with(&format!("{}-", p.name)) && name.ends_with(".1"))
            || (p.name == "bananactl" && name.ends_with(".7"));
        if ours {
            let section = name.rsplit('.').next().unwrap_or("1");
            let dest = stage
                .join(format!("usr/share/man/man{section}"))
                .join(format!("{name}.gz"));
            gzip(&man.join(&name), &dest)?;
            n += 1;
        }
    }
    if n == 0 {
        bail!(
            "no man pages for {} in {}: run cargo xtask gen",
            p.name,
            man.display()
        );
    }
    Ok(())
}

/// bash, zsh and fish completions in the directories their shells load
/// them from.
fn completions(p: &Package, stage: &Path) -> anyhow::Result<()> {
    let src = super::root().join("completions");
    let name = p.name;
    for (file, dest) in [
        (
            format!("{name}.bash"),
            format!("usr/share/bash-completion/completions/{name}"),
        ),
        (
            format!("_{name}"),
            format!("usr/share/zsh/vendor-completions/_{name}"),
        ),
        (
            format!("{name}.fish"),
            format!("usr/share/fish/vendor_completions.d/{name}.fish"),
        ),
    ] {
        install(&src.join(file), &stage.join(dest), 0o644)?;
    }
    Ok(())
}

/// `/usr/share/doc/NAME`: copyright, changelog, the README and the guides
/// (every package has all of them, so that any machine of the fleet has
/// the documents banana(7) points to).
fn docs(p: &Package, stage: &Path, version: &str) -> anyhow::Result<()> {
    let root = super::root();
    let doc = stage.join("usr/share/doc").join(p.name);
    write(&doc.join("copyright"), COPYRIGHT.as_bytes())?;
    let changelog = format!(
        "{} ({version}) unstable; urgency=medium\n\n  * Built from the Banana source tree; what changed is in\n    /usr/share/doc/{}/upgrade.md.\n\n -- {MAINTAINER}  {}\n",
        p.name,
        p.name,
        output(Command::new("date").args(["-R", "-u", "-d"]).arg(format!("@{}", source_date())))?
    );
    let plain = doc.join("changelog.Debian");
    write(&plain, changelog.as_bytes())?;
    gzip(&plain, &doc.join("changelog.Debian.gz"))?;
    std::fs::remove_file(&plain)?;
    install(&root.join("README.md"), &doc.join("README.md"), 0o644)?;
    for dir in ["docs", "docs/examples"] {
        for e in std::fs::read_dir(root.join(dir))? {
            let path = e?.path();
            if path.is_file() {
                let rel = path.strip_prefix(root.join("docs"))?;
                install(&path, &doc.join(rel), 0o644)?;
            }
        }
    }
    Ok(())
}

const COPYRIGHT: &str = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: banana
Source: https://example.invalid/banana
Comment: The binary links Rust crates under their own licenses (MIT,
 Apache-2.0, BSD, ISC, Zlib, Unicode); `cargo tree` in the source tree lists
 them.

Files: *
Copyright: 2025-2026 Banana developers
License: Apache-2.0
 On Debian systems, the full text of the Apache License, Version 2.0 can be
 found in /usr/share/common-licenses/Apache-2.0.
";

/// Seconds since the epoch of the last commit (reproducible dates), or now.
fn source_date() -> String {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .or_else(|| {
            output(Command::new("git").current_dir(super::root()).args([
                "log",
                "-1",
                "--format=%ct",
            ]))
            .ok()
        })
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs().to_string())
                .unwrap_or_else(|_| "0".into())
        })
}

/// Every file under `stage` (but `DEBIAN/`), sorted: the `md5sums` file.
fn md5sums(stage: &Path) -> anyhow::Result<String> {
    let mut files = Vec::new();
    walk(stage, &mut files)?;
    let mut out = String::new();
    for f in files {
        let rel = f.strip_prefix(stage)?;
        if rel.starts_with("DEBIAN") {
            continue;
        }
        let sum = output(Command::new("md5sum").arg(&f))?;
        let sum = sum
            .split_whitespace()
            .next()
            .context("md5sum printed nothing")?;
        out.push_str(&format!("{sum}  {}\n", rel.display()));
    }
    Ok(out)
}

/// Installed-Size in KiB: every file rounded up, as dpkg-gencontrol does.
fn installed_size(stage: &Path) -> anyhow::Result<u64> {
    let mut files = Vec::new();
    walk(stage, &mut files)?;
    let mut kib = 0;
    for f in files
        .iter()
        .filter(|f| !f.strip_prefix(stage).is_ok_and(|r| r.starts_with("DEBIAN")))
    {
        kib += std::fs::metadata(f)?.len().div_ceil(1024);
    }
    Ok(kib)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        if e.file_type()?.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn install(src: &Path, dest: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::copy(src, dest)
        .with_context(|| format!("copying {} to {}", src.display(), dest.display()))?;
    std::fs::set_permissions(dest, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

fn write(dest: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(dest, bytes).with_context(|| format!("writing {}", dest.display()))
}

fn gzip(src: &Path, dest: &Path) -> anyhow::Result<()> {
    let out = Command::new("gzip")
        .args(["-9", "-n", "-c"])
        .arg(src)
        .output()
        .context("running gzip")?;
    if !out.status.success() {
        bail!("gzip {} failed", src.display());
    }
    write(dest, &out.stdout)
}

fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let status = cmd.status().with_context(|| format!("running {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed: {status}");
    }
    Ok(())
}

/// A command's stdout, trimmed.
fn output(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn descriptions_wrap_and_keep_every_word() {
        let lines = super::wrap("a bb ccc dddd eeeee", 7);
        assert_eq!(lines, ["a bb", "ccc", "dddd", "eeeee"]);
        for p in &super::PACKAGES {
            let c = super::control(p, "1.0-1", "amd64", "libc6", 1);
            assert!(
                c.lines()
                    .filter(|l| l.starts_with(' '))
                    .all(|l| l.len() <= 80),
                "{c}"
            );
            assert!(c.ends_with('\n') && !c.contains("\n\n"), "{c}");
        }
    }
}
