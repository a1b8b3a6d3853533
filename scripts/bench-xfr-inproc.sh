#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Receiving an AXFR in process (BENCHMARKS.md "Zone transfers", in-process figures): builds
# bench/xfr_bench (release) and runs it on the benchmark zone, records in canonical order (as
# knotd and nsd send them) and in zone file order, TSIG hmac-sha256 on every message.  No
# network, no peer, no root.  Prints CPU time per stage, medians.
# Usage: scripts/bench-xfr-inproc.sh [NAMES] [RUNS]   (default 1000000 5)
set -euo pipefail

names=${1:-1000000}
runs=${2:-5}
if ! [[ $names =~ ^[1-9][0-9]*$ ]] || ! [[ $runs =~ ^[1-9][0-9]*$ ]] || [ "$runs" -gt 51 ]; then
	echo "usage: scripts/bench-xfr-inproc.sh [NAMES] [RUNS (1-51)]" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
if [ ! -d build-rel ]; then
	meson setup build-rel --buildtype=release -Db_ndebug=true >/dev/null
fi
ninja -C build-rel -j2 bench/xfr_bench >/dev/null
echo "== $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs," \
	"load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== canonical order"
build-rel/bench/xfr_bench --names "$names" --runs "$runs" --order canonical
echo "== zone file order"
build-rel/bench/xfr_bench --names "$names" --runs "$runs" --order file --no-load
