//! Operations on a repository: [`backup`], [`restore`], [`check`], the
//! snapshot [`chain`] they all read, and the node-local [`state`] they keep
//! per repository, and retention ([`prune`]).

pub mod backup;
pub mod chain;
pub mod check;
pub mod prune;
pub mod restore;
pub mod sample;
pub mod state;
pub mod stats;
