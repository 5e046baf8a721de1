//! Jobs: `[[job]]` tables, `bananactl run`, `backup --job`, the `command`
//! plugin's contract (failures, timeouts, large outputs, a clean
//! environment), locks that a killed run never leaves stuck, and `jobs`.

use crate::util::{pid_in, poll, run, Env, Run};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// `env` with `jobs` (TOML `[[job]]` tables) as its config file.
fn config(env: &Env, jobs: &str) -> PathBuf {
    let p = env.path("jobs.toml");
    std::fs::write(&p, jobs).unwrap();
    p
}

fn jrun(env: &Env, args: &[&str]) -> Run {
    run(jcmd(env, args))
}

fn jcmd(env: &Env, args: &[&str]) -> std::process::Command {
    let mut c = env.cmd(args);
    c.env("BANANA_CONFIG", env.path("jobs.toml"));
    c
}

/// A shell job whose behaviour a file decides: `mode` holds `ok`, `fail`
/// or `hang`.
fn scripted(env: &Env, name: &str, extra: &str) -> String {
    let dir = env.path(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("mode"), "ok").unwrap();
    let script = format!(
        r#"d={d}; m=$(cat $d/mode); echo "run $m" >> $d/runs
case $m in
  ok) echo "good data $(cat $d/runs | wc -l)";;
  fail) echo "partial dump"; echo "first problem" >&2; echo "slapcat: database is locked" >&2; exit 1;;
  hang) sleep 1000 & echo $! > $d/child; echo $$ > $d/pid; sleep 1000;;
esac"#,
        d = dir.display()
    );
    format!(
        "[[job]]\nname = \"{name}\"\nplugin = \"command\"\ncommand = [\"sh\", \"-c\", '''{script}''']\n{extra}\n"
    )
}

fn set_mode(env: &Env, name: &str, mode: &str) {
    std::fs::write(env.path(name).join("mode"), mode).unwrap();
}

fn runs(env: &Env, name: &str) -> usize {
    std::fs::read_to_string(env.path(name).join("runs"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

fn alive(pid: &str) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()));
    // A zombie is dead: it only waits to be reaped.
    stat.is_ok_and(|s| !s.split(") ").nth(1).unwrap_or("").starts_with('Z'))
}

fn snapshots(env: &Env, args: &[&str]) -> Vec<serde_json::Value> {
    let mut a = vec!["--json", "snapshots"];
    a.extend_from_slice(args);
    jrun(env, &a)
        .ok()
        .json()
        .into_iter()
        .filter(|v| v["message_type"] == "snapshot")
        .collect()
}

#[test]
fn a_failing_command_fails_its_job_and_latest_keeps_the_last_good_run() {
    let env = Env::new();
    config(&env, &scripted(&env, "ldap", ""));
    jrun(&env, &["backup", "--job", "ldap"]).ok();
    set_mode(&env, "ldap", "fail");
    let r = jrun(&env, &["backup", "--job", "ldap"]).code(1);
    let line = r.one_line_error();
    assert!(
        line.contains("job 'ldap' failed")
            && line.contains("exited with status 1")
            && line.contains("slapcat: database is locked")
            && !line.contains("first problem"),
        "{line}"
    );
    let all = snapshots(&env, &["--job", "ldap"]);
    let status: Vec<&str> = all.iter().map(|s| s["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["ok", "failed"]);
    assert_eq!(all[1]["meta"]["exit"], "1");
    // latest (of the job) is the good run; the failed one is kept, by id.
    let good = jrun(&env, &["dump", "latest", "--job", "ldap"]).ok();
    assert_eq!(good.stdout, "good data 1\n");
    let failed = all[1]["id"].as_str().unwrap();
    assert_eq!(jrun(&env, &["dump", failed]).ok().stdout, "partial dump\n");
    let target = env.path("restored");
    jrun(
        &env,
        &[
            "restore",
            "latest",
            "--job",
            "ldap",
            "--target",
            target.to_str().unwrap(),
        ],
    )
    .ok();
    assert_eq!(
        std::fs::read_to_string(target.join("ldap")).unwrap(),
        "good data 1\n"
    );
    // The job's state says so too.
    let jobs = jrun(&env, &["--json", "jobs"]).ok().json();
    assert_eq!(jobs[0]["last_result"], "failed");
    assert_eq!(jobs[0]["failures"], 1);
}

/// The timeout leaves a loaded machine ample time to start the command and
/// its child (they must have written their pids when it strikes); the bound
/// tells it from the command's 1000 s.
#[test]
fn a_hung_command_is_killed_at_its_timeout_with_its_children() {
    let env = Env::new();
    config(&env, &scripted(&env, "hang", "timeout = \"10s\""));
    set_mode(&env, "hang", "hang");
    let t = Instant::now();
    let r = jrun(&env, &["backup", "--job", "hang"]).code(1);
    assert!(t.elapsed() < Duration::from_secs(120), "{:?}", t.elapsed());
    assert!(
        r.one_line_error().contains("timed out after 10s"),
        "{}",
        r.stderr
    );
    for f in ["pid", "child"] {
        let pid = std::fs::read_to_string(env.path("hang").join(f)).unwrap();
        assert!(!alive(&pid), "{f} {pid} survived the timeout");
    }
}

#[test]
fn a_command_printing_100_mib_and_10_mib_of_stderr_completes_byte_identical() {
    let env = Env::new();
    let data = env.path("data.bin");
    let mut bytes = vec![0u8; 100 << 20];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for chunk in bytes.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    std::fs::write(&data, &bytes).unwrap();
    // Interleaved: 10 MiB of stdout, then 1 MiB of stderr, ten times.
    let script = format!(
        "for i in 0 1 2 3 4 5 6 7 8 9; do dd if={} bs=1M skip=$((i*10)) count=10 status=none; head -c 1048576 /dev/zero | tr '\\\\0' e >&2; done",
        data.display()
    );
    config(
        &env,
        &format!("[[job]]\nname = \"big\"\nplugin = \"command\"\ncommand = [\"sh\", \"-c\", \"{script}\"]\nstream = \"dump.bin\"\n"),
    );
    jrun(&env, &["backup", "--job", "big"]).ok();
    let out = jrun(&env, &["dump", "latest"]).ok();
    assert!(
        out.raw.len() == bytes.len() && out.raw == bytes,
        "dump differs ({} bytes)",
        out.raw.len()
    );
    // The stream lives at /dump.bin.
    let named = jrun(&env, &["dump", "latest", "/dump.bin"]).ok();
    assert_eq!(named.raw.len(), bytes.len());
}

#[test]
fn a_command_sees_neither_the_agents_secrets_nor_its_environment() {
    let env = Env::new();
    config(
        &env,
        "[[job]]\nname = \"env\"\nplugin = \"command\"\ncommand = [\"sh\", \"-c\", \"env; cat /proc/$$/cmdline\"]\nenv = { GREETING = \"hello\" }\n",
    );
    let canary = "canary-5ec2e7-do-not-leak";
    let mut c = jcmd(&env, &["backup", "--job", "env"]);
    for k in [
        "VAULT_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "ST_KEY",
        "OS_PASSWORD",
        "BANANA_CANARY",
    ] {
        c.env(k, canary);
    }
    run(c).ok();
    let out = jrun(&env, &["dump", "latest"]).ok().stdout;
    assert!(out.contains("GREETING=hello"), "{out}");
    assert!(out.contains("PATH="), "{out}");
    assert!(!out.contains(canary), "{out}");
    assert!(!out.contains("BANANA_"), "{out}");
}

#[test]
fn run_runs_what_is_due_once_even_twice_at_a_time() {
    let env = Env::new();
    let jobs = format!(
        "concurrent_jobs = 2\n{}{}{}",
        scripted(&env, "a", "every = \"1d\""),
        scripted(&env, "b", "every = \"1d\""),
        scripted(&env, "later", "schedule = \"0 0 1 1 *\""),
    );
    // Slow jobs, so the two runs overlap.
    config(
        &env,
        &jobs.replace("echo \"good data", "sleep 1; echo \"good data"),
    );
    let quiet =
        |mut c: std::process::Command| c.stdout(std::process::Stdio::null()).spawn().unwrap();
    let a = quiet(jcmd(&env, &["run"]));
    let b = quiet(jcmd(&env, &["run"]));
    for mut child in [a, b] {
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(
        (runs(&env, "a"), runs(&env, "b"), runs(&env, "later")),
        (1, 1, 0)
    );
    // Due again only tomorrow: a third run contacts nothing and runs nothing
    // (here: neither the tower nor the storage, which is gone).
    let tower = testkit::Receiver::start(0).unwrap();
    std::fs::rename(&env.repo, env.path("moved")).unwrap();
    let mut c = jcmd(&env, &["--json", "run"]);
    c.env("BANANA_COLLECTOR", tower.url());
    let r = run(c).ok();
    assert_eq!(r.summary()["ran"], 0);
    assert!(tower.requests().is_empty());
    std::fs::rename(env.path("moved"), &env.repo).unwrap();
    assert_eq!((runs(&env, "a"), runs(&env, "b")), (1, 1));
    let listed = jrun(&env, &["--json", "jobs"]).ok().json();
    let names: Vec<&str> = listed.iter().filter_map(|j| j["job"].as_str()).collect();
    assert_eq!(names, ["a", "b", "later"]);
    // RFC 3339 in UTC compares as text.
    let now = common::humanize::rfc3339(common::unix_now());
    for j in &listed[..3] {
        let due = j["next_due_at"].as_str().unwrap();
        assert!(due > now.as_str(), "{j}");
    }
    assert_eq!(listed[0]["last_result"], "ok");
    assert_eq!(listed[2]["last_result"], serde_json::Value::Null);
}

#[test]
fn a_killed_run_leaves_no_lock_and_its_command_dies_with_it() {
    let env = Env::new();
    config(&env, &scripted(&env, "slow", "every = \"1d\""));
    set_mode(&env, "slow", "hang");
    let mut child = jcmd(&env, &["run"]).spawn().unwrap();
    let pid_file = env.path("slow").join("pid");
    let pid = poll("the job started", Duration::from_secs(120), || {
        pid_in(&pid_file)
    })
    .to_string();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    poll(
        "the command died with its run",
        Duration::from_secs(60),
        || (!alive(&pid)).then_some(()),
    );
    // `jobs` tells the dead run from a running one.
    let jobs = jrun(&env, &["--json", "jobs"]).ok().json();
    assert_eq!(
        (
            jobs[0]["running"].as_bool(),
            jobs[0]["last_result"].as_str()
        ),
        (Some(false), Some("killed"))
    );
    set_mode(&env, "slow", "ok");
    // Not blocked by the dead run's lock; its death counts as a failure.
    let r = jrun(&env, &["backup", "--job", "slow"]).ok();
    assert!(
        r.stderr.contains("ended without recording a result"),
        "{}",
        r.stderr
    );
    let jobs = jrun(&env, &["--json", "jobs"]).ok().json();
    assert_eq!(jobs[0]["last_result"], "ok");
    assert_eq!(jobs[0]["failures"], 0);
}

#[test]
fn run_exit_code_follows_the_precedence_and_bad_configs_are_one_line() {
    let env = Env::new();
    config(
        &env,
        &format!(
            "{}{}",
            scripted(&env, "good", "every = \"1h\""),
            scripted(&env, "bad", "every = \"1h\"")
        ),
    );
    set_mode(&env, "bad", "fail");
    let r = jrun(&env, &["run"]).code(1);
    assert!(r.stderr.contains("job 'bad' failed"), "{}", r.stderr);
    assert_eq!(runs(&env, "good"), 1);
    // Unknown keys name the line; a job not configured is named.
    std::fs::write(env.path("jobs.toml"), "[[job]]\nname = \"x\"\nplugin = \"fs\"\npaths = [\"/\"]\nevery = \"1d\"\nshedule = \"1\"\n").unwrap();
    let r = jrun(&env, &["jobs"]).code(2);
    assert!(
        r.one_line_error().contains("line 6") && r.stderr.contains("shedule"),
        "{}",
        r.stderr
    );
    config(&env, &scripted(&env, "good", "every = \"1h\""));
    let r = jrun(&env, &["backup", "--job", "nope"]).code(2);
    assert!(
        r.one_line_error().contains("job 'nope' is not configured"),
        "{}",
        r.stderr
    );
    // With no jobs at all, run says so.
    std::fs::write(env.path("jobs.toml"), "").unwrap();
    let r = jrun(&env, &["run"]).code(2);
    assert!(r.one_line_error().contains("no [[job]]"), "{}", r.stderr);
}

#[test]
fn an_fs_job_backs_up_its_paths_with_its_excludes() {
    let env = Env::new();
    let src = env.path("src");
    std::fs::create_dir_all(src.join("skip")).unwrap();
    std::fs::write(src.join("keep.txt"), "k").unwrap();
    std::fs::write(src.join("skip/x"), "x").unwrap();
    config(
        &env,
        &format!(
            "[[job]]\nname = \"files\"\nplugin = \"fs\"\npaths = [\"{}\"]\nexclude = [\"skip\"]\ntags = [\"t1\"]\nevery = \"1h\"\n",
            src.display()
        ),
    );
    jrun(&env, &["run"]).ok();
    let s = snapshots(&env, &["--job", "files", "--tag", "t1"]);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["plugin"], "fs");
    let ls = jrun(&env, &["ls", "latest", "--job", "files"]).ok().stdout;
    assert!(ls.contains("keep.txt") && !ls.contains("skip"), "{ls}");
    // A file path is not a stream: dump needs a PATH.
    let r = jrun(&env, &["dump", "latest"]).code(2);
    assert!(
        r.one_line_error().contains("not a single stream"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_long_job_does_not_hold_up_a_job_that_falls_due_meanwhile() {
    let env = Env::new();
    let jobs = format!(
        "{}{}",
        scripted(&env, "long", "every = \"1d\""),
        scripted(&env, "tick", "every = \"2s\""),
    );
    // `long` lasts until `tick` has run twice (or two minutes, when the
    // run holds `tick` up: then it ran once).
    let wait = format!(
        "i=0; while [ $(cat {} 2>/dev/null | wc -l) -lt 2 ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done; echo \"good data",
        env.path("tick").join("runs").display()
    );
    config(&env, &jobs.replacen("echo \"good data", &wait, 1));
    let r = jrun(&env, &["--json", "run"]).ok();
    assert_eq!(runs(&env, "long"), 1);
    // One run: `tick` at once, then again when the run looked while `long` went on.
    assert!(
        runs(&env, "tick") >= 2,
        "tick ran {} times",
        runs(&env, "tick")
    );
    assert_eq!(
        r.summary()["ran"].as_u64().unwrap() as usize,
        1 + runs(&env, "tick")
    );
}

#[test]
fn concurrent_first_jobs_on_the_embedded_default_create_one_repository() {
    // As a normal user (root's default is /var/lib/banana): three jobs, run
    // at once, on a node with no repository and no key yet.
    let home = tempfile::tempdir().unwrap();
    let mut jobs = String::from("concurrent_jobs = 3\n");
    for j in ["a", "b", "c"] {
        jobs.push_str(&format!(
            "[[job]]\nname = \"{j}\"\nplugin = \"command\"\ncommand = [\"echo\", \"{j}\"]\nevery = \"1d\"\n"
        ));
    }
    let cfg = home.path().join("bananactl.toml");
    std::fs::write(&cfg, jobs).unwrap();
    let mut c = if crate::util::is_root() {
        std::process::Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(home.path())
            .status()
            .unwrap();
        let mut c = std::process::Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            crate::util::bin(),
        ]);
        c
    } else {
        std::process::Command::new(crate::util::bin())
    };
    c.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("BANANA_CONFIG", &cfg)
        .arg("run");
    let r = run(c).ok();
    assert!(r.stdout.contains("3 jobs run, 0 failed"), "{}", r.stdout);
    assert_eq!(
        r.stderr.matches("creating the embedded default").count(),
        1,
        "{}",
        r.stderr
    );
}

#[test]
fn what_a_command_leaves_running_neither_holds_up_nor_fails_its_job() {
    let env = Env::new();
    let marker = env.path("escapee.pid");
    config(
        &env,
        &format!(
            "[[job]]\nname = \"bg\"\nplugin = \"command\"\ncommand = [\"sh\", \"-c\", \"echo data; sleep 60 &\"]\ntimeout = \"40s\"\n\n\
             [[job]]\nname = \"away\"\nplugin = \"command\"\ncommand = [\"sh\", \"-c\", \"echo more; setsid sh -c 'echo $$ > {}; exec sleep 60' & sleep 0.2\"]\ntimeout = \"40s\"\n",
            marker.display()
        ),
    );
    // Waiting for what the command left (a `sleep 60`) would take a minute:
    // the bound tells that apart and leaves a loaded machine room.
    for job in ["bg", "away"] {
        let t = Instant::now();
        jrun(&env, &["backup", "--job", job]).ok();
        assert!(
            t.elapsed() < Duration::from_secs(45),
            "{job} took {:?}",
            t.elapsed()
        );
    }
    assert_eq!(
        jrun(&env, &["dump", "latest", "--job", "bg"]).ok().stdout,
        "data\n"
    );
    assert_eq!(
        jrun(&env, &["dump", "latest", "--job", "away"]).ok().stdout,
        "more\n"
    );
    // The escapee writes its pid in its own time.
    let pid = poll("the escapee's pid", Duration::from_secs(60), || {
        pid_in(&marker)
    });
    let _ = std::process::Command::new("kill")
        .arg(pid.to_string())
        .status();
}

#[test]
fn an_fs_job_that_runs_past_its_timeout_fails_and_commits_nothing() {
    let env = Env::new();
    let src = env.path("big");
    std::fs::create_dir_all(&src).unwrap();
    // 1 TiB of holes: reading them takes far longer than the timeout, and
    // than the bound below.
    let f = std::fs::File::create(src.join("sparse")).unwrap();
    f.set_len(1 << 40).unwrap();
    config(
        &env,
        &format!(
            "[[job]]\nname = \"slow\"\nplugin = \"fs\"\npaths = [\"{}\"]\ntimeout = \"1s\"\n",
            src.display()
        ),
    );
    let t = Instant::now();
    let r = jrun(&env, &["backup", "--job", "slow"]).code(1);
    assert!(t.elapsed() < Duration::from_secs(120), "{:?}", t.elapsed());
    assert!(
        r.one_line_error().contains("timed out after 1s"),
        "{}",
        r.stderr
    );
    assert!(snapshots(&env, &[]).is_empty());
    let jobs = jrun(&env, &["--json", "jobs"]).ok().json();
    assert_eq!(jobs[0]["last_result"], "failed");
}
