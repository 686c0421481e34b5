#!/usr/bin/env bash
# Installs the official OpenAI Node SDK (npm `openai`, unmodified) for the compatibility tests of ./tts test
# (tests/Orleans.Tts.OpenAi.Tests). `npm pack` only downloads the tarball (no install script runs) and the
# tarball is checked against a pinned SHA-256 before anything is extracted. The SDK has no dependencies.
# Idempotent: does nothing when the verified package is already cached. Quiet unless -v.
#
# Usage: scripts/install-openai-sdk.sh [-v|--verbose]
# Env:   TTS_CACHE_DIR  cache root (default: $HOME/.cache/orleans-tts)
# Result: $TTS_CACHE_DIR/openai-node-7.55.0/node_modules/openai (the tests read it from there, or from TTS_OPENAI_SDK).
set -euo pipefail

readonly NPM_PACKAGE="openai@7.55.0"
readonly TARBALL_SHA256="0dfe04d620754817721c04511c6425731f1bf132699e4fe9377ca966a14a6971"

source "$(dirname "${BASH_SOURCE[0]}")/npm-verified.sh"
install_args install-openai-sdk "$@"

cache_root="${TTS_CACHE_DIR:-${HOME:?HOME is not set}/.cache/orleans-tts}"
dest_root="${cache_root}/openai-node-7.55.0"
dest="${dest_root}/node_modules/openai"
stamp="${dest}/.verified-${TARBALL_SHA256}"

if [[ -f "$stamp" ]]; then log "already installed: $dest"; exit 0; fi

mkdir -p "$dest_root"
scratch="$(mktemp -d "${dest_root}/.install.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

log "downloading ${NPM_PACKAGE} with npm pack"
npm_fetch_verified "$NPM_PACKAGE" "$TARBALL_SHA256" "${scratch}/openai" || die "could not install ${NPM_PACKAGE}"
touch "${scratch}/openai/.verified-${TARBALL_SHA256}"
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "${scratch}/openai" "$dest"
log "installed $dest"
