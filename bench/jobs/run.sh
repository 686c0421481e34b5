#!/usr/bin/env bash
# Interactive latency with and without a large job backlog (issue 5): bench/run jobs [--rate R] [--seconds S] [--rounds N] [--workers W] [--redis]
# --redis: the silo runs as a cluster's does: its jobs (grain state and audio) in a throwaway redis-server with AOF (appendfsync
# everysec) instead of in its own memory as the embedded default keeps them, and the shared result cache in a second one
# without persistence (maxmemory, allkeys-lru), as the chart runs them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
echo "Building (Release)…" >&2
dotnet build "$ROOT/Silo/Orleans.Tts.Silo.csproj" -c Release -nologo -v:q -clp:ErrorsOnly >&2
dotnet build "$ROOT/bench/jobs/Jobs.csproj" -c Release -nologo -v:q -clp:ErrorsOnly >&2
args=()
redis=no
for a in "$@"; do if [[ "$a" == --redis ]]; then redis=yes; else args+=("$a"); fi; done
if [[ "$redis" == yes ]]; then
  work="$(mktemp -d)"
  free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  redis_port="$(free_port)"; cache_port="$(free_port)"
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly yes --appendfsync everysec --dir "$work" >"$work/redis.log" 2>&1 &
  redis_pid=$!
  redis-server --port "$cache_port" --bind 127.0.0.1 --save "" --appendonly no --maxmemory 256mb --maxmemory-policy allkeys-lru \
    --dir "$work" --dbfilename cache.rdb >"$work/cache.log" 2>&1 &
  cache_pid=$!
  trap 'kill "$redis_pid" "$cache_pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
  for port in "$redis_port" "$cache_port"; do
    for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  echo "jobs in redis-server at 127.0.0.1:$redis_port (AOF, everysec); the result cache at 127.0.0.1:$cache_port (allkeys-lru)"
  export TTS_REDIS="127.0.0.1:$redis_port" TTS_REDIS_CACHE="127.0.0.1:$cache_port" ORLEANS_SERVICE_ID="bench-jobs-$$" \
    TTS_SILO_PORT="$(free_port)" TTS_GATEWAY_PORT="$(free_port)"
  dotnet "$ROOT/bench/jobs/bin/Release/net10.0/Jobs.dll" --silo "$ROOT/Silo/bin/Release/net10.0/Orleans.Tts.Silo.dll" "${args[@]}"
else
  exec dotnet "$ROOT/bench/jobs/bin/Release/net10.0/Jobs.dll" --silo "$ROOT/Silo/bin/Release/net10.0/Orleans.Tts.Silo.dll" "${args[@]}"
fi
