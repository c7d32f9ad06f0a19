#!/usr/bin/env bash
# Peak RSS of `hostwatch audit -o jsonl` (and `check`) at 100,000 and
# 1,000,000 names, A+AAAA, 100 in flight, against Knot DNS on 127.0.0.1,
# side by side with an older revision (default bd0ca20, before the names
# were streamed). Each list is read from -f and from stdin.
# Needs knotd (Debian: apt-get install knot) and GNU time (apt-get install time).
# Usage: docs/bench/memory.sh [OLD_REVISION] [SIZES...]
set -euo pipefail
old=${1:-bd0ca20}
shift || true
sizes=${*:-100000 1000000}
cd "$(dirname "$0")/../.."
dir=$(mktemp -d)
trap 'kill $(cat "$dir/knot.pid" 2>/dev/null) 2>/dev/null && wait; rm -rf "$dir"' EXIT

go build -o "$dir/hostwatch-new" ./cmd/hostwatch
mkdir "$dir/old"
git archive "$old" | tar -x -C "$dir/old"
(cd "$dir/old" && go build -o "$dir/hostwatch-old" ./cmd/hostwatch)

max=0
for n in $sizes; do [ "$n" -gt "$max" ] && max=$n; done
# One zone of the largest size; each run takes the first N names of it.
. docs/bench/knot-zone.sh
start_knot "$max" "$dir"
wait_knot "$dir/hostwatch-new" 600

# measure LABEL CMD...: runs CMD under GNU time and prints its peak RSS.
measure() {
  local label=$1
  shift
  /usr/bin/time -o "$dir/time" -f "%e %M" "$@" >"$dir/out" 2>"$dir/err" || true
  read -r wall rss <"$dir/time"
  printf '%-44s peak RSS %7.1f MB, wall %6.1f s, %d lines, %d ok\n' "$label" "$(awk "BEGIN{print $rss / 1024}")" "$wall" \
    "$(wc -l <"$dir/out")" "$(grep -c '"status":"ok"' "$dir/out" || true)"
}

common=(--resolver "127.0.0.1:$port" --concurrency 100)
for n in $sizes; do
  head -n "$n" "$dir/names.txt" >"$dir/list.txt"
  echo "== $n names: hostwatch audit ${common[*]} -o jsonl"
  for v in old new; do
    measure "$v audit -o jsonl -f list.txt" "$dir/hostwatch-$v" audit "${common[@]}" -o jsonl -f "$dir/list.txt"
    measure "$v audit -o jsonl -f - < list.txt" sh -c '"$0" audit "$@" -o jsonl -f - <"'"$dir/list.txt"'"' "$dir/hostwatch-$v" "${common[@]}"
  done
  if [ -n "${CHECK:-}" ]; then
    for v in old new; do
      rm -f "$dir/h.db"*
      measure "$v check (first run)" "$dir/hostwatch-$v" check "${common[@]}" --db "$dir/h.db" -f "$dir/list.txt"
    done
  fi
done
