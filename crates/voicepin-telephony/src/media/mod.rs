//! Media: SDP, RTP, G.711, the three DTMF sources and the prompts callers hear.
//!
//! - [`sdp`]: the offer and answer of one G.711 audio stream with telephone-event;
//! - [`rtp`]: RTP packets in and out;
//! - [`session`]: one call's media: symmetric RTP, paced 20 ms frames, what arrives;
//! - [`g711`]: PCMU and PCMA to linear PCM and back;
//! - [`dtmf`]: RFC 4733 telephone events, SIP INFO bodies and in-band tones, as one digit stream;
//! - [`prompts`]: the spoken prompts, loaded and encoded once;
//! - [`recorder`]: the caller's recorded name and greetings, from the RTP audio.

pub mod dtmf;
pub mod g711;
pub mod prompts;
pub mod recorder;
pub mod rtp;
pub mod sdp;
pub mod session;
