#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Demo: builds dpdns and runs the offline zone checker on every shipped zone
# (config/zones/<origin>.zone), showing what dpdns makes of each zone file:
# record counts per type, SOA serial and any problems found.  Run from any
# directory; installs missing Debian packages first (scripts/deps.sh).
#
# Environment: DPDNS_BUILD_PREFIX (default "build") names the build directory;
# SKIP_DEPS=1 skips scripts/deps.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${DPDNS_BUILD_PREFIX:-build}

cat <<'HEADER'
================================================================================
 dpdns demo: offline zone checks
 dpdns is a secondary authoritative DNS server.  Before it serves a zone, the
 zone goes through the same loader and semantic checks that dpdns-zone runs
 here: for each config/zones/ORIGIN.zone it prints a summary of the zone (or
 its problems, one per line, and a failure).
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
meson compile -C "$BUILD" tools/dpdns-zone >/dev/null || {
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
((bad == 0))
