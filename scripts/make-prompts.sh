#!/usr/bin/env bash
# Regenerates the English prompts of the telephone front end from their words, with
# espeak-ng and sox (Debian packages): crates/voicepin-telephony/prompts/NAME.wav, 8 kHz
# mono G.711 mu-law WAV (half the size of 16-bit PCM), peak -3 dBFS, for every line of prompts.txt. "beep" is a 1 kHz tone of
# 400 ms. The output is committed; run this after editing prompts.txt.
#   usage: scripts/make-prompts.sh
set -euo pipefail
cd "$(dirname "$0")/../crates/voicepin-telephony/prompts"
for tool in espeak-ng sox; do
  command -v "$tool" >/dev/null || { echo "make-prompts.sh: needs $tool (apt-get install espeak-ng sox)" >&2; exit 1; }
done
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
rm -f ./*.wav
while IFS=$'\t' read -r name words; do
  case "$name" in ''|'#'*) continue ;; esac
  if [ "$name" = beep ]; then
    sox -n -r 8000 -c 1 -e mu-law beep.wav synth 0.4 sine 1000 gain -9 fade 0.01 0.4 0.01
    continue
  fi
  # espeak-ng's 22.05 kHz voice, low-passed and resampled to telephone audio; silence
  # trimmed at both ends, then 100 ms added after so prompts in a row do not run together.
  espeak-ng -v en-us -s 160 -w "$TMP/$name.wav" "$words"
  sox "$TMP/$name.wav" -r 8000 -c 1 -e mu-law "$name.wav" \
    silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse gain -n -3 pad 0 0.1
done < prompts.txt
ls -1 ./*.wav | wc -l | xargs echo "prompts:"
du -ch ./*.wav | tail -n 1
