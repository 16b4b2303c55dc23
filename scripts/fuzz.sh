#!/usr/bin/env bash
# Fuzzes the telephone front end's parsers (issue 9) with cargo fuzz (libFuzzer, nightly):
# the SIP message parser, whole SIP exchanges through the endpoint, TCP framing, SDP, RTP,
# RFC 4733 events and SIP INFO bodies. Each target runs SECONDS (default 20) from the seeds
# committed in crates/voicepin-telephony/fuzz/seeds/ plus the corpus earlier runs left in
# crates/voicepin-telephony/fuzz/corpus/ (not committed). A crash fails the run; libFuzzer
# leaves the input in crates/voicepin-telephony/fuzz/artifacts/TARGET/, and what it finds
# is fixed and kept as a unit test with that input.
#
#     scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
shift || true
fuzz_dir=crates/voicepin-telephony/fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(sip_message sip_endpoint sip_framing sdp rtp rfc4733 info)
fi

# The nightly toolchain and cargo-fuzz (from crates.io) when missing.
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

# Nightly builds with the sanitizer go to their own target directory.
target_dir="${CARGO_TARGET_DIR:-/var/tmp/voicepin-target}/fuzz"
cargo +nightly fuzz build --fuzz-dir "$fuzz_dir" --target-dir "$target_dir"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for target in "${targets[@]}"; do
  mkdir -p "$fuzz_dir/corpus/$target"
  echo "fuzzing $target for ${seconds}s"
  status=0
  cargo +nightly fuzz run --fuzz-dir "$fuzz_dir" --target-dir "$target_dir" "$target" \
    "$fuzz_dir/corpus/$target" "$fuzz_dir/seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
  if [ "$status" != 0 ]; then
    tail -n 60 "$log" >&2
    echo "scripts/fuzz.sh: $target failed; the input is in $fuzz_dir/artifacts/$target/" >&2
    exit 1
  fi
done
