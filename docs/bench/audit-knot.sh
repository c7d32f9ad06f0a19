#!/usr/bin/env bash
# Measures `hostwatch audit` as a bulk tool: A+AAAA for N names (default
# 100,000), 100 in flight, JSON lines out, against Knot DNS on 127.0.0.1.
# Needs knotd (Debian: apt-get install knot) and GNU time (apt-get install time).
# Usage: docs/bench/audit-knot.sh [N]
set -euo pipefail
n=${1:-100000}
cd "$(dirname "$0")/../.."
go build -o bin/hostwatch ./cmd/hostwatch
dir=$(mktemp -d)
trap 'kill $(cat "$dir/knot.pid" 2>/dev/null) 2>/dev/null && wait; rm -rf "$dir"' EXIT

# Every name gets its own A and AAAA record in real provider ranges (Alibaba
# Cloud, Google, OVH, Telkom Indonesia), so that attribution does real work.
python3 - "$n" "$dir" <<'PY'
import sys
n, d = int(sys.argv[1]), sys.argv[2]
v4 = ["170.33.%d.%d", "8.8.%d.%d", "51.210.%d.%d", "36.86.%d.%d"]
v6 = ["2404:2280:100::%x:%x", "2001:4860:4860::%x:%x", "2001:41d0:303::%x:%x", "2408:4000::%x:%x"]
with open(d + "/bench.test.zone", "w") as z, open(d + "/names.txt", "w") as f:
    z.write("$ORIGIN bench.test.\n$TTL 300\n@ IN SOA ns h 1 3600 900 604800 300\n@ IN NS ns\nns IN A 127.0.0.1\n")
    for i in range(n):
        z.write("h%d IN A %s\n" % (i, v4[i % 4] % (i >> 8 & 255, i & 255)))
        z.write("h%d IN AAAA %s\n" % (i, v6[i % 4] % (i >> 16, i & 0xffff)))
        f.write("h%d.bench.test\n" % i)
PY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$dir/knot.conf" <<CONF
server:
    rundir: "$dir"
    listen: 127.0.0.1@$port
log:
  - target: stderr
    any: warning
database:
    storage: "$dir"
template:
  - id: default
    storage: "$dir"
    semantic-checks: off
zone:
  - domain: bench.test
    file: bench.test.zone
CONF
knotd -c "$dir/knot.conf" >"$dir/knot.log" 2>&1 & echo $! >"$dir/knot.pid"
for _ in $(seq 200); do
  bin/hostwatch audit -o jsonl --retries 0 --timeout 200ms --resolver "127.0.0.1:$port" h0.bench.test 2>/dev/null | grep -q '"status":"ok"' && break
  sleep 0.1
done

# timed CMD...: runs CMD under GNU time, prints its figures and keeps its
# wall time in $wall and its CPU time (user + sys) in $cpu. On a busy
# machine the CPU ratio varies less than the wall ratio.
timed() {
  /usr/bin/time -o "$dir/time.txt" -f "%e %U %S %M" "$@"
  read -r wall user sys rss <"$dir/time.txt"
  cpu=$(python3 -c "print($user + $sys)")
  echo "wall $wall s, user $user s, sys $sys s, peak RSS $rss KB" >&2
}

echo "hostwatch audit --resolver 127.0.0.1:$port --concurrency 100 -o jsonl -f names.txt  ($n names)"
timed bin/hostwatch audit --resolver "127.0.0.1:$port" --concurrency 100 -o jsonl -f "$dir/names.txt" >"$dir/out.jsonl"
audit=$wall audit_cpu=$cpu
ok=$(grep -c '"status":"ok"' "$dir/out.jsonl" || true)
lines=$(wc -l <"$dir/out.jsonl")
echo "$lines lines, $ok ok"
# Every answer must be the one in the zone, in input order.
python3 - "$dir/out.jsonl" <<'PY'
import json, sys
v4 = ["170.33.%d.%d", "8.8.%d.%d", "51.210.%d.%d", "36.86.%d.%d"]
for i, line in enumerate(open(sys.argv[1])):
    t = json.loads(line)
    assert t["domain"] == "h%d.bench.test" % i, (i, t["domain"])
    ips = [a["ip"] for a in t["addresses"]]
    assert v4[i % 4] % (i >> 8 & 255, i & 255) in ips, (i, ips)
    assert len(ips) == 2 and all(a["asn"] for a in t["addresses"]), (i, t["addresses"])
print("every answer correct and attributed, in input order")
PY

# check of the same names, side by side with the audit above: the first run
# records every name (all new), the second and third find nothing changed and
# only extend spans. File growth is measured after a checkpoint of the WAL.
db="$dir/history.db"
for run in first second third; do
  echo "hostwatch check --resolver 127.0.0.1:$port --concurrency 100 -o json -f names.txt --db history.db  ($run run)"
  before=0
  [ -f "$db" ] && before=$(stat -c %s "$db")
  timed bin/hostwatch check --resolver "127.0.0.1:$port" --concurrency 100 -o json -f "$dir/names.txt" --db "$db" >"$dir/check.json"
  python3 - "$db" "$before" "$n" "$dir/check.json" "$wall" "$audit" "$cpu" "$audit_cpu" <<'PY'
import json, os, sqlite3, sys
db, before, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
a = [float(x) for x in sys.argv[5:9]]
print("%.2f× the audit's wall time, %.2f× its CPU time (user + sys)" % (a[0] / a[1], a[2] / a[3]))
c = sqlite3.connect(db)
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
spans = c.execute("SELECT count(*), sum(seen_count) FROM observations").fetchone()
c.close()
after = os.path.getsize(db)
changes = len(json.load(open(sys.argv[4]))["changes"])
print("%d changes reported; %d spans holding %d observations; file %d bytes (+%d, %.2f KiB per 1,000 names)"
      % (changes, spans[0], spans[1], after, after - before, (after - before) / 1024 / (n / 1000)))
PY
done
