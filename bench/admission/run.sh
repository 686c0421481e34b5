#!/usr/bin/env bash
# Admission overhead through the admission grain (issue 16: ≤ 2 ms at p50), against the in-process queue alone, and the grain's
# load with leased permits. Usage: bench/admission/run.sh [iterations] [seconds]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dotnet run -c Release --project "$HERE/Admission.csproj" -- "${1:-2000}" "${2:-5}"
