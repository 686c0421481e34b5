#!/usr/bin/env bash
# Installs the official ONNX Runtime CPU library (libonnxruntime.so.1, MIT) for Orleans.Tts.
#
# The library is taken from the npm package onnxruntime-node, which ships the prebuilt
# official binary. `npm pack` only downloads the tarball, so no install script of the
# package ever runs. The tarball is checked against a pinned SHA-256 before anything is
# extracted, and the extracted library against its own pinned SHA-256. Idempotent: does
# nothing when the verified library is already cached. Prints nothing but errors unless -v.
#
# Usage: scripts/install-onnxruntime.sh [-v|--verbose]
# Env:   TTS_CACHE_DIR  cache root (default: $HOME/.cache/orleans-tts)
# Result: $TTS_CACHE_DIR/onnxruntime-1.30.0/libonnxruntime.so.1; the Grains build copies it next to the binaries.
set -euo pipefail

readonly ORT_VERSION="1.30.0"
readonly NPM_PACKAGE="onnxruntime-node@${ORT_VERSION}"
readonly TARBALL_SHA256="6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75"
readonly LIB_NAME="libonnxruntime.so.1"

source "$(dirname "${BASH_SOURCE[0]}")/npm-verified.sh"
install_args install-onnxruntime "$@"

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64)
    arch_dir="x64"
    lib_sha256="ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23" ;;
  Linux/aarch64)
    arch_dir="arm64"
    lib_sha256="1f549d46250b005580b597f4164984aaf75b3bcb9f3aeb07c7f8a8fe60b23c76" ;;
  *) die "unsupported platform $(uname -s)/$(uname -m) (only Linux x86_64 and aarch64)" ;;
esac

cache_root="${TTS_CACHE_DIR:-${HOME:?HOME is not set}/.cache/orleans-tts}"
dest_dir="${cache_root}/onnxruntime-${ORT_VERSION}"
dest_lib="${dest_dir}/${LIB_NAME}"


if sha256_ok "$dest_lib" "$lib_sha256"; then
  log "already installed: $dest_lib"
  exit 0
fi

mkdir -p "$dest_dir"
scratch="$(mktemp -d "${dest_dir}/.install.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
member="bin/napi-v6/linux/${arch_dir}/${LIB_NAME}"
log "downloading ${NPM_PACKAGE} with npm pack"
npm_fetch_verified "$NPM_PACKAGE" "$TARBALL_SHA256" "$scratch" "$member" || die "could not install ${NPM_PACKAGE}"
log "verified ${NPM_PACKAGE} (sha256 ${TARBALL_SHA256})"
sha256_ok "${scratch}/${member}" "$lib_sha256" || die "SHA-256 mismatch for ${member} inside the verified tarball"

# The library needs only libc, libstdc++, libm, libgcc_s, libdl, librt and libpthread.
if command -v ldd >/dev/null 2>&1; then
  missing="$(ldd "${scratch}/${member}" 2>&1 | grep 'not found' || true)"
  [[ -z "$missing" ]] || die "${LIB_NAME} has unresolved dependencies: ${missing}"
fi

install -m 0644 "${scratch}/${member}" "${dest_lib}.tmp"
mv -f "${dest_lib}.tmp" "$dest_lib"
log "installed ${dest_lib}"
