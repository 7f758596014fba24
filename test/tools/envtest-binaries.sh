#!/usr/bin/env bash
# Builds the envtest control plane (kube-apiserver and etcd) from the Go module
# proxy into bin/k8s/<version>/, because setup-envtest's download host is not
# reachable from our machines. The result is cached: a second run is a no-op.
#
# Versions are pinned here and nowhere else. kube-apiserver comes from
# k8s.io/kubernetes, whose go.mod points each k8s.io/* staging module at a
# local directory; a throwaway wrapper module replaces every one of them with
# the published v0.<minor>.<patch> release of the same tag.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-3.6.16}"

root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/bin/k8s/$KUBE_VERSION-linux-amd64"
if [[ -x "$out/kube-apiserver" && -x "$out/etcd" ]]; then
  echo "$out"
  exit 0
fi
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

staging="v0.${KUBE_VERSION#1.}"
kmod="$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"

if [[ ! -x "$out/kube-apiserver" ]]; then
  mkdir -p "$work/apiserver"
  {
    echo "module sailplane.local/envtest-apiserver"
    echo
    echo "go 1.26"
    echo
    echo "require k8s.io/kubernetes v$KUBE_VERSION"
    echo
    grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$kmod" |
      awk -v v="$staging" '{print "replace " $1 " => " $1 " " v}'
  } >"$work/apiserver/go.mod"
  echo 'package tools; import _ "k8s.io/kubernetes/cmd/kube-apiserver"' >"$work/apiserver/tools.go"
  (cd "$work/apiserver" && go mod tidy >/dev/null 2>&1 || true
   cd "$work/apiserver" && GOFLAGS=-mod=mod go build -trimpath -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
fi

if [[ ! -x "$out/etcd" ]]; then
  mkdir -p "$work/etcd"
  cat >"$work/etcd/go.mod" <<MOD
module sailplane.local/envtest-etcd

go 1.26

require go.etcd.io/etcd/server/v3 v$ETCD_VERSION
MOD
  echo 'package tools; import _ "go.etcd.io/etcd/server/v3"' >"$work/etcd/tools.go"
  (cd "$work/etcd" && go mod tidy >/dev/null 2>&1 || true
   cd "$work/etcd" && GOFLAGS=-mod=mod go build -trimpath -o "$out/etcd" go.etcd.io/etcd/server/v3)
fi
echo "$out"
