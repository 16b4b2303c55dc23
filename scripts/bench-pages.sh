#!/usr/bin/env bash
# The admin center's pages over 100,000 mailboxes in SQLite (BENCHMARKS.md, "Admin center"):
# the recipients page's latency (first page, a page after a random mailbox, a search) with the
# keep-alive load client of crates/voicepin/benches/http.rs presenting a session cookie, and
# the size of each page on the wire (headers and body; the server does not compress).
#
#   scripts/bench-pages.sh                       # 100,000 mailboxes, 10 s per scenario
#   MAILBOXES=10000 SECONDS_EACH=3 scripts/bench-pages.sh
#   PROFILE=dev scripts/bench-pages.sh           # the debug build (dependencies at opt-level 2)
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/voicepin-target}"
mailboxes="${MAILBOXES:-100000}"
seconds="${SECONDS_EACH:-10}"
connections="${CONNECTIONS:-$(($(nproc) * 2))}"
password='bench password 12345'

profile="${PROFILE:-bench}"
cargo bench --locked --profile "$profile" -p voicepin --bench http --no-run
binary="$CARGO_TARGET_DIR/$([ "$profile" = dev ] && echo debug || echo release)/voicepin"
bench() { cargo bench --locked -q --profile "$profile" -p voicepin --bench http -- "$@" 2>/dev/null; }

# shellcheck source=lib/server.sh
source scripts/lib/server.sh
unset VOICEPIN_MAIL__SMTP_URL
export VOICEPIN_DATA_DIR="$work/data"

echo "# machine: $(uname -m), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), profile $profile"
"$binary" dialplan new --name Bench --number-of-digits-in-extension 7 >/dev/null
echo 73915824 | "$binary" mailbox enable template@bench.example --policy "Bench Default Policy" \
  --extensions 1999999 --pin - --pin-expired false >/dev/null
echo "# $(bench seed "$VOICEPIN_DATA_DIR" template@bench.example "$mailboxes")"
one_time="$("$binary" --json admin new bench-viewer --role viewOnly 2>/dev/null \
  | sed -n 's/.*"oneTimePassword": *"\([^"]*\)".*/\1/p')"

port="$(free_port)"
url="http://127.0.0.1:$port"
start_server "$binary" "$port" --mail-poll-seconds 3600

# A session: sign in with the one-time password, change it (the CSRF token from the answer;
# the change rotates the session, so the jar keeps the new cookie).
jar="$work/cookies"
csrf="$(curl -fsS -c "$jar" -H 'content-type: application/json' \
  -d "{\"name\":\"bench-viewer\",\"password\":\"$one_time\"}" "$url/api/v1/sessions" \
  | sed -n 's/.*"csrfToken": *"\([^"]*\)".*/\1/p')"
curl -fsS -b "$jar" -c "$jar" -X PUT -H 'content-type: application/json' -H "x-csrf-token: $csrf" \
  -d "{\"currentPassword\":\"$one_time\",\"newPassword\":\"$password\"}" "$url/api/v1/account/password"
session="$(awk '$6 == "voicepin_session" { print $7 }' "$jar")"

export VOICEPIN_BENCH_MAILBOXES="$mailboxes"
load() { bench load "$url" "cookie:$session" "$@"; }
echo
echo "| Scenario | Connections | Requests | Throughput | p50 | p99 | max | Errors |"
echo "|---|---|---|---|---|---|---|---|"
for c in 1 "$connections"; do
  load "GET /admin/recipients (first page, 50)" "$c" "$seconds" GET "/admin/recipients"
  load "GET /admin/recipients, page after a random mailbox" "$c" "$seconds" GET \
    "/admin/recipients?after=user{n}%40bench.example"
  load "GET /admin/recipients, search (a name prefix)" "$c" "$seconds" GET "/admin/recipients?q=first{n}"
  load "GET /admin/recipients/{id}/voicemail (by address)" "$c" "$seconds" GET \
    "/admin/recipients/user{n}%40bench.example/voicemail"
done

echo
echo "| Page | Status | Bytes on the wire (headers + body) |"
echo "|---|---|---|"
size() {
  curl -s -o /dev/null -b "$jar" -w "| $1 | %{http_code} | %{size_header} + %{size_download} |\n" "$url$1"
}
for page in /admin/sign-in /admin /admin/recipients "/admin/recipients?q=user000001" \
  /admin/recipients/user000001%40bench.example /admin/recipients/user000001%40bench.example/voicemail \
  /admin/policies "/admin/policies/Bench%20Default%20Policy" /admin/dial-plans /admin/dial-plans/Bench \
  /admin/audit /admin/accounts /admin/password /my/voicemail /problems/pin-rejected /assets/admin.css; do
  size "$page"
done
