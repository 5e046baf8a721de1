//! `banana(7)`: the overview of the whole system, its components, the trust
//! model on one page, and where each document is. The text is a small
//! markup rendered here: `# ` a section, `## ` a subsection, `- TERM :: text`
//! a tagged paragraph, `* ` a bullet, a blank line a new paragraph; the
//! EXAMPLES are in the help's example format (and parsed by the same test).

use super::examples;
use super::roff::{esc, section};
use super::{Binary, DATE, MANUAL};

/// The page's text before EXAMPLES.
const TEXT: &str = "\
# NAME
banana - encrypted, deduplicated backups of a fleet of Linux nodes
# SYNOPSIS
bananactl [OPTIONS] COMMAND (the node agent)
.br
bananadm [OPTIONS] COMMAND (the admin CLI, the reaper, the drill host, the copier)
.br
bananaui [OPTIONS] COMMAND (the watch tower)
# DESCRIPTION
Banana backs up fleets of Linux nodes without any central component reaching into them or holding their secrets. Each node's agent chunks, deduplicates, compresses and encrypts (age) before anything leaves the node, into a repository on a local directory (also NFS and Samba mounts), S3 or OpenStack Swift. Storage sees only ciphertext under content-derived names.
## Components
- bananactl :: The node agent, run as root by banana-agent.timer or cron (bananactl run). It backs up the configured jobs (files, command output, MariaDB, PostgreSQL, etcd, external plugins), restores, checks and drills its repository, and reports signed status to the tower. Enrolled with Vault, it holds only an AppRole credential and gets a backup-only key for each run.
- bananadm :: The admin CLI: sets Vault up, enrols, rotates and removes nodes, grants restores, registers break-glass recipients, prints the storage policies. The same binary runs the admin-side services below.
- Vault (or OpenBao) :: Holds every online key: each node's chunk key and recipients and, in a secret of their own, its identities (the restore half), which the node itself cannot read; a restore grant can.
- Storage :: A directory, S3 or Swift. Trusted for nothing but keeping bytes; a node's S3 credential may write but not delete (append-only).
- The reaper :: bananadm prune on a reaper host, with a banana-reaper token: forgets and deletes by each node's retention policy, never decrypts, dates snapshots by storage and the tower rather than by the node.
- The drill host :: bananadm drill, with a banana-drill token: restores a sample of each node's latest snapshots under a short restore grant and verifies it, proving the backups restore.
- The copier :: bananadm copy, with a banana-copier token: copies each repository to a second location, checking every object against its name without decrypting, and never deletes.
- bananaui :: The watch tower: collects the status nodes sign, alerts (overdue, failed, silent, rollback, drill-failed, copy-lag, ...), serves a JSON API, metrics, a page and a terminal UI. It holds no credential and never connects to a node.
## The trust model
- A node (root on it) :: Holds its Vault AppRole credential and, during a run, its chunk key, recipients and storage credential. Compromised, it can read its live data, write false backups of itself and, where storage lets it, delete its repository. It cannot decrypt its past backups (its identities stay in Vault), read another node's secrets, forge a key envelope, or speak for another node at the tower.
- Storage :: Holds ciphertext. It can see sizes and times, and delete, roll back or withhold objects: the node, the gaps in the snapshot chain and the tower's witness notice it. It cannot read contents, names or paths, nor forge data: ids are keyed and metadata sealed.
- A restore grant :: A single-use token from bananadm restore grant: one node's identities for one command, within its TTL. Restore on a clean machine: whoever holds the grant reads the node's whole history.
- The admin token :: Trusted with everything online: every key, every policy. Keep it offline and short-lived.
- The reaper, drill host, copier :: Each holds a token of its own policy. The reaper and the copier read metadata keys and storage credentials but no identity; the drill host reads one node's identities at a time, in memory, under a grant it revokes.
- The tower :: Holds node public keys, hashes of enrolment codes and status: whoever has its disk reads the fleet's status, never a backup.
- Break-glass :: An offline age identity every pack is also encrypted to: restores with Vault gone. Never stored online.
## Documents
Every package installs all the documents, under /usr/share/doc/bananactl/, /usr/share/doc/bananadm/ or /usr/share/doc/bananaui/: README.md (the tour), install.md, upgrade.md and operations.md (the guides), configuration.md (the agent's config, key file and state), jobs.md (jobs, the scheduler, finding snapshots), storage.md (locations, credentials, append-only policies), vault.md (the Vault layout, policies and flows), retention.md (the reaper), drills.md, copy.md (the second copy), plugins.md (databases and external plugins), collector.md, api.md and tui.md (the tower), security.md (the threat model), exit-codes.md, repository-format.md and ARCHITECTURE.md. Every command has a page of its own, named after it: bananactl-backup(1), bananadm-node-add(1), bananaui-serve(1).
# EXIT STATUS
Codes 0 to 3 and 10 to 18 mean the same in every binary: 0 ok, 1 error, 2 usage, 3 partial (a snapshot saved without some sources, or storage lost one), 10 no repository, 11 locked, 12 key, 13 damaged, 14 Vault unavailable, 15 Vault denied, 16 repository missing, 17 storage unavailable, 18 storage denied. A binary adds codes of its own only from 19 up. Each binary's page lists its table.
# ENVIRONMENT
- BANANA_REPO, BANANA_KEY_FILE, BANANA_STATE_DIR, BANANA_CONFIG :: Where bananactl's repository, key file, state and config are (its options say the same).
- VAULT_ADDR, VAULT_CACERT, VAULT_TOKEN :: Vault's address and CA, and bananadm's token.
- BANANAUI_CONFIG, BANANAUI_URL :: The tower's config file, and the API a client reads.
# FILES
- /etc/banana/ :: Config files: bananactl.toml (a node's jobs), bananaui.toml (the tower), vault.json (an enrolled node's credentials), the tokens of the reaper, drill host and copier.
- /var/lib/banana/ :: A node's state, and the embedded default repository and key file.
- /var/lib/banana-tower/ :: The tower's data.
- /var/lib/banana-reaper/, /var/lib/banana-drill/, /var/lib/banana-copier/ :: The admin-side services' state.
- /usr/lib/banana/plugins/ :: External plugins, banana-plugin-NAME.
- /lib/systemd/system/ :: The units: banana-agent.service and .timer, banana-tower.service, banana-reaper, banana-drill and banana-copy .service and .timer.
";

/// The EXAMPLES: a fleet set up from nothing.
const EXAMPLES: &str = "\
Examples:
  A single machine, no Vault: back up, list, restore:
    bananactl backup /etc /home
    bananactl snapshots
    bananactl restore latest --target /tmp/r
  Set Vault up and enrol a node (bananadm node add prints the second command):
    bananadm vault init --allow-root
    bananadm node add web-01 --storage s3://s3.example.net/backups/web-01 \\
      --storage-credentials web-01-s3.toml
    bananactl enroll --vault-addr https://vault.example.net:8200 --node web-01 \\
      --role-id 3c1e0f6a-8b2d-4e57-9a10-6f2b7c4d8e91 --wrapped-secret-id -
  Run the tower and enrol the node there:
    bananaui serve --config /etc/banana/bananaui.toml
    sudo -u banana-tower bananaui node add web-01 \\
      --url https://tower.example.net:8443
    bananactl enroll --node web-01 --collector https://tower.example.net:8443 \\
      --collector-code bnc-3f0c...
  Restore on an enrolled node, with a grant from the admin:
    bananadm restore grant web-01 | \\
      ssh web-01 bananactl restore latest --target /srv/restore --grant -
  The admin-side services: retention, drills, second copies:
    bananadm --token-file /etc/banana/reaper.token prune --all
    bananadm --token-file /etc/banana/drill.token drill --all
    bananadm --token-file /etc/banana/copier.token copy --all";

/// The pages SEE ALSO names.
const SEE_ALSO: &[&str] = &[
    "bananactl(1)",
    "bananadm(1)",
    "bananaui(1)",
    "bananactl-backup(1)",
    "bananactl-restore(1)",
    "bananactl-enroll(1)",
    "bananadm-node-add(1)",
    "bananadm-prune(1)",
    "bananadm-drill(1)",
    "bananadm-copy(1)",
    "bananaui-serve(1)",
    "bananaui-tui(1)",
    "systemd.timer(5)",
];

/// The examples of the page, for the test that parses them.
#[cfg(test)]
pub fn example_text() -> &'static str {
    EXAMPLES
}

/// The page.
pub fn render(bins: &[Binary]) -> anyhow::Result<String> {
    let version = bins
        .first()
        .and_then(|b| (b.command)().get_version().map(str::to_owned))
        .unwrap_or_default();
    let mut out = format!(".TH BANANA 7 {DATE} \"banana {version}\" \"{MANUAL}\"\n");
    out.push_str(&markup(TEXT));
    let ex = examples::parse(EXAMPLES)?;
    out.push_str(&examples::section(&ex));
    out.push_str(&section("SEE ALSO"));
    for (i, r) in SEE_ALSO.iter().enumerate() {
        let (name, sect) = r.split_once('(').unwrap_or((r, "1)"));
        let comma = if i + 1 < SEE_ALSO.len() { "," } else { "" };
        out.push_str(&format!(".BR {} ({sect}{comma}\n", esc(name)));
    }
    Ok(out)
}

/// The markup described above, as roff.
fn markup(text: &str) -> String {
    let mut out = String::new();
    // After a tagged paragraph, plain text needs a paragraph of its own.
    let mut tagged = false;
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("# ") {
            out.push_str(&section(title));
            tagged = false;
        } else if let Some(title) = line.strip_prefix("## ") {
            out.push_str(&format!(".SS \"{title}\"\n"));
            tagged = false;
        } else if let Some(item) = line.strip_prefix("- ") {
            let (term, what) = item.split_once(" :: ").unwrap_or((item, ""));
            let terms: Vec<String> = term
                .split(", ")
                .map(|t| format!("\\fB{}\\fR", esc(t)))
                .collect();
            out.push_str(&format!(".TP\n{}\n{}\n", terms.join(", "), esc(what)));
            tagged = true;
        } else if line == ".br" {
            out.push_str(".br\n");
        } else {
            if std::mem::take(&mut tagged) {
                out.push_str(".PP\n");
            }
            out.push_str(&esc(line));
            out.push('\n');
        }
    }
    out
}
