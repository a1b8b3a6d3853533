#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The fastpath loop benchmark (BENCHMARKS.md "Fastpath loop"):
#   1. generates the benchmark zone (default 1M names) and the query mix
#      (bench/gen_zone.py, the same as scripts/bench-answer.sh),
#   2. runs bench/loop_bench (release build): a generator on the main lcore
#      and the worker loop (fp_worker_main) on a second lcore over two
#      ring-joined DPDK ports, alternating with a MAC-swap reflector on the
#      same lcore and link and with a timed copy of the worker loop, RUNS
#      runs of SECONDS each per mode,
# and prints a summary.  No network: the two ports live in this process.
# Needs root (EAL) and two cores.  Bounded: every run ends by itself.
# Usage: scripts/bench-loop.sh [NAMES] [RUNS] [SECONDS]
set -euo pipefail

names=${1:-1000000}
runs=${2:-5}
seconds=${3:-5}
for v in "$names" "$runs" "$seconds"; do
	if ! [[ $v =~ ^[1-9][0-9]*$ ]]; then
		echo "usage: scripts/bench-loop.sh [NAMES] [RUNS (1-15)] [SECONDS (1-60)]: '$v' is not a count" >&2
		exit 2
	fi
done
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
work=$(mktemp -d /tmp/dpdns-bench-loop.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

[ "${SKIP_DEPS:-0}" = 1 ] || bash scripts/deps.sh >/dev/null
if [ ! -d build-rel ]; then
	meson setup build-rel --buildtype=release -Db_ndebug=true >/dev/null
fi
ninja -C build-rel bench/loop_bench >/dev/null

echo "== generating $names names and 1M queries"
python3 bench/gen_zone.py --names "$names" --queries 1000000 \
	--zone "$work/bench.test.zone" --query-file "$work/queries.txt"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== loop_bench: $runs runs x (reflect, answer, timed), ${seconds}s each after 1s warm-up"
# --no-huge: no hugepages needed (the mbufs and rings live in ordinary memory);
# --no-shconf: no runtime files, so it never collides with another DPDK process.
# The timeout is a backstop only: loop_bench stops by itself.
timeout --kill-after=10 $((runs * 3 * (seconds + 3) + 300)) \
	build-rel/bench/loop_bench --no-huge --no-shconf -m 512 -l 0-1 --no-pci --no-telemetry \
	--log-level=lib.eal:warning -- \
	--zone "$work/bench.test.zone" --origin bench.test --queries "$work/queries.txt" \
	--runs "$runs" --seconds "$seconds" --warmup 1 | tee "$work/loop.txt"

echo
echo "== summary ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'),"\
	"$(nproc) cores, $(uname -r), load before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg))"
grep -E '^(records|queries|mix_|reflect_|answer_|timed_|ratio_|clean_|checked_|bad_|dropped|exceptions|result)' \
	"$work/loop.txt"
grep -q '^result: ok' "$work/loop.txt"
