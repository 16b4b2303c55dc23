//! voicepin-telephony's integration tests: one binary, one module per area under `tests/it/`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure should stop the test loudly

mod it {
    mod inband;
    pub mod listener;
    pub mod phone;
    pub mod robustness;
}
