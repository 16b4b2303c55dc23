//! The handlers of /api/v1, one module per kind of object.

pub mod accounts;
pub mod audit;
pub mod config;
pub mod mailboxes;
pub mod sessions;
pub mod voice;
