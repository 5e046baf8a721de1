//! A real Samba share for tests: Debian's `smbd` on a free loopback port,
//! mounted through the FUSE SMB client `smbnetfs` (these kernels have no CIFS
//! client), so the local backend runs on what an SMB mount gives: no hard
//! links, no `RENAME_NOREPLACE`, no symlinks. One server and one mount per
//! test process, started on first use; both die with the process and a later
//! process unmounts and removes what an earlier one left. Needs root (smbd)
//! and `/dev/fuse`; without them a test skips, except under `CI=true`, where
//! [`share`] panics.

use crate::procs::{free_port, installed, scratch_dir, spawn_parked, wait_until, Proc};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The running server and mount.
pub struct SambaShare {
    /// The share as the client sees it: `MOUNT/127.0.0.1:PORT/banana`.
    pub mounted: PathBuf,
    /// The directory smbd serves (to look for plaintext in stored bytes).
    pub served: PathBuf,
}

/// The shared server and mount; `None` (skip) when Samba, smbnetfs, FUSE or
/// root is missing.
pub fn share() -> Option<&'static SambaShare> {
    static S: OnceLock<Option<SambaShare>> = OnceLock::new();
    S.get_or_init(start).as_ref()
}

const SMBD: &str = "/usr/sbin/smbd";
const USER: &str = "root";
const PASSWORD: &str = "banana-smb-test";

fn start() -> Option<SambaShare> {
    use std::os::unix::fs::MetadataExt;
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    let fuse = Path::new("/dev/fuse").exists();
    let unmounter = installed(&["fusermount"]) || installed(&["fusermount3"]);
    if !crate::require(
        "Samba and smbnetfs, as root with /dev/fuse,",
        root && fuse && unmounter && installed(&[SMBD, "smbpasswd", "smbnetfs"]),
    ) {
        return None;
    }
    let dir = scratch_dir("banana-smb", &|d| unmount(&d.join("mnt")));
    let port = free_port();
    let served = dir.join("share");
    let mnt = dir.join("mnt");
    for d in [&served, &mnt, &dir.join("home/.smb")] {
        std::fs::create_dir_all(d).expect("samba dirs");
    }
    let conf = write_config(&dir, port);
    add_user(&conf);
    let home = dir.join("home").display().to_string();
    let s = |v: &str| v.to_owned();
    let smbd = Proc {
        name: "smbd",
        argv: vec![
            s(SMBD),
            s("-s"),
            conf.display().to_string(),
            s("-F"),
            s("--no-process-group"),
            s("-d1"),
        ],
        env: vec![],
    };
    let smbd = spawn_parked("smbd", &dir.join("log"), vec![smbd]);
    // smbnetfs remembers a refused connection: mount only once smbd listens.
    wait_until("smbd", &dir, &smbd, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let smbnetfs = Proc {
        name: "smbnetfs",
        argv: vec![
            s("smbnetfs"),
            mnt.display().to_string(),
            s("-f"),
            s("-o"),
            format!("log_file={}", dir.join("log/smbnetfs-debug.log").display()),
        ],
        env: vec![(s("HOME"), home)],
    };
    let fuse = spawn_parked("smbnetfs", &dir.join("log"), vec![smbnetfs]);
    let share = SambaShare {
        mounted: mnt.join(format!("127.0.0.1:{port}/banana")),
        served,
    };
    let both: Vec<u32> = smbd.iter().chain(&fuse).copied().collect();
    wait_until("the Samba share", &dir, &both, || share.ready());
    Some(share)
}

/// Adds `USER` with `PASSWORD` to smbd's own password database.
fn add_user(conf: &Path) {
    let mut pw = Command::new("smbpasswd")
        .args(["-c", &conf.display().to_string(), "-s", "-a", USER])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("smbpasswd");
    use std::io::Write;
    let mut stdin = pw.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{PASSWORD}\n{PASSWORD}\n").as_bytes())
        .expect("password");
    drop(stdin);
    assert!(pw.wait().expect("smbpasswd").success(), "smbpasswd -a");
}

/// Lazily unmounts a FUSE mount a dead process left (a no-op when nothing
/// is mounted there).
fn unmount(mnt: &Path) {
    let bin = if installed(&["fusermount"]) {
        "fusermount"
    } else {
        "fusermount3"
    };
    let _ = Command::new(bin)
        .args(["-u", "-z", "-q"])
        .arg(mnt)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// smbd's configuration (everything under `dir`, one share `banana` for
/// `USER`, SMB2 and up) and the client's (`smbnetfs` reads `$HOME/.smb/`).
fn write_config(dir: &Path, port: u16) -> PathBuf {
    let d = dir.display();
    let conf = dir.join("smb.conf");
    std::fs::write(
        &conf,
        format!(
            "[global]\nserver role = standalone server\ninterfaces = 127.0.0.1\n\
             bind interfaces only = yes\nsmb ports = {port}\ndisable netbios = yes\n\
             server min protocol = SMB2\nprivate dir = {d}/priv\nlock directory = {d}/lock\n\
             state directory = {d}/state\ncache directory = {d}/cache\npid directory = {d}/run\n\
             ncalrpc dir = {d}/run/ncalrpc\nlog file = {d}/log/smbd-%m.log\n\
             passdb backend = tdbsam:{d}/priv/passdb.tdb\nmap to guest = never\n\
             load printers = no\nprinting = bsd\nprintcap name = /dev/null\ndisable spoolss = yes\n\
             [banana]\npath = {d}/share\nread only = no\nvalid users = {USER}\n"
        ),
    )
    .expect("smb.conf");
    for sub in ["priv", "lock", "state", "cache", "run"] {
        std::fs::create_dir_all(dir.join(sub)).expect("samba dirs");
    }
    let client = dir.join("home/.smb");
    std::fs::write(
        client.join("smb.conf"),
        "[global]\nclient min protocol = SMB2\ndisable netbios = yes\n",
    )
    .expect("client smb.conf");
    let auth = client.join("smbnetfs.conf");
    std::fs::write(
        &auth,
        format!("smb_query_browsers false\nauth \"{USER}\" \"{PASSWORD}\"\n"),
    )
    .expect("smbnetfs.conf");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&auth, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    conf
}

impl SambaShare {
    /// The share is mounted and a directory can be made and removed on it.
    fn ready(&self) -> bool {
        let probe = self.mounted.join(".banana-probe");
        std::fs::metadata(&self.mounted).is_ok_and(|m| m.is_dir())
            && std::fs::create_dir(&probe).is_ok()
            && std::fs::remove_dir(&probe).is_ok()
    }

    /// A new, empty directory on the share (named after `hint`), as the
    /// client sees it.
    pub fn dir(&self, hint: &str) -> PathBuf {
        let clean: String = hint
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(30)
            .collect();
        let d = self
            .mounted
            .join(format!("{clean}-{:08x}", rand::random::<u32>()));
        std::fs::create_dir(&d).expect("a directory on the share");
        d
    }
}
