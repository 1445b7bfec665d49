#!/usr/bin/env bash
# Pin every Python dependency with its hashes (uv, from PyPI), for Python 3.11 on any platform:
#   requirements.lock        what the image installs (pyproject.toml's dependencies)
#   requirements-test.lock   that plus the `test` extra, at the same versions (make's venv, CI)
#   requirements-build.lock  the build backend (pyproject.toml's [build-system] requires)
# Run after any change of pyproject.toml's dependencies: `make lock`. Versions already locked stay
# unless pyproject.toml no longer allows them (`make lock LOCK_ARGS=--upgrade` takes the newest).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
UV_VERSION=${UV_VERSION:-0.13.8}
TOOLS=${EVERCERT_LOCK_TOOLS:-$HOME/.cache/evercert/lock-tools}
cd "$REPO"

if [ ! -x "$TOOLS/bin/uv" ] || [ "$("$TOOLS/bin/uv" --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install --quiet "uv==$UV_VERSION"
fi
compile() {  # compile OUTPUT ARGS...: the header names the command that made the file
  "$TOOLS/bin/uv" pip compile --quiet --universal --python-version 3.11 --generate-hashes \
    --custom-compile-command "make lock" --output-file "$@" ${LOCK_ARGS:-}
}
compile requirements.lock pyproject.toml
compile requirements-test.lock pyproject.toml --extra test --constraint requirements.lock
python3 -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))' \
  | compile requirements-build.lock -
echo "locked: requirements.lock requirements-test.lock requirements-build.lock"
