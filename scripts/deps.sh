# Dependency installation for ./tts (sourced). Debian packages through apt; nothing else is
# fetched except through the package registries (NuGet by dotnet restore, ONNX Runtime included; npm for the tests'
# tools and data).

# Debian packages each mode needs.
DEPS_RUNTIME_APT=(espeak-ng libespeak-ng1 unicode-data libbz2-1.0 libmecab2 mecab-ipadic-utf8 libmp3lame0 libopus0 libflac12 libavcodec59)
DEPS_TEST_APT=("${DEPS_RUNTIME_APT[@]}" sox ffmpeg chromium python3-onnx python3-yaml unzip redis-server)
# A cluster on loopback (./tts cluster): Orleans membership and grain state in Redis.
DEPS_CLUSTER_APT=("${DEPS_RUNTIME_APT[@]}" redis-server)

as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "tts: '$*' needs root (run as root or install sudo)" >&2; return 1; fi
}

apt_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

apt_ensure() {
  local missing; missing="$(apt_missing "$@")"
  [[ -z "${missing// /}" ]] && return 0
  echo "Installing Debian packages: $missing" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  # shellcheck disable=SC2086
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
}

# `scripts/deps.sh print runtime|test` prints one mode's Debian packages (the Dockerfile installs exactly these).
deps_print() {
  case "$1" in
    runtime) echo "${DEPS_RUNTIME_APT[@]}" ;;
    test) echo "${DEPS_TEST_APT[@]}" ;;
    *) echo "deps.sh print: runtime or test" >&2; return 2 ;;
  esac
}

deps_install() {
  case "$1" in
    runtime) apt_ensure "${DEPS_RUNTIME_APT[@]}" ;;
    cluster) apt_ensure "${DEPS_CLUSTER_APT[@]}" ;;
    test) apt_ensure "${DEPS_TEST_APT[@]}" ;;
  esac
  command -v dotnet >/dev/null || { echo "tts: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
  # npm fetches the tests' pinned packages; node (its dependency) runs the manifest validator. Serving needs neither.
  if [[ "$1" == test ]]; then { command -v npm && command -v node; } >/dev/null || apt_ensure npm nodejs; fi
  # helm for the chart checks (tests/Orleans.Tts.Helm.Tests), checksum-pinned, cached outside the tree.
  if [[ "$1" == test ]]; then "$ROOT/scripts/install-helm.sh"; fi
  # The offline Kubernetes schema validator for the rendered chart (node + kubernetes-models), checksum-pinned.
  if [[ "$1" == test ]]; then "$ROOT/scripts/install-k8s-schemas.sh"; fi
  # The published Kokoro voice tables (the tests' real speaker data), from npm, checksum-pinned.
  if [[ "$1" == test ]]; then "$ROOT/scripts/install-kokoro-voices.sh"; fi
  # The official OpenAI Node SDK for the compatibility tests (tests/Orleans.Tts.OpenAi.Tests), checksum-pinned.
  if [[ "$1" == test ]]; then "$ROOT/scripts/install-openai-sdk.sh"; fi
}

# Run directly (not sourced): `scripts/deps.sh print runtime`.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  case "${1:-}" in
    print) deps_print "${2:-runtime}" ;;
    *) echo "usage: scripts/deps.sh print runtime|test" >&2; exit 2 ;;
  esac
fi
