//! Starts one of the tests' real servers for a benchmark and says how to
//! reach it, then keeps it until standard input closes (the servers die
//! with this process). `bench/run.sh` runs it for `BACKEND=s3|swift`.
//!
//!   cargo run -p banana-testkit --example serve -- s3|swift
//!
//! Prints `KEY=VALUE` lines, then `READY`:
//! - s3: `S3_ADDR`, `S3_BUCKET` (new, empty), `AWS_ACCESS_KEY_ID`,
//!   `AWS_SECRET_ACCESS_KEY` (the server's admin), `S3_METRICS` (SeaweedFS's
//!   Prometheus endpoint, `host:port`);
//! - swift: `SWIFT_ADDR` (tempauth v1 at `/auth/v1.0`), `ST_USER`, `ST_KEY`,
//!   `SWIFT_LOG` (the proxy server's access log).

use std::io::Read;

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let lines: Vec<(&str, String)> = match which.as_str() {
        "s3" => {
            let Some(s) = testkit::seaweed::server() else {
                fail("SeaweedFS is not installed: run scripts/services.sh install")
            };
            vec![
                ("S3_ADDR", s.addr.clone()),
                ("S3_BUCKET", s.bucket("bench")),
                ("AWS_ACCESS_KEY_ID", s.admin.access_key.clone()),
                (
                    "AWS_SECRET_ACCESS_KEY",
                    s.admin.secret_key.expose().to_owned(),
                ),
                ("S3_METRICS", s.metrics.clone()),
            ]
        }
        "swift" => {
            let Some(s) = testkit::swift::server() else {
                fail("Swift is not installed: run scripts/services.sh install")
            };
            vec![
                ("SWIFT_ADDR", s.addr.clone()),
                ("ST_USER", "banana:agent".to_owned()),
                ("ST_KEY", testkit::swift::KEY.to_owned()),
                ("SWIFT_LOG", s.access_log().display().to_string()),
            ]
        }
        other => fail(&format!("serve: unknown server {other:?}: s3 or swift")),
    };
    for (k, v) in lines {
        println!("{k}={v}");
    }
    println!("READY");
    // Until the benchmark closes our input (or exits).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

fn fail(msg: &str) -> ! {
    eprintln!("{msg}");
    std::process::exit(1)
}
