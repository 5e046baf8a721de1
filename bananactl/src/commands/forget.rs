//! `bananactl forget` and `bananactl prune`: retention on a node that keeps
//! its own key file (key-file mode). An enrolled node never deletes: its
//! retention belongs to the reaper (`bananadm prune`). Both hold every
//! job's run lock and the repository's commit lock, so no backup of this
//! node runs meanwhile, and mark and sweep happen in one run.

use crate::exit::Status;
use crate::output::Output;
use crate::settings::Settings;
use clap::Args;
use common::ops::prune::{self, Guards, Policies, Policy, PruneOptions, MIN_GRACE};
use common::{Error, ErrorKind};

/// Forget snapshots by a retention policy (and, with --prune, delete what
/// no remaining snapshot needs).
#[derive(Debug, Args)]
pub struct ForgetCmd {
    /// The rules: which snapshots to keep.
    #[command(flatten)]
    pub policy: Policy,
    /// Only this job's snapshots (the default: every job's).
    #[arg(long, value_name = "NAME", add = clap_complete::ArgValueCandidates::new(crate::complete::jobs))]
    pub job: Option<String>,
    /// Also delete the packs no remaining snapshot needs.
    #[arg(long)]
    pub prune: bool,
    /// Print what would be forgotten; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Forget more than a fifth of a job's snapshots in one run.
    #[arg(long)]
    pub force: bool,
    /// Wait this long between condemning a pack and deleting it, for a
    /// repository other writers share (at least 1h; default: none, as no
    /// backup of this node runs meanwhile).
    #[arg(long, value_name = "DURATION", value_parser = prune::policy::parse_within)]
    pub grace: Option<u64>,
    /// How much one run may forget, how far a date may be from its claim.
    #[command(flatten)]
    pub guards: Guards,
}

/// Delete the packs no snapshot needs (after forget), without decrypting.
#[derive(Debug, Args)]
pub struct PruneCmd {
    /// Print what would be deleted; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// As for forget: for a repository other writers share (at least 1h).
    #[arg(long, value_name = "DURATION", value_parser = prune::policy::parse_within)]
    pub grace: Option<u64>,
}

impl ForgetCmd {
    /// Runs it.
    pub fn run(&self, s: &Settings, out: &Output) -> anyhow::Result<Status> {
        if self.policy.is_empty() {
            return Err(Error::new(
                ErrorKind::BadInput,
                "forget needs at least one rule: nothing would be forgotten",
            )
            .hint("e.g. --keep-daily 7 --keep-weekly 4 --keep-monthly 12")
            .into());
        }
        let mut policies = Policies::default();
        match &self.job {
            Some(j) => {
                policies.jobs.insert(j.clone(), self.policy.clone());
            }
            None => policies.default = Some(self.policy.clone()),
        }
        let mut opts = PruneOptions {
            policies,
            job: self.job.clone(),
            dry_run: self.dry_run,
            force: self.force,
            forget_only: !self.prune,
            ..Default::default()
        };
        self.guards.apply(&mut opts);
        retention(s, out, opts, self.grace, "forget")
    }
}

impl PruneCmd {
    /// Runs it.
    pub fn run(&self, s: &Settings, out: &Output) -> anyhow::Result<Status> {
        let opts = PruneOptions {
            dry_run: self.dry_run,
            ..Default::default()
        };
        retention(s, out, opts, self.grace, "prune")
    }
}

/// Opens the repository with the node's key file, takes the locks, runs
/// retention and prints the report.
fn retention(
    s: &Settings,
    out: &Output,
    mut opts: PruneOptions,
    grace: Option<u64>,
    command: &str,
) -> anyhow::Result<Status> {
    // Enrolled: its Vault credentials are there (and no key file was named).
    if !s.key_explicit && s.vault_credentials.exists() {
        return Err(Error::new(
            ErrorKind::BadInput,
            format!("{command}: this node is enrolled with Vault, and an enrolled node never deletes backups"),
        )
        .hint("retention is the reaper's: 'bananadm node retention NODE' and 'bananadm prune NODE'")
        .into());
    }
    opts.grace = match grace {
        Some(g) if (g as i64) < MIN_GRACE => {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("--grace {g}s is shorter than an hour"),
            )
            .hint("a backup of another writer must be able to finish within it: give 1h or more")
            .into())
        }
        Some(g) => g as i64,
        None => 0,
    };
    opts.by = format!(
        "bananactl {command} on {}",
        super::backup::hostname(s, None)
    );
    let opened = super::open(s)?;
    // No backup of this node starts meanwhile: its jobs' locks, then the
    // commit lock (an ad-hoc backup waits there, and its commit check sees
    // what was deleted).
    let mut locks = Vec::new();
    for job in s.jobs() {
        locks.push(crate::jobs::state::lock(&s.state_dir, &job.name)?);
    }
    let _commit = common::ops::state::commit_lock(&s.state_dir, &opened.repo.config().id)?;
    let report = prune::prune(&opened.repo, &s.state_dir, &opts)?;
    if command == "forget" {
        for line in report.table() {
            out.line(&line);
        }
    }
    for h in &report.held {
        out.warn("held", &h.object, &h.reason);
    }
    let mut summary = report.to_json();
    summary["command"] = serde_json::json!(command);
    out.summary(summary, &report.summary());
    Ok(if report.held.is_empty() {
        Status::Ok
    } else {
        Status::Partial
    })
}
