//! The examples at the end of each command's `--help`, which `cargo xtask
//! gen` also renders as the EXAMPLES section of its man page. The format is
//! parsed: an `Examples:` line, then for each example a description indented
//! by two spaces and one or more command lines indented by four (a line
//! ending in ` \` goes on, indented by six). An xtask test parses every
//! command line with the CLI, so a flag that does not exist fails it.

/// `bananadm`.
pub const TOP: &str = "\
Examples:
  Set Vault up, once, with a root token (then use a banana-admin token):
    VAULT_ADDR=https://vault.example.net:8200 bananadm vault init --allow-root
  Enrol a node; it prints the one command to run on the node:
    bananadm node add web-01 --storage s3://s3.example.net/backups/web-01 \\
      --storage-credentials web-01-s3.toml
  Grant a restore of web-01 (one use, valid an hour):
    bananadm restore grant web-01 --ttl 1h --uses 1
  Prune every node by its retention policy, on the reaper host:
    bananadm --token-file /etc/banana/reaper.token prune --all";

/// `bananadm vault`.
pub const VAULT: &str = "\
Examples:
  The first setup, with a root token:
    bananadm vault init --allow-root
  What a second run would change (nothing, once set up):
    bananadm vault init --dry-run
  Load the admin policy and use a token of it instead of the root token:
    bananadm vault policy > banana-admin.hcl
    vault policy write banana-admin banana-admin.hcl";

/// `bananadm vault init`.
pub const VAULT_INIT: &str = "\
Examples:
  The first setup, with a root token, against a TLS Vault:
    bananadm --vault-addr https://vault.example.net:8200 \\
      --vault-ca /etc/ssl/vault-ca.pem vault init --allow-root
  Every change it would make, and make none:
    bananadm vault init --dry-run";

/// `bananadm vault policy`.
pub const VAULT_POLICY: &str = "\
Examples:
  Write the admin policy to Vault (or OpenBao's bao):
    bananadm vault policy > banana-admin.hcl
    vault policy write banana-admin banana-admin.hcl";

/// `bananadm node`.
pub const NODE: &str = "\
Examples:
  Enrol a node whose repository is a directory on the backup server:
    bananadm node add web-01 --storage /mnt/backup/web-01
  The enrolled nodes, as JSON:
    bananadm --json node list
  A new identity for the backups web-01 writes from now on:
    bananadm node rotate web-01
  Revoke a decommissioned node's access, keeping its backups readable:
    bananadm node remove web-01";

/// `bananadm node add`.
pub const NODE_ADD: &str = "\
Examples:
  A node whose repository is a directory on the backup server:
    bananadm node add web-01 --storage /mnt/backup/web-01
  A node on S3 that reports to the watch tower:
    bananadm node add web-01 --storage s3://s3.example.net/backups/web-01 \\
      --storage-credentials web-01-s3.toml \\
      --collector https://tower.example.net:8443
  New credentials for a node that lost its own (its keys are kept):
    bananadm node add web-01 --storage /mnt/backup/web-01 --replace";

/// `bananadm node list`.
pub const NODE_LIST: &str = "\
Examples:
  The enrolled nodes:
    bananadm node list
  The same as JSON:
    bananadm --json node list";

/// `bananadm node show`.
pub const NODE_SHOW: &str = "\
Examples:
  A node's storage, identities and policies (no secrets):
    bananadm node show web-01";

/// `bananadm node rotate`.
pub const NODE_ROTATE: &str = "\
Examples:
  A new identity for what web-01 writes from now on (old ones stay to restore):
    bananadm node rotate web-01";

/// `bananadm node remove`.
pub const NODE_REMOVE: &str = "\
Examples:
  Revoke a node's access; its backups stay readable with a restore grant:
    bananadm node remove web-01
  Also destroy its restore identities (only break-glass keys read it then):
    bananadm node remove web-01 --purge-keys --yes";

/// `bananadm node secret`.
pub const NODE_SECRET: &str = "\
Examples:
  The mysql job 'shop-db' of web-01 reads its [client] file from Vault:
    bananadm node secret web-01 shop-db --from-file shop-db.cnf
  Replace the password of the postgres job 'pg':
    bananadm node secret web-01 pg --from-file pg.pass --replace
  Remove a job's credentials:
    bananadm node secret web-01 shop-db --remove";

/// `bananadm node reaper`.
pub const NODE_REAPER: &str = "\
Examples:
  Let the reaper prune web-01 on S3, with a credential that may delete:
    bananadm node reaper web-01 --storage-credentials reaper-s3.toml
  The same for the node's second copy:
    bananadm node reaper web-01 --copy --storage-credentials reaper-copy.toml";

/// `bananadm node retention`.
pub const NODE_RETENTION: &str = "\
Examples:
  Keep 14 daily and 12 monthly snapshots of every job of web-01:
    bananadm node retention web-01 --keep-daily 14 --keep-monthly 12
  The job 'db' keeps its newest 48 snapshots:
    bananadm node retention web-01 --job db --keep-last 48
  Keep longer in the second copy:
    bananadm node retention web-01 --copy --keep-daily 30 --keep-monthly 24
  Remove the job's own policy (the node's default applies again):
    bananadm node retention web-01 --job db --clear";

/// `bananadm node copy`.
pub const NODE_COPY: &str = "\
Examples:
  Copy web-01's repository to a second S3 storage:
    bananadm node copy web-01 --to s3://s3.dc2.example.net/copies/web-01 \\
      --storage-credentials copier-dc2.toml \\
      --source-credentials copier-dc1-read.toml
  To a directory (an NFS mount on the copier host):
    bananadm node copy web-01 --to /mnt/copies/web-01 \\
      --source-credentials copier-dc1-read.toml";

/// `bananadm restore`.
pub const RESTORE: &str = "\
Examples:
  A restore grant for web-01: one use, valid an hour (stdout: the token only):
    bananadm restore grant web-01 --ttl 1h --uses 1
  Grant and restore in one go, over SSH:
    bananadm restore grant web-01 | \\
      ssh web-01 bananactl restore latest --target /srv/restore --grant -
  Restore on a machine that is not enrolled, from the node's storage:
    bananadm restore grant web-01 | bananactl --repo /mnt/backup/web-01 \\
      restore latest --target /r --grant - \\
      --vault-addr https://vault.example.net:8200";

/// `bananadm restore grant`.
pub const RESTORE_GRANT: &str = "\
Examples:
  A grant valid for an hour, for one bananactl command:
    bananadm restore grant web-01 --ttl 1h --uses 1
  Grant and restore in one go, over SSH:
    bananadm restore grant web-01 | \\
      ssh web-01 bananactl restore latest --target /srv/restore --grant -";

/// `bananadm breakglass`.
pub const BREAKGLASS: &str = "\
Examples:
  Make a break-glass key; its identity is shown once, keep it offline:
    bananadm breakglass keygen > breakglass.txt
  Add a recipient whose identity you already keep offline:
    bananadm breakglass add \\
      age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
  Restore with it, Vault gone:
    bananactl --repo /mnt/backup/web-01 restore latest --target /r \\
      --identity-file breakglass.txt --node web-01";

/// `bananadm breakglass keygen`.
pub const BREAKGLASS_KEYGEN: &str = "\
Examples:
  Make a break-glass key and move the identity offline (paper, HSM, safe):
    bananadm breakglass keygen > breakglass.txt";

/// `bananadm breakglass add`.
pub const BREAKGLASS_ADD: &str = "\
Examples:
  Add an age recipient whose identity is already kept offline:
    bananadm breakglass add \\
      age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

/// `bananadm storage`.
pub const STORAGE: &str = "\
Examples:
  The S3 policies of an append-only node and of the reaper:
    bananadm storage policy web-01 \\
      --storage s3://s3.example.net/backups/fleet/web-01
  Also the copier's, for a second copy elsewhere:
    bananadm storage policy web-01 \\
      --storage s3://s3.dc1.example.net/backups/web-01 \\
      --copy-to s3://s3.dc2.example.net/copies/web-01
  The container ACL commands for a Swift location:
    bananadm storage policy web-01 \\
      --storage swift://keystone.example.net/web-01 \\
      --node-user PROJECT_ID:NODE_USER_ID \\
      --reaper-user PROJECT_ID:REAPER_USER_ID";

/// `bananadm storage policy`.
pub const STORAGE_POLICY: &str = "\
Examples:
  The S3 policies of an append-only node and of the reaper:
    bananadm storage policy web-01 \\
      --storage s3://s3.example.net/backups/fleet/web-01
  The container ACL commands for a Swift location:
    bananadm storage policy web-01 \\
      --storage swift://keystone.example.net/web-01 \\
      --node-user PROJECT_ID:NODE_USER_ID \\
      --reaper-user PROJECT_ID:REAPER_USER_ID";

/// `bananadm prune`.
pub const PRUNE: &str = "\
Examples:
  What the reaper would forget on every node:
    bananadm --token-file /etc/banana/reaper.token prune --all --dry-run
  Prune every node (banana-reaper.timer does this daily):
    bananadm --token-file /etc/banana/reaper.token prune --all
  Two nodes, forgetting more than a fifth of a job's snapshots on purpose:
    bananadm --token-file /etc/banana/reaper.token prune web-01 web-02 --force
  Delete condemned packs only after two days:
    bananadm --token-file /etc/banana/reaper.token prune --all --grace 48h";

/// `bananadm reaper`.
pub const REAPER: &str = "\
Examples:
  A token for the reaper host, valid 30 days:
    bananadm reaper token --ttl 720h > /etc/banana/reaper.token
  The banana-reaper policy, to review:
    bananadm reaper policy
  Enrol the reaper at the tower (after 'bananaui node add reaper-1 --reaper'):
    bananadm reaper enroll --name reaper-1 \\
      --collector https://tower.example.net:8443 --collector-code bnc-3f0c...";

/// `bananadm reaper token`.
pub const REAPER_TOKEN: &str = "\
Examples:
  A token for the reaper host, valid 30 days, readable by root only:
    bananadm reaper token --ttl 720h > /etc/banana/reaper.token
    chmod 600 /etc/banana/reaper.token";

/// `bananadm reaper policy`.
pub const REAPER_POLICY: &str = "\
Examples:
  The banana-reaper policy, to review:
    bananadm reaper policy";

/// `bananadm reaper enroll`.
pub const REAPER_ENROLL: &str = "\
Examples:
  Enrol the reaper at the tower (after 'bananaui node add reaper-1 --reaper'):
    bananadm reaper enroll --name reaper-1 \\
      --collector https://tower.example.net:8443 --collector-code bnc-3f0c...";

/// `bananadm drill`.
pub const DRILL: &str = "\
Examples:
  Drill every enrolled node (banana-drill.timer does this weekly):
    bananadm --token-file /etc/banana/drill.token drill --all
  The job 'etc' of web-01, with a larger sample:
    bananadm --token-file /etc/banana/drill.token drill web-01 --job etc \\
      --sample 5%
  Also restore the database streams into throwaway servers:
    bananadm --token-file /etc/banana/drill.token drill db-01 --deep";

/// `bananadm drill-host`.
pub const DRILL_HOST: &str = "\
Examples:
  A token for the drill host, valid 30 days:
    bananadm drill-host token --ttl 720h > /etc/banana/drill.token
  The banana-drill policy, to review:
    bananadm drill-host policy
  Enrol the drill host at the tower (after 'bananaui node add drill-1 --drill'):
    bananadm drill-host enroll --name drill-1 \\
      --collector https://tower.example.net:8443 --collector-code bnc-3f0c...";

/// `bananadm drill-host token`.
pub const DRILL_HOST_TOKEN: &str = "\
Examples:
  A token for the drill host, valid 30 days:
    bananadm drill-host token --ttl 720h > /etc/banana/drill.token";

/// `bananadm drill-host policy`.
pub const DRILL_HOST_POLICY: &str = "\
Examples:
  The banana-drill policy, to review:
    bananadm drill-host policy";

/// `bananadm drill-host enroll`.
pub const DRILL_HOST_ENROLL: &str = "\
Examples:
  Enrol the drill host at the tower (after 'bananaui node add drill-1 --drill'):
    bananadm drill-host enroll --name drill-1 \\
      --collector https://tower.example.net:8443 --collector-code bnc-3f0c...";

/// `bananadm copy`.
pub const COPY: &str = "\
Examples:
  Copy every node to its second location (banana-copy.timer does this daily):
    bananadm --token-file /etc/banana/copier.token copy --all
  What would be copied for web-01:
    bananadm --token-file /etc/banana/copier.token copy web-01 --dry-run
  Eight objects at a time, at most 50 MiB/s to each destination:
    bananadm --token-file /etc/banana/copier.token copy --all \\
      --connections 8 --limit-upload 51200
  After looking at the snapshots a source lost, stop reporting them:
    bananadm --token-file /etc/banana/copier.token copy web-01 --accept-lost";

/// `bananadm copier`.
pub const COPIER: &str = "\
Examples:
  A token for the copier host:
    bananadm copier token > /etc/banana/copier.token
  The banana-copier policy, to review:
    bananadm copier policy
  Enrol the copier at the tower (after 'bananaui node add copier-1 --copier'):
    bananadm copier enroll --name copier-1 \\
      --collector https://tower.example.net:8443 --collector-code bnc-3f0c...";

/// `bananadm copier token`.
pub const COPIER_TOKEN: &str = "\
Examples:
  A token for the copier host, valid 30 days:
    bananadm copier token --ttl 720h > /etc/banana/copier.token";

/// `bananadm copier policy`.
pub const COPIER_POLICY: &str = "\
Examples:
  The banana-copier policy, to review:
    bananadm copier policy";

/// `bananadm copier enroll`.
pub const COPIER_ENROLL: &str = "\
Examples:
  Enrol the copier at the tower (after 'bananaui node add copier-1 --copier'):
    bananadm copier enroll --name copier-1 \\
      --collector https://tower.example.net:8443 --collector-code bnc-3f0c...";
