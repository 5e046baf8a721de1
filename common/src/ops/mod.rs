//! Operations on a repository: [`backup`], [`restore`], [`check`], the
//! snapshot [`chain`] they all read, and the node-local [`state`] they keep
//! per repository. Retention comes here later.

pub mod backup;
pub mod chain;
pub mod check;
pub mod restore;
pub mod state;
