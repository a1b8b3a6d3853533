#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The answer-engine benchmark (BENCHMARKS.md "Answer engine"):
#   1. generates the benchmark zone (default 1M names) and the query mix,
#   2. runs bench/answer_bench on one core (release build),
#   3. serves the same zone file with knotd and with nsd on loopback and
#      reads each one's resident memory once the zone answers,
# and prints one summary.  Everything stays on 127.0.0.1; the peers are
# stopped at the end.  Usage: scripts/bench-answer.sh [NAMES] [RUNS]
set -euo pipefail

names=${1:-1000000}
runs=${2:-7}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
work=$(mktemp -d /tmp/dpdns-bench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

[ "${SKIP_DEPS:-0}" = 1 ] || bash scripts/deps.sh >/dev/null
if [ ! -d build-rel ]; then
	meson setup build-rel --buildtype=release -Db_ndebug=true >/dev/null
fi
ninja -C build-rel bench/answer_bench >/dev/null

echo "== generating $names names and 1M queries"
python3 bench/gen_zone.py --names "$names" --queries 1000000 \
	--zone "$work/bench.test.zone" --query-file "$work/queries.txt"
records=$(grep -vc '^\$' "$work/bench.test.zone")

echo "== dpdns answer engine ($runs runs, thread CPU time)"
build-rel/bench/answer_bench bench.test "$work/bench.test.zone" "$work/queries.txt" "$runs" |
	tee "$work/dpdns.txt"

# Waits (at most 300 s) until the server on port $1 answers the zone's SOA.
wait_soa() {
	for _ in $(seq 1 600); do
		if kdig +time=1 +retry=0 @127.0.0.1 -p "$1" bench.test SOA 2>/dev/null |
			grep -q 'status: NOERROR'; then
			return 0
		fi
		sleep 0.5
	done
	return 1
}

rss_mb() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

# The server on port $1 must answer a name from the generated zone correctly
# (h12345 has address 10.0.48.57): proof that it serves the whole zone.
check_answer() {
	local got
	got=$(kdig +time=2 +retry=0 +short @127.0.0.1 -p "$1" h12345.bench.test A 2>/dev/null)
	if [ "$got" != "10.0.48.57" ]; then
		echo "bench-answer: server on port $1 answered '$got' for h12345.bench.test A" >&2
		exit 1
	fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== knotd serving the same zone"
kport=$(free_port)
mkdir -p "$work/knot"
cat >"$work/knot/knot.conf" <<EOF
server:
    listen: 127.0.0.1@$kport
    rundir: $work/knot
database:
    storage: $work/knot
zone:
  - domain: bench.test
    file: $work/bench.test.zone
    journal-content: none
    zonefile-sync: -1
    semantic-checks: off
log:
  - target: $work/knot/knot.log
    any: warning
EOF
start=$(date +%s.%N)
knotd -c "$work/knot/knot.conf" &
kpid=$!
pids+=("$kpid")
wait_soa "$kport"
check_answer "$kport"
kload=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN {printf "%.1f", a - b}')
sleep 2 # let the loader threads finish and free their scratch memory
krss=$(rss_mb "$kpid")
echo "knotd: zone served after ${kload}s, RSS ${krss} MB"

echo "== nsd serving the same zone"
nport=$(free_port)
mkdir -p "$work/nsd"
cat >"$work/nsd/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$nport
    zonesdir: "$work"
    database: ""
    pidfile: "$work/nsd/nsd.pid"
    xfrdfile: "$work/nsd/xfrd.state"
    zonelistfile: "$work/nsd/zone.list"
    logfile: "$work/nsd/nsd.log"
    username: ""
    server-count: 1
    ip-freebind: yes
remote-control:
    control-enable: no
zone:
    name: bench.test
    zonefile: bench.test.zone
EOF
start=$(date +%s.%N)
nsd -d -c "$work/nsd/nsd.conf" &
npid=$!
pids+=("$npid")
wait_soa "$nport"
check_answer "$nport"
nload=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN {printf "%.1f", a - b}')
sleep 2
# NSD forks a serving child and an xfrd: count the largest (the zone is shared copy-on-write).
nrss=0
for p in $npid $(pgrep -P "$npid" || true); do
	r=$(rss_mb "$p")
	nrss=$(awk -v a="$r" -v b="$nrss" 'BEGIN {print (a > b) ? a : b}')
done
echo "nsd: zone served after ${nload}s, RSS ${nrss} MB (largest process)"

drss=$(awk '/^rss_zone_mb/ {print $2}' "$work/dpdns.txt")
build=$(awk '/^zone_load_s/ {l=$2} /^snapshot_build_s/ {b=$2} END {printf "%.2f", l + b}' "$work/dpdns.txt")
echo
echo "== summary ($records records, $(nproc) cores, $(uname -r))"
grep -E '^(burst|prepared|reference)_ns_per_query_median|^burst_qps' "$work/dpdns.txt"
echo "dpdns zone memory: ${drss} MB, load+build ${build}s"
echo "knotd RSS: ${krss} MB, zone served after ${kload}s"
echo "nsd RSS: ${nrss} MB, zone served after ${nload}s"
echo "dpdns / knotd memory: $(awk -v a="$drss" -v b="$krss" 'BEGIN {printf "%.2f", a / b}')"
