//! Integration tests of the HTTP API, in one binary: the router driven in-process with
//! `tower::ServiceExt::oneshot` over a real SQLite store in a temporary directory.
//!
//! - [`support`]: the fixture (store, cheap Argon2, a fixed token table, requests);
//! - [`roles`]: every role against every endpoint, allowed and refused;
//! - [`mailboxes`]: the mailbox, PIN, policy, dial plan and audit stories;
//! - [`errors`]: problem details for bad input, authentication, methods and paths;
//! - [`voice`]: the sign-in endpoint's outcomes;
//! - [`sessions`]: password sign-in, sessions, CSRF, rate limits, accounts and tokens;
//! - [`secrets`]: no response ever carries a PIN that was sent;
//! - [`docs`]: the OpenAPI document, Swagger UI, health and metrics;
//! - [`metrics`]: resets, lockouts and the mail queue in `/metrics`, and request ids;
//! - [`pages`]: the admin center's headers, redirects, CSRF, rule lists and 403 pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "it/docs.rs"]
mod docs;
#[path = "it/errors.rs"]
mod errors;
#[path = "it/mailboxes.rs"]
mod mailboxes;
#[path = "it/metrics.rs"]
mod metrics;
#[path = "it/pages.rs"]
mod pages;
#[path = "it/roles.rs"]
mod roles;
#[path = "it/secrets.rs"]
mod secrets;
#[path = "it/sessions.rs"]
mod sessions;
#[path = "it/support.rs"]
mod support;
#[path = "it/voice.rs"]
mod voice;
