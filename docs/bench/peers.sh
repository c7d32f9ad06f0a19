#!/usr/bin/env bash
# Builds the peers audit-knot.sh can run side by side, dnsx 1.2.3 and zdns
# 2.1.1, into bin/ (gitignored), from the Go module proxy. `go install
# MODULE@VERSION` refuses both here (the proxy lists no versions of either,
# which go install asks for to check deprecation), so each is built from a
# throwaway module that requires that exact version.
# Usage: docs/bench/peers.sh; then
#   DNSX=bin/dnsx ZDNS=bin/zdns CHECK=0 ROUNDS=5 docs/bench/audit-knot.sh 100000
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$PWD/bin
mkdir -p "$out/peers"
build() { # name module version package
  local d="$out/peers/$1"
  mkdir -p "$d"
  printf 'module peers%s\n\ngo 1.26.8\n\nrequire %s %s\n' "$1" "$2" "$3" >"$d/go.mod"
  (cd "$d" && GOFLAGS=-mod=mod go build -o "$out/$1" "$4")
  echo "built bin/$1 ($2 $3)"
}
[ -x "$out/dnsx" ] || build dnsx github.com/projectdiscovery/dnsx v1.2.3 github.com/projectdiscovery/dnsx/cmd/dnsx
[ -x "$out/zdns" ] || build zdns github.com/zmap/zdns/v2 v2.1.1 github.com/zmap/zdns/v2
