#!/usr/bin/env bash
# Build the real servers the tests and the demo run (kube-apiserver, kube-controller-manager,
# kubectl, etcd, helm, Pebble, promtool and prometheus, Traefik) from their Go modules, once, into a cache outside
# the repo; also the Gateway API CRDs (standard channel), from their Go module, into gateway-api-crds/ of
# the same set. A warm run only checks that each binary exists. Last line of output: the directory.
#   hack/testbin.sh              build what is missing of every part (the target `all`; `make test`)
#   hack/testbin.sh demo         only what `make demo` starts: etcd, kube-apiserver, kubectl, Pebble, the
#                                Gateway API CRDs
#   hack/testbin.sh helm traefik only these parts (pebble, helm, etcd, k8s, k8s_demo, prometheus,
#                                traefik, gateway_api_crds, iproute2)
# Without arguments the targets are $EVERCERT_TESTBIN_TARGETS (default: all). The directory links what
# is built so far; what a target leaves out is missing from it (the test bed then falls back or says so).
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.35.4}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
HELM_VERSION=${HELM_VERSION:-v3.22.0}
PEBBLE_VERSION=${PEBBLE_VERSION:-v2.10.3}
# The module tags Prometheus 3.x releases as v0.3xx.y: v0.316.0 is Prometheus 3.16.0 (it needs Go 1.26.7;
# 3.14 and 3.15 have a replace directive in their go.mod, which `go install pkg@version` refuses).
PROMETHEUS_VERSION=${PROMETHEUS_VERSION:-v0.316.0}
GATEWAY_API_VERSION=${GATEWAY_API_VERSION:-v1.5.1}
# Traefik 3.7 needs a nested module (github.com/traefik/traefik/dynamic/ext, replaced by a path inside the
# repository) that the module proxy does not serve; 3.6 has none.
TRAEFIK_VERSION=${TRAEFIK_VERSION:-v3.6.15}
# A second ACME CA (no ARI, no profiles); its go.mod has no replace lines.
STEPCA_VERSION=${STEPCA_VERSION:-v0.30.2}
# cert-manager's CRDs (not its controller), for `kubectl evercert migrate`'s tests.
CERT_MANAGER_VERSION=${CERT_MANAGER_VERSION:-v1.21.2}

TESTBIN=${EVERCERT_TESTBIN:-$HOME/.cache/evercert/bin}
SET_DIR="$TESTBIN/k8s-$K8S_VERSION.etcd-$ETCD_VERSION.helm-$HELM_VERSION.pebble-$PEBBLE_VERSION.prometheus-$PROMETHEUS_VERSION"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local

# Two runs at once (parallel test sessions) would build into the same folders: the second waits.
mkdir -p "$TESTBIN"
exec 9>"$TESTBIN/.lock"
flock 9

log() { printf '[testbin] %s\n' "$*" >&2; }

need() {  # need DIR BIN...: true when any BIN is missing from DIR
  local dir=$1; shift
  for b in "$@"; do [ -x "$dir/$b" ] || return 0; done
  return 1
}

build_pebble() {
  local dir="$TESTBIN/pebble-$PEBBLE_VERSION"
  need "$dir" pebble pebble-challtestsrv || return 0
  log "building Pebble $PEBBLE_VERSION"
  mkdir -p "$dir.tmp"
  GOBIN="$dir.tmp" go install "github.com/letsencrypt/pebble/v2/cmd/pebble@$PEBBLE_VERSION" \
    "github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv@$PEBBLE_VERSION"
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
}

build_helm() {
  local dir="$TESTBIN/helm-$HELM_VERSION"
  need "$dir" helm || return 0
  log "building helm $HELM_VERSION"
  mkdir -p "$dir.tmp"
  GOBIN="$dir.tmp" go install -ldflags "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
}

build_etcd() {
  local dir="$TESTBIN/etcd-$ETCD_VERSION"
  need "$dir" etcd || return 0
  log "building etcd $ETCD_VERSION"
  local mod="$TESTBIN/src/etcd-$ETCD_VERSION"
  mkdir -p "$mod" "$dir.tmp"
  (cd "$mod" && [ -f go.mod ] || (cd "$mod" && go mod init evercert.testbin/etcd >/dev/null 2>&1))
  (cd "$mod" && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" \
    && go build -o "$dir.tmp/etcd" go.etcd.io/etcd/server/v3)
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
}

build_prometheus() {  # promtool (rule checks and rule unit tests) and a server that scrapes the operator
  local dir="$TESTBIN/prometheus-$PROMETHEUS_VERSION"
  need "$dir" promtool prometheus || return 0
  log "building promtool and prometheus $PROMETHEUS_VERSION"
  local release=${PROMETHEUS_VERSION#v0.}  # v0.316.0 -> 316.0 -> 3.16.0
  release="3.${release:1:2}.${release#*.}"
  mkdir -p "$dir.tmp"
  # Without the `builtinassets` tag the web UI's assets are neither needed nor embedded (the API still
  # answers); `remove_all_sd` leaves out the cloud service discoveries (static and file targets remain).
  GOBIN="$dir.tmp" go install -tags remove_all_sd \
    -ldflags "-s -w -X github.com/prometheus/common/version.Version=$release" \
    "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION" \
    "github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_VERSION"
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
}

k8s_wrapper_module() {  # write a module that requires k8s.io/kubernetes with its staging modules pinned
  local mod=$1 staging_ver="v0.${K8S_VERSION#v1.}"
  mkdir -p "$mod"
  [ -f "$mod/go.sum" ] && return 0
  local gomod
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
  {
    echo "module evercert.testbin/k8s"
    echo
    grep -E '^go ' "$gomod"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    grep -E '^\s+k8s\.io/\S+ v0\.0\.0$' "$gomod" | awk -v v="$staging_ver" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } > "$mod/go.mod"
  (cd "$mod" && go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kube-controller-manager@$K8S_VERSION" "k8s.io/kubernetes/cmd/kubectl@$K8S_VERSION")
}

build_k8s() { build_k8s_commands kube-apiserver kube-controller-manager kubectl; }

build_k8s_demo() { build_k8s_commands kube-apiserver kubectl; }  # the demo runs no controller manager

build_k8s_commands() {  # build_k8s_commands CMD...: those of k8s.io/kubernetes/cmd/ that are missing
  local dir="$TESTBIN/k8s-$K8S_VERSION" missing=() cmd
  for cmd in "$@"; do [ -x "$dir/$cmd" ] || missing+=("$cmd"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local mod="$TESTBIN/src/k8s-$K8S_VERSION"
  log "building ${missing[*]} $K8S_VERSION (slow on a cold machine)"
  k8s_wrapper_module "$mod"
  local minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  local pkg=k8s.io/component-base/version
  local ldflags="-s -w -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  mkdir -p "$dir"
  for cmd in "${missing[@]}"; do
    log "  go build $cmd"
    (cd "$mod" && go build -tags selinux,notest,grpcnotrace -ldflags "$ldflags" -o "$dir/$cmd.part" "k8s.io/kubernetes/cmd/$cmd")
    mv "$dir/$cmd.part" "$dir/$cmd"
  done
}

build_traefik() {  # the ingress controller that routes HTTP-01 challenges in the tests (Ingress and Gateway API)
  local dir="$TESTBIN/traefik-$TRAEFIK_VERSION"
  need "$dir" traefik || return 0
  log "building Traefik $TRAEFIK_VERSION (slow on a cold machine)"
  # Its go.mod replaces modules with forks, which `go install pkg@version` refuses: a wrapper module
  # repeats those replace and exclude directives.
  local mod="$TESTBIN/src/traefik-$TRAEFIK_VERSION"
  mkdir -p "$mod" "$dir.tmp"
  if [ ! -f "$mod/go.sum" ]; then
    local gomod
    gomod=$(go mod download -json "github.com/traefik/traefik/v3@$TRAEFIK_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
    {
      echo "module evercert.testbin/traefik"
      echo
      grep -E '^go ' "$gomod"
      echo
      echo "require github.com/traefik/traefik/v3 $TRAEFIK_VERSION"
      echo
      # Every `old => new version` line of its replace blocks, and its exclude lines.
      awk '/^replace \(/{r=1; next} r && /^\)/{r=0} r && /=>/ {print "replace " $1 " => " $3 " " $4}
           /^replace [^(]/ && NF == 5 {print} /^exclude /{print}' "$gomod"
    } > "$mod/go.mod"
    (cd "$mod" && go get "github.com/traefik/traefik/v3/cmd/traefik@$TRAEFIK_VERSION")
  fi
  (cd "$mod" && go build -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=${TRAEFIK_VERSION#v}" \
    -o "$dir.tmp/traefik" github.com/traefik/traefik/v3/cmd/traefik)
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
}

build_stepca() {  # smallstep's step-ca: the second ACME CA of the tests
  local dir="$TESTBIN/step-ca-$STEPCA_VERSION"
  need "$dir" step-ca || return 0
  log "building step-ca $STEPCA_VERSION"
  mkdir -p "$dir.tmp"
  GOBIN="$dir.tmp" go install -ldflags "-s -w" "github.com/smallstep/certificates/cmd/step-ca@$STEPCA_VERSION"
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
}

# The cert-manager DNS webhook of the tests (hack/pdns-webhook: PowerDNS's HTTP API on cert-manager's webhook
# server library), with Debian's PowerDNS behind it. Rebuilt when its source changes.
PDNS_WEBHOOK_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/pdns-webhook"
build_pdns_webhook() {
  bash "$(dirname "$PDNS_WEBHOOK_SRC")/debs.sh" pdns-server pdns-backend-sqlite3
  local dir="$TESTBIN/pdns-webhook-$(cat "$PDNS_WEBHOOK_SRC"/go.mod "$PDNS_WEBHOOK_SRC"/go.sum "$PDNS_WEBHOOK_SRC"/main.go | sha256sum | cut -c1-12)"
  need "$dir" pdns-webhook || { ln -sfn "$dir" "$TESTBIN/pdns-webhook-current"; return 0; }
  log "building the PowerDNS cert-manager webhook"
  mkdir -p "$dir.tmp"
  (cd "$PDNS_WEBHOOK_SRC" && go build -ldflags "-s -w" -o "$dir.tmp/pdns-webhook" .)
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
  ln -sfn "$dir" "$TESTBIN/pdns-webhook-current"
}

build_gateway_api_crds() {
  local dir="$TESTBIN/gateway-api-$GATEWAY_API_VERSION"
  [ -f "$dir/gateway.networking.k8s.io_httproutes.yaml" ] && return 0
  log "fetching the Gateway API $GATEWAY_API_VERSION CRDs (standard channel)"
  local module
  module=$(go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
  # The CRDs only: the channel's ValidatingAdmissionPolicy guards upgrades, which a test bed never makes.
  cp "$module"/config/crd/standard/gateway.networking.k8s.io_*.yaml "$dir.tmp/"
  rm -f "$dir.tmp"/gateway.networking.k8s.io_vap_*.yaml; chmod u+w "$dir.tmp"/*.yaml
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
}

build_cert_manager_crds() {
  local dir="$TESTBIN/cert-manager-crds-$CERT_MANAGER_VERSION"
  [ -f "$dir/cert-manager.io_certificates.yaml" ] && return 0
  log "fetching cert-manager's $CERT_MANAGER_VERSION CRDs"
  local module
  module=$(go mod download -json "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
  cp "$module"/deploy/crds/*cert-manager.io_*.yaml "$dir.tmp/"; chmod u+w "$dir.tmp"/*.yaml
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
}

build_iproute2() {  # `ip`: the test bed makes a network namespace for solver Pods (Traefik routes to them)
  command -v ip >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    bash "$(dirname "${BASH_SOURCE[0]}")/debs.sh" iproute2
  else
    log "no \`ip\` (iproute2): HTTP-01 tests fall back to the solver host's own routing"
  fi
}

link_set() {
  mkdir -p "$SET_DIR"
  local src
  shopt -s nullglob  # parts not built (yet) are left out
  for src in "$TESTBIN/k8s-$K8S_VERSION"/* "$TESTBIN/etcd-$ETCD_VERSION"/* "$TESTBIN/helm-$HELM_VERSION"/* "$TESTBIN/pebble-$PEBBLE_VERSION"/* \
    "$TESTBIN/prometheus-$PROMETHEUS_VERSION"/* "$TESTBIN/traefik-$TRAEFIK_VERSION"/* \
    "$TESTBIN/step-ca-$STEPCA_VERSION"/* "$TESTBIN/pdns-webhook-current"/*; do
    ln -sfn "$src" "$SET_DIR/$(basename "$src")"
  done
  if [ -d "$TESTBIN/gateway-api-$GATEWAY_API_VERSION" ]; then
    ln -sfn "$TESTBIN/gateway-api-$GATEWAY_API_VERSION" "$SET_DIR/gateway-api-crds"
  fi
  if [ -d "$TESTBIN/cert-manager-crds-$CERT_MANAGER_VERSION" ]; then
    ln -sfn "$TESTBIN/cert-manager-crds-$CERT_MANAGER_VERSION" "$SET_DIR/cert-manager-crds"
  fi
}

# The parts of each target, in build order. Keep `all` whole: `make test` and `make bench` use it.
target_parts() {
  case $1 in
    demo) echo pebble etcd k8s_demo gateway_api_crds iproute2 ;;
    all) echo pebble helm etcd k8s prometheus traefik stepca pdns_webhook gateway_api_crds cert_manager_crds iproute2 ;;
    *) declare -F "build_$1" >/dev/null && echo "$1" ;;
  esac
}

start=$SECONDS
parts=" "
[ $# -gt 0 ] || set -- ${EVERCERT_TESTBIN_TARGETS:-all}
for target in "$@"; do
  found=$(target_parts "$target") || { log "unknown target $target: demo, all, or a part"; exit 2; }
  for part in $found; do
    case $parts in *" $part "*) ;; *) parts+="$part " ;; esac
  done
done
for part in $parts; do
  part_start=$SECONDS
  "build_$part"
  if [ $((SECONDS - part_start)) -gt 2 ]; then log "$part: $((SECONDS - part_start)) s"; fi
done
link_set
log "ready in $((SECONDS - start)) s"
echo "$SET_DIR"
