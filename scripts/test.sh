#!/usr/bin/env bash
# Runs every test of voicepin on a fresh machine: installs what the tests need, checks the
# formatting, then builds once (dev profile) and runs the unit, integration and end-to-end
# tests of the whole workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests drive: aiosmtpd is the real SMTP server of the end-to-end mail
# tests (run with Debian's /usr/bin/python3). The SIP, browser and API issues add sip-tester,
# chromium and a schemathesis venv here.
packages=(python3-aiosmtpd)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "scripts/test.sh: needs root to install: ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# A target directory outside the clone keeps repeated CI runs warm; a cold one works too.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/voicepin-target}"

cargo fmt --all -- --check
cargo test --workspace --locked
