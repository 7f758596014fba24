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
name="$KUBE_VERSION-etcd$ETCD_VERSION-$(go env GOOS)-$(go env GOARCH)"
out="$root/bin/k8s/$name"
# A second cache outside the work tree lets fresh clones on the same machine
# (CI runs in one) skip the few-minute build.
shared="${SAILPLANE_ENVTEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sailplane/envtest}/$name"
have() { [[ -x "$1/kube-apiserver" && -x "$1/etcd" ]]; }
if have "$out"; then
  echo "$out"
  exit 0
fi
mkdir -p "$out"
if have "$shared"; then
  cp "$shared/kube-apiserver" "$shared/etcd" "$out/"
  echo "$out"
  exit 0
fi
echo "building kube-apiserver v$KUBE_VERSION and etcd v$ETCD_VERSION from the Go module proxy (a few minutes, once)" >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

staging="v0.${KUBE_VERSION#1.}"
kmod="$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"

# Without these the server reports v0.0.0-master, which confuses clients
# that look at the server version.
minor="${KUBE_VERSION#*.}"; minor="${minor%%.*}"
version_flags="-X k8s.io/component-base/version.gitVersion=v$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
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
   cd "$work/apiserver" && GOFLAGS=-mod=mod go build -trimpath -ldflags "$version_flags" -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
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
mkdir -p "$shared"
cp "$out/kube-apiserver" "$out/etcd" "$shared/"
echo "$out"
