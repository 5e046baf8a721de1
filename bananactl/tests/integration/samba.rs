//! `bananactl` on a real Samba share (smbd on loopback, mounted through the
//! FUSE SMB client smbnetfs): no hard links, no `RENAME_NOREPLACE`, yet the
//! round trip, `check --read-data`, and no plaintext on the server's disk.

use crate::util::*;
use common::testing::samba;

#[test]
fn every_kind_of_entry_round_trips_on_a_samba_share_and_no_plaintext_lands() {
    let Some(e) = Env::samba("roundtrip") else {
        return;
    };
    let marker = "BANANA-SAMBA-PLAINTEXT-MARKER-5c1e";
    let mut raw = random_bytes(23, 1 << 20);
    raw[8192..8192 + marker.len()].copy_from_slice(marker.as_bytes());
    write(&e.path("src/marker.bin"), &raw);
    crate::roundtrip::round_trip(&e);
    let r = e.run(&["--json", "check", "--read-data"]).ok();
    assert_eq!(r.summary()["problems"], 0, "{}", r.stdout);
    // A second backup of the same contents (atimes moved) stores no data again.
    let s = e.backup(&[&e.path("src")]);
    assert!(s["bytes_added"].as_u64().unwrap() < 64 << 10, "{s}");
    // Nothing half-written stays behind on the share.
    let tmp: Vec<_> = std::fs::read_dir(e.repo.join("tmp")).unwrap().collect();
    assert!(tmp.is_empty(), "leftovers in tmp/: {tmp:?}");
    let served = &samba::share().unwrap().served;
    let (mut found, mut stored) = (Vec::new(), 0);
    walk_files(served, &mut |p| {
        let bytes = std::fs::read(p).unwrap_or_default();
        stored += bytes.len();
        if bytes.windows(marker.len()).any(|w| w == marker.as_bytes()) {
            found.push(p.to_owned());
        }
    });
    assert!(
        stored > 1 << 20,
        "the share holds the backup ({stored} bytes)"
    );
    assert!(found.is_empty(), "plaintext on the share: {found:?}");
}
