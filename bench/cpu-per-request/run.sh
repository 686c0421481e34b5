#!/usr/bin/env bash
# CPU per request of the service (the silo and its engine hosts, from /proc utime+stime) against the bare command-line
# tools on the same sentences in the same run, and HTTP throughput against the bare engine on every core (issue 18).
#   en-wav   POST /v1/audio/speech, voice espeak:en-us, wav   vs  espeak-ng -v en-us -f SENTENCES -w OUT.wav
#   en-mp3   the same, mp3                                    vs  that + lame -b 64 --cbr -q 5 (the service's LAME setting)
#   cmn-wav  voice espeak:cmn, Han text                       vs  espeak-ng -v cmn-latn-pinyin on the service's own pinyin of it
#   throughput  wrk -t4 -c4 (a unique sentence per request) vs one espeak-ng per core; wrk's own CPU is counted out
# Sentences: 18 English words and a 9-digit number (~11 s of audio), or a Mandarin corpus sentence with a 9-digit number;
# every request's sentence is new, so the result cache never answers. The silo runs with its default configuration.
# Each connection is a client of its own (X-Api-Key label): admission gives one client at most half of the workers.
# Usage: bench/cpu-per-request/run.sh [--requests N] [--rounds R] [--seconds S] [--cases en-wav,en-mp3,cmn-wav,throughput]
# LAME's quality setting: bench/cpu-per-request/mp3_quality.py SOURCE.wav (speed against fidelity per -q).
# Needs: dotnet, espeak-ng, lame, wrk, /usr/bin/python3. Nothing is written into the source tree.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$here/../.." && pwd)"
source "$ROOT/scripts/deps.sh"
deps_install runtime
for tool in lame wrk; do command -v "$tool" >/dev/null || apt_ensure "$tool"; done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "Building (Release)…" >&2
dotnet build "$ROOT/Orleans.Tts.sln" -c Release -nologo -v:q -clp:ErrorsOnly >&2
dotnet build "$here/CpuPerRequest.csproj" -c Release -o "$work/tool" -nologo -v:q -clp:ErrorsOnly >&2
/usr/bin/python3 "$here/cpu_per_request.py" --silo "$ROOT/Silo/bin/Release/net10.0/Orleans.Tts.Silo.dll" \
  --pinyin-tool "$work/tool/CpuPerRequest.dll" "$@"
