#!/usr/bin/env bash
# Streaming (issue 5): time to first audio byte of a 2,000-character text through a frontend vs the synthesis
# time of its first sentence alone (target ≤ 2×), and a 20-sentence text through a frontend over 3 silos vs 1
# (silos of the same size: TTS_WORKERS each, default 1; the frontend spreads one request's sentences over
# LANES lanes, default 3, in both clusters). The machine's own ceiling for that ratio is measured too: the same
# text on 1 silo with one worker per core (nproc) vs 1 silo with one worker.
# Starts a throwaway PostgreSQL, the silos and a --role frontend on loopback.
# SILO_CPU=0.5 gives every silo (with its engine hosts) a CPU limit of that many cores in its own cgroup, as
# `resources.limits.cpu` does for a pod: silos of the same size then mean the same CPU, and 3 limited silos fit
# on a machine with fewer than 3 free cores (needs root and a cgroup v1 `cpu` or v2 hierarchy).
# It also reports the CPU time the silos (with their engine hosts) and the frontend spend per 20-sentence request
# (utime+stime from /proc, 10 ms ticks): unlike wall times, that hardly moves with the load of a shared machine.
# Usage: bench/streaming/run.sh [runs]   (SILO_DLL overrides the silo build to use)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RUNS="${1:-5}"
DLL="${SILO_DLL:-$ROOT/Silo/bin/Release/net10.0/Orleans.Tts.Silo.dll}"
[[ -f "$DLL" ]] || dotnet build "$ROOT/Silo/Orleans.Tts.Silo.csproj" -c Release -nologo -v:q -clp:ErrorsOnly >&2
DIR="$(mktemp -d -t tts-bench-pg.XXXXXX)"
PIDS=()
CGROUPS=()
SILO_CPU="${SILO_CPU:-}"
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  "$ROOT/scripts/postgres.sh" stop --dir "$DIR" --purge >/dev/null
  for g in "${CGROUPS[@]}"; do rmdir "$g" 2>/dev/null || true; done
}
trap cleanup EXIT
BASE=$((20000 + RANDOM % 20000))
PG="$("$ROOT/scripts/postgres.sh" start --dir "$DIR" | tail -1)"

# cpu_cgroup NAME → a cgroup directory limited to SILO_CPU cores (v2 cpu.max, else v1 cfs quota)
cpu_cgroup() {
  local quota; quota=$(awk -v c="$SILO_CPU" 'BEGIN { printf "%d", c * 100000 }')
  local g
  if [[ -f /sys/fs/cgroup/cgroup.subtree_control ]] && grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control; then
    g="/sys/fs/cgroup/$1"; mkdir -p "$g"; echo "$quota 100000" > "$g/cpu.max"
  elif [[ -d /sys/fs/cgroup/cpu ]]; then
    g="/sys/fs/cgroup/cpu/$1"; mkdir -p "$g"; echo 100000 > "$g/cpu.cfs_period_us"; echo "$quota" > "$g/cpu.cfs_quota_us"
  else
    echo "SILO_CPU needs a cgroup cpu controller (none found under /sys/fs/cgroup)" >&2; exit 2
  fi
  CGROUPS+=("$g"); echo "$g"
}

# in_cgroup DIR CMD… runs CMD inside DIR (so its child processes, the engine hosts, are too); DIR empty = no limit
in_cgroup() {
  local g="$1"; shift
  if [[ -z "$g" ]]; then exec "$@"; fi
  echo "$BASHPID" > "$g/cgroup.procs"; exec "$@"
}

# start_cluster SILOS DB [WORKERS] → frontend port in $FRONT
start_cluster() {
  local silos="$1" db="$2" workers="${3:-${TTS_WORKERS:-1}}" i
  local pg="${PG/Database=tts/Database=$db}"
  psql -h 127.0.0.1 -p "$(sed -E 's/.*Port=([0-9]+).*/\1/' <<<"$PG")" -U postgres -d postgres -qc "CREATE DATABASE $db" >/dev/null
  for ((i = 1; i <= silos; i++)); do
    local g=""; [[ -n "$SILO_CPU" ]] && g="$(cpu_cgroup "tts-bench-$db-$i-$$")"
    (TTS_POSTGRES="$pg" TTS_PORT=$((BASE + i)) TTS_INTERNAL_PORT=$((BASE + 100 + i)) TTS_WORKERS="$workers" \
      TTS_SILO_ID="bench-$db-$i" Logging__LogLevel__Default=Warning in_cgroup "$g" dotnet "$DLL" >/dev/null 2>&1) &
    PIDS+=("$!")
  done
  FRONT=$((BASE + 50))
  TTS_POSTGRES="$pg" TTS_PORT=$FRONT TTS_SILO_ID="bench-$db-frontend" TTS_GLOBAL_MAX_INFLIGHT=64 TTS_CLIENT_MAX_SHARE=1 \
    TTS_SILOS_REFRESH_MS=200 TTS_FRONTEND_REQUEST_LANES="${LANES:-3}" Logging__LogLevel__Default=Warning dotnet "$DLL" --role frontend >/dev/null 2>&1 &
  PIDS+=("$!")
  for ((i = 1; i <= silos; i++)); do until curl -sf "http://127.0.0.1:$((BASE + i))/ready" >/dev/null; do sleep 0.3; done; done
  until curl -sf "http://127.0.0.1:$FRONT/ready" | grep -q "bench-$db-$silos"; do sleep 0.3; done
  BASE=$((BASE + 200))
}

# cpu_ms PID… → CPU milliseconds used so far by those processes and their children (engine hosts)
cpu_ms() {
  local p all=() ticks=0 hz; hz=$(getconf CLK_TCK)
  for p in "$@"; do all+=("$p"); all+=($(ps -o pid= --ppid "$p" 2>/dev/null || true)); done
  for p in "${all[@]}"; do
    [[ -r "/proc/$p/stat" ]] || continue
    ticks=$((ticks + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat")))
  done
  echo $((ticks * 1000 / hz))
}

stop_cluster() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}

sentence() { echo "Run $1 sentence number $2 is here to keep the speech engine busy for a little while."; }
text() { local run="$1" n="$2" i out=""; for ((i = 0; i < n; i++)); do out+="$(sentence "$run" "$i") "; done; echo "${out% }"; }
body() { python3 -c 'import json,sys; print(json.dumps({"input": sys.argv[1], "voice": "alloy", **({"stream_format": sys.argv[2]} if sys.argv[2] else {})}))' "$1" "${2:-}"; }
post() { curl -s -o /dev/null -w "$2" "http://127.0.0.1:$FRONT/v1/audio/speech" -H 'Content-Type: application/json' -d "$1"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# warm_up: WARMUP (default 3) 20-sentence requests, so every silo has run its code paths past the JIT's tiering before timing
# (a silo's first seconds cost several times its steady CPU, and under a CPU quota that is taken from its synthesis).
warm_up() { local w; for ((w = 1; w <= ${WARMUP:-3}; w++)); do post "$(body "$(text "$((900 + w))" 20)")" "%{http_code}\n" >/dev/null; done; }

start_cluster 3 three
warm_up
LONG_CHARS=$(text 0 25 | wc -m)
ttfa=(); first=()
for ((r = 1; r <= RUNS; r++)); do
  ttfa+=("$(post "$(body "$(text "$r" 25)" audio)" "%{time_starttransfer}")")
  first+=("$(post "$(body "$(sentence "$r" 0)")" "%{time_total}")")
done
TTFA=$(printf '%s\n' "${ttfa[@]}" | median); FIRST=$(printf '%s\n' "${first[@]}" | median)
three=()
SILO_CPU0=$(cpu_ms "${PIDS[@]:0:3}"); FRONT_CPU0=$(cpu_ms "${PIDS[3]}")
for ((r = 1; r <= RUNS; r++)); do three+=("$(post "$(body "$(text "$((100 + r))" 20)")" "%{time_total}")"); done
THREE=$(printf '%s\n' "${three[@]}" | median)
THREE_SILO_CPU=$(( $(cpu_ms "${PIDS[@]:0:3}") - SILO_CPU0 )); THREE_FRONT_CPU=$(( $(cpu_ms "${PIDS[3]}") - FRONT_CPU0 ))
stop_cluster

start_cluster 1 one
warm_up
one=()
SILO_CPU0=$(cpu_ms "${PIDS[0]}"); FRONT_CPU0=$(cpu_ms "${PIDS[1]}")
for ((r = 1; r <= RUNS; r++)); do one+=("$(post "$(body "$(text "$((200 + r))" 20)")" "%{time_total}")"); done
ONE=$(printf '%s\n' "${one[@]}" | median)
ONE_SILO_CPU=$(( $(cpu_ms "${PIDS[0]}") - SILO_CPU0 )); ONE_FRONT_CPU=$(( $(cpu_ms "${PIDS[1]}") - FRONT_CPU0 ))
stop_cluster

CORES=$(nproc)
if [[ -z "$SILO_CPU" ]]; then
  start_cluster 1 allcores "$CORES"
  warm_up
  full=()
  for ((r = 1; r <= RUNS; r++)); do full+=("$(post "$(body "$(text "$((300 + r))" 20)")" "%{time_total}")"); done
  FULL=$(printf '%s\n' "${full[@]}" | median)
  stop_cluster
fi

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg); silos with TTS_WORKERS=${TTS_WORKERS:-1}${SILO_CPU:+ and a CPU limit of $SILO_CPU cores each}; frontend lanes ${LANES:-3}; $RUNS runs each, medians, through a --role frontend"
printf 'time to first audio byte, %s-char text (25 sentences), stream_format=audio: %.0f ms\n' "$LONG_CHARS" "$(bc -l <<<"$TTFA*1000")"
printf 'whole request for its first sentence alone:                            %.0f ms  (ratio %.2f, target <= 2)\n' "$(bc -l <<<"$FIRST*1000")" "$(bc -l <<<"$TTFA/$FIRST")"
printf '20-sentence text, 3 silos: %.0f ms; 1 silo: %.0f ms; speed-up %.2fx (target >= 2.5x)\n' "$(bc -l <<<"$THREE*1000")" "$(bc -l <<<"$ONE*1000")" "$(bc -l <<<"$ONE/$THREE")"
printf 'CPU per 20-sentence request: silos %d ms (3 silos) / %d ms (1 silo); frontend %d ms / %d ms\n' \
  $((THREE_SILO_CPU / RUNS)) $((ONE_SILO_CPU / RUNS)) $((THREE_FRONT_CPU / RUNS)) $((ONE_FRONT_CPU / RUNS))
[[ -n "$SILO_CPU" ]] && { echo "ideal speed-up with CPU-limited silos: 3x (3 x $SILO_CPU cores vs $SILO_CPU)"; exit 0; }
printf 'machine ceiling: 1 silo with %s workers: %.0f ms; speed-up over 1 worker %.2fx (3 silos can at best match it on %s cores)\n' "$CORES" "$(bc -l <<<"$FULL*1000")" "$(bc -l <<<"$ONE/$FULL")" "$CORES"
