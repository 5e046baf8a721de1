//! `bananactl` on a real Samba share (smbd on loopback, mounted through the
//! FUSE SMB client smbnetfs): no hard links, no `RENAME_NOREPLACE`, yet the
//! round trip, `check --read-data`, and no plaintext on the server's disk.

use crate::util::*;
use testkit::samba;

#[test]
fn every_kind_of_entry_round_trips_on_a_samba_share_and_no_plaintext_lands() {
    let Some(e) = Env::samba("roundtrip") else {
        return;
    };
    let served = &samba::share().unwrap().served;
    crate::roundtrip::round_trip_leaving_no_plaintext(&e, served);
    // A second backup of the same contents (atimes moved) stores no data again.
    let s = e.backup(&[&e.path("src")]);
    assert!(s["bytes_added"].as_u64().unwrap() < 64 << 10, "{s}");
    // Nothing half-written stays behind on the share.
    let tmp: Vec<_> = std::fs::read_dir(e.repo.join("tmp")).unwrap().collect();
    assert!(tmp.is_empty(), "leftovers in tmp/: {tmp:?}");
}
