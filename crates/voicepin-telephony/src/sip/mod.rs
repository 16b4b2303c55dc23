//! SIP signalling: the sans-IO user agent server and its tokio layer.

pub mod message;
