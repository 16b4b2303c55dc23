//! SIP signalling: the sans-IO user agent server and its tokio layer.

pub mod framing;
pub mod message;
mod response;
pub mod uas;

pub use uas::{CallError, CallId, Config, EndReason, Endpoint, Event, IncomingCall, Remote, Transmit, Transport};
