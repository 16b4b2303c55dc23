//! The telephone front end: callers reach voicepin over SIP, key in their extension and PIN
//! on the keypad, and act on their own mailbox through the core's use cases.
//!
//! - [`sip`]: a sans-IO SIP user agent server (transactions, dialogs, timers) and its tokio layer;
//! - [`media`]: SDP, RTP, G.711, prompt playback and the three DTMF sources.

pub mod media;
pub mod sip;
