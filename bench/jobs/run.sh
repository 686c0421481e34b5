#!/usr/bin/env bash
# Interactive latency with and without a large job backlog (issue 5): bench/run jobs [--rate R] [--seconds S] [--rounds N] [--workers W]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
echo "Building (Release)…" >&2
dotnet build "$ROOT/Silo/Orleans.Tts.Silo.csproj" -c Release -nologo -v:q -clp:ErrorsOnly >&2
dotnet build "$ROOT/bench/jobs/Jobs.csproj" -c Release -nologo -v:q -clp:ErrorsOnly >&2
exec dotnet "$ROOT/bench/jobs/bin/Release/net10.0/Jobs.dll" --silo "$ROOT/Silo/bin/Release/net10.0/Orleans.Tts.Silo.dll" "$@"
