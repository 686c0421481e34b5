#!/usr/bin/env bash
# Failure detection on the Orleans cluster: a throwaway redis-server and N silos with the default membership settings
# (TTS_PROBE_TIMEOUT_MS 2000, TTS_MISSED_PROBES 2) on loopback; one silo is killed with SIGKILL ROUNDS times, and each round
# prints how long until a survivor's GET /cluster lists it as dead, then a replacement is started. Usage: run.sh [silos] [rounds]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
source "$ROOT/tts"
SILOS="${1:-3}" ROUNDS="${2:-5}"
DLL="$ROOT/Silo/bin/Release/net10.0/Orleans.Tts.Silo.dll"
[[ -f "$DLL" ]] || build_release
DIR="$(mktemp -d -t tts-failover.XXXXXX)"
REDIS="$(redis_start "$DIR")"
declare -A PIDS
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; redis_stop "$DIR"; rm -rf "$DIR"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
start() { # start NAME: a silo on free ports; records its pid and HTTP port
  local http; http="$(port)"
  TTS_REDIS="$REDIS" TTS_PORT="$http" TTS_SILO_PORT="$(port)" TTS_GATEWAY_PORT="$(port)" TTS_SILO_ID="$1" TTS_WORKERS=1 \
    ORLEANS_CLUSTER_ID="failover-$$" dotnet "$DLL" > "$DIR/$1.log" 2>&1 &
  PIDS[$1]=$!; echo "$http" > "$DIR/$1.port"
  until curl -sf "http://127.0.0.1:$http/ready" >/dev/null; do kill -0 "${PIDS[$1]}" || { cat "$DIR/$1.log"; exit 1; }; sleep 0.2; done
}
status_of() { # status_of OBSERVER NAME
  curl -sf "http://127.0.0.1:$(cat "$DIR/$1.port")/cluster" | python3 -c "
import json,sys; m=[x for x in json.load(sys.stdin)['cluster']['members'] if x['id']=='$2']; print(m[0]['status'] if m else 'unknown')"
}
for ((i = 0; i < SILOS; i++)); do start "s$i"; done
echo "$SILOS silos up (redis $REDIS); killing one per round with SIGKILL"
next=$SILOS
for ((r = 1; r <= ROUNDS; r++)); do
  victim="s$((r - 1))"; observer="s$((r))"
  until [[ "$(status_of "$observer" "$victim")" == active ]]; do sleep 0.2; done
  t0=$(date +%s.%N); kill -9 "${PIDS[$victim]}"; wait "${PIDS[$victim]}" 2>/dev/null || true; unset "PIDS[$victim]"
  until [[ "$(status_of "$observer" "$victim")" == dead ]]; do sleep 0.1; done
  t1=$(date +%s.%N)
  python3 -c "print('round $r: $victim declared dead %.1f s after SIGKILL' % ($t1 - $t0))"
  start "s$next"; next=$((next + 1))
done
