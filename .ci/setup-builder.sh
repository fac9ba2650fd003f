#!/usr/bin/env bash
# Make a real image builder available for the e2e tests and the benchmarks.
#
#   .ci/setup-builder.sh
#
# - a docker daemon answers (`docker info`): nothing to do, BuildKit pulls the bases itself;
# - otherwise: install buildah + debootstrap (apt-get) if missing, then build the local
#   stand-ins for python:{3.11,3.12,3.13}-slim-{bookworm,trixie} with
#   shared/tools/standin-bases.sh, unless they are all in buildah's store already.
#
# Idempotent; on a warm machine it only runs a few `buildah images` queries.
# Environment:
#   PYDOCKER_GEN_SHARED  folder holding tools/standin-bases.sh (default: <repo>/../shared)
#   PYTHON_VERSIONS      default "3.11 3.12 3.13"
#   SUITES               default "bookworm trixie" (also read by the stand-in script)
#   STORAGE_DRIVER       buildah storage driver; default: buildah's own choice (overlay where
#                        the kernel allows, else vfs). buildah 1.28 ignores this variable, so
#                        when set it is applied through a generated CONTAINERS_STORAGE_CONF
#                        (same file as tests/support/builder.py writes) for us and the stand-in script
#   BUILDAH_ISOLATION    default chroot
set -euo pipefail

start=$EPOCHREALTIME
elapsed() { awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
finish() { echo "setup-builder: $1 (took $(elapsed)s)"; }

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${PYDOCKER_GEN_SHARED:-$(dirname "$REPO_ROOT")/shared}
STANDIN=$SHARED/tools/standin-bases.sh
PYTHON_VERSIONS=${PYTHON_VERSIONS:-3.11 3.12 3.13}
export SUITES=${SUITES:-bookworm trixie}
export BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot}
if [ -n "${STORAGE_DRIVER:-}" ] && [ -z "${CONTAINERS_STORAGE_CONF:-}" ]; then
  [[ $STORAGE_DRIVER =~ ^[a-z0-9]+$ ]] || { echo "setup-builder: bad STORAGE_DRIVER" >&2; exit 1; }
  conf=${TMPDIR:-/tmp}/pydocker-gen-storage-$STORAGE_DRIVER.conf
  printf '[storage]\ndriver = "%s"\nrunroot = "/run/containers/storage"\ngraphroot = "/var/lib/containers/storage"\n' \
    "$STORAGE_DRIVER" >"$conf.$$" && mv "$conf.$$" "$conf"
  export CONTAINERS_STORAGE_CONF=$conf
fi

# `docker` may be a CLI without an engine: only a daemon that answers counts
if command -v docker >/dev/null && timeout 20 docker info >/dev/null 2>&1; then
  finish "docker daemon answers; using docker/BuildKit"
  exit 0
fi

# apt-get needs root; use sudo when we are not root and it exists
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup-builder: not root and no sudo" >&2; exit 1; }
  SUDO=(sudo -E)
fi

if ! command -v buildah >/dev/null || ! command -v debootstrap >/dev/null; then
  echo "setup-builder: installing buildah and debootstrap"
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah debootstrap >/dev/null
fi

missing_images() {
  local have suite v
  have=$("${SUDO[@]}" buildah images --format '{{.Name}}:{{.Tag}}' 2>/dev/null || true)
  for suite in $SUITES; do
    for v in $PYTHON_VERSIONS; do
      grep -qx "docker.io/library/python:$v-slim-$suite" <<<"$have" || echo "python:$v-slim-$suite"
    done
  done
}

# Two differences from the official images, removed in one labelled layer (added once):
# - the stand-ins copy CPython from pyenv, so sysconfig's INCLUDEPY and the python-X.Y.pc files
#   still name the pyenv prefix (the official images say /usr/local): meson-python builds
#   (pycairo) then miss Python.h. A symlink from that prefix to /usr/local fixes them;
# - the stand-ins install libexpat1, which the official slim images lack (CPython bundles its
#   expat): purged, so an image whose wheels need it fails its ldd check here as it would there.
FIX_LEVEL=2
fix_prefixes() {
  local suite v tag dir newest=${SUITES##* }
  for suite in $SUITES; do
    for v in $PYTHON_VERSIONS; do
      tag=docker.io/library/python:$v-slim-$suite
      [ "$("${SUDO[@]}" buildah inspect --type image --format '{{index .Docker.Config.Labels "pydocker-gen.standin-fixed"}}' "$tag" 2>/dev/null)" = "$FIX_LEVEL" ] && continue
      dir=$(mktemp -d)
      cat >"$dir/Containerfile" <<EOT
FROM $tag
RUN p=\$(python -c "import sysconfig; print(sysconfig.get_config_var('prefix'))") && if [ "\$p" != /usr/local ] && [ ! -e "\$p" ]; then mkdir -p "\$(dirname "\$p")" && ln -s /usr/local "\$p"; fi \\
 && if dpkg -s libexpat1 >/dev/null 2>&1; then dpkg --purge libexpat1; fi \\
 && python -c "import pyexpat, sqlite3, ssl, ctypes, lzma, bz2, zlib"
LABEL pydocker-gen.standin-fixed=$FIX_LEVEL
EOT
      "${SUDO[@]}" env BUILDAH_ISOLATION="$BUILDAH_ISOLATION" buildah bud -q --pull=never --format docker -t "$tag" "$dir" >/dev/null
      [ "$suite" = "$newest" ] && "${SUDO[@]}" buildah tag "$tag" "docker.io/library/python:$v-slim"
      rm -rf "$dir"
      echo "setup-builder: fixed the CPython prefix and removed libexpat1 in $tag"
    done
  done
}

missing=$(missing_images)
if [ -z "$missing" ]; then
  fix_prefixes
  finish "buildah $(buildah --version | awk '{print $3}') and all stand-in bases present"
  exit 0
fi

[ -f "$STANDIN" ] || { echo "setup-builder: $STANDIN not found (set PYDOCKER_GEN_SHARED)" >&2; exit 1; }

# a second concurrent copy would debootstrap into the same work folder: serialise runs
exec 9>"${TMPDIR:-/tmp}/pydocker-gen-setup-builder.lock"
flock -w 3600 9 || { echo "setup-builder: timed out waiting for the lock" >&2; exit 1; }
# a stand-in build started by someone else (e.g. machine provisioning) is waited for, not duplicated
for _ in $(seq 240); do
  pgrep -f 'bash [^ ]*standin-bases[.]sh' >/dev/null || break
  echo "setup-builder: waiting for a running standin-bases.sh"
  sleep 15
done

missing=$(missing_images)
if [ -n "$missing" ]; then
  echo "setup-builder: building stand-ins for: ${missing//$'\n'/ }"
  # shellcheck disable=SC2086  # the version list is meant to split
  "${SUDO[@]}" env BUILDAH_ISOLATION="$BUILDAH_ISOLATION" SUITES="$SUITES" \
    ${CONTAINERS_STORAGE_CONF:+CONTAINERS_STORAGE_CONF="$CONTAINERS_STORAGE_CONF"} \
    bash "$STANDIN" $PYTHON_VERSIONS
fi

missing=$(missing_images)
if [ -n "$missing" ]; then
  echo "setup-builder: still missing after the stand-in script: ${missing//$'\n'/ }" >&2
  exit 1
fi
fix_prefixes
finish "stand-in bases ready"
