//! The telephone front end: callers reach voicepin over SIP, key in their extension and PIN
//! on the keypad, and act on their own mailbox through the core's use cases.
//!
//! - [`sip`]: the sans-IO SIP user agent server (transactions, dialogs, timers);
//! - [`media`]: SDP, RTP, G.711, prompt playback and the three DTMF sources;
//! - [`server`]: the tokio layer: sockets, the endpoint's task, RTP ports;
//! - [`call`]: one task per call: media pacing, DTMF, the call flow.

pub mod call;
pub mod media;
pub mod server;
pub mod sip;

pub use call::{CallOutcome, CallTelemetry, Calls};
pub use server::{Settings, Telephony, TelephonyError};
