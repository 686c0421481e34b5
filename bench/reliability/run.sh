#!/usr/bin/env bash
# Load, overload, soak and faults (issue 8): see Program.cs for the scenarios and options; figures in bench/RESULTS.md.
#   bench/run reliability                      capacity overload clientoverload chaos rolling scale redisstop workerkill (~15 min)
#   bench/run reliability soak --capacity R    ramps the soak mix to find its capacity, then 20 minutes at 70 % of it
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
dotnet build "$ROOT/Silo/Orleans.Tts.Silo.csproj" -c Release -nologo -v:q -clp:ErrorsOnly >&2
dotnet build "$HERE/Reliability.csproj" -c Release -nologo -v:q -clp:ErrorsOnly >&2
exec dotnet "$HERE/bin/Release/net10.0/Orleans.Tts.Reliability.dll" \
  --root "$ROOT" --silo "$ROOT/Silo/bin/Release/net10.0/Orleans.Tts.Silo.dll" "$@"
