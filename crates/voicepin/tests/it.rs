//! End-to-end tests: the built `voicepin` binary on a fresh data directory.
//! One integration-test binary for the crate (see STYLE.md); modules in `it/`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure should stop the test loudly

mod it {
    pub mod accounts;
    pub mod baresip;
    pub mod cli;
    pub mod cmdlet;
    pub mod config;
    pub mod exposure;
    pub mod hardening;
    pub mod harness;
    pub mod lifecycle;
    pub mod mail;
    pub mod remote;
    pub mod serve;
    pub mod sip;
}
