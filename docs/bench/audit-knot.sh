#!/usr/bin/env bash
# Measures `hostwatch audit` as a bulk tool: A+AAAA for N names (default
# 100,000), 100 in flight, JSON lines out, against Knot DNS on 127.0.0.1, side
# by side with dnsperf against the same zone in the same run: dnsperf's
# queries/s ÷ 2 is the server's ceiling in names/s, and hostwatch's share of it
# is the figure that counts (the machine's speed varies from run to run; the
# ratio within one run varies much less).
# Needs knotd, dnsperf and GNU time (Debian: apt-get install knot dnsperf time;
# `make bench-knot` installs them).
# Usage: docs/bench/audit-knot.sh [N]
# Environment: ROUNDS (default 1) runs dnsperf and the audit that many times,
# alternately, and prints the median and range; CHECK=0 skips the check runs,
# CHECK_PAIRS="jsonl:json json:json text:text" picks the output formats they
# are compared in (audit:check, each check right after its own audit);
# HOSTWATCH names another binary to measure instead of building this tree's;
# CPUPROFILE=FILE writes a CPU profile of the first audit to FILE (go tool pprof);
# BASELINE=BINARY also runs another hostwatch each round (an older build, for
# a before/after row measured in the same run; the two take turns going
# first); each round prints the load average, and the table its range; DNSX=BINARY and ZDNS=BINARY
# also run dnsx and zdns each round on the same names, 100 at a time,
# against the same server (docs/bench/peers.sh builds dnsx 1.2.3 and zdns
# 2.1.1 into bin/; left out when unset).
set -euo pipefail
n=${1:-100000}
cd "$(dirname "$0")/../.."
rounds=${ROUNDS:-1}
hw=${HOSTWATCH:-bin/hostwatch}
[ -n "${HOSTWATCH:-}" ] || go build -o bin/hostwatch ./cmd/hostwatch
dir=$(mktemp -d)
trap 'kill $(cat "$dir/knot.pid" 2>/dev/null) 2>/dev/null && wait; rm -rf "$dir"' EXIT

. docs/bench/knot-zone.sh
start_knot "$n" "$dir"
wait_knot "$hw"


# dnsperf asks the same 200,000 questions (A and AAAA of each name) with 200
# in flight, as hostwatch's 100 names in flight do, with EDNS as hostwatch
# sends it; it does nothing with the answers, so it is the server's ceiling.
rm -f "$dir/rounds.txt"
for round in $(seq "$rounds"); do
  echo "round $round of $rounds, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  cut -d' ' -f1 /proc/loadavg >>"$dir/load.txt"
  echo "dnsperf -s 127.0.0.1 -p $port -e -q 200 -n 1 -d dnsperf.txt  ($((2 * n)) queries)" >&2
  timed dnsperf -s 127.0.0.1 -p "$port" -e -q 200 -n 1 -d "$dir/dnsperf.txt" >"$dir/dnsperf.out"
  perf_cpu=$cpu perf_rss=$rss
  qps=$(awk '/Queries per second:/ {print $4}' "$dir/dnsperf.out")
  lost=$(awk '/Queries lost:/ {print $3}' "$dir/dnsperf.out")
  echo "dnsperf: $qps queries/s, $lost lost" >&2

  row="$n $qps $lost $perf_cpu $perf_rss"
  labels="hostwatch audit -o jsonl"
  [ -z "${BASELINE:-}" ] || labels="$labels|hostwatch (BASELINE) audit -o jsonl"
  # With BASELINE, the two builds take turns going first (this build in odd
  # rounds), so that neither always runs just after dnsperf; their figures
  # still go into the row in a fixed order.
  order=("$hw")
  if [ -n "${BASELINE:-}" ]; then
    if [ $((round % 2)) = 1 ]; then order=("$hw" "$BASELINE"); else order=("$BASELINE" "$hw"); fi
  fi
  res_hw= res_base=
  for bin in "${order[@]}"; do
    echo "$bin audit --resolver 127.0.0.1:$port --concurrency 100 -o jsonl -f names.txt  ($n names)" >&2
    prof=
    [ "$round" = 1 ] && [ "$bin" = "$hw" ] && prof=${CPUPROFILE:-}
    HOSTWATCH_CPUPROFILE=$prof timed "$bin" audit --resolver "127.0.0.1:$port" --concurrency 100 -o jsonl -f "$dir/names.txt" >"$dir/out.jsonl"
    [ "$bin" = "$hw" ] && audit=$wall audit_cpu=$cpu
    ok=$(grep -c '"status":"ok"' "$dir/out.jsonl" || true)
    lines=$(wc -l <"$dir/out.jsonl")
    echo "$lines lines, $ok ok" >&2
    # Every answer must be the one in the zone, in input order.
    python3 - "$dir/out.jsonl" "$n" <<'PY'
import json, sys
v4 = ["170.33.%d.%d", "8.8.%d.%d", "51.210.%d.%d", "36.86.%d.%d"]
count = 0
for i, line in enumerate(open(sys.argv[1])):
    t = json.loads(line)
    assert t["domain"] == "h%d.bench.test" % i, (i, t["domain"])
    ips = [a["ip"] for a in t["addresses"]]
    assert v4[i % 4] % (i >> 8 & 255, i & 255) in ips, (i, ips)
    assert len(ips) == 2 and all(a["asn"] for a in t["addresses"]), (i, t["addresses"])
    count += 1
assert count == int(sys.argv[2]), count
print("every answer correct and attributed, in input order", file=sys.stderr)
PY
    if [ "$bin" = "$hw" ]; then res_hw="$wall $cpu $rss"; else res_base="$wall $cpu $rss"; fi
  done
  row="$row $res_hw${BASELINE:+ $res_base}"

  # The peers, asked the same questions with the same concurrency. Neither
  # attributes addresses nor keeps the evidence hostwatch writes; each
  # follows CNAMEs (dnsx through the resolver's answer, zdns alookup by
  # asking again). Their answers are counted, not checked one by one.
  if [ -n "${DNSX:-}" ]; then
    echo "$DNSX -l names.txt -r 127.0.0.1:$port -a -aaaa -resp -json -t 100 -silent -duc  ($n names)" >&2
    rm -f "$dir/dnsx.jsonl" # dnsx appends to its -o file
    timed "$DNSX" -l "$dir/names.txt" -r "127.0.0.1:$port" -a -aaaa -resp -json -t 100 -silent -duc -o "$dir/dnsx.jsonl" >/dev/null
    echo "$(grep -c '"a":\[' "$dir/dnsx.jsonl" || true) of $n names with A records, $(grep -c '"aaaa":\[' "$dir/dnsx.jsonl" || true) with AAAA" >&2
    row="$row $wall $cpu $rss"
    labels="$labels|dnsx 1.2.3 -a -aaaa -resp -json"
  fi
  if [ -n "${ZDNS:-}" ]; then
    echo "$ZDNS alookup --ipv4-lookup --ipv6-lookup --name-servers 127.0.0.1:$port --threads 100 --input-file names.txt  ($n names)" >&2
    rm -f "$dir/zdns.jsonl"
    timed "$ZDNS" alookup --ipv4-lookup --ipv6-lookup --name-servers "127.0.0.1:$port" --threads 100 \
      --input-file "$dir/names.txt" --output-file "$dir/zdns.jsonl" 2>"$dir/zdns.log"
    echo "$(grep -c '"ipv4_addresses"' "$dir/zdns.jsonl" || true) of $n names with A records, $(grep -c '"ipv6_addresses"' "$dir/zdns.jsonl" || true) with AAAA" >&2
    row="$row $wall $cpu $rss"
    labels="$labels|zdns 2.1.1 alookup"
  fi
  echo "$row" >>"$dir/rounds.txt"
done
echo "$labels" >"$dir/labels.txt"

# The side-by-side table: one row per tool, the median of the rounds and
# their range.
python3 - "$dir/rounds.txt" "$dir/labels.txt" "$dir/load.txt" <<'PY'
import statistics, sys
rows = [[float(x) for x in l.split()] for l in open(sys.argv[1])]
load = [float(x) for x in open(sys.argv[3])]
names = open(sys.argv[2]).read().strip().split("|")
def fig(vals, fmt):
    m = statistics.median(vals)
    if len(vals) == 1:
        return fmt % m
    return (fmt + " (" + fmt + "–" + fmt + ")") % (m, min(vals), max(vals))
n = rows[0][0]
ceiling = [r[1] / 2 for r in rows]
print("%d names, A+AAAA, 100 in flight, %d round%s (median (min–max)), load average %.1f–%.1f at the rounds' start" % (
    n, len(rows), "" if len(rows) == 1 else "s", min(load), max(load)))
print("| tool | names/s | client CPU | CPU per name | peak RSS | share of the ceiling |")
print("|---|---|---|---|---|---|")
print("| dnsperf (the ceiling: queries/s ÷ 2) | %s | %s s | %s µs | %s MB | 100%% |" % (
    fig(ceiling, "%.0f"), fig([r[3] for r in rows], "%.2f"), fig([1e6 * r[3] / n for r in rows], "%.1f"),
    fig([r[4] / 1024 for r in rows], "%.0f")))
for k in range((len(rows[0]) - 5) // 3):
    c = 5 + 3 * k
    hw = [r[0] / r[c] for r in rows]
    share = [100 * h / p for h, p in zip(hw, ceiling)]
    print("| %s | %s | %s s | %s µs | %s MB | %s |" % (
        names[k], fig(hw, "%.0f"), fig([r[c + 1] for r in rows], "%.2f"), fig([1e6 * r[c + 1] / n for r in rows], "%.1f"),
        fig([r[c + 2] / 1024 for r in rows], "%.0f"), fig(share, "%.0f%%")))
    if k == 0:
        result = statistics.median(share)
print("hostwatch reaches %.0f%% of the server's ceiling (median; goal 65%%, aim 85%%)" % result)
PY
[ "${CHECK:-1}" = 0 ] && exit 0

# check of the same names, each run timed right after an audit of the same
# names in the same moment: the first run records every name (all new), the
# second and third find nothing changed and only extend spans. File growth is
# measured after a checkpoint of the WAL. CHECK_PAIRS lists the output
# formats compared, audit:check (default jsonl:json, the audit's lightest
# format against the check's full document; json:json and text:text compare
# like with like, text being what a scheduled `check` prints by default);
# each pair starts from an empty history. With BASELINE, its checks run too,
# alternating with this build's, each into a database of its own.
for pair in ${CHECK_PAIRS:-jsonl:json}; do
afmt=${pair%%:*} cfmt=${pair#*:}
rm -f "$dir"/history.db* "$dir"/baseline.db*
for run in first second third; do
for bin in "$hw" ${BASELINE:+"$BASELINE"}; do
  db="$dir/history.db"
  [ "$bin" = "$hw" ] || db="$dir/baseline.db"
  echo "$bin audit --resolver 127.0.0.1:$port --concurrency 100 -o $afmt -f names.txt" >&2
  timed "$bin" audit --resolver "127.0.0.1:$port" --concurrency 100 -o "$afmt" -f "$dir/names.txt" >/dev/null
  audit=$wall audit_cpu=$cpu
  echo "$bin check --resolver 127.0.0.1:$port --concurrency 100 -o $cfmt -f names.txt --db $(basename "$db")  ($run run, against audit -o $afmt)"
  before=0
  [ -f "$db" ] && before=$(stat -c %s "$db")
  timed "$bin" check --resolver "127.0.0.1:$port" --concurrency 100 -o "$cfmt" -f "$dir/names.txt" --db "$db" >"$dir/check.out"
  python3 - "$db" "$before" "$n" "$dir/check.out" "$wall" "$audit" "$cpu" "$audit_cpu" "$cfmt" "$rss" <<'PY'
import json, os, sqlite3, sys
db, before, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
a = [float(x) for x in sys.argv[5:9]]
print("%.2f× the audit's wall time, %.2f× its CPU time (user + sys); peak RSS %.0f MB" % (a[0] / a[1], a[2] / a[3], float(sys.argv[10]) / 1024))
c = sqlite3.connect(db)
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
spans = c.execute("SELECT count(*), sum(seen_count) FROM observations").fetchone()
c.close()
after = os.path.getsize(db)
changes = "%d changes reported; " % len(json.load(open(sys.argv[4]))["changes"]) if sys.argv[9] == "json" else ""
print("%s%d spans holding %d observations; file %d bytes (+%d, %.2f KiB per 1,000 names)"
      % (changes, spans[0], spans[1], after, after - before, (after - before) / 1024 / (n / 1000)))
PY
done
done
done
