#!/usr/bin/env bash
# API-key authentication overhead: the key check alone (1, 100, 10000 keys) and GET /v1/voices on two real silos,
# one open and one with keys, measured in the same run.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dotnet run -c Release --project "$HERE/Auth.csproj" -- "${1:-2000}"
