//! The integration tests of voicepin-mail, one binary (faster to link, one place to look).

// Test helpers outside `#[test]` functions: a failure should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod it {
    mod deliver;
    mod pickup;
    mod render;
    mod smtp;
    mod smtp_server;
    mod support;
}
