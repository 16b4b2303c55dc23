# Sourced by the scripts that drive a live `voicepin serve` (schemathesis.sh, bench-http.sh):
# a temporary work folder and a server in it, both gone when the script exits.
#
#   source scripts/lib/server.sh       # sets $work, traps EXIT
#   port="$(free_port)"
#   start_server "$binary" "$port" [more serve options]   # returns once /readyz answers

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts `BINARY serve` on 127.0.0.1:PORT, logging to $work/server.log, and waits until it is
# ready; shows the log and fails if the server dies first.
start_server() {
  local binary="$1" port="$2"
  shift 2
  "$binary" serve --listen "127.0.0.1:$port" "$@" >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; return 1; }
    sleep 0.1
  done
  echo "voicepin serve did not become ready on port $port" >&2
  return 1
}
