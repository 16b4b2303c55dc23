//! The voicepin domain: voice mail PINs managed the way Exchange Unified Messaging did,
//! with keyed hashing and stricter rules.
//!
//! No I/O lives here. The modules, from the inside out:
//! - [`pin`]: the secret PIN type;
//! - [`context`], [`access`]: who is asking ([`context::Actor`]) and the one table of what each may do;
//! - [`policy`], [`mailbox`]: dial plans, UM mailbox policies, UM mailboxes and PIN state;
//! - [`rules`], [`generate`]: which PINs are acceptable, and how new ones are drawn;
//! - [`hashing`]: keyed Argon2id and the [`hashing::PinHasher`] port;
//! - [`links`]: the one-time confirmation links of the self-service pages;
//! - [`signin`]: the sign-in state machine (counting, automatic reset, lockout);
//! - [`callflow`]: the telephone call flow, a sans-IO state machine over digits and timers;
//! - [`recording`]: a mailbox's recorded name and greetings (8 kHz audio);
//! - [`ports`]: the [`ports::Store`] and [`ports::Clock`] the use cases need;
//! - [`telemetry`]: the observer the use cases report sign-ins, resets, lockouts and queued mail to;
//! - [`usecases`]: every operation, shared by the CLI, the HTTP API, the web pages and the phone.

pub mod access;
pub mod accounts;
pub mod audit;
pub mod callflow;
pub mod common_pins;
pub mod context;
pub mod error;
pub mod generate;
pub mod hashing;
pub mod ids;
pub mod invalid;
pub mod keypad;
pub mod links;
pub mod mailbox;
pub mod naming;
pub mod notify;
pub mod pin;
pub mod policy;
pub mod ports;
pub mod recording;
pub mod rules;
pub mod signin;
pub mod telemetry;
pub mod throttle;
pub mod tokens;
pub mod usecases;

pub use context::{Actor, RequestContext};
pub use error::{Error, InvalidValue, Result, StoreError};
pub use pin::Pin;
pub use usecases::VoicePin;
