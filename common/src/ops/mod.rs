//! Operations on a repository: [`backup`], [`restore`], [`check`], the
//! snapshot [`chain`] they all read, and the node-local [`state`] they keep
//! per repository, retention ([`prune`]), and the second copy ([`copy`]).

pub mod backup;
pub mod chain;
pub mod check;
pub mod copy;
pub(crate) mod limit;
pub mod prune;
pub mod restore;
pub mod sample;
pub mod state;
pub mod stats;
