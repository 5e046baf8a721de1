//! `bananactl drill` (issue 26, item 3): a sample restored into a private
//! scratch directory and checked against the snapshot; damage named with
//! its snapshot and file (exit 13); database streams checked by their own
//! tools and, with --deep, restored into throwaway servers that leave
//! nothing behind.

use crate::util::*;
use std::path::{Path, PathBuf};

fn run_dirs(state: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(state)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("run-"))
                .collect()
        })
        .unwrap_or_default()
}

/// Processes whose command line mentions `needle` (a throwaway server's
/// scratch directory).
fn processes_with(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(c) = std::fs::read(e.path().join("cmdline")) {
            let c = String::from_utf8_lossy(&c).replace('\0', " ");
            if c.contains(needle) {
                found.push(c);
            }
        }
    }
    found
}

fn data_packs(e: &Env) -> Vec<PathBuf> {
    e.objects()
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.starts_with(e.repo.join("data")))
        .collect()
}

#[test]
fn a_flipped_byte_fails_the_drill_that_samples_it_and_a_repair_passes() {
    let e = Env::new();
    let src = e.path("src");
    write(&src.join("old.bin"), &random_bytes(61, 700 << 10));
    e.backup(&[&src]);
    // old.bin's data is in the packs of the first backup only. new.bin
    // comes first in the walk and fills a run of the sample by itself.
    let first = data_packs(&e);
    let new_len = 16usize << 20;
    write(&src.join("new.bin"), &vec![7u8; new_len]);
    let snap = e.backup(&[&src])["snapshot_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pristine: Vec<(PathBuf, Vec<u8>)> = first
        .iter()
        .map(|p| (p.clone(), std::fs::read(p).unwrap()))
        .collect();
    for (p, b) in &pristine {
        let mut b = b.clone();
        let mid = b.len() / 2;
        b[mid] ^= 0x40;
        std::fs::write(p, b).unwrap();
    }
    let r = e.run(&["--json", "drill", "--sample", "100%"]).code(13);
    let d = &r.json()[0];
    assert_eq!(
        (d["message_type"].as_str(), d["passed"].as_bool()),
        (Some("drill"), Some(false)),
        "{d}"
    );
    let failures = d["failures"].to_string();
    assert!(
        failures.contains(&snap[..8])
            && failures.contains("old.bin")
            && !failures.contains("new.bin"),
        "the failure names the snapshot and the damaged file only: {failures}"
    );
    assert_eq!(d["files"], 1, "new.bin verified: {d}");
    let r = e.run(&["drill", "--sample", "100%"]).code(13);
    assert!(
        r.stderr.contains("damaged: snapshot ") && r.stderr.contains("old.bin"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.contains("FAILED"), "{}", r.stdout);
    // A sample of one file misses the damage about half the time: drills
    // are samples.
    let (mut passed, mut failed) = (0, 0);
    for _ in 0..60 {
        match e.run(&["drill", "--sample", "1"]).code {
            0 => passed += 1,
            13 => failed += 1,
            c => panic!("drill exited {c}"),
        }
        if passed > 0 && failed > 0 {
            break;
        }
    }
    assert!(passed > 0 && failed > 0, "passed {passed}, failed {failed}");
    for (p, b) in &pristine {
        std::fs::write(p, b).unwrap();
    }
    let ok = e.run(&["--json", "drill", "--sample", "100%"]).ok();
    let d = &ok.json()[0];
    assert_eq!(
        (d["passed"].as_bool(), d["files"].as_u64()),
        (Some(true), Some(2)),
        "{d}"
    );
    assert_eq!(d["bytes"], (700 << 10) + new_len, "{d}");
    assert!(d["rto_estimate_seconds"].as_f64().unwrap() > 0.0, "{d}");
    assert!(
        run_dirs(&e.state).is_empty(),
        "the scratch directory is removed"
    );
}

#[test]
fn a_backup_only_key_cannot_drill_and_a_bad_sample_is_a_usage_error() {
    let e = Env::new();
    let src = e.path("src");
    write(&src.join("a"), b"alpha");
    e.backup(&[&src]);
    let backup_only = e.backup_only_key();
    let mut c = e.cmd(&["drill"]);
    c.arg("--key-file").arg(&backup_only);
    let r = run(c).code(12);
    assert!(
        r.one_line_error().contains("bananadm drill"),
        "{}",
        r.stderr
    );
    for bad in ["0", "150%", "lots"] {
        let r = e.run(&["drill", "--sample", bad]).code(2);
        assert!(
            r.one_line_error().contains(&format!("--sample '{bad}'")),
            "{}",
            r.stderr
        );
    }
    let r = e.run(&["drill", "--job", "nope"]).code(2);
    assert!(r.one_line_error().contains("job 'nope'"), "{}", r.stderr);
}

#[test]
fn a_drill_stopped_by_a_signal_leaves_no_scratch_directory() {
    let e = Env::new();
    let src = e.path("src");
    for i in 0..40u64 {
        write(&src.join(format!("f{i}")), &random_bytes(i, 2 << 20));
    }
    e.backup(&[&src]);
    let mut seen = false;
    for _ in 0..5 {
        let mut c = e.cmd(&["drill", "--sample", "100%"]);
        c.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let mut child = c.spawn().unwrap();
        // Until the scratch directory exists or the drill is over (no
        // deadline: a loaded machine may take long to get there).
        loop {
            if !run_dirs(&e.state).is_empty() {
                seen = true;
                break;
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let st = child.wait().unwrap();
        assert!(run_dirs(&e.state).is_empty(), "scratch left after {st:?}");
        if seen {
            break;
        }
    }
    assert!(
        seen,
        "the scratch directory was never seen while a drill ran"
    );
    // A killed drill's directory goes with the next one.
    let dead = e.state.join("run-999999999-0000000000000000");
    std::fs::create_dir_all(dead.join("files")).unwrap();
    e.run(&["drill", "--sample", "1"]).ok();
    assert!(!dead.exists());
}

fn jrun(env: &Env, args: &[&str]) -> Run {
    let mut c = env.cmd(args);
    c.env("BANANA_CONFIG", env.path("jobs.toml"));
    run(c)
}

#[test]
fn database_streams_are_checked_by_their_tools_and_deep_drills_leave_nothing_behind() {
    let Some(pg) = testkit::postgres::server() else {
        return;
    };
    let Some(my) = testkit::mariadb::server() else {
        return;
    };
    let env = Env::new();
    let id = std::process::id();
    let (pdb, mdb) = (format!("drillpg_{id}"), format!("drillmy_{id}"));
    pg.sql("postgres", &format!("CREATE DATABASE {pdb}"));
    pg.sql(
        &pdb,
        "CREATE TABLE a (id int); CREATE TABLE b (id int); INSERT INTO a SELECT generate_series(1, 5000);",
    );
    let pw = env.path("pg.pass");
    pg.password_file(testkit::postgres::SUPER_PASSWORD, &pw);
    my.sql(&format!(
        "CREATE DATABASE {mdb}; USE {mdb}; CREATE TABLE t1 (id INT); CREATE TABLE t2 (id INT); \
         CREATE TABLE t3 (id INT); INSERT INTO t1 VALUES (1), (2);"
    ));
    let cnf = env.path("my.cnf");
    my.user(
        &format!("drill{id}"),
        "drill-pass",
        "SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, PROCESS ON *.*",
        &cnf,
    );
    std::fs::write(
        env.path("jobs.toml"),
        format!(
            "[[job]]\nname = \"my\"\nplugin = \"mysql\"\ndefaults_file = \"{}\"\ndatabases = [\"{mdb}\"]\nevery = \"1d\"\n\n\
             [[job]]\nname = \"pg\"\nplugin = \"postgres\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"postgres\"\n\
             password_file = \"{}\"\ndatabases = [\"{pdb}\"]\nglobals = true\nevery = \"1d\"\n",
            cnf.display(),
            pg.port,
            pw.display()
        ),
    )
    .unwrap();
    jrun(&env, &["backup", "--job", "my"]).ok();
    jrun(&env, &["backup", "--job", "pg"]).ok();
    // Each stream read whole by its own tool.
    let r = jrun(&env, &["--json", "drill"]).ok();
    let text = r.stdout.clone();
    assert!(
        text.contains("\"tool\":\"pg_restore\"") && text.contains("\"tool\":\"dump trailer\""),
        "{text}"
    );
    // Deep: both databases restored into private servers and counted.
    let r = jrun(&env, &["drill", "--deep"]).ok();
    assert!(
        r.stdout
            .contains(&format!("postgres: database '{pdb}' restored: 2 tables"))
            && r.stdout
                .contains(&format!("mariadb: database '{mdb}' restored: 3 tables")),
        "{}",
        r.stdout
    );
    let state = env.state.display().to_string();
    assert_eq!(
        processes_with(&state),
        Vec::<String>::new(),
        "no server left running"
    );
    assert!(run_dirs(&env.state).is_empty(), "no scratch directory left");
    // A forged snapshot of job pg whose archive stops halfway.
    let dump = jrun(
        &env,
        &["dump", "--job", "pg", "latest", &format!("/{pdb}.pgdump")],
    )
    .ok()
    .raw;
    let mut c = Crafter::open(&env);
    let half = &dump[..dump.len() / 2];
    let mut node = common::format::tree::Node::new(
        format!("{pdb}.pgdump").as_bytes(),
        common::format::NodeKind::File,
    );
    node.size = half.len() as u64;
    node.content = vec![c.data(half)];
    let root = c.tree(vec![node]);
    let forged = c.snapshot(root);
    let r = jrun(&env, &["drill", "--job", "pg"]).code(13);
    assert!(
        r.stderr.contains(&format!("snapshot {}", &forged[..8]))
            && r.stderr.contains(&format!("database '{pdb}'"))
            && r.stderr.contains("pg_restore"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_drill_job_drills_under_run_and_the_tower_hears_drills_and_subset_checks() {
    use common::status::{verify, Envelope, Event, EventKind, NodeIdentity, RunResult};
    let e = Env::new();
    let src = e.path("src");
    for i in 0..5u64 {
        write(&src.join(format!("f{i}")), &random_bytes(90 + i, 50_000));
    }
    let stub = testkit::Receiver::start(0).unwrap();
    std::fs::write(
        e.path("jobs.toml"),
        format!(
            "status_budget = \"60s\"\ncollector = \"{}\"\n\n[[job]]\nname = \"files\"\nplugin = \"fs\"\npaths = [\"{}\"]\nevery = \"1d\"\n\n\
             [[job]]\nname = \"verify\"\nplugin = \"drill\"\nevery = \"7d\"\nsample = \"100%\"\njobs = [\"files\"]\n",
            stub.url(),
            src.display()
        ),
    )
    .unwrap();
    jrun(&e, &["run", "--now", "files"]).ok();
    let r = jrun(&e, &["run", "--now", "verify"]).ok();
    assert!(
        r.stdout.contains("drill of job 'files'") && r.stdout.contains("passed: 5 file(s)"),
        "{}",
        r.stdout
    );
    let jobs = jrun(&e, &["--json", "jobs"]).ok().stdout;
    assert!(jobs.contains("\"verify\""), "{jobs}");
    jrun(&e, &["check", "--read-data-subset", "1/1"]).ok();
    let (id, _) = NodeIdentity::load_or_create(&e.state.join("node.key")).unwrap();
    let key = common::status::parse_public(&id.public_hex()).unwrap();
    let events: Vec<Event> = stub
        .requests()
        .iter()
        .filter_map(|r| serde_json::from_slice::<Envelope>(&r.body).ok())
        .map(|env| verify(&env, &key, common::unix_now()).unwrap())
        .collect();
    let drills: Vec<&Event> = events
        .iter()
        .filter(|v| v.kind == EventKind::Drill)
        .collect();
    assert_eq!(drills.len(), 2, "{events:?}");
    let d = drills[0];
    let facts = d.drill.as_ref().unwrap();
    assert_eq!(
        (d.job.as_str(), d.result, facts.mode.as_str(), facts.files),
        ("files", Some(RunResult::Success), "drill", 5)
    );
    assert!(
        facts.rto_secs.is_some() && facts.rate_bps.is_some(),
        "{facts:?}"
    );
    let c = drills[1].drill.as_ref().unwrap();
    assert_eq!(
        (drills[1].job.as_str(), c.mode.as_str(), c.sample.as_deref()),
        ("", "check", Some("1/1"))
    );
    assert!(c.packs >= 1, "{c:?}");
    // The drill job is no job of the tower's: it reports drills only.
    assert!(events.iter().all(|v| v.job != "verify"), "{events:?}");
    assert!(events
        .iter()
        .filter_map(|v| v.jobs.as_ref())
        .all(|j| j == &["files".to_owned()]));
}
