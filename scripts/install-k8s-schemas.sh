#!/usr/bin/env bash
# Installs the offline Kubernetes manifest validator's packages for the chart checks of ./tts test.
#
# kubernetes-models (MIT) ships ajv validators compiled from the Kubernetes OpenAPI schemas, one per
# API kind; @kubernetes-models/keda and @kubernetes-models/prometheus-operator the same for the KEDA and
# prometheus-operator CRDs. Every package of the dependency tree is listed with its tarball's SHA-256 in
# scripts/k8s-schemas.pins and fetched with npm_fetch_verified (npm pack --ignore-scripts, checksum
# checked before extraction) into a node_modules tree in the cache. Idempotent: does nothing when the
# tree was installed from the same pins. Quiet unless -v.
#
# Usage: scripts/install-k8s-schemas.sh [-v|--verbose]
# Env:   TTS_CACHE_DIR  cache root (default: $HOME/.cache/orleans-tts)
# Result: $TTS_CACHE_DIR/k8s-schemas-5.1.0/node_modules (read by tests/Orleans.Tts.Helm.Tests/validate-manifests.mjs).
set -euo pipefail

readonly MODELS_VERSION="5.1.0"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly PINS="${here}/k8s-schemas.pins"

source "$(dirname "${BASH_SOURCE[0]}")/npm-verified.sh"
install_args install-k8s-schemas "$@"

cache_root="${TTS_CACHE_DIR:-${HOME:?HOME is not set}/.cache/orleans-tts}"
dest_dir="${cache_root}/k8s-schemas-${MODELS_VERSION}"
pins_sha="$(sha256sum "$PINS" | cut -d' ' -f1)"

# The tree records the digest of the pins it was built from; a changed pin list rebuilds it.
if [[ -f "${dest_dir}/PINS.sha256" && "$(cat "${dest_dir}/PINS.sha256")" == "$pins_sha" ]]; then
  log "already installed: $dest_dir"; exit 0
fi

mkdir -p "$cache_root"
staged="$(mktemp -d "${cache_root}/.k8s-schemas.XXXXXX")"
trap 'rm -rf "$staged"' EXIT
count=0
while read -r spec sha; do
  [[ -z "$spec" || "$spec" == \#* ]] && continue
  name="${spec%@*}"
  log "fetching ${spec}"
  npm_fetch_verified "$spec" "$sha" "${staged}/node_modules/${name}" || die "could not install ${spec}"
  count=$((count + 1))
done <"$PINS"
echo "$pins_sha" >"${staged}/PINS.sha256"
chmod 0755 "$staged"

# Swap the whole tree in, so a reader never sees a half-installed one.
rm -rf "${dest_dir}.old"
[[ -e "$dest_dir" ]] && mv "$dest_dir" "${dest_dir}.old"
mv "$staged" "$dest_dir"
rm -rf "${dest_dir}.old"
log "installed ${count} packages in ${dest_dir}"
