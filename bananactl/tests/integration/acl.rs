//! POSIX ACLs (`setfacl`): an access ACL with named entries on a file and a
//! default ACL on a directory survive a backup and a restore. They live in
//! the `system.posix_acl_access` and `system.posix_acl_default` extended
//! attributes, which a backup stores with the others.

use crate::util::*;
use std::path::Path;
use std::process::Command;

/// Whether `setfacl` and `getfacl` are installed; outside CI a test skips
/// without them, under CI=true it fails (scripts/test.sh installs `acl`).
fn have_acl_tools() -> bool {
    let ok = ["setfacl", "getfacl"].iter().all(|t| {
        Command::new(t)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    testkit::require("setfacl and getfacl (Debian package acl)", ok)
}

fn setfacl(args: &[&str], path: &Path) {
    let out = Command::new("setfacl")
        .args(args)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "setfacl {args:?} {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `getfacl -R` of everything below `dir`, paths relative to it; without
/// root, restored files are the user's own, so owner lines are left out.
fn getfacl_tree(dir: &Path) -> String {
    let out = Command::new("getfacl")
        .args(["-R", "-p", "."])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "getfacl -R {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    if is_root() {
        return text;
    }
    text.lines()
        .filter(|l| !l.starts_with("# owner:") && !l.starts_with("# group:"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Whether the filesystem holding `dir` takes ACLs; outside CI a test skips
/// on one that does not, under CI=true it fails.
fn acls_supported(dir: &Path) -> bool {
    let probe = dir.join("acl-probe");
    std::fs::write(&probe, b"").unwrap();
    let out = Command::new("setfacl")
        .args(["-m", "u:1234:r"])
        .arg(&probe)
        .output()
        .unwrap();
    std::fs::remove_file(&probe).unwrap();
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        testkit::require(
            &format!(
                "a temporary directory that takes ACLs ({}: {why})",
                dir.display()
            ),
            false,
        );
    }
    out.status.success()
}

#[test]
fn access_and_default_acls_survive_backup_and_restore() {
    if !have_acl_tools() {
        return;
    }
    let e = Env::new();
    if !acls_supported(e.dir.path()) {
        return;
    }
    let src = e.path("src");
    // An access ACL with a named user and a named group (and so a mask).
    write(&src.join("shared.txt"), b"for user 1234 too");
    setfacl(&["-m", "u:1234:rw,g:5678:r"], &src.join("shared.txt"));
    // A directory with a default ACL (and an access ACL of its own); a file
    // made before the default has none, one made after inherits it.
    write(&src.join("project/before.txt"), b"no ACL of its own");
    setfacl(&["-d", "-m", "u:1234:rwx,g:5678:rx"], &src.join("project"));
    setfacl(&["-m", "u:1234:rwx"], &src.join("project"));
    write(&src.join("project/after.txt"), b"inherited ACL");
    std::fs::create_dir(src.join("project/sub")).unwrap();
    // A file without any ACL beside them.
    write(&src.join("plain.txt"), b"no ACL");

    let before = getfacl_tree(&src);
    for want in [
        "# file: ./shared.txt\n",
        "user:1234:rw-\n",
        "group:5678:r--\n",
        "default:user:1234:rwx\n",
        "default:group:5678:r-x\n",
    ] {
        assert!(before.contains(want), "source lacks {want:?}:\n{before}");
    }

    e.backup(&[&src]);
    let target = e.path("restore");
    let r = e.restore("latest", &target).ok();
    assert!(
        !r.stderr.contains("extended attribute"),
        "restore warned: {}",
        r.stderr
    );
    let dst = restored(&target, &src);
    let after = getfacl_tree(&dst);
    assert_eq!(before, after, "ACLs after a restore");
    assert_eq!(
        std::fs::read(dst.join("shared.txt")).unwrap(),
        b"for user 1234 too"
    );

    // The restored default ACL works: a file made in the restored directory
    // gets the ACL that one made in the source directory gets.
    write(&dst.join("project/new.txt"), b"made after the restore");
    write(&src.join("project/new.txt"), b"made after the restore");
    assert_eq!(
        getfacl_tree(&src.join("project")),
        getfacl_tree(&dst.join("project")),
        "a file made in the restored directory inherits its default ACL"
    );
}
