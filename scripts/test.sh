#!/usr/bin/env bash
# Runs every test of voicepin on a fresh machine: installs what the tests need, checks the
# formatting, then builds once (dev profile) and runs the unit, integration and end-to-end
# tests of the whole workspace, and fuzzes the running HTTP API with schemathesis.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests drive: aiosmtpd is the real SMTP server of the end-to-end mail
# tests (run with Debian's /usr/bin/python3); python3-venv and curl serve the schemathesis run
# (a venv from PyPI, and the readiness probe); sip-tester is SIPp, the SIP client of the
# telephone end-to-end tests (run as root: its play_dtmf sends through a raw socket);
# baresip-core is the second SIP client, a headless softphone driven over its ctrl_tcp module;
# chromium and npm run the admin center's end-to-end tests (e2e/browser, driven by npm's
# playwright-core; no browser download).
packages=(python3-aiosmtpd python3-venv curl sip-tester baresip-core chromium)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
# Node and npm may come from elsewhere (NodeSource); Debian's only when there is none.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "scripts/test.sh: needs root to install: ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# The PostgreSQL store runs the same contract suite as SQLite, against the local server
# (127.0.0.1:5432, trust auth, database test); start it if it is installed but stopped.
# VOICEPIN_TEST_POSTGRES_URL points the tests elsewhere; `skip` skips them.
if [ "${VOICEPIN_TEST_POSTGRES_URL:-}" != skip ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi

# A target directory outside the clone keeps repeated CI runs warm; a cold one works too.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/voicepin-target}"

cargo fmt --all -- --check
cargo test --workspace --locked

# The telephone front end's parsers under libFuzzer, 20 s per target (cargo fuzz, nightly;
# installs cargo-fuzz when missing). VOICEPIN_FUZZ_SECONDS changes the time per target.
scripts/fuzz.sh "${VOICEPIN_FUZZ_SECONDS:-20}"

# The admin center in headless Chromium against the binary the tests above built, with a real
# SMTP server on loopback; screenshots of every page go to e2e/browser/screenshots/.
(cd e2e/browser && npm ci --no-audit --no-fund && VOICEPIN_BIN="$CARGO_TARGET_DIR/debug/voicepin" npm test)

# The live API against its own OpenAPI document, with the binary the tests above built.
scripts/schemathesis.sh "$CARGO_TARGET_DIR/debug/voicepin"
