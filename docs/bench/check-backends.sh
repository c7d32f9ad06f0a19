#!/usr/bin/env bash
# Measures `hostwatch check` of N names (default 100,000) recording into an
# SQLite file and into PostgreSQL, side by side in one run, against Knot DNS
# on 127.0.0.1 (the zone audit-knot.sh serves: every name an A and an AAAA in
# real provider ranges) and a PostgreSQL server started here as the tests
# start theirs (initdb into a temporary directory, fsync off). Each round
# runs, alternately, a first check into each backend (every name new) and a
# second (every name unchanged); each into a database of its own. Then one
# shard of the Kubernetes example (--shard 0/SHARDS, default 4) into
# PostgreSQL, for the peak RSS and CPU its pod's requests are sized from.
# Needs knotd, GNU time and Debian's postgresql (make bench-knot postgresql).
# Usage: docs/bench/check-backends.sh [N]
# Environment: ROUNDS (default 1); SHARDS (default 4); HOSTWATCH names
# another binary to measure instead of building this tree's.
set -euo pipefail
n=${1:-100000}
cd "$(dirname "$0")/../.."
rounds=${ROUNDS:-1}
shards=${SHARDS:-4}
hw=${HOSTWATCH:-bin/hostwatch}
[ -n "${HOSTWATCH:-}" ] || go build -o bin/hostwatch ./cmd/hostwatch
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=$(mktemp -d)
# PostgreSQL refuses to run as root: as root, it runs as the postgres user,
# in a directory of its own.
pgdir=$dir/pg
mkdir "$pgdir"
as_pg=()
[ "$(id -u)" != 0 ] || { chmod 755 "$dir"; chown postgres "$pgdir"; as_pg=(runuser -u postgres --); }
cleanup() {
  kill "$(cat "$dir/knot.pid" 2>/dev/null)" 2>/dev/null || true
  [ ! -f "$pgdir/data/postmaster.pid" ] || "${as_pg[@]}" "$pgbin/pg_ctl" stop -D "$pgdir/data" -m immediate -w >/dev/null || true
  wait
  rm -rf "$dir"
}
trap cleanup EXIT

. docs/bench/knot-zone.sh
start_knot "$n" "$dir"

pgport=$(free_port)
"${as_pg[@]}" "$pgbin/initdb" --pgdata "$pgdir/data" --username hostwatch --auth trust --no-sync --no-instructions \
  --encoding UTF8 --locale C >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" start -w -t 60 -D "$pgdir/data" -l "$pgdir/log" \
  -o "-c listen_addresses=127.0.0.1 -p $pgport -k $pgdir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=128MB" >/dev/null
newdb() { "$pgbin/psql" -q -h "$pgdir" -p "$pgport" -U hostwatch -d postgres -c "CREATE DATABASE $1"; echo "postgres://hostwatch@/$1?host=$pgdir&port=$pgport"; }

wait_knot "$hw"

# server_cpu: the CPU seconds the PostgreSQL server has used, its ended
# backends included (a check's connections end with it).
server_cpu() {
  python3 - "$(head -1 "$pgdir/data/postmaster.pid")" <<'PY'
import os, sys
f = open("/proc/%s/stat" % sys.argv[1]).read().rsplit(")", 1)[1].split()
print(sum(int(x) for x in f[11:15]) / os.sysconf("SC_CLK_TCK"))
PY
}
# check_into LABEL DB ARGS...: one check, its figures appended to rounds.txt:
# wall, hostwatch's CPU, its peak RSS, and the server's CPU meanwhile.
check_into() {
  label=$1 db=$2
  shift 2
  echo "$label: hostwatch check --resolver 127.0.0.1:$port --concurrency 100 -o json -f names.txt --db ${db%%\?*} $*" >&2
  before=$(server_cpu)
  timed "$hw" check --resolver "127.0.0.1:$port" --concurrency 100 -o json -f "$dir/names.txt" --db "$db" "$@" >"$dir/check.json"
  sleep 0.5 # the backend's exit, reaped
  server=$(python3 -c "print(round($(server_cpu) - $before, 2))")
  echo "  PostgreSQL server CPU meanwhile: $server s" >&2
  python3 - "$dir/check.json" <<'PY' >&2
import json, sys
r = json.load(open(sys.argv[1]))
print("  %d domains, %d changes, recorded %s" % (r["domains"], len(r["changes"]), r["recorded"]))
PY
  echo "$label $wall $cpu $rss $server" >>"$dir/rounds.txt"
}

rm -f "$dir/rounds.txt"
for round in $(seq "$rounds"); do
  echo "round $round of $rounds" >&2
  pg=$(newdb "r$round")
  sq="$dir/r$round.db"
  check_into sqlite-first "$sq"
  check_into postgres-first "$pg"
  check_into sqlite-second "$sq"
  check_into postgres-second "$pg"
done
pg=$(newdb shard)
check_into "shard-0/$shards-postgres-first" "$pg" --shard "0/$shards" --vantage frankfurt
check_into "shard-0/$shards-postgres-second" "$pg" --shard "0/$shards" --vantage frankfurt

python3 - "$dir/rounds.txt" "$n" "$shards" <<'PY'
import collections, statistics, sys
n, shards = int(sys.argv[2]), int(sys.argv[3])
by = collections.defaultdict(list)
for l in open(sys.argv[1]):
    k, wall, cpu, rss, server = l.split()
    by[k].append((float(wall), float(cpu), int(rss), float(server)))
def fig(vals, fmt):
    m = statistics.median(vals)
    return fmt % m if len(vals) == 1 else (fmt + " (" + fmt + "–" + fmt + ")") % (m, min(vals), max(vals))
print("check of %d names, 100 in flight, %d round%s (median (min–max))" % (n, len(by["sqlite-first"]), "" if len(by["sqlite-first"]) == 1 else "s"))
print("| check | backend | names/s | wall | hostwatch CPU (user + sys) | hostwatch peak RSS | PostgreSQL server CPU |")
print("|---|---|---|---|---|---|---|")
for run in ("first", "second"):
    for be in ("sqlite", "postgres"):
        v = by["%s-%s" % (be, run)]
        print("| %s | %s | %s | %s s | %s s | %s MiB | %s |" % (run, be, fig([n / x[0] for x in v], "%.0f"), fig([x[0] for x in v], "%.1f"),
              fig([x[1] for x in v], "%.1f"), fig([x[2] / 1024 for x in v], "%.0f"),
              "–" if be == "sqlite" else fig([x[3] for x in v], "%.1f") + " s"))
    s, p = by["sqlite-" + run], by["postgres-" + run]
    print("  %s check: PostgreSQL at %.2f× SQLite's names/s (median of the rounds' ratios)" % (run, statistics.median([a[0] / b[0] for a, b in zip(s, p)])))
for run in ("first", "second"):
    v = by["shard-0/%d-postgres-%s" % (shards, run)]
    w, c, r, srv = v[0]
    print("one shard (--shard 0/%d, about %d names) into PostgreSQL, %s check: wall %.1f s, hostwatch CPU %.1f s (%.2f cores while it ran), peak RSS %.0f MiB; server CPU %.1f s"
          % (shards, n // shards, run, w, c, c / w, r / 1024, srv))
PY
