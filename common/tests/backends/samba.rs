//! The local backend on a real Samba share (smbd on loopback, mounted through
//! smbnetfs): what sets a network filesystem apart, and the conformance suite.

use common::backend::{Backend, LocalBackend};
use rustix::fs::{self as rfs, RenameFlags};

#[test]
fn conformance_on_a_samba_share() {
    let Some(smb) = testkit::samba::share() else {
        return;
    };
    let d = smb.dir("conformance");
    // What sets a share apart: no hard links, no RENAME_NOREPLACE.
    std::fs::write(d.join("probe"), b"x").unwrap();
    assert!(std::fs::hard_link(d.join("probe"), d.join("link")).is_err());
    let noreplace = rfs::renameat_with(
        rfs::CWD,
        d.join("probe"),
        rfs::CWD,
        d.join("new"),
        RenameFlags::NOREPLACE,
    );
    assert!(noreplace.is_err(), "the share has RENAME_NOREPLACE");
    common::testing::conformance(&LocalBackend::new(d.join("repo")));
    let many = LocalBackend::new(d.join("many"));
    many.create().unwrap();
    common::testing::conformance_many(&many, 1_000);
    let served = smb.served.join(d.file_name().unwrap());
    assert_eq!(std::fs::read(served.join("repo/config")).unwrap(), b"c");
    assert_eq!(
        std::fs::read_dir(served.join("many/index"))
            .unwrap()
            .count(),
        1_000
    );
}
