//! The examples at the end of each command's `--help`, which `cargo xtask
//! gen` also renders as the EXAMPLES section of its man page. The format is
//! parsed: an `Examples:` line, then for each example a description indented
//! by two spaces and one or more command lines indented by four. An xtask
//! test parses every command line with the CLI, so a flag that does not
//! exist fails it.

/// `bananactl`.
pub const TOP: &str = "\
Examples:
  First backup on the embedded default (creates the repository and key file):
    bananactl backup ~/projects
  Run the configured jobs that are due (what the systemd timer or cron calls):
    bananactl --quiet run
  Restore the latest snapshot of the job 'etc' into a scratch directory:
    bananactl restore latest --job etc --target /tmp/r
  List the snapshots of a repository on S3, with a key file of its own:
    bananactl --repo s3://s3.example.net/backups/web-01 \\
      --key-file /root/web-01.key snapshots";

/// `bananactl init`.
pub const INIT: &str = "\
Examples:
  Create the embedded default's repository and key file (as a first backup):
    bananactl init
  A repository on an NFS mount, also encrypted to an offline break-glass key:
    bananactl --repo /mnt/backup/web-01 --key-file /etc/banana/key.json init \\
      --add-recipient \\
      age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
  Smaller (and slower) chunks with xz, in 32 MiB packs:
    bananactl init --compression xz:6 --pack-size 32
  Start over on purpose in an empty location this node wrote before (exit 16):
    bananactl init --force-new";

/// `bananactl backup`.
pub const BACKUP: &str = "\
Examples:
  Back up /etc and /srv as the job 'files', expected daily (the tower watches):
    bananactl backup /etc /srv --job files --every 1d
  Back up /home on its own filesystem only, without caches and temporary files:
    bananactl backup /home --one-file-system --exclude '*.tmp' \\
      --exclude '/home/*/.cache/**'
  Back up a database dump streamed from stdin, tagged:
    pg_dumpall | bananactl backup --stdin --stdin-name all.sql --job pg \\
      --tag nightly
  Run the configured job 'ldap' now:
    bananactl backup --job ldap
  Upload at most 10 MiB/s, new chunks compressed with xz:
    bananactl backup /srv --limit-upload 10240 --compression xz:6";

/// `bananactl run`.
pub const RUN: &str = "\
Examples:
  Run the jobs that are due (banana-agent.timer does this every 5 minutes):
    bananactl --quiet run
  Run two jobs now, due or not, after fixing their repository:
    bananactl run --now etc ldap
  Run every configured job now, one JSON object per line:
    bananactl --json run --now
  Run the jobs of another config file:
    bananactl --config /etc/banana/db.toml run";

/// `bananactl jobs`.
pub const JOBS: &str = "\
Examples:
  The configured jobs: schedule, last result, next due and why:
    bananactl jobs
  The same as JSON, for a monitoring script:
    bananactl --json jobs
  The jobs another config file names:
    bananactl --config /etc/banana/db.toml jobs";

/// `bananactl snapshots`.
pub const SNAPSHOTS: &str = "\
Examples:
  Every snapshot, oldest first:
    bananactl snapshots
  The newest three snapshots of the job 'etc':
    bananactl snapshots --job etc --latest 3
  The snapshots of host web-01 tagged 'nightly', as JSON:
    bananactl --json snapshots --host web-01 --tag nightly";

/// `bananactl ls`.
pub const LS: &str = "\
Examples:
  Everything in the latest snapshot:
    bananactl ls latest
  One directory of the latest snapshot of the job 'etc':
    bananactl ls latest /etc/nginx --job etc
  A directory of a snapshot named by an id prefix, as JSON:
    bananactl --json ls 5cfa5229 /srv/www";

/// `bananactl dump`.
pub const DUMP: &str = "\
Examples:
  One file of the latest snapshot:
    bananactl dump latest /home/me/projects/notes.txt > notes.txt
  The stream of the latest run of the command job 'ldap':
    bananactl dump latest --job ldap > ldap.ldif
  One database of a mysql job:
    bananactl dump latest --job shop-db /shop.sql > shop.sql
  Compare a file of the snapshot with the live one:
    bananactl dump latest /etc/fstab --job etc | diff - /etc/fstab";

/// `bananactl find`.
pub const FIND: &str = "\
Examples:
  Which snapshots of the job 'etc' hold a file named *.conf:
    bananactl find '*.conf' --job etc
  Match the whole path, in the snapshots tagged 'daily':
    bananactl find '/etc/**/*.conf' --tag daily
  SSH keys in the snapshots of /home, as JSON:
    bananactl --json find 'id_*' --path /home";

/// `bananactl diff`.
pub const DIFF: &str = "\
Examples:
  What changed between two snapshots (ids or unique prefixes):
    bananactl diff 5cfa5229 d2379c67
  What changed since an older snapshot, up to the latest of the job 'etc':
    bananactl diff 5cfa5229 latest --job etc
  The changes as JSON, one object per path:
    bananactl --json diff 5cfa5229 d2379c67";

/// `bananactl restore`.
pub const RESTORE: &str = "\
Examples:
  The latest snapshot into a scratch directory:
    bananactl restore latest --target /tmp/r
  Bring /srv/www back as it is in the snapshot, removing what it lacks:
    bananactl restore latest --target / --include /srv/www --delete
  Restore only what is missing from the target:
    bananactl restore latest --target /tmp/r --overwrite never
  On an enrolled node, with a restore grant from the admin's machine:
    bananadm restore grant web-01 | \\
      ssh web-01 bananactl restore latest --target /srv/restore --grant -
  A database job's snapshot into its server, under another database name:
    bananactl restore latest --job shop-db --to-server --database shop_copy
  With the offline break-glass identity, Vault gone:
    bananactl --repo /mnt/backup/web-01 restore latest --target /r \\
      --identity-file breakglass.txt --node web-01
  A snapshot of a compromised node, for forensics:
    bananactl restore 5cfa5229 --target /tmp/evidence --untrusted";

/// `bananactl check`.
pub const CHECK: &str = "\
Examples:
  The repository's structure (no identity needed):
    bananactl check
  Also download, decrypt and verify every pack:
    bananactl check --read-data
  A seventh of the packs a day (1/7 to 7/7 over a week read every pack once):
    bananactl check --read-data-subset 3/7
  A 5% sample on an enrolled node, with a restore grant:
    bananadm restore grant web-01 | \\
      ssh web-01 bananactl check --read-data-subset 5% --grant -";

/// `bananactl stats`.
pub const STATS: &str = "\
Examples:
  Sizes, deduplication and compression of the whole repository:
    bananactl stats
  What the job 'etc' holds:
    bananactl stats --job etc
  The same as JSON:
    bananactl --json stats";

/// `bananactl drill`.
pub const DRILL: &str = "\
Examples:
  Restore 1% of the files of each job's latest snapshot and verify them:
    bananactl drill
  200 files of the job 'etc':
    bananactl drill --job etc --sample 200
  500 MiB of files, and database streams into throwaway servers:
    bananactl drill --sample 500M --deep";

/// `bananactl copy`.
pub const COPY: &str = "\
Examples:
  See what a copy to a USB disk would write:
    bananactl copy --to /mnt/usb/banana --dry-run
  Copy to a second S3 storage with its own credential:
    bananactl copy --to s3://backup2.example.net/copies/web-01 \\
      --to-credentials /etc/banana/copy-s3.toml
  Copy only the job 'etc', at most 20 MiB/s:
    bananactl copy --to /mnt/usb/banana --job etc --limit-upload 20480
  After restoring from the copy, stop reporting the snapshots the source lost:
    bananactl copy --to /mnt/usb/banana --accept-lost
  Restore from the copy (the same repository, another location):
    bananactl --repo s3://backup2.example.net/copies/web-01 \\
      restore latest --target /srv/restore";

/// `bananactl forget`.
pub const FORGET: &str = "\
Examples:
  What a policy would forget:
    bananactl forget --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --dry-run
  Forget by it, and delete the packs no remaining snapshot needs:
    bananactl forget --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --prune
  The job 'db' keeps its newest 48 snapshots and everything of the last week:
    bananactl forget --job db --keep-last 48 --keep-within 7d
  Keep releases forever, in a repository other writers share:
    bananactl forget --keep-daily 14 --keep-tag release --prune --grace 24h";

/// `bananactl prune`.
pub const PRUNE: &str = "\
Examples:
  What would be deleted:
    bananactl prune --dry-run
  Delete the packs no snapshot needs:
    bananactl prune
  In a repository other writers share: a day between condemning and deleting:
    bananactl prune --grace 24h";

/// `bananactl key`.
pub const KEY: &str = "\
Examples:
  A copy of the full key file, to keep off the node:
    bananactl key export --out /media/safe/web-01.key
  The backup half only, for a node that must not read its own backups:
    bananactl key export --backup-only --out /etc/banana/node-key.json
  Back up with it (restore, dump, ls then exit 12):
    bananactl --key-file /etc/banana/node-key.json backup /etc /srv";

/// `bananactl key export`.
pub const KEY_EXPORT: &str = "\
Examples:
  A copy of the full key file, to keep off the node:
    bananactl key export --out /media/safe/web-01.key
  The backup half only (recipients and chunk key):
    bananactl key export --backup-only --out /etc/banana/node-key.json";

/// `bananactl enroll`.
pub const ENROLL: &str = "\
Examples:
  Enrol with Vault (the command 'bananadm node add' printed):
    bananactl enroll --vault-addr https://vault.example.net:8200 \\
      --vault-ca /etc/ssl/vault-ca.pem --node web-01 \\
      --role-id 3c1e0f6a-8b2d-4e57-9a10-6f2b7c4d8e91 \\
      --wrapped-secret-id hvs.CAESIJ...
  Enrol with the watch tower (the code from 'bananaui node add'):
    bananactl enroll --node web-01 --collector https://tower.example.net:8443 \\
      --collector-code bnc-3f0c...
  Enrol again after 'bananadm node add web-01 --replace' (the secret on stdin):
    bananactl enroll --vault-addr https://vault.example.net:8200 \\
      --node web-01 --role-id 3c1e0f6a-8b2d-4e57-9a10-6f2b7c4d8e91 \\
      --wrapped-secret-id - --force < secret.txt";
