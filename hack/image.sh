#!/usr/bin/env bash
# Build the evercert OCI image without a Docker daemon and without a container registry: Debian's
# packages (mmdebstrap) give a build tree with Python; pip installs the locked wheels
# (requirements.lock, each checked against its hash) and evercert from this checkout into it; only the
# runtime files (Python, the libraries it loads, CA certificates, /usr/local) go into the final tree,
# which buildah commits as one layer. The Dockerfile builds the same image for users with Docker: same
# locked install, user, entry point, command, env and labels (tests/e2e/test_image_build.py compares).
#
# Reproducible: every file time is SOURCE_DATE_EPOCH (default: the time of the last commit of an input),
# bytecode is hash-checked (no source times inside), the layer is a sorted tar with numeric owners, and
# the image's creation time is SOURCE_DATE_EPOCH too; two builds of the same inputs from clean caches give the same
# image ID (`EVERCERT_IMAGE_REBUILD=1` builds again to check). Debian's packages are the mirror's of the
# day: for a build years later, point MIRROR at snapshot.debian.org. An SBOM (CycloneDX JSON) of the
# image's Python packages is written beside it: $CACHE/evercert-$VERSION.cdx.json.
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
INPUTS=(hack/image.sh hack/sbom.py pyproject.toml requirements.lock requirements-build.lock README.md operator)
# The time of the last commit that changed an input: other commits leave the image as it is.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(cd "$REPO" && git log -1 --format=%ct -- "${INPUTS[@]}" 2>/dev/null || true)}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}
export SOURCE_DATE_EPOCH
SBOM="$CACHE/evercert-$VERSION.cdx.json"

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
  bash "$REPO/hack/debs.sh" buildah mmdebstrap podman crun runc fuse-overlayfs uidmap
}

inputs_hash() {  # everything the image is made from; a change of any of them means a new build
  (cd "$REPO" && {
    printf '%s\n' "$SUITE" "$MIRROR" "${RUNTIME_PACKAGES[*]}" "$SOURCE_DATE_EPOCH"
    find "${INPUTS[@]}" -type f \
      -not -path '*/__pycache__/*' -not -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-16)
}

image_exists() { buildah inspect --type image "$1" >/dev/null 2>&1; }

build_tree() {  # build_tree DIR: Debian + Python + pip, evercert installed into /usr/local
  local tree=$1 src
  src=$(mktemp -d)
  cp -r "$REPO/pyproject.toml" "$REPO/README.md" "$REPO/requirements.lock" "$REPO/requirements-build.lock" \
    "$REPO/operator" "$src/"
  # PyPI is reached with this machine's trust (e.g. a proxy's CA), not with the image's.
  cp "${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}" "$src/build-ca.crt"
  find "$src" -name __pycache__ -prune -exec rm -rf {} +
  # The same install as the Dockerfile's: the locked wheels from PyPI, hash-checked, then evercert built
  # with the locked setuptools (kept out of the image); no cache, no bytecode yet (see compile_bytecode).
  local pip='root=$1; wheel=$(cd "$root" && echo usr/share/python-wheels/pip-*.whl); pip() { chroot "$root" env -u PIP_FIND_LINKS PIP_CERT=/tmp/src/build-ca.crt SSL_CERT_FILE=/tmp/src/build-ca.crt REQUESTS_CA_BUNDLE=/tmp/src/build-ca.crt SOURCE_DATE_EPOCH='"$SOURCE_DATE_EPOCH"' PYTHONPATH=/tmp/build-tools python3 "/$wheel/pip" --quiet --disable-pip-version-check "$@"; }; flags="--no-cache-dir --no-compile --break-system-packages --root-user-action=ignore"'
  mmdebstrap --variant=essential --mode=root \
    --include="$(IFS=,; echo "${RUNTIME_PACKAGES[*]}"),python3-pip-whl" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --customize-hook="cp -r '$src' \"\$1/tmp/src\"" \
    --customize-hook="$pip"'; pip install $flags --require-hashes --no-deps -r /tmp/src/requirements.lock' \
    --customize-hook="$pip"'; pip install $flags --require-hashes --no-deps --target /tmp/build-tools -r /tmp/src/requirements-build.lock' \
    --customize-hook="$pip"'; pip install $flags --no-deps --no-build-isolation /tmp/src' \
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

compile_bytecode() {  # compile_bytecode FINAL: bytecode of /usr/local and of the stdlib modules it loads
  # Bytecode made by import or by pip carries each source file's time; unchecked-hash bytecode carries
  # none and is used as is (the image's files never change). The stdlib modules are those the checks
  # in final_tree imported.
  local final=$1
  (cd "$final" && {
    find usr/lib/python3* -path '*/__pycache__/*.pyc' | sed -E 's#__pycache__/([^./]+)\.[^/]*\.pyc$#\1.py#'
    find usr/local/lib -name '*.py'
  } | sed 's#^#/#' | LC_ALL=C sort -u) >"$final.sources"
  find "$final" -name __pycache__ -type d -prune -exec rm -rf {} +
  chroot "$final" /usr/bin/python3 -m compileall -q --invalidation-mode unchecked-hash -i - \
    <"$final.sources" >/dev/null
}

normalize_times() {  # normalize_times DIR: every file, link and folder at SOURCE_DATE_EPOCH
  find "$1" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +
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
  # Bytecode written (compile_bytecode makes it hash-checked): the stdlib modules evercert loads.
  env -u PYTHONDONTWRITEBYTECODE -u PYTHONPYCACHEPREFIX chroot "$final" /usr/bin/python3 -c \
    'import evercert.cli, aiohttp, kopf, kubernetes_asyncio.client, acme.client, yaml, ssl, uuid, lzma, bz2
import cryptography.hazmat.bindings._rust, ssl; ssl.create_default_context().get_ca_certs() or exit(2)'
  chroot --userspec="$UID_GID:$UID_GID" "$final" /usr/local/bin/evercert --help >/dev/null
  compile_bytecode "$final"
  normalize_times "$final"
}

commit_image() {  # commit_image FINAL NAME: one layer, the Dockerfile's config
  local final=$1 name=$2 ctr
  ctr=$(buildah from scratch)
  tar -C "$final" --sort=name --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -cf "$final.tar" .
  buildah add --quiet "$ctr" "$final.tar" / >/dev/null
  buildah config \
    --label org.opencontainers.image.title=evercert \
    --label org.opencontainers.image.description="ACME certificates for Kubernetes" \
    --label org.opencontainers.image.licenses=Apache-2.0 \
    --label org.opencontainers.image.version="$VERSION" \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 --env PYTHONDONTWRITEBYTECODE=1 --env PYTHONUNBUFFERED=1 \
    --user "$UID_GID:$UID_GID" --entrypoint '["evercert"]' --cmd '["run"]' "$ctr"
  buildah commit --quiet --rm --timestamp "$SOURCE_DATE_EPOCH" --omit-history --identity-label=false \
    "$ctr" "$name" >/dev/null
}

main() {
  install_tools
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.lock"
  flock 9
  local key keyed
  key=$(inputs_hash)
  keyed="localhost/evercert/evercert:inputs-$key"
  if image_exists "$keyed" && [ -z "${EVERCERT_IMAGE_REBUILD:-}" ]; then
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
    python3 "$REPO/hack/sbom.py" "$WORK/final" "$VERSION" "$key" >"$SBOM"
    commit_image "$WORK/final" "$keyed"
    buildah tag "$keyed" "$IMAGE"
    # Earlier builds of other inputs: only the newest is kept.
    podman images --format '{{.Repository}}:{{.Tag}}' | grep -F 'localhost/evercert/evercert:inputs-' \
      | grep -vxF "$keyed" | xargs -r podman rmi >/dev/null 2>&1 || true
    log "built in $(( $(date +%s) - started )) s"
  fi
  log "size $(podman image inspect --format '{{.Size}}' "$IMAGE") bytes, ID $(podman image inspect --format '{{.Id}}' "$IMAGE"), SBOM $SBOM"
  echo "$IMAGE"
}

main "$@"
