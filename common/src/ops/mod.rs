//! Operations on a repository: [`backup`], [`restore`], [`check`], and the
//! node-local [`state`] they keep per repository. Retention comes here later.

pub mod backup;
pub mod check;
pub mod restore;
pub mod state;
