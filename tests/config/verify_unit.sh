#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# config/dpdnsd.service passes `systemd-analyze verify` without a single
# message (unknown keys, bad values and missing executables are all reported
# there).  The unit's /usr/local/bin/dpdnsd is replaced by the build's, which
# verify requires to exist.  Exit 77 (skipped) without systemd-analyze.
#
#   verify_unit.sh UNIT DPDNSD
set -euo pipefail
unit=${1:?usage: verify_unit.sh UNIT DPDNSD}
dpdnsd=${2:?usage: verify_unit.sh UNIT DPDNSD}
if ! command -v systemd-analyze >/dev/null; then
	echo "systemd-analyze not installed: skipped"
	exit 77
fi
T=$(mktemp -d /tmp/dpdns-test-unit.XXXXXX)
trap 'rm -rf "$T"' EXIT
grep -q '^ExecStart=/usr/local/bin/dpdnsd ' "$unit" || { echo "FAIL: no ExecStart=/usr/local/bin/dpdnsd"; exit 1; }
sed "s|/usr/local/bin/dpdnsd|$dpdnsd|g" "$unit" >"$T/dpdnsd.service"
rc=0
out=$(systemd-analyze verify "$T/dpdnsd.service" 2>&1) || rc=$?
if ((rc != 0)) || [[ -n $out ]]; then
	printf 'FAIL: systemd-analyze verify exit %d:\n%s\n' "$rc" "$out"
	exit 1
fi
echo "ok: systemd-analyze verify: no messages"
