//! Media: G.711, the three DTMF sources and the prompts callers hear.
//!
//! - [`g711`]: PCMU and PCMA to linear PCM and back;
//! - [`dtmf`]: RFC 4733 telephone events, SIP INFO bodies and in-band tones, as one digit stream;
//! - [`prompts`]: the spoken prompts, loaded and encoded once.

pub mod dtmf;
pub mod g711;
pub mod prompts;
