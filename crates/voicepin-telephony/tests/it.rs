//! voicepin-telephony's integration tests: one binary, one module per area under `tests/it/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod it {
    mod inband;
}
