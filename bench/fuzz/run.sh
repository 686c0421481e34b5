#!/usr/bin/env bash
# Hostile-input fuzzer (issue 8): 100,000 seeded cases against a real silo (embedded default, TTS_WORKERS=2, an empty
# models directory), 4 keep-alive connections plus 4 slowloris/slow-body clients; prints cases by category, the status
# histogram, slow-client endings, the silo's RSS (start, after 10,000 cases, end, max) and every failure with the
# --seed/--case that replays it. Exits non-zero on any 5xx (other than Kestrel's 505 for a non-1.x version), hang,
# problem-less 4xx, dropped well-formed request, or a silo that died.
# Usage: bench/fuzz/run.sh [--cases N] [--seed S] [--concurrency C] [--slow K] [--case I] [--orleans]   (SILO_DLL overrides the silo)
# --orleans: SpeechCommand records through the Orleans client (ITtsCluster) instead of HTTP, against a silo in Redis cluster mode.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DLL="${SILO_DLL:-$ROOT/Silo/bin/Release/net10.0/Orleans.Tts.Silo.dll}"
echo "Building (Release)…" >&2
[[ -n "${SILO_DLL:-}" ]] || dotnet build "$ROOT/Silo/Orleans.Tts.Silo.csproj" -c Release -nologo -v:q -clp:ErrorsOnly >&2
dotnet build "$ROOT/bench/Orleans.Tts.Fuzz/Orleans.Tts.Fuzz.csproj" -c Release -nologo -v:q -clp:ErrorsOnly >&2
args=("$@")
[[ " $* " == *" --cases "* ]] || args+=(--cases 100000)
[[ " $* " == *" --seed "* ]] || args+=(--seed 1)
exec dotnet "$ROOT/bench/Orleans.Tts.Fuzz/bin/Release/net10.0/Orleans.Tts.Fuzz.dll" --silo "$DLL" "${args[@]}"
