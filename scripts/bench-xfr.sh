#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The zone-transfer benchmark (BENCHMARKS.md "Zone transfers"):
#   1. generates the benchmark zone (bench/gen_zone.py, default 1M names,
#      about 1.65M records),
#   2. runs bench/xfr_bench.py RUNS times: in two network namespaces it creates
#      (198.18.0.0/24), a knotd primary (TSIG hmac-sha256, IXFR journal, NOTIFY)
#      and three secondaries of it: dpdnsd (net_af_packet on a veth, --no-huge),
#      knotd and nsd.  Each secondary is started in turn and timed until it
#      serves the zone (and its peak RSS read); then one A record changes on the
#      primary (new zone file, serial + 1, knotc zone-reload) and NOTIFY -> new
#      answer is timed at each secondary,
#   3. prints the medians.
# Needs root.  Bounded: every wait has a timeout, each run a deadline; the
# namespaces, daemons and files are removed at the end, on error and on
# SIGINT/SIGTERM.
# Usage: scripts/bench-xfr.sh [NAMES] [RUNS] [options of bench/xfr_bench.py...]
#   e.g. scripts/bench-xfr.sh 1000000 3 --order dpdnsd   (dpdnsd alone)
# XFR_BENCH_OUT=FILE keeps the per-run JSON lines (appended, so that runs of several
# invocations, e.g. with different --order, can be summarised together:
# python3 bench/xfr_bench.py --summary FILE).
set -euo pipefail

names=${1:-1000000}
runs=${2:-3}
shift $(($# < 2 ? $# : 2))
if ! [[ $names =~ ^[1-9][0-9]*$ ]] || [ "$names" -lt 2 ] || ! [[ $runs =~ ^[1-9][0-9]*$ ]] || [ "$runs" -gt 20 ]; then
	echo "usage: scripts/bench-xfr.sh [NAMES (>= 2)] [RUNS (1-20)] [xfr_bench.py options]" >&2
	exit 2
fi
if [ "$(id -u)" != 0 ]; then
	echo "bench-xfr: needs root (network namespaces, DPDK)" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
work=$(mktemp -d /tmp/dpdns-bench-xfr.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

[ "${SKIP_DEPS:-0}" = 1 ] || bash scripts/deps.sh >/dev/null
if [ ! -d build-rel ]; then
	meson setup build-rel --buildtype=release -Db_ndebug=true >/dev/null
fi
ninja -C build-rel -j2 src/daemon/dpdnsd tools/dpdnsctl >/dev/null

# The interpreter itself, not a wrapper (a pyenv shim would stay behind when the timeout signals
# it, leaving the benchmark without its signal); Debian's, which has python3-dnspython, if it can.
if /usr/bin/python3 -c 'import dns.message' 2>/dev/null; then
	py=/usr/bin/python3
else
	py=$(python3 -c 'import sys; print(sys.executable)')
fi

echo "== generating $names names"
python3 bench/gen_zone.py --names "$names" --queries 0 --zone "$work/bench.test.zone" \
	--query-file /dev/null

echo "== $runs run(s): knotd primary; dpdnsd, knotd and nsd secondaries ($(nproc) CPUs," \
	"load $(cut -d' ' -f1-3 /proc/loadavg))"
# The timeout is a backstop: xfr_bench.py has its own deadline and cleans up on SIGTERM.
timeout --kill-after=30 $((runs * 1200 + 120)) \
	"$py" bench/xfr_bench.py --dpdnsd build-rel/src/daemon/dpdnsd --zone "$work/bench.test.zone" \
	--names "$names" --runs "$runs" --out "$work/runs.jsonl" "$@"
if [ -n "${XFR_BENCH_OUT:-}" ]; then
	cat "$work/runs.jsonl" >> "$XFR_BENCH_OUT"
fi

echo
echo "== summary ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r))"
"$py" bench/xfr_bench.py --summary "$work/runs.jsonl"
