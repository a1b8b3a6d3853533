#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Demo: builds dpdns, runs the offline zone checker on every shipped zone
# (config/zones/<origin>.zone), showing what dpdns makes of each zone file:
# record counts per type, SOA serial and any problems found; then asks the
# answer engine a few questions about example.com, offline (dpdns-answer -q:
# the same engine the DPDK fastpath will call).  Run from any directory;
# installs missing Debian packages first (scripts/deps.sh).
#
# Environment: DPDNS_BUILD_PREFIX (default "build") names the build directory;
# SKIP_DEPS=1 skips scripts/deps.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${DPDNS_BUILD_PREFIX:-build}

cat <<'HEADER'
================================================================================
 dpdns demo: zone checks and the answer engine, offline
 dpdns is a secondary authoritative DNS server.  Before it serves a zone, the
 zone goes through the same loader and semantic checks that dpdns-zone runs
 here: for each config/zones/ORIGIN.zone it prints a summary of the zone (or
 its problems, one per line, and a failure).  Then the answer engine answers
 a few queries from those zones, without a network.
================================================================================
HEADER

if [[ ${SKIP_DEPS:-0} != 1 ]]; then
	echo "--- checking build dependencies (scripts/deps.sh)"
	bash "$ROOT/scripts/deps.sh"
fi

echo "--- building $BUILD/"
if [[ -f $BUILD/meson-private/coredata.dat ]]; then
	meson setup --reconfigure "$BUILD" >/dev/null
else
	meson setup "$BUILD" >/dev/null
fi
meson compile -C "$BUILD" tools/dpdns-zone tools/dpdns-answer >/dev/null || {
	echo "demo: build failed; rerun 'meson compile -C $BUILD' to see why" >&2
	exit 1
}
tool=$BUILD/tools/dpdns-zone

shopt -s nullglob
zones=(config/zones/*.zone)
if ((${#zones[@]} == 0)); then
	echo "demo: no zone files in config/zones/" >&2
	exit 1
fi

bad=0
for file in "${zones[@]}"; do
	origin=$(basename "$file" .zone)
	echo
	echo "--- $tool check $origin $file"
	if "$tool" check "$origin" "$file"; then
		echo "--- $origin: OK"
	else
		echo "--- $origin: FAILED (exit $?)"
		bad=$((bad + 1))
	fi
done

echo
echo "demo: checked ${#zones[@]} zone(s), $bad with problems"
((bad == 0)) || exit 1

zone_args=()
for file in "${zones[@]}"; do
	zone_args+=(-z "$(basename "$file" .zone)=$file")
done
# Each: a query and what it shows.
queries=(
	"www.example.com. A|a CNAME chain, followed inside the zone to the addresses"
	"example.com. MX|additional A/AAAA for in-zone mail exchangers"
	"anything.example.com. TXT|a wildcard answer"
	"host.sub.example.com. A|a referral: not authoritative, NS and glue"
	"nowhere.example.net. A|a name that does not exist: NXDOMAIN and the SOA"
	"example.org. A|a zone that is not served: REFUSED"
)
for entry in "${queries[@]}"; do
	q=${entry%%|*}
	echo
	echo "--- ${entry#*|}"
	echo "--- dpdns-answer -q $q"
	# shellcheck disable=SC2086 # q is "NAME TYPE"
	"$BUILD/tools/dpdns-answer" "${zone_args[@]}" -q $q
done
echo
echo "demo: done"

