//! voicepin-telephony's integration tests: one binary, one module per area under `tests/it/`.

mod it {
    mod inband;
}
