#!/usr/bin/env bash
# Install Debian packages the test bed runs (DNS servers, HAProxy, ...), once per machine.
# Serialised with a lock so parallel callers do not fight over dpkg; `apt-get update` runs at most
# once per hour. Usage: hack/debs.sh PACKAGE...   (already installed packages cost nothing)
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
exec 9>/var/lock/evercert-debs.lock
flock 9
stamp=/var/lib/apt/periodic/evercert-update-stamp
mkdir -p "$(dirname "$stamp")"
if [ -z "$(find "$stamp" -mmin -60 2>/dev/null)" ]; then
  apt-get update -qq >&2
  touch "$stamp"
fi
printf '[debs] installing %s\n' "${missing[*]}" >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
