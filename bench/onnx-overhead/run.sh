#!/usr/bin/env bash
# Per-run time of Microsoft.ML.OnnxRuntime (the package, as OnnxModel.Run uses it) vs the hand-written C API binding it
# replaced, side by side in one session: the binding is built from commit 90366b4 (its bench/onnx-overhead) in a git
# worktree, and both run the same fixture models, inputs and session settings on one thread, in alternating rounds.
# Both load the same native library, the package's libonnxruntime.so 1.32.0 (the binding through its
# TTS_ONNXRUNTIME_LIBRARY), so the ratio measures the managed layers, not two library versions.
# Cases: phonemes=0 (tensor-echo.onnx, a 4-element int64 input: nearly pure binding overhead) and the Piper fixture
# with 16 and 256 phonemes (4,096 and 65,536 output samples). Prints per-round lines and the ratio package/binding.
# Usage: bench/onnx-overhead/run.sh [RUNS]   (default 10000; ROUNDS=5 alternating rounds, best of each)
# Needs: dotnet, git, /usr/bin/python3 with python3-onnx. The baseline worktree is /tmp/onnx-base (BASE_TREE).
set -euo pipefail

runs="${1:-10000}"
rounds="${ROUNDS:-5}"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
base_commit=90366b4
base_tree="${BASE_TREE:-/tmp/onnx-base}"

if [[ ! -d "$base_tree" ]]; then
  git -C "$repo" worktree add --detach "$base_tree" "$base_commit" >/dev/null
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$repo/tests/fixtures/make_models.py" "$work/models" >/dev/null

dotnet build "$here/OnnxOverhead.csproj" -c Release -o "$work/package" -v quiet -nologo >/dev/null
# The binding only needs its library at run time (given below), not the npm copy its build would place beside it.
dotnet build "$base_tree/bench/onnx-overhead/OnnxOverhead.csproj" -c Release -o "$work/binding" -v quiet -nologo \
  -p:OnnxRuntimeLibrary=/nonexistent >/dev/null
library="$(find "$work/package" -path '*linux-x64/native/libonnxruntime.so' | head -1)"
[[ -f "$library" ]] || { echo "no libonnxruntime.so in $work/package" >&2; exit 1; }

field() { sed -E "s/.*$1=([0-9.]+).*/\1/" <<<"$2"; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }

# Alternating rounds, best of each: the machine may be shared, and the minimum is the least disturbed figure.
for phonemes in 0 16 256; do
  model="$work/models/piper-single.onnx"
  if [[ $phonemes == 0 ]]; then model="$work/models/tensor-echo.onnx"; fi
  best_mean_p="" best_p50_p="" best_cpu_p="" best_mean_b="" best_p50_b="" best_cpu_b=""
  for ((round = 1; round <= rounds; round++)); do
    package="$(dotnet "$work/package/OnnxOverhead.dll" "$model" "$phonemes" "$runs")"
    binding="$(TTS_ONNXRUNTIME_LIBRARY="$library" dotnet "$work/binding/OnnxOverhead.dll" "$model" "$phonemes" "$runs")"
    echo "round $round: $package"
    echo "round $round: binding ${binding#csharp }"
    best_mean_p="$(min "$(field mean_us "$package")" "$best_mean_p")"
    best_p50_p="$(min "$(field p50_us "$package")" "$best_p50_p")"
    best_cpu_p="$(min "$(field cpu_us "$package")" "$best_cpu_p")"
    best_mean_b="$(min "$(field mean_us "$binding")" "$best_mean_b")"
    best_p50_b="$(min "$(field p50_us "$binding")" "$best_p50_b")"
    best_cpu_b="$(min "$(field cpu_us "$binding")" "$best_cpu_b")"
  done
  awk -v p="$phonemes" -v a="$best_mean_p" -v b="$best_mean_b" -v c="$best_p50_p" -v d="$best_p50_b" \
    -v e="$best_cpu_p" -v f="$best_cpu_b" \
    'BEGIN { printf "phonemes=%d package/binding: mean_us %.2f/%.2f = %.3f | p50_us %.2f/%.2f = %.3f | cpu_us %.2f/%.2f = %.3f\n", p, a, b, a / b, c, d, c / d, e, f, e / f }'
done
