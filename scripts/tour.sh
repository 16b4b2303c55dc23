#!/usr/bin/env bash
# A tour of voicepin on its embedded defaults: SQLite in ./voicepin-data, mail to the pickup
# folder ./voicepin-data/mail. Builds the binary, then runs the commands an administrator
# would, printing each one first. Safe to run twice: it starts from a fresh data directory.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --bin voicepin
voicepin() { echo; echo "\$ voicepin $*"; ./target/debug/voicepin "$@"; }

export VOICEPIN_DATA_DIR="${VOICEPIN_DATA_DIR:-./voicepin-data}"
rm -rf "$VOICEPIN_DATA_DIR"

voicepin dialplan new CONTOSO --number-of-digits-in-extension 5 --access-telephone-numbers +14255550100
voicepin policy set "CONTOSO Default Policy" --min-pin-length 6 --block-common-pins true
voicepin Enable-UMMailbox -Identity tonysmith@contoso.com -UMMailboxPolicy "CONTOSO Default Policy" -Extensions 36697 -DisplayName "Tony Smith"
# The PIN on standard input (-PIN -): a command line is visible to other users.
echo; echo "\$ echo 1985848 | voicepin Set-UMMailboxPIN -Identity tonysmith@contoso.com -PIN - -PinExpired '\$true'"
echo 1985848 | ./target/debug/voicepin Set-UMMailboxPIN -Identity tonysmith@contoso.com -PIN - -PinExpired '$true'
voicepin pin get tonysmith@contoso.com
echo; echo '$ echo 1985848 | voicepin pin test tonysmith@contoso.com'
echo 1985848 | ./target/debug/voicepin pin test tonysmith@contoso.com
echo; echo '$ echo 123456 | voicepin pin test 36697'
echo 123456 | ./target/debug/voicepin pin test 36697 || true
voicepin mail queue --all
voicepin audit --limit 5
echo
echo "Messages in the pickup folder ($VOICEPIN_DATA_DIR/mail):"
ls -1 "$VOICEPIN_DATA_DIR/mail"
