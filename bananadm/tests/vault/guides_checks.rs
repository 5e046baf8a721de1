//! The checks `guides.rs` runs after some blocks of the guides: the outcome
//! each step is for, in the guides' shell (their variables, the admin
//! token, the namespace), not just its exit status.

/// After the `sh` block of `guide` holding `anchor`: `check` (shell; exits
/// non-zero, or calls `__fail`, when the outcome is not there).
pub struct Check {
    pub guide: &'static str,
    pub anchor: &'static str,
    pub name: &'static str,
    pub check: &'static str,
}

pub const CHECKS: &[Check] = &[
    Check {
        guide: "install.md",
        anchor: "shred -u /root/openbao-init.json",
        name: "vault set up, root token gone, admin token works",
        check: r#"[ ! -e /root/openbao-init.json ] || __fail "init file left"
[ "$(bananadm --json vault init | jq -c .changes)" = "[]" ] || __fail "vault init changes something with the admin token"
[ "$(stat -c %a /root/banana-admin.token)" = 600 ] || __fail "admin token file mode"
"#,
    },
    Check {
        guide: "install.md",
        anchor: "bananadm breakglass keygen",
        name: "break-glass identity kept",
        check: r#"grep -q '^AGE-SECRET-KEY-1' /root/breakglass.txt || __fail "no identity in breakglass.txt"
grep -q '^# banana-verify-key: ' /root/breakglass.txt || __fail "no verify key in breakglass.txt"
"#,
    },
    Check {
        guide: "install.md",
        anchor: "bananaui node list",
        name: "web-01 backed up and on the tower",
        check: r#"bananactl --json snapshots | jq -se 'map(select(.message_type == "snapshot") | .job) | sort == ["files", "shop-db"]' >/dev/null || __fail "not one snapshot of each job"
[ -d /mnt/backup/web-01 ] || __fail "no repository on the share"
curl -sf http://127.0.0.1:7460/api/v1/nodes | jq -e '.nodes[] | select(.name == "web-01" and .state == "ok") | .jobs | map(select(.last_result == "success") | .job) | sort == ["files", "shop-db"]' >/dev/null || __fail "web-01/files is not ok on the tower: $(curl -s http://127.0.0.1:7460/api/v1/nodes)"
curl -sf --cacert /etc/ssl/certs/banana-ca.pem https://tower.example.net:8443/api/v1/fleet >/dev/null || __fail "the tower does not answer through nginx"
"#,
    },
    Check {
        guide: "install.md",
        anchor: "bananactl restore latest --job files --target /srv/restore",
        name: "the grant restores the bytes, once",
        check: r#"diff -r --no-dereference /srv/www /srv/restore/srv/www || __fail "restored tree differs"
cmp /srv/www/img/big.bin /srv/restore/srv/www/img/big.bin || __fail "restored bytes differ"
if echo "$GRANT" | bananactl restore latest --job files --target /tmp/again --grant - 2>/dev/null; then __fail "a used grant restored again"; fi
"#,
    },
    Check {
        guide: "install.md",
        anchor: "complete -p bananactl",
        name: "bash completes bananactl",
        check: r#"[ "$(bash -c '. /usr/share/bash-completion/completions/bananactl && complete -p bananactl')" != "" ] || __fail "no completion"
"#,
    },
    Check {
        guide: "operations.md",
        anchor: "bananactl dump latest /srv/www/index.html",
        name: "one file comes back; then /srv/www is damaged",
        check: r#"cmp /srv/www/index.html /root/index.html.restored || __fail "dumped file differs"
cp -a /srv/www /root/www.orig
rm -rf /srv/www/img
echo stray >/srv/www/stray.html
echo defaced >/srv/www/index.html
"#,
    },
    Check {
        guide: "operations.md",
        anchor: "--target / --include /srv/www --delete",
        name: "the tree is back in place, strays gone",
        check: r#"diff -r --no-dereference /root/www.orig /srv/www || __fail "/srv/www is not as backed up"
[ ! -e /srv/www/stray.html ] || __fail "--delete left a stray file"
"#,
    },
    Check {
        guide: "operations.md",
        anchor: "--to-server --database shop_restored",
        name: "the database is back in its server",
        check: r#"q="SELECT count(*), sum(n), md5(string_agg(item, ',' ORDER BY n)) FROM orders"
a=$(runuser -u postgres -- psql -tAX -d shop -c "$q")
b=$(runuser -u postgres -- psql -tAX -d shop_restored -c "$q")
[ -n "$a" ] && [ "$a" = "$b" ] || __fail "shop_restored ($b) is not shop ($a)"
[ -z "$(runuser -u postgres -- psql -tAX -c "SELECT 1 FROM pg_roles WHERE rolname = 'banana_restore'")" ] || __fail "restore role left"
"#,
    },
    Check {
        guide: "operations.md",
        anchor: "--repo /mnt/offsite/web-01 restore",
        name: "the copy restores without the first storage",
        check: r#"diff -r --no-dereference /root/www.orig /srv/from-copy/srv/www || __fail "restored copy differs"
G=$(bananadm restore grant web-01)
mv /mnt/backup/web-01 /root/primary.away
echo "$G" | bananactl --repo /mnt/offsite/web-01 restore latest --job files --target /tmp/copy2 --include /srv/www --grant - || { mv /root/primary.away /mnt/backup/web-01; __fail "no restore from the copy alone"; }
mv /root/primary.away /mnt/backup/web-01
diff -r --no-dereference /root/www.orig /tmp/copy2/srv/www || __fail "copy-only restore differs"
"#,
    },
    Check {
        guide: "operations.md",
        anchor: "--identity-file /root/breakglass.txt --node web-01",
        name: "break-glass restores with no network at all",
        check: r#"diff -r --no-dereference /root/www.orig /srv/breakglass/srv/www || __fail "break-glass restore differs"
unshare --net bananactl --repo /mnt/backup/web-01 restore latest --job files --target /tmp/bg2 --include /srv/www --identity-file /root/breakglass.txt --node web-01 || __fail "break-glass needs the network"
diff -r --no-dereference /root/www.orig /tmp/bg2/srv/www || __fail "offline break-glass restore differs"
"#,
    },
    Check {
        guide: "operations.md",
        anchor: "bananadm node rotate web-01",
        name: "new data after the rotation",
        check: r#"head -c 200000 /dev/urandom >/srv/www/img/after-rotation.bin
cp -a /srv/www /root/www.rotated
"#,
    },
    Check {
        guide: "operations.md",
        anchor: "bananactl run --now files",
        name: "snapshots before and after the rotation restore",
        check: r#"ids=$(bananactl --json snapshots --job files | jq -r 'select(.message_type == "snapshot") | .id')
first=$(echo "$ids" | head -n1); last=$(echo "$ids" | tail -n1)
[ "$first" != "$last" ] || __fail "no new snapshot after the rotation"
for s in "$first" "$last"; do
  G=$(bananadm restore grant web-01)
  echo "$G" | bananactl restore "$s" --job files --target "/tmp/rot-$s" --include /srv/www --grant -
done
diff -r --no-dereference /root/www.orig "/tmp/rot-$first/srv/www" || __fail "the first snapshot (old identity) differs"
diff -r --no-dereference /root/www.rotated "/tmp/rot-$last/srv/www" || __fail "the new snapshot (new identity) differs"
"#,
    },
    Check {
        guide: "operations.md",
        anchor: "runuser -u banana-tower -- bananaui node remove web-01",
        name: "the node is gone from Vault and the tower, its backups still restore",
        check: r#"rc=0; bananactl backup --job files || rc=$?
[ "$rc" = 15 ] || __fail "a backup after 'node remove' exited $rc, not 15"
end=$((SECONDS + 120))
while curl -sf http://127.0.0.1:7460/api/v1/nodes | jq -e '.nodes[] | select(.name == "web-01")' >/dev/null; do
  [ $SECONDS -lt $end ] || __fail "web-01 is still on the tower"
  sleep 1
done
G=$(bananadm restore grant web-01)
echo "$G" | bananactl restore latest --job files --target /tmp/after-remove --include /srv/www --grant -
diff -r --no-dereference /root/www.rotated /tmp/after-remove/srv/www || __fail "restore after removal differs"
"#,
    },
    Check {
        guide: "operations.md",
        anchor: "tar -C /var/lib/banana-tower",
        name: "the tower data is in the tarball",
        check: r#"tar -tzf /var/backups/banana-tower-*.tar.gz | grep '^\./db/' >/dev/null || __fail "no db/ in the tarball"
"#,
    },
    Check {
        guide: "operations.md",
        anchor: "bao operator raft snapshot save",
        name: "a Vault snapshot was written",
        check: r#"f=$(ls /var/backups/openbao-*.snap)
[ "$(head -c 2 "$f" | od -An -tx1 | tr -d ' ')" = 1f8b ] || __fail "$f is not a gzip'd raft snapshot"
curl -sf http://127.0.0.1:7460/api/v1/fleet >/dev/null || __fail "the tower did not come back"
"#,
    },
];
