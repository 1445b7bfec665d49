#!/usr/bin/env bash
# Build the evercert OCI image without a Docker daemon and without a container registry: Debian's
# packages (mmdebstrap) give a build tree with Python; pip installs evercert and its wheels from this
# checkout and PyPI into it; only the runtime files (Python, the libraries it loads, CA certificates,
# /usr/local) go into the final tree, which buildah commits as one layer. The Dockerfile builds the
# same image for users with Docker: same pip install, user, entry point, command, env and labels
# (tests/e2e/test_image_build.py compares them).
#
# The image is kept in the local containers storage, tagged with a hash of its inputs: a run with
# unchanged inputs only checks that it is there. Last line of output: the image's name.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SUITE=${SUITE:-bookworm}
MIRROR=${MIRROR:-http://deb.debian.org}
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$REPO/pyproject.toml")
IMAGE=${IMAGE:-localhost/evercert/evercert:$VERSION}
CACHE=${EVERCERT_IMAGE_CACHE:-$HOME/.cache/evercert/image}
UID_GID=65532

# What the image holds besides /usr/local: Python, the shared libraries it and the wheels load, and
# what TLS needs. Left out on purpose: shells, coreutils, dpkg, apt, and the stdlib modules evercert
# never imports that need more libraries (sqlite3, dbm, readline, curses, nis).
RUNTIME_PACKAGES=(
  base-files netbase media-types ca-certificates libc6 libgcc-s1 zlib1g libexpat1 libffi8 libssl3
  libbz2-1.0 liblzma5 libcrypt1 libuuid1 python3.11-minimal libpython3.11-minimal
  libpython3.11-stdlib python3-minimal
)

log() { printf '[image] %s\n' "$*" >&2; }

install_tools() {  # the Debian tools this script needs, once, on a cold machine
  local missing=()
  command -v buildah >/dev/null || missing+=(buildah)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  command -v podman >/dev/null || missing+=(podman)
  command -v crun >/dev/null || missing+=(crun)
  command -v runc >/dev/null || missing+=(runc)
  command -v fuse-overlayfs >/dev/null || missing+=(fuse-overlayfs)
  command -v newuidmap >/dev/null || missing+=(uidmap)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >&2
}

inputs_hash() {  # everything the image is made from; a change of any of them means a new build
  (cd "$REPO" && {
    printf '%s\n' "$SUITE" "$MIRROR" "${RUNTIME_PACKAGES[*]}"
    find hack/image.sh pyproject.toml README.md operator -type f \
      -not -path '*/__pycache__/*' -not -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-16)
}

image_exists() { buildah inspect --type image "$1" >/dev/null 2>&1; }

build_tree() {  # build_tree DIR: Debian + Python + pip, evercert installed into /usr/local
  local tree=$1 src
  src=$(mktemp -d)
  cp -r "$REPO/pyproject.toml" "$REPO/README.md" "$REPO/operator" "$src/"
  # PyPI is reached with this machine's trust (e.g. a proxy's CA), not with the image's.
  cp "${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}" "$src/build-ca.crt"
  find "$src" -name __pycache__ -prune -exec rm -rf {} +
  # The same install as the Dockerfile's: pip, no cache, evercert and its wheels from PyPI.
  mmdebstrap --variant=essential --mode=root \
    --include="$(IFS=,; echo "${RUNTIME_PACKAGES[*]}"),python3-pip-whl" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --customize-hook="cp -r '$src' \"\$1/tmp/src\"" \
    --customize-hook='pip=$(cd "$1" && echo usr/share/python-wheels/pip-*.whl); chroot "$1" env -u PIP_FIND_LINKS PIP_CERT=/tmp/src/build-ca.crt SSL_CERT_FILE=/tmp/src/build-ca.crt REQUESTS_CA_BUNDLE=/tmp/src/build-ca.crt python3 "/$pip/pip" install --quiet --no-cache-dir --break-system-packages --root-user-action=ignore --disable-pip-version-check /tmp/src' \
    "$SUITE" "$tree" \
    "deb $MIRROR/debian $SUITE main" "deb $MIRROR/debian $SUITE-updates main" \
    "deb $MIRROR/debian-security $SUITE-security main" </dev/null >&2
  rm -rf "$src"
}

runtime_files() {  # runtime_files TREE: the paths (relative, under usr/ for merged-/usr) to keep
  local tree=$1
  chroot "$tree" dpkg-query -L "${RUNTIME_PACKAGES[@]}" \
    | sed -E 's#^/(bin|sbin|lib|lib64)/#/usr/\1/#' | sort -u \
    | while read -r path; do
        # Files and links only (tar makes their folders); docs excluded at install are absent.
        if [ -L "$tree$path" ] || [ -f "$tree$path" ]; then printf '.%s\n' "$path"; fi
      done
  # Made by maintainer scripts, not listed by dpkg: the CA bundle and the stdlib's system config.
  printf '%s\n' ./etc/ssl/certs/ca-certificates.crt ./etc/ssl/openssl.cnf
  (cd "$tree" && find ./usr/local -mindepth 1 \( -type f -o -type l \) \
    -not -name '*_test.py' -not -name '*_test.cpython-*.pyc')
}

final_tree() {  # final_tree TREE FINAL: the runtime files, the merged-/usr links, the user
  local tree=$1 final=$2
  mkdir -p "$final"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc,tmp,home/nonroot}
  for d in bin sbin lib lib64; do ln -s "usr/$d" "$final/$d"; done
  runtime_files "$tree" | tar -C "$tree" --no-recursion -T - -cf - | tar -C "$final" -xf -
  # Helpers of Debian's own Python tooling, never run in the image.
  rm -f "$final"/usr/bin/py3{clean,compile,versions}
  chmod 1777 "$final/tmp"
  printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnonroot:x:%s:%s:nonroot:/home/nonroot:/usr/sbin/nologin\n' \
    "$UID_GID" "$UID_GID" >"$final/etc/passwd"
  printf 'root:x:0:\nnonroot:x:%s:\n' "$UID_GID" >"$final/etc/group"
  chown "$UID_GID:$UID_GID" "$final/home/nonroot"
  # Without a shell or coreutils: Python itself proves that everything it loads is there.
  chroot "$final" /usr/bin/python3 -c \
    'import evercert.cli, aiohttp, kopf, kubernetes_asyncio.client, acme.client, yaml, ssl, uuid, lzma, bz2
import cryptography.hazmat.bindings._rust, ssl; ssl.create_default_context().get_ca_certs() or exit(2)'
  chroot --userspec="$UID_GID:$UID_GID" "$final" /usr/local/bin/evercert --help >/dev/null
}

commit_image() {  # commit_image FINAL NAME: one layer, the Dockerfile's config
  local final=$1 name=$2 ctr
  ctr=$(buildah from scratch)
  tar -C "$final" --numeric-owner -cf "$final.tar" .
  buildah add --quiet "$ctr" "$final.tar" / >/dev/null
  buildah config \
    --label org.opencontainers.image.title=evercert \
    --label org.opencontainers.image.description="ACME certificates for Kubernetes" \
    --label org.opencontainers.image.licenses=Apache-2.0 \
    --label org.opencontainers.image.version="$VERSION" \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 --env PYTHONDONTWRITEBYTECODE=1 --env PYTHONUNBUFFERED=1 \
    --user "$UID_GID:$UID_GID" --entrypoint '["evercert"]' --cmd '["run"]' "$ctr"
  buildah commit --quiet --rm "$ctr" "$name" >/dev/null
}

main() {
  install_tools
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.lock"
  flock 9
  local key keyed
  key=$(inputs_hash)
  keyed="localhost/evercert/evercert:inputs-$key"
  if image_exists "$keyed"; then
    log "up to date ($keyed)"
    image_exists "$IMAGE" || buildah tag "$keyed" "$IMAGE"
  else
    local started
    started=$(date +%s)
    WORK=$(mktemp -d "$CACHE/build.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
    log "building $IMAGE from $SUITE packages and PyPI (inputs $key)"
    build_tree "$WORK/tree"
    final_tree "$WORK/tree" "$WORK/final"
    commit_image "$WORK/final" "$keyed"
    buildah tag "$keyed" "$IMAGE"
    # Earlier builds of other inputs: only the newest is kept.
    podman images --format '{{.Repository}}:{{.Tag}}' | grep -F 'localhost/evercert/evercert:inputs-' \
      | grep -vxF "$keyed" | xargs -r podman rmi >/dev/null 2>&1 || true
    log "built in $(( $(date +%s) - started )) s"
  fi
  log "size $(podman image inspect --format '{{.Size}}' "$IMAGE") bytes"
  echo "$IMAGE"
}

main "$@"
