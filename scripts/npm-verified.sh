# Checksum-pinned downloads from the npm registry (sourced by the install-*.sh scripts).
#
# npm_fetch_verified SPEC SHA256 DEST [MEMBER...]
#   Downloads the tarball of SPEC (name@version) with `npm pack --ignore-scripts` (only a download: no
#   install script of the package ever runs), refuses it unless its SHA-256 is SHA256, and extracts
#   the package into DEST (created; the tarball's leading package/ is dropped). With MEMBERs (paths
#   inside package/, shell wildcards allowed) only those are extracted. Returns non-zero with a message
#   on stderr when npm, the checksum or the extraction fails; prints nothing otherwise.
npm_fetch_verified() {
  local spec="$1" sha="$2" dest="$3"; shift 3
  local members=() m
  for m in "$@"; do members+=("package/$m"); done
  command -v npm >/dev/null 2>&1 || { echo "npm_fetch_verified: npm is required (apt-get install npm)" >&2; return 1; }
  command -v sha256sum >/dev/null 2>&1 || { echo "npm_fetch_verified: sha256sum is required (coreutils)" >&2; return 1; }
  mkdir -p "$dest"
  local scratch; scratch="$(mktemp -d "${dest}/.npm-pack.XXXXXX")"
  if ! (cd "$scratch" && npm pack --silent --ignore-scripts "$spec" >"${scratch}/npm.out" 2>"${scratch}/npm.log"); then
    cat "${scratch}/npm.log" >&2; rm -rf "$scratch"
    echo "npm_fetch_verified: npm pack ${spec} failed" >&2; return 1
  fi
  local tarball; tarball="${scratch}/$(tail -1 "${scratch}/npm.out")"
  if [[ ! -f "$tarball" ]]; then
    rm -rf "$scratch"; echo "npm_fetch_verified: npm pack ${spec} produced no tarball" >&2; return 1
  fi
  local actual; actual="$(sha256sum "$tarball" | cut -d' ' -f1)"
  if [[ "$actual" != "$sha" ]]; then
    rm -rf "$scratch"
    echo "npm_fetch_verified: SHA-256 mismatch for ${spec}: expected ${sha}, got ${actual}. Refusing to install." >&2
    return 1
  fi
  if ! tar -xzf "$tarball" -C "$dest" --strip-components=1 --no-same-owner --wildcards "${members[@]}"; then
    rm -rf "$scratch"; echo "npm_fetch_verified: could not extract ${members[*]:-the package} from ${spec}" >&2; return 1
  fi
  rm -rf "$scratch"
}

# sha256_ok FILE SHA256: true when FILE exists and has that digest.
sha256_ok() { [[ -f "$1" ]] && echo "$2  $1" | sha256sum --quiet --check - >/dev/null 2>&1; }

# install_args NAME "$@": the options every install script takes (-v/--verbose: say what it does; -h/--help: print
# the script's header comment) and the log/die helpers that name the script.
install_args() {
  INSTALL_NAME="$1"; shift
  INSTALL_VERBOSE=0
  local arg
  for arg in "$@"; do
    case "$arg" in
      -v|--verbose) INSTALL_VERBOSE=1 ;;
      -h|--help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
      *) echo "${INSTALL_NAME}: unknown argument '$arg'" >&2; exit 2 ;;
    esac
  done
}
log() { if [[ "${INSTALL_VERBOSE:-0}" == 1 ]]; then echo "${INSTALL_NAME}: $*"; fi; }
die() { printf '%s: ERROR: %s\n' "$INSTALL_NAME" "$*" >&2; exit 1; }
