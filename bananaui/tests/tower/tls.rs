//! The documented nginx TLS front (docs/examples/nginx-tower.conf), for real:
//! a node enrols and reports over HTTPS through nginx to the tower.

use crate::harness::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn nodes_report_over_https_through_the_documented_nginx_front() {
    let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let (Some(nginx), true) = (nginx, have("openssl")) else {
        testkit::require("nginx and openssl", false);
        return;
    };
    let t = Tower::start("");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A CA and a certificate for 127.0.0.1.
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=banana test CA",
        ],
    );
    std::fs::write(
        d.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "tower.key",
            "-out",
            "tower.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "tower.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "tower.crt",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
    // The documented server block, with this test's port, paths and upstream.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/examples/nginx-tower.conf"
    ))
    .unwrap();
    let server = example
        .replace("listen 8443 ssl", &format!("listen 127.0.0.1:{port} ssl"))
        .replace("/etc/banana/tls/", &format!("{}/", d.display()))
        .replace("http://127.0.0.1:7460", &format!("http://{}", t.addr));
    assert_ne!(server, example);
    let temp = |n: &str| d.join(n).display().to_string();
    std::fs::write(
        d.join("nginx.conf"),
        format!(
            "worker_processes 1;\npid {};\nerror_log {} warn;\n{}events {{ worker_connections 64; }}\n\
             http {{\n access_log off;\n client_body_temp_path {};\n proxy_temp_path {};\n\
             fastcgi_temp_path {};\n uwsgi_temp_path {};\n scgi_temp_path {};\n{server}\n}}\n",
            temp("nginx.pid"), temp("error.log"),
            if nix::unistd::geteuid().is_root() { "user root;\n" } else { "" },
            temp("body"), temp("proxy"), temp("fcgi"), temp("uwsgi"), temp("scgi"),
        ),
    )
    .unwrap();
    let ng = Command::new(nginx)
        .args([
            "-p",
            &d.display().to_string(),
            "-c",
            &temp("nginx.conf"),
            "-g",
            "daemon off;",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut nginx = Nginx(ng);
    let url = format!("https://127.0.0.1:{port}");
    // Bounded, not a deadline: an nginx that exits fails at once.
    let end = Instant::now() + Duration::from_secs(300);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        let log = || std::fs::read_to_string(d.join("error.log")).unwrap_or_default();
        let exited = nginx.0.try_wait().unwrap();
        assert!(exited.is_none(), "nginx exited ({exited:?}): {}", log());
        assert!(Instant::now() < end, "nginx did not start: {}", log());
        std::thread::sleep(Duration::from_millis(50));
    }
    // A real node, trusting only the test CA, enrols and reports over HTTPS.
    let ca = d.join("ca.crt");
    let node = Agent::with(&t, "web-01", &url, &[("SSL_CERT_FILE", ca.as_os_str())]);
    let out = node.backup("files", "1d");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let detail = t.get_json("/api/v1/nodes/web-01");
    assert_eq!(detail["runs"].as_array().unwrap().len(), 1, "{detail}");
    assert_eq!(detail["runs"][0]["result"], "success");
    // Without the CA the node refuses the tower (and still backs up: P7).
    let strange = node.cmd_env(
        &["backup", node.dir.path().join("src").to_str().unwrap()],
        &[],
    );
    let out = {
        let mut c = strange;
        c.env("SSL_CERT_FILE", d.join("nothing.pem"));
        c.output().unwrap()
    };
    assert!(out.status.success());
    let detail = t.get_json("/api/v1/nodes/web-01");
    assert_eq!(
        detail["runs"].as_array().unwrap().len(),
        1,
        "nothing got through an untrusted TLS"
    );
}

/// Stops nginx the way it wants (SIGQUIT to the master, which stops its
/// workers); a SIGKILL would leave the workers behind.
struct Nginx(std::process::Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGQUIT);
        let end = Instant::now() + Duration::from_secs(10);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
