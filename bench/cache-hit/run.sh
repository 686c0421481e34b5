#!/usr/bin/env bash
# The local-hit path of the result cache: one silo (Redis cluster mode, so the shared cache sits behind the local one, as in
# production) answers the same whole-file request over and over from its in-memory cache; wrk measures requests/s and latency.
# The result is made once and read back from Redis once before the measurement, so every measured request is a local hit
# (checked: the silo's tts_cache_lookups_total{result="miss"} must not move). wrk shares the machine's cores with the silo.
# Usage: bench/cache-hit/run.sh [SECONDS] [CONNECTIONS] [THREADS]   (or ./tts bench cache-hit …; default 20 s, 8 connections, 2 threads)
# Env: BENCH_WARMUP (s, default 10) unmeasured load first (tiered JIT). Needs: dotnet, wrk, redis-server, curl.
set -euo pipefail

seconds="${1:-20}"
connections="${2:-8}"
threads="${3:-2}"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
silo_pid=""; redis_pid=""
cleanup() {
  [[ -n "$silo_pid" ]] && { kill "$silo_pid" 2>/dev/null || true; wait "$silo_pid" 2>/dev/null || true; }
  [[ -n "$redis_pid" ]] && { kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

dotnet build "$repo/Silo/Orleans.Tts.Silo.csproj" -c Release -o "$work/silo" -v quiet -nologo >/dev/null
redis_port="$(free_port)"
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
redis_pid=$!
port="$(free_port)"
TTS_PORT="$port" TTS_REDIS="127.0.0.1:$redis_port" ORLEANS_SERVICE_ID="bench-cache-hit-$$" TTS_SILO_PORT="$(free_port)" TTS_GATEWAY_PORT="$(free_port)" \
  dotnet "$work/silo/Orleans.Tts.Silo.dll" >"$work/silo.log" 2>&1 &
silo_pid=$!
for _ in $(seq 1 900); do
  curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
  kill -0 "$silo_pid" 2>/dev/null || { cat "$work/silo.log" >&2; echo "the silo exited" >&2; exit 1; }
  sleep 0.1
done

body='{"input":"The local cache answers this sentence without any synthesis.","voice":"alloy","response_format":"mp3"}'
ask() { curl -fs -o /dev/null -D - -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$port/v1/audio/speech" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-tts-cache" {print $2}'; }
echo "first: $(ask)"
# Shared after the response: wait until a second request is a hit (read back from Redis, and kept locally from then on).
for _ in $(seq 1 100); do [[ "$(ask)" == hit ]] && break; sleep 0.1; done
echo "then: $(ask)"
misses() { curl -fs "http://127.0.0.1:$port/metrics" | awk '/^tts_cache_lookups_total\{.*result="miss"/ {print $2}'; }

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA
wrk -t"$threads" -c"$connections" -d"${BENCH_WARMUP:-10}s" -s "$work/post.lua" "http://127.0.0.1:$port/v1/audio/speech" >/dev/null
before="$(misses)"
echo "machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port/v1/audio/speech"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); misses during the run: $(awk -v a="$(misses)" -v b="$before" 'BEGIN { print a - b }')"
