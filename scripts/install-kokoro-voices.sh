#!/usr/bin/env bash
# Installs the 54 published Kokoro-82M voice tables (float32 [510,1,256], Apache-2.0) for Orleans.Tts.
#
# The tables are taken from the npm package kokoro-js, which ships them under package/voices/.
# `npm pack` only downloads the tarball, so no install script of the package ever runs. The tarball
# is checked against a pinned SHA-256 before anything is extracted, and the extracted tables against
# a pinned digest of their SHA256SUMS. Only voices/*.bin (and the licence) are extracted. Idempotent:
# does nothing when the verified tables are already cached. Prints nothing but errors unless -v.
#
# Usage: scripts/install-kokoro-voices.sh [-v|--verbose]
# Env:   TTS_CACHE_DIR  cache root (default: $HOME/.cache/orleans-tts)
# Result: $TTS_CACHE_DIR/kokoro-voices-1.2.1/*.bin (54 files of 522,240 bytes) + SHA256SUMS + LICENSE.
# Serve them with a Kokoro model: link or copy them as voices/ beside the model (e.g. $TTS_MODELS_DIR/kokoro/voices/).
set -euo pipefail

readonly KOKORO_JS_VERSION="1.2.1"
readonly NPM_PACKAGE="kokoro-js@${KOKORO_JS_VERSION}"
readonly TARBALL_SHA256="1f0d0383ef0349af0bd9440d81dc12abbea3a5392eb645283eda876f537f5860"
# sha256 of the SHA256SUMS listing of the tables, in C-locale file name order.
readonly SUMS_SHA256="85c31b6238f3f80fdcbd561459f0dd888cedd579d0550e923e584d3ad386a7fa"
readonly VOICE_COUNT=54
readonly VOICE_BYTES=522240

source "$(dirname "${BASH_SOURCE[0]}")/npm-verified.sh"
install_args install-kokoro-voices "$@"

cache_root="${TTS_CACHE_DIR:-${HOME:?HOME is not set}/.cache/orleans-tts}"
dest_dir="${cache_root}/kokoro-voices-${KOKORO_JS_VERSION}"

# True when $1 holds exactly the pinned tables (and nothing else ending in .bin).
tables_ok() {
  local dir="$1"
  [[ -f "${dir}/SHA256SUMS" ]] || return 1
  [[ "$(sha256sum "${dir}/SHA256SUMS" | cut -d' ' -f1)" == "$SUMS_SHA256" ]] || return 1
  [[ "$(find "$dir" -maxdepth 1 -name '*.bin' | wc -l)" -eq "$VOICE_COUNT" ]] || return 1
  (cd "$dir" && sha256sum --quiet --check SHA256SUMS >/dev/null 2>&1)
}

if tables_ok "$dest_dir"; then
  log "already installed: $dest_dir"
  exit 0
fi

mkdir -p "$cache_root"
scratch="$(mktemp -d "${cache_root}/.kokoro-voices.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

log "downloading ${NPM_PACKAGE} with npm pack"
npm_fetch_verified "$NPM_PACKAGE" "$TARBALL_SHA256" "$scratch" 'voices/*.bin' LICENSE || die "could not install ${NPM_PACKAGE}"
log "verified ${NPM_PACKAGE} (sha256 ${TARBALL_SHA256})"
staged="${scratch}/voices"
for f in "$staged"/*.bin; do
  [[ "$(stat -c %s "$f")" -eq "$VOICE_BYTES" ]] || die "$(basename "$f") is not ${VOICE_BYTES} bytes"
done
(cd "$staged" && find . -maxdepth 1 -name '*.bin' -printf '%f\n' | LC_ALL=C sort | xargs sha256sum -- >SHA256SUMS)
cp "${scratch}/LICENSE" "${staged}/LICENSE"
tables_ok "$staged" || die "the voice tables inside the verified tarball do not match the pinned digest"

# Swap the whole directory in, so a reader never sees a half-installed set.
rm -rf "${dest_dir}.old"
[[ -e "$dest_dir" ]] && mv "$dest_dir" "${dest_dir}.old"
mv "$staged" "$dest_dir"
rm -rf "${dest_dir}.old"
log "installed ${VOICE_COUNT} voice tables in ${dest_dir}"
