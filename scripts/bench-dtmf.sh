#!/usr/bin/env bash
# The in-band DTMF detector side by side with spandsp's (Debian's libspandsp-dev, the one
# Asterisk and FreeSWITCH use) on the same generated audio: keys at levels from -3 to -30
# dBm0, twist, durations of 40-100 ms, ±1.5% off frequency, keys over speech and in noise;
# speech (the espeak-ng prompts), chords, glissandi, white noise, tones 3.5% off and 20 ms
# tones that must give no key. Prints detection and false keys per detector, and each one's
# speed on one core, as audio per second of the thread's CPU time (the machine is shared).
#   usage: scripts/bench-dtmf.sh            (needs root once, to install libspandsp-dev and gcc)
# spandsp is linked only into a small C program built here in a temporary folder; nothing of
# it is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
for package in libspandsp-dev gcc; do
  dpkg -s "$package" >/dev/null 2>&1 || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package"; }
done
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/voicepin-target}"
cargo run -q --release -p voicepin-telephony --example dtmf_compare -- "$WORK/corpus" > "$WORK/voicepin.tsv"

cat > "$WORK/spandsp_dtmf.c" <<'C'
/* Runs spandsp's DTMF receiver (default parameters) over raw 16-bit 8 kHz files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <spandsp.h>

static char found[4096];
static size_t nfound;
static void on_digits(void *user, const char *digits, int len) {
  (void) user;
  for (int i = 0; i < len && nfound + 1 < sizeof found; i++) found[nfound++] = digits[i];
}
static double now(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
  const char *dir = argv[1]; int passes = atoi(argv[2]);
  char path[4096], line[512]; double busy = 0, audio = 0;
  snprintf(path, sizeof path, "%s/corpus.tsv", dir);
  FILE *tsv = fopen(path, "r"); if (!tsv) return 1;
  while (fgets(line, sizeof line, tsv)) {
    char *tab = strchr(line, '\t'); if (!tab) continue; *tab = 0;
    char *expected = tab + 1; expected[strcspn(expected, "\r\n")] = 0;
    snprintf(path, sizeof path, "%s/%s.s16", dir, line);
    FILE *f = fopen(path, "rb"); fseek(f, 0, SEEK_END); long bytes = ftell(f); rewind(f);
    int16_t *pcm = malloc(bytes); if (fread(pcm, 1, bytes, f) != (size_t) bytes) return 1; fclose(f);
    int samples = bytes / 2;
    double start = now();
    for (int pass = 0; pass < passes; pass++) {
      nfound = 0;
      dtmf_rx_state_t *rx = dtmf_rx_init(NULL, on_digits, NULL);
      for (int i = 0; i < samples; i += 160) dtmf_rx(rx, pcm + i, samples - i < 160 ? samples - i : 160);
      dtmf_rx_free(rx);
    }
    busy += now() - start; audio += (double) samples * passes / 8000.0;
    found[nfound] = 0;
    printf("%s\t%s\t%s\n", line, expected, found);
    free(pcm);
  }
  printf("# speed\t%.0fx real time\t%.0f s of audio in %.3f s of CPU\n", audio / busy, audio, busy);
  return 0;
}
C
gcc -O2 -o "$WORK/spandsp_dtmf" "$WORK/spandsp_dtmf.c" -lspandsp -lm
"$WORK/spandsp_dtmf" "$WORK/corpus" 20 > "$WORK/spandsp.tsv"

# Keys found in order (longest common subsequence with the expected keys), false keys (the rest).
score() {
  python3 - "$1" <<'PY'
import sys
hit = exp = false = neg_false = 0
speed = ""
for line in open(sys.argv[1]):
    if line.startswith("# speed"):
        speed = line.split("\t")[1]; continue
    name, expected, found = (line.rstrip("\n").split("\t") + [""])[:3]
    a, b = expected, found
    lcs = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a)):
        for j in range(len(b)):
            lcs[i + 1][j + 1] = lcs[i][j] + 1 if a[i] == b[j] else max(lcs[i][j + 1], lcs[i + 1][j])
    n = lcs[len(a)][len(b)]
    hit += n; exp += len(a)
    if expected: false += len(b) - n
    else: neg_false += len(b)
    if n < len(a) or len(b) > n: print(f"    {name}: expected {expected!r} found {found!r}")
print(f"  detected {hit}/{exp} ({100.0 * hit / exp:.1f}%), false keys in key files {false}, "
      f"false keys in speech/music/noise {neg_false}, speed {speed}")
PY
}
echo "voicepin:"; score "$WORK/voicepin.tsv"
echo "spandsp:";  score "$WORK/spandsp.tsv"
