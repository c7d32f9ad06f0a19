#!/usr/bin/env bash
# Peak RSS of `hostwatch audit` over N names (default 1,100) whose answers
# hold 4,000 A records each, when the first name is never answered: the rest
# finish while it hangs, and wait in the in-order window. Runs this checkout
# and an older revision (default a129b11, before the window was bounded)
# side by side, three times each, against one loopback server.
# Needs GNU time (Debian: apt-get install time).
# Usage: docs/bench/stalled-first.sh [OLD_REVISION] [N]
set -euo pipefail
old=${1:-a129b11}
n=${2:-1100}
cd "$(dirname "$0")/../.."
dir=$(mktemp -d)
trap 'kill $(cat "$dir/server.pid" 2>/dev/null) 2>/dev/null && wait; rm -rf "$dir"' EXIT

go build -o "$dir/hostwatch-new" ./cmd/hostwatch
go build -o "$dir/stallserver" ./docs/bench/stallserver
mkdir "$dir/old"
git archive "$old" | tar -x -C "$dir/old"
(cd "$dir/old" && go build -o "$dir/hostwatch-old" ./cmd/hostwatch)

for i in $(seq 0 $((n - 1))); do echo "h$i.bench.test"; done >"$dir/names.txt"
"$dir/stallserver" -listen 127.0.0.1:0 -zone bench.test -records 4000 -stall h0.bench.test \
  -addr-file "$dir/addr" >"$dir/server.log" 2>&1 & echo $! >"$dir/server.pid"
for _ in $(seq 100); do [ -s "$dir/addr" ] && break; sleep 0.05; done
addr=$(cat "$dir/addr")

echo "hostwatch audit --resolver $addr --timeout 10s --retries 0 -o jsonl -f names.txt  ($n names, 4,000 A records each, h0 never answered)"
for round in 1 2 3; do
  for v in old new; do
    /usr/bin/time -o "$dir/time" -f "%e %M" \
      "$dir/hostwatch-$v" audit --resolver "$addr" --timeout 10s --retries 0 -o jsonl -f "$dir/names.txt" >"$dir/out.jsonl" || true
    read -r wall rss <"$dir/time"
    lines=$(wc -l <"$dir/out.jsonl")
    ok=$(grep -c '"status":"ok"' "$dir/out.jsonl" || true)
    first=$(head -c 200 "$dir/out.jsonl" | grep -o '"domain":"[^"]*"' | head -1)
    # The statuses of the names that did not resolve (h0 is one of them).
    failed=$(grep -o '"input":"[^"]*","status":"[a-z]*"' "$dir/out.jsonl" | grep -v '"status":"ok"' |
      sed 's/.*"status":"//; s/"$//' | sort | uniq -c | tr -s ' \n' ' ')
    printf '%-3s (%s) round %d: peak RSS %6d MB, wall %5.1f s, %d lines, %d ok, first %s, failed:%s\n' \
      "$v" "$([ $v = old ] && echo "$old" || git rev-parse --short HEAD)" "$round" $((rss / 1024)) "$wall" "$lines" "$ok" "$first" "$failed"
  done
done
