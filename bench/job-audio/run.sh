#!/usr/bin/env bash
# Size and CPU of the job audio encodings on real eSpeak output: bench/run job-audio [--rounds N]; with --words, what recording
# a job's words (for its captions) costs in CPU and storage
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
echo "Building (Release)…" >&2
dotnet build "$ROOT/Silo/Orleans.Tts.Silo.csproj" -c Release -nologo -v:q -clp:ErrorsOnly >&2
dotnet build "$ROOT/bench/job-audio/JobAudio.csproj" -c Release -nologo -v:q -clp:ErrorsOnly >&2
exec dotnet "$ROOT/bench/job-audio/bin/Release/net10.0/JobAudio.dll" --silo "$ROOT/Silo/bin/Release/net10.0/Orleans.Tts.Silo.dll" "$@"
