#!/usr/bin/env bash
# A silo serving a Piper voice over HTTP vs raw in-process inference of the same model on the same ids.
# Figure: throughput in seconds of model audio per wall-clock second, HTTP / raw (target ≥ 0.90).
# The model is the Piper fixture plus a deterministic compute load (make_heavy_model.py) so that one
# inference costs about what a real Piper voice costs; its real-time factor on one core is printed.
# Both sides use the same parallelism: WORKERS threads with cores ÷ WORKERS intra-op threads each; the
# HTTP side has 2 × WORKERS concurrent clients (each willing to wait 30 s for a permit), so the silo's queue never
# runs dry. Both sides do what a caller must do per sentence: phonemise it through an eSpeak engine host (one per
# worker) and build its ids, then infer; the HTTP side also normalises, plans, encodes WAV and answers over HTTP.
# The silo runs with its default configuration (log levels included), the result cache off.
# Usage: bench/onnx-serving/run.sh [SECONDS_PER_ROUND] [ROUNDS]   (or ./tts bench onnx-serving …)   (default 20 s, 3 rounds, best of each side)
# Env: BENCH_SILO_WARMUP (s, default 30) load on the fresh silo before the rounds; BENCH_WARMUP (s, default 5)
# unmeasured load before each measurement (BENCH_RAW_WARMUP, default BENCH_WARMUP + 10, for the raw process); BENCH_LAYERS/BENCH_DIM the model's compute load (48 × 512).
# Needs: dotnet, /usr/bin/python3 with python3-onnx, espeak-ng. Nothing is written into the source tree.
set -euo pipefail

seconds="${1:-20}"
rounds="${2:-3}"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cores="$(nproc)"
workers="${TTS_WORKERS:-$cores}"
intra=$(( cores / workers > 0 ? cores / workers : 1 ))

work="$(mktemp -d)"
silo_pid=""
cleanup() { if [[ -n "$silo_pid" ]]; then kill "$silo_pid" 2>/dev/null || true; wait "$silo_pid" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/models/piper"
/usr/bin/python3 "$here/make_heavy_model.py" "$work/models/piper" "${BENCH_LAYERS:-48}" "${BENCH_DIM:-512}"

dotnet build "$repo/Silo/Orleans.Tts.Silo.csproj" -c Release -o "$work/silo" -v quiet -nologo >/dev/null
dotnet build "$here/OnnxServing.csproj" -c Release -o "$work/bench" -v quiet -nologo >/dev/null
model="$work/models/piper/en_US-bench-medium.onnx"

port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
start_silo() {
  # The result cache off: the benchmark repeats its sentences and measures synthesis.
  TTS_MODELS_DIR="$work/models" TTS_PORT="$port" TTS_WORKERS="$workers" TTS_ONNX_THREADS="$intra" TTS_CACHE_MEMORY_MB=0 \
    dotnet "$work/silo/Orleans.Tts.Silo.dll" >"$work/silo.log" 2>&1 &
  silo_pid=$!
  for _ in $(seq 1 600); do
    if curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1; then return 0; fi
    kill -0 "$silo_pid" 2>/dev/null || { cat "$work/silo.log" >&2; echo "the silo exited" >&2; exit 1; }
    sleep 0.1
  done
  echo "the silo did not become ready" >&2; exit 1
}
stop_silo() { kill "$silo_pid"; wait "$silo_pid" 2>/dev/null || true; silo_pid=""; }

field() { sed -E "s/.*$1=([0-9.]+).*/\1/" <<<"$2"; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a > b) ? a : b }'; }

single="$(dotnet "$work/bench/OnnxServing.dll" raw "$model" "$model.json" "$work/silo/Orleans.Tts.EngineHost.dll" 5 1 1)"
echo "one thread: $single  (real-time factor $(awk -v t="$(field throughput "$single")" 'BEGIN { printf "%.3f", 1 / t }'))"

# One silo for all rounds, warmed up first: a fresh .NET process spends its first tens of seconds JIT-compiling
# (tiered compilation), which is start-up cost, not serving cost.
start_silo
dotnet "$work/bench/OnnxServing.dll" http "http://127.0.0.1:$port" piper:en_US-bench-medium "${BENCH_SILO_WARMUP:-30}" $((2 * workers)) >/dev/null
best_raw="" best_http="" best_raw_cpu="" best_http_cpu=""
for ((round = 1; round <= rounds; round++)); do
  # The raw side is a new process each round, with new engine hosts whose .NET code is still being tiered up; the
  # silo had minutes. Its longer warm-up keeps that start-up cost out of its measured window.
  raw="$(BENCH_WARMUP="${BENCH_RAW_WARMUP:-$(( ${BENCH_WARMUP:-5} + 10 ))}" dotnet "$work/bench/OnnxServing.dll" raw "$model" "$model.json" "$work/silo/Orleans.Tts.EngineHost.dll" "$seconds" "$workers" "$intra")"
  http="$(dotnet "$work/bench/OnnxServing.dll" http "http://127.0.0.1:$port" piper:en_US-bench-medium "$seconds" $((2 * workers)) "$silo_pid")"
  echo "round $round: $raw"
  echo "round $round: $http"
  best_raw="$(max "$(field throughput "$raw")" "$best_raw")"
  best_http="$(max "$(field throughput "$http")" "$best_http")"
  best_raw_cpu="$(max "$(field audio_per_cpu_s "$raw")" "$best_raw_cpu")"
  best_http_cpu="$(max "$(field audio_per_cpu_s "$http")" "$best_http_cpu")"
done
stop_silo
awk -v h="$best_http" -v r="$best_raw" -v hc="$best_http_cpu" -v rc="$best_raw_cpu" -v w="$workers" -v i="$intra" \
  'BEGIN { printf "workers=%d intra_op=%d http/raw: throughput (audio s per s) %.3f/%.3f = %.1f %% | audio s per CPU s %.3f/%.3f = %.1f %%\n", w, i, h, r, 100 * h / r, hc, rc, 100 * hc / rc }'
