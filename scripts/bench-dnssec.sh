#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The answer engine on a DNSSEC-signed zone (BENCHMARKS.md "DNSSEC"):
#   1. generates the benchmark zone (default 1M names, bench/gen_zone.py) and
#      signs it with dnssec-signzone (NSEC3, no salt, 0 iterations, ECDSA
#      P-256, both cores), timing the signing,
#   2. runs bench/answer_bench (release build, one core) on the signed zone
#      with DO hits, NSEC3 NXDOMAIN (random subdomains: the random subdomain
#      attack shape) and the whole mix with DO, and on the unsigned zone with
#      the usual mix, in the same run for comparison.
# Nothing touches the network.  Usage: scripts/bench-dnssec.sh [NAMES] [RUNS]
set -euo pipefail

names=${1:-1000000}
runs=${2:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
work=$(mktemp -d /tmp/dpdns-bench-dnssec.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

for t in dnssec-keygen dnssec-signzone; do
	command -v "$t" >/dev/null || { echo "$t missing: apt-get install bind9-dnsutils" >&2; exit 1; }
done
if [ ! -d build-rel ]; then
	meson setup build-rel --buildtype=release -Db_ndebug=true >/dev/null
fi
ninja -C build-rel bench/answer_bench >/dev/null

echo "== generating $names names"
gen() { python3 bench/gen_zone.py --names "$names" --queries 1000000 --zone "$work/bench.test.zone" "$@"; }
gen --query-file "$work/mix.txt"
gen --query-file "$work/mix-do.txt" --edns 2
gen --query-file "$work/hit-do.txt" --only hit --edns 2
gen --query-file "$work/nx-do.txt" --only nxdomain --edns 2

echo "== signing (NSEC3, 0 iterations, no salt)"
dnssec-keygen -q -K "$work" -a ECDSAP256SHA256 -f KSK bench.test >/dev/null
dnssec-keygen -q -K "$work" -a ECDSAP256SHA256 bench.test >/dev/null
start=$(date +%s.%N)
dnssec-signzone -q -S -K "$work" -d "$work" -o bench.test -n "$(nproc)" -3 - -H 0 \
	-f "$work/bench.signed" "$work/bench.test.zone" >/dev/null
end=$(date +%s.%N)
awk -v a="$start" -v b="$end" 'BEGIN { printf "sign_s: %.1f\n", b - a }'
echo "signed_file_mb: $(du -m "$work/bench.signed" | cut -f1)"

bench() {
	echo "== $1"
	build-rel/bench/answer_bench bench.test "$2" "$3" "$runs"
}
bench "unsigned zone, usual mix" "$work/bench.test.zone" "$work/mix.txt"
bench "signed zone, usual mix (no DO)" "$work/bench.signed" "$work/mix.txt"
bench "signed zone, mix with DO" "$work/bench.signed" "$work/mix-do.txt"
bench "signed zone, DO hits" "$work/bench.signed" "$work/hit-do.txt"
bench "signed zone, NSEC3 NXDOMAIN with DO (random subdomains)" "$work/bench.signed" "$work/nx-do.txt"
