#!/usr/bin/env bash
# Admission overhead (issue 4: ≤ 2 ms p50). Starts a throwaway PostgreSQL for the shared figures.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DIR="$(mktemp -d -t tts-bench-pg.XXXXXX)"
trap '"$ROOT/scripts/postgres.sh" stop --dir "$DIR" --purge' EXIT
export TTS_POSTGRES; TTS_POSTGRES="$("$ROOT/scripts/postgres.sh" start --dir "$DIR" | tail -1)"
dotnet run -c Release --project "$HERE/Admission.csproj" -- "${1:-2000}"
