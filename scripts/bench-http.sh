#!/usr/bin/env bash
# The HTTP API benchmark (BENCHMARKS.md, "HTTP API"): mailbox lookups and list pages over
# 100,000 mailboxes in SQLite, and the sign-in endpoint against the raw Argon2id rate of the
# same machine, with the default Argon2id cost.
#
#   scripts/bench-http.sh            # 100,000 mailboxes, 10 s per scenario
#   MAILBOXES=10000 SECONDS_EACH=3 READS=0 scripts/bench-http.sh   # smaller, sign-in only
#
# Builds release, seeds a fresh data directory (one mailbox enabled through the CLI, its PIN
# hashed at the server's cost, then cloned through the store: the real schema), starts
# `voicepin serve` on a free loopback port and drives it with the keep-alive load client of
# crates/voicepin/benches/http.rs. Prints Markdown table rows.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/voicepin-target}"
mailboxes="${MAILBOXES:-100000}"
seconds="${SECONDS_EACH:-10}"
cores="$(nproc)"
connections="${CONNECTIONS:-$((cores * 2))}"
pin=73915824

# One build: building a bench also builds the package's binary, with the same features.
cargo bench --locked -p voicepin --bench http --no-run
binary="$CARGO_TARGET_DIR/release/voicepin"
bench() { cargo bench --locked -q -p voicepin --bench http -- "$@" 2>/dev/null; }

# shellcheck source=lib/server.sh
source scripts/lib/server.sh

# The default Argon2id cost: whatever the environment says is ignored here.
unset VOICEPIN_SECURITY__ARGON2_MEMORY_KIB VOICEPIN_SECURITY__ARGON2_ITERATIONS VOICEPIN_SECURITY__ARGON2_PARALLELISM
unset VOICEPIN_MAIL__SMTP_URL
export VOICEPIN_DATA_DIR="$work/data"

echo "# machine: $(uname -m), $cores cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$binary" dialplan new --name Bench --number-of-digits-in-extension 7 >/dev/null
echo "$pin" | "$binary" mailbox enable template@bench.example --policy "Bench Default Policy" \
  --extensions 1999999 --pin - --pin-expired false >/dev/null
echo "# $(bench seed "$VOICEPIN_DATA_DIR" template@bench.example "$mailboxes")"
token() {
  "$binary" --json token create --name "$1" --role "$2" 2>/dev/null | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p'
}
read_token="$(token bench-read viewOnly)"
voice_token="$(token bench-voice voiceService)"

port="$(free_port)"
url="http://127.0.0.1:$port"
start_server "$binary" "$port" --mail-poll-seconds 3600

export VOICEPIN_BENCH_MAILBOXES="$mailboxes"
load() { bench load "$url" "$@"; }
echo
echo "| Scenario | Connections | Requests | Throughput | p50 | p99 | max | Errors |"
echo "|---|---|---|---|---|---|---|---|"
# READS=0 skips the reads (to measure sign-in alone).
for c in $([ "${READS:-1}" = 0 ] || echo 1 "$connections"); do
  load "$read_token" "GET mailbox by address" "$c" "$seconds" GET "/api/v1/mailboxes/user{n}%40bench.example"
  load "$read_token" "GET mailbox by extension" "$c" "$seconds" GET "/api/v1/mailboxes/{x}"
  load "$read_token" "GET list, first page (100)" "$c" "$seconds" GET "/api/v1/mailboxes"
  load "$read_token" "GET list, page after a random mailbox" "$c" "$seconds" GET \
    "/api/v1/mailboxes?after=user{n}%40bench.example"
  load "$read_token" "GET list, policy filter" "$c" "$seconds" GET \
    "/api/v1/mailboxes?policy=Bench%20Default%20Policy&after=user{n}%40bench.example"
  load "$read_token" "GET list, lockedOut=false" "$c" "$seconds" GET \
    "/api/v1/mailboxes?lockedOut=false&after=user{n}%40bench.example"
  load "$read_token" "GET list, lockedOut=true (none is)" "$c" "$seconds" GET "/api/v1/mailboxes?lockedOut=true"
  load "$read_token" "GET list, search (a name prefix)" "$c" "$seconds" GET "/api/v1/mailboxes?search=first{n}"
done

echo
echo "| Sign-in against raw Argon2id | Connections / threads | Done | Throughput | p50 | p99 | max | Errors |"
echo "|---|---|---|---|---|---|---|---|"
sign_in() {
  load "$voice_token" "POST /voice-access/sign-in (right PIN)" "$1" "$seconds" POST /api/v1/voice-access/sign-in \
    "{\"extension\":\"{x}\",\"pin\":\"$pin\",\"callingSystem\":\"bench\"}"
}
# Taken in turns, so that a change in the machine's load (other builds) hits both sides.
for _ in 1 2; do
  bench argon2 1 "$seconds"
  sign_in 1
  bench argon2 "$cores" "$seconds"
  sign_in "$cores"
  sign_in "$connections"
done
