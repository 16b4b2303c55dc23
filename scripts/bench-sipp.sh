#!/usr/bin/env bash
# Concurrent calls held against the real `voicepin serve`, set up by SIPp (Debian's
# sip-tester) on loopback: CALLS calls offered at RATE per second, each held HOLD seconds
# with the call flow's prompts playing, then BYE. The calls' SDP points their RTP at a
# collector (examples/rtp_intervals.rs) that timestamps every packet; SIPp reports the
# setup rate and the INVITE-to-200 time; the server's resident memory is read from /proc
# before and with every call up, and its /metrics gives the calls active at the peak.
#
#     scripts/bench-sipp.sh [CALLS] [RATE] [HOLD]        (defaults 1000 100 15)
set -euo pipefail
cd "$(dirname "$0")/.."
calls="${1:-1000}"; rate="${2:-100}"; hold="${3:-15}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/voicepin-target}"
cargo build -q --release -p voicepin --bin voicepin
cargo build -q --release -p voicepin-telephony --example rtp_intervals
bin="$CARGO_TARGET_DIR/release/voicepin"
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sip_port=$(port); http_port=$(port); rtp_sink=$(port)
export VOICEPIN_DATA_DIR="$work/data"
"$bin" dialplan new CONTOSO --number-of-digits-in-extension 5 --access-telephone-numbers +14255550100 >/dev/null

ramp=$(( (calls + rate - 1) / rate ))
"$CARGO_TARGET_DIR/release/examples/rtp_intervals" "$rtp_sink" $(( ramp + hold + 5 )) >"$work/rtp.txt" 2>"$work/rtp.err" &
pids+=($!)
VOICEPIN_SIP__LISTEN="127.0.0.1:$sip_port" setsid "$bin" serve --listen "127.0.0.1:$http_port" 2>"$work/serve.err" >/dev/null &
server=$!; pids+=($server)
for _ in $(seq 1 100); do grep -q "answering SIP calls on" "$work/serve.err" 2>/dev/null && break; sleep 0.2; done
token=$(grep -o 'vpt_[A-Za-z0-9_-]*' "$work/serve.err" | head -n 1)
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
rss_before=$(rss)

cat >"$work/hold.xml" <<XML
<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="held call with prompts playing">
  <send retrans="500"><![CDATA[
    INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
    Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
    From: <sip:load[call_number]@[local_ip]:[local_port]>;tag=[pid]L[call_number]
    To: <sip:[service]@[remote_ip]:[remote_port]>
    Call-ID: [call_id]
    CSeq: 1 INVITE
    Contact: <sip:load@[local_ip]:[local_port]>
    Max-Forwards: 70
    Content-Type: application/sdp
    Content-Length: [len]

    v=0
    o=sipp 1 1 IN IP4 127.0.0.1
    s=-
    c=IN IP4 127.0.0.1
    t=0 0
    m=audio $rtp_sink RTP/AVP 0 101
    a=rtpmap:0 PCMU/8000
    a=rtpmap:101 telephone-event/8000
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true" rrs="true"/>
  <send><![CDATA[
    ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
    Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
    From: <sip:load[call_number]@[local_ip]:[local_port]>;tag=[pid]L[call_number]
    To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
    Call-ID: [call_id]
    CSeq: 1 ACK
    Contact: <sip:load@[local_ip]:[local_port]>
    Max-Forwards: 70
    Content-Length: 0
  ]]></send>
  <pause milliseconds="$(( hold * 1000 ))"/>
  <send retrans="500"><![CDATA[
    BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
    Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
    From: <sip:load[call_number]@[local_ip]:[local_port]>;tag=[pid]L[call_number]
    To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
    Call-ID: [call_id]
    CSeq: 2 BYE
    Contact: <sip:load@[local_ip]:[local_port]>
    Max-Forwards: 70
    Content-Length: 0
  ]]></send>
  <recv response="200" crlf="true"/>
  <ResponseTimeRepartition value="1, 2, 5, 10, 20, 50, 100, 200"/>
</scenario>
XML

(cd "$work" && exec sipp "127.0.0.1:$sip_port" -sf hold.xml -s +14255550100 -i 127.0.0.1 -p "$(port)" \
   -r "$rate" -m "$calls" -l "$calls" -nostdin -trace_stat -stf stat.csv -fd 1 -trace_err \
   -timeout $(( ramp + hold + 60 ))s >/dev/null 2>"$work/sipp.err") &
sipp_pid=$!; pids+=($sipp_pid)
sleep $(( ramp + 1 ))
rss_up=$(rss)
active=$(curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$http_port/metrics" | awk '/^voicepin_calls_active/ {print $2}')
status=0; wait "$sipp_pid" || status=$?
wait "${pids[0]}" || true

echo "calls offered: $calls at $rate/s, each held ${hold}s; sipp exit status $status"
python3 - "$work/stat.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=';'))
head, last = rows[0], rows[-1]
v = dict(zip(head, last))
print("sipp: successful %s, failed %s, peak concurrent %s; INVITE to 200 average %s (hh:mm:ss:us)" % (
    v.get("SuccessfulCall(C)"), v.get("FailedCall(C)"),
    max(int(r[head.index("CurrentCall")]) for r in rows[1:]), v.get("ResponseTime1(C)")))
parts = [(k, v[k]) for k in head if k.startswith("ResponseTimeRepartition1_")]
print("sipp INVITE-to-200 distribution (ms):", ", ".join("%s: %s" % (k[len("ResponseTimeRepartition1_"):], n) for k, n in parts))
PY
cat "$work/rtp.txt"
echo "server at the peak: $active calls active; RSS $((rss_before / 1024)) MiB before, $((rss_up / 1024)) MiB with the calls up: $(( (rss_up - rss_before) / calls )) KiB per call"
