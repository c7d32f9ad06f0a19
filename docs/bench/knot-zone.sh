# Sourced by the Knot benchmarks: start_knot N DIR writes a zone bench.test
# of N names into DIR, each with its own A and AAAA record in real provider
# ranges (Alibaba Cloud, Google, OVH, Telkom Indonesia, so that attribution
# does real work), the names in DIR/names.txt and dnsperf's questions (A and
# AAAA of each) in DIR/dnsperf.txt, and starts knotd on a free port of
# 127.0.0.1: its port in $port, its pid in DIR/knot.pid.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_knot() {
  local n=$1 dir=$2
  python3 - "$n" "$dir" <<'PY'
import sys
n, d = int(sys.argv[1]), sys.argv[2]
v4 = ["170.33.%d.%d", "8.8.%d.%d", "51.210.%d.%d", "36.86.%d.%d"]
v6 = ["2404:2280:100::%x:%x", "2001:4860:4860::%x:%x", "2001:41d0:303::%x:%x", "2408:4000::%x:%x"]
with open(d + "/bench.test.zone", "w") as z, open(d + "/names.txt", "w") as f, open(d + "/dnsperf.txt", "w") as q:
    z.write("$ORIGIN bench.test.\n$TTL 300\n@ IN SOA ns h 1 3600 900 604800 300\n@ IN NS ns\nns IN A 127.0.0.1\n")
    for i in range(n):
        z.write("h%d IN A %s\n" % (i, v4[i % 4] % (i >> 8 & 255, i & 255)))
        z.write("h%d IN AAAA %s\n" % (i, v6[i % 4] % (i >> 16, i & 0xffff)))
        f.write("h%d.bench.test\n" % i)
        q.write("h%d.bench.test A\nh%d.bench.test AAAA\n" % (i, i))
PY
  port=$(free_port)
  cat >"$dir/knot.conf" <<CONF
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
  knotd -c "$dir/knot.conf" >"$dir/knot.log" 2>&1 &
  echo $! >"$dir/knot.pid"
}

# wait_knot HOSTWATCH [TRIES]: waits until HOSTWATCH resolves h0.bench.test
# through the server start_knot started (TRIES × 0.1 s at most, default 200).
wait_knot() {
  for _ in $(seq "${2:-200}"); do
    "$1" audit -o jsonl --retries 0 --timeout 200ms --resolver "127.0.0.1:$port" h0.bench.test 2>/dev/null | grep -q '"status":"ok"' && return
    sleep 0.1
  done
}

# timed CMD...: runs CMD under GNU time, prints its figures on stderr and
# keeps its wall time in $wall, its CPU time (user + sys) in $cpu and its
# peak RSS in KB in $rss. On a busy machine the CPU ratio varies less than
# the wall ratio.
timed() {
  /usr/bin/time -o "$dir/time.txt" -f "%e %U %S %M" "$@"
  read -r wall user sys rss <"$dir/time.txt"
  cpu=$(python3 -c "print($user + $sys)")
  echo "  wall $wall s, user $user s, sys $sys s, peak RSS $rss KB" >&2
}
