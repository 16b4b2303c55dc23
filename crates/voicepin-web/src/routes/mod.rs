//! The handlers of /api/v1, one module per kind of object.

pub mod audit;
pub mod config;
pub mod mailboxes;
pub mod voice;
