#!/usr/bin/env bash
# Streaming (issue 5): time to first audio byte of a 2,000-character text through a frontend vs the synthesis
# time of its first sentence alone (target ≤ 2×), and a 20-sentence text through a frontend over 3 silos vs 1
# (silos of the same size: TTS_WORKERS each, default 1; the frontend spreads one request's sentences over
# LANES lanes, default 3, in both clusters). The machine's own ceiling for that ratio is measured too: the same
# text on 1 silo with one worker per core (nproc) vs 1 silo with one worker.
# Starts a throwaway redis-server (Orleans membership; each cluster has its own cluster id), the silos and a --role frontend
# (an Orleans client) on loopback.
# SILO_CPU=0.5 gives every silo (with its engine hosts) a CPU limit of that many cores in its own cgroup, as
# `resources.limits.cpu` does for a pod: silos of the same size then mean the same CPU, and 3 limited silos fit
# on a machine with fewer than 3 free cores (needs root and a cgroup v1 `cpu` or v2 hierarchy).
# It also reports the CPU time the silos (with their engine hosts) and the frontend spend per 20-sentence request
# (utime+stime from /proc, 10 ms ticks): unlike wall times, that hardly moves with the load of a shared machine.
# Usage: bench/streaming/run.sh [runs]   (SILO_DLL overrides the silo build to use; VOICE=espeak|onnx, WARMUP_SECONDS, SILO_CPU, LANES)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RUNS="${1:-5}"
DLL="${SILO_DLL:-$ROOT/Silo/bin/Release/net10.0/Orleans.Tts.Silo.dll}"
[[ -f "$DLL" ]] || dotnet build "$ROOT/Silo/Orleans.Tts.Silo.csproj" -c Release -nologo -v:q -clp:ErrorsOnly >&2
DIR="$(mktemp -d -t tts-bench-redis.XXXXXX)"
PIDS=()
CGROUPS=()
SILO_CPU="${SILO_CPU:-}"
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  redis_stop "$DIR"; rm -rf "$DIR"
  # A cgroup can be removed only once empty: the silos' engine hosts exit a moment after their silo.
  local g t
  for g in "${CGROUPS[@]}"; do
    for ((t = 0; t < 50; t++)); do [[ -n "$(cat "$g/cgroup.procs" 2>/dev/null)" ]] || break; sleep 0.1; done
    rmdir "$g" 2>/dev/null || echo "bench: could not remove cgroup $g (still in use)" >&2
  done
  rm -rf "$MODELS"
}
MODELS="$(mktemp -d -t tts-bench-models.XXXXXX)"
trap cleanup EXIT
# VOICE=espeak (default): the built-in eSpeak voice behind "alloy" (~10 ms of CPU per sentence: the request path weighs
# heavily). VOICE=onnx: a Piper-shaped model with a compute load like a real neural voice (bench/onnx-serving/make_heavy_model.py,
# about 40x real time on one core), one inference thread per silo: the CPU-only neural case the cluster is for.
SILO_ENV=()
case "${VOICE:-espeak}" in
  espeak) VOICE_ID=alloy ;;
  onnx)
    mkdir -p "$MODELS/piper"
    /usr/bin/python3 "$ROOT/bench/onnx-serving/make_heavy_model.py" "$MODELS/piper" "${BENCH_LAYERS:-48}" "${BENCH_DIM:-512}" >&2
    VOICE_ID=piper:en_US-bench-medium; SILO_ENV=(TTS_MODELS_DIR="$MODELS" TTS_ONNX_THREADS=1) ;;
  *) echo "VOICE must be espeak or onnx" >&2; exit 2 ;;
esac
BASE=$((20000 + RANDOM % 20000))
source "$ROOT/tts"
REDIS="$(redis_start "$DIR")"

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
  echo "$g"
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
  for ((i = 1; i <= silos; i++)); do
    local g=""
    # (cpu_cgroup runs in a subshell: the directory is remembered for clean-up here)
    if [[ -n "$SILO_CPU" ]]; then g="$(cpu_cgroup "tts-bench-$db-$i-$$")"; CGROUPS+=("$g"); fi
    (for e in "${SILO_ENV[@]}"; do export "$e"; done; TTS_REDIS="$REDIS" ORLEANS_CLUSTER_ID="$db" TTS_PORT=$((BASE + i)) \
      TTS_SILO_PORT=$((BASE + 100 + i)) TTS_GATEWAY_PORT=$((BASE + 150 + i)) TTS_WORKERS="$workers" \
      TTS_SILO_ID="bench-$db-$i" Logging__LogLevel__Default=Warning in_cgroup "$g" dotnet "$DLL" >/dev/null 2>&1) &
    PIDS+=("$!")
  done
  FRONT=$((BASE + 50))
  TTS_REDIS="$REDIS" ORLEANS_CLUSTER_ID="$db" TTS_PORT=$FRONT TTS_SILO_ID="bench-$db-frontend" TTS_GLOBAL_MAX_INFLIGHT=64 TTS_CLIENT_MAX_SHARE=1 \
    TTS_SILOS_REFRESH_MS=200 TTS_FRONTEND_REQUEST_LANES="${LANES:-3}" Logging__LogLevel__Default=Warning dotnet "$DLL" --role frontend >/dev/null 2>&1 &
  PIDS+=("$!")
  local first=$((${#PIDS[@]} - silos - 1))
  for ((i = 1; i <= silos; i++)); do
    until curl -sf "http://127.0.0.1:$((BASE + i))/ready" >/dev/null; do
      kill -0 "${PIDS[$((first + i - 1))]}" 2>/dev/null || { echo "silo $i of cluster $db exited before it was ready" >&2; exit 1; }
      sleep 0.3
    done
  done
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
# body TEXT FORMAT [STREAM_FORMAT]
body() { python3 -c 'import json,sys; print(json.dumps({"input": sys.argv[1], "voice": sys.argv[2], "response_format": sys.argv[3], **({"stream_format": sys.argv[4]} if sys.argv[4] else {})}))' "$1" "$VOICE_ID" "$2" "${3:-}"; }
post() { curl -s -o /dev/null -w "$2" "http://127.0.0.1:$FRONT/v1/audio/speech" -H 'Content-Type: application/json' -d "$1"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# warm_up: 20-sentence requests in both formats for WARMUP_SECONDS (default 60) before timing. A fresh .NET process spends
# its first tens of seconds of load re-compiling its hot code (tiered compilation with PGO: measured, the silo's
# tiering thread took two thirds of a CPU-limited silo's CPU after 12 warm-up requests, and 6 % after 40), which is
# start-up cost, not serving cost, and it costs a cluster of 3 silos three times what it costs one.
warm_up() {
  local w=900 until=$((SECONDS + ${WARMUP_SECONDS:-60}))
  while ((SECONDS < until)); do w=$((w + 1)); post "$(body "$(text "$w" 20)" "$(((w % 2)) && echo wav || echo mp3)")" "%{http_code}\n" >/dev/null; done
}

# timed FORMAT RUN0 → "median-ms silo-cpu-ms frontend-cpu-ms" of RUNS 20-sentence requests (CPU per request)
timed() {
  local format="$1" run0="$2" r times=() s0 f0
  s0=$(cpu_ms "${PIDS[@]:0:$NSILOS}"); f0=$(cpu_ms "${PIDS[$NSILOS]}")
  for ((r = 1; r <= RUNS; r++)); do times+=("$(post "$(body "$(text "$((run0 + r))" 20)" "$format")" "%{time_total}")"); done
  echo "$(printf '%s\n' "${times[@]}" | median | awk '{ printf "%.0f", $1 * 1000 }') $(( ($(cpu_ms "${PIDS[@]:0:$NSILOS}") - s0) / RUNS )) $(( ($(cpu_ms "${PIDS[$NSILOS]}") - f0) / RUNS ))"
}

# ttfa FORMAT → "first-byte-ms first-sentence-alone-ms" (medians of RUNS)
ttfa() {
  local format="$1" r first=() alone=()
  for ((r = 1; r <= RUNS; r++)); do
    first+=("$(post "$(body "$(text "$((400 + r))" 25)" "$format" audio)" "%{time_starttransfer}")")
    alone+=("$(post "$(body "$(sentence "$((400 + r))" 0)" "$format")" "%{time_total}")")
  done
  echo "$(printf '%s\n' "${first[@]}" | median | awk '{ printf "%.0f", $1 * 1000 }') $(printf '%s\n' "${alone[@]}" | median | awk '{ printf "%.0f", $1 * 1000 }')"
}

NSILOS=3; start_cluster 3 three
warm_up
read -r TTFA_WAV ALONE_WAV <<<"$(ttfa wav)"; read -r TTFA_MP3 ALONE_MP3 <<<"$(ttfa mp3)"
read -r THREE_WAV THREE_WAV_SILO THREE_WAV_FRONT <<<"$(timed wav 100)"
read -r THREE_MP3 THREE_MP3_SILO THREE_MP3_FRONT <<<"$(timed mp3 150)"
stop_cluster

NSILOS=1; start_cluster 1 one
warm_up
read -r ONE_WAV ONE_WAV_SILO ONE_WAV_FRONT <<<"$(timed wav 200)"
read -r ONE_MP3 ONE_MP3_SILO ONE_MP3_FRONT <<<"$(timed mp3 250)"
stop_cluster

CORES=$(nproc)
if [[ -z "$SILO_CPU" ]]; then
  NSILOS=1; start_cluster 1 allcores "$CORES"
  warm_up
  read -r FULL_WAV _ <<<"$(timed wav 300)"
  stop_cluster
fi

LONG_CHARS=$(text 400 25 | wc -m)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg); voice $VOICE_ID; silos with TTS_WORKERS=${TTS_WORKERS:-1}${SILO_CPU:+ and a CPU limit of $SILO_CPU cores each}; frontend lanes ${LANES:-3}; warm-up ${WARMUP_SECONDS:-60} s per cluster; $RUNS runs each, medians, through a --role frontend"
for f in wav mp3; do
  t="TTFA_${f^^}"; a="ALONE_${f^^}"
  printf 'time to first audio byte, %s-char text (25 sentences), %s stream: %s ms; its first sentence alone: %s ms; ratio %s (target <= 2)\n' \
    "$LONG_CHARS" "$f" "${!t}" "${!a}" "$(ratio "${!t}" "${!a}")"
done
for f in wav mp3; do
  t="THREE_${f^^}"; o="ONE_${f^^}"; ts="${t}_SILO"; tf="${t}_FRONT"; os="${o}_SILO"; of="${o}_FRONT"
  printf '20-sentence text, %s: 3 silos %s ms, 1 silo %s ms, speed-up %sx (target >= 2.5x); CPU per request: silos %s / %s ms, frontend %s / %s ms\n' \
    "$f" "${!t}" "${!o}" "$(ratio "${!o}" "${!t}")" "${!ts}" "${!os}" "${!tf}" "${!of}"
done
[[ -n "$SILO_CPU" ]] && { echo "ideal speed-up with CPU-limited silos: 3x (3 x $SILO_CPU cores vs $SILO_CPU)"; exit 0; }
printf 'machine ceiling (wav): 1 silo with %s workers: %s ms; speed-up over 1 worker %sx (3 silos can at best match it on %s cores)\n' "$CORES" "$FULL_WAV" "$(ratio "$ONE_WAV" "$FULL_WAV")" "$CORES"
