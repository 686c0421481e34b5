#!/usr/bin/env bash
# A throwaway PostgreSQL server for Orleans.Tts clusters and tests.
#
#   scripts/postgres.sh start  [--dir D] [--port P]   start (initialising D when empty); prints the connection string
#   scripts/postgres.sh stop   [--dir D] [--purge]    fast shutdown; --purge also deletes the data directory
#   scripts/postgres.sh status [--dir D]              prints the connection string and exits 0 when running, else exits 3
#   scripts/postgres.sh url    [--dir D]              prints the connection string of D (running or not)
#
# D defaults to $TTS_PG_DIR or /tmp/orleans-tts-pg; P to $TTS_PG_PORT or a free loopback port
# (0 also means "pick a free one"); the chosen port is remembered in D. Installs the Debian
# `postgresql` package when missing. PostgreSQL refuses to run as root: as root the server runs
# as the `postgres` user. It listens on 127.0.0.1 only, with trust authentication, tuned for
# speed over durability (fsync off) — never use it for data you want to keep.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

DIR="${TTS_PG_DIR:-/tmp/orleans-tts-pg}"
PORT="${TTS_PG_PORT:-0}"
PURGE=0
CMD="${1:-}"; [[ $# -gt 0 ]] && shift
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) DIR="${2:?--dir needs a path}"; shift 2 ;;
    --port) PORT="${2:?--port needs a number}"; shift 2 ;;
    --purge) PURGE=1; shift ;;
    *) echo "postgres.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
DATA="$DIR/data"
SOCK="$DIR/socket"
LOG="$DIR/server.log"

pg_bin() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  [[ -n "$d" && -x "$d/pg_ctl" ]] && echo "$d"
}

ensure_installed() {
  pg_bin >/dev/null && return 0
  # shellcheck source=deps.sh
  source "$ROOT/scripts/deps.sh"
  apt_ensure postgresql
  # Debian creates and starts a system cluster on install; we never use it.
  command -v pg_ctlcluster >/dev/null && { pg_ctlcluster --force "$(ls /etc/postgresql | head -1)" main stop 2>/dev/null || true; }
  pg_bin >/dev/null || { echo "postgres.sh: PostgreSQL binaries not found after install" >&2; exit 1; }
}

# Runs a command as the server's owner (postgres when we are root).
as_owner() {
  if [[ "$(id -u)" -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    port_free "$p" && { echo "$p"; return 0; }
  done
  echo "postgres.sh: no free port found" >&2; return 1
}

url() { echo "Host=127.0.0.1;Port=$(cat "$DIR/port");Username=postgres;Database=tts;Timeout=3;Command Timeout=10"; }

running() { [[ -f "$DATA/PG_VERSION" ]] && as_owner "$(pg_bin)/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

cmd_start() {
  ensure_installed
  local bin; bin="$(pg_bin)"
  if running; then url; return 0; fi
  mkdir -p "$DIR" "$SOCK"
  if [[ -f "$DIR/port" && ( "$PORT" == 0 ) ]]; then PORT="$(cat "$DIR/port")"; port_free "$PORT" || PORT=0; fi
  [[ "$PORT" == 0 ]] && PORT="$(pick_port)"
  echo "$PORT" >"$DIR/port"
  [[ "$(id -u)" -eq 0 ]] && chown -R postgres:postgres "$DIR"
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    as_owner "$bin/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
      || { cat "$DIR/initdb.log" >&2; exit 1; }
  fi
  as_owner "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 30 start -o \
    "-p $PORT -k $SOCK -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=32MB" \
    >/dev/null || { tail -20 "$LOG" >&2; exit 1; }
  as_owner "$bin/psql" -h "$SOCK" -p "$PORT" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='tts'" | grep -q 1 \
    || as_owner "$bin/psql" -h "$SOCK" -p "$PORT" -U postgres -d postgres -qc "CREATE DATABASE tts" >/dev/null
  url
}

cmd_stop() {
  local bin; bin="$(pg_bin || true)"
  if [[ -n "$bin" ]] && running; then as_owner "$bin/pg_ctl" -D "$DATA" -m fast -w -t 30 stop >/dev/null; fi
  if [[ "$PURGE" -eq 1 && -d "$DIR" ]]; then rm -rf "$DIR"; fi
  return 0
}

case "$CMD" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) if pg_bin >/dev/null && running; then url; else echo "stopped" >&2; exit 3; fi ;;
  url) [[ -f "$DIR/port" ]] || { echo "postgres.sh: no server in $DIR" >&2; exit 1; }; url ;;
  *) sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
