//! The one vocabulary on the wire: the HTTP API's request and response bodies and its
//! problem details, used by the server (`voicepin-web`) and by the CLI's `--server` client
//! alike, so the two cannot drift apart. Exchange's property names in camelCase, the same
//! shapes the CLI prints with `--json`. Serde and OpenAPI schemas only: no HTTP library.
//!
//! One module per resource; every type is also at the crate's root.

#![warn(missing_docs)]

pub mod accounts;
pub mod audit;
pub mod dial_plans;
pub mod mail;
pub mod mailboxes;
pub mod pins;
pub mod policies;
pub mod problem;
pub mod secret;
pub mod sessions;
pub mod tokens;
pub mod voice;

pub use accounts::*;
pub use audit::*;
pub use dial_plans::*;
pub use mail::*;
pub use mailboxes::*;
pub use pins::*;
pub use policies::*;
pub use problem::Problem;
pub use secret::*;
pub use sessions::*;
pub use tokens::*;
pub use voice::*;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A time as the API writes it: RFC 3339, or null.
pub fn time_text(at: Option<OffsetDateTime>) -> Option<String> {
    at.and_then(|t| t.format(&Rfc3339).ok())
}
