#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# scripts/bind-nic.sh: argument handling, --status, and the error paths.
# No NIC changes driver here: the development VM has only the NIC it talks
# through.  Every case that gets as far as binding runs with --dry-run AND
# with DPDK_DEVBIND pointing to a recorder that fails the test if it is ever
# called; records go to a temporary DPDNS_BIND_STATE.
#
#   test_bind_nic.sh PATH/TO/bind-nic.sh
set -euo pipefail

SCRIPT=${1:?usage: test_bind_nic.sh PATH/TO/bind-nic.sh}
T=$(mktemp -d /tmp/dpdns-test-bindnic.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
mkdir "$T/state"
printf '#!/bin/sh\necho "$@" >>"%s/devbind.called"\n' "$T" >"$T/devbind"
chmod 755 "$T/devbind"
export DPDK_DEVBIND=$T/devbind DPDNS_BIND_STATE=$T/state

fails=0
n=0
fail() { printf 'FAIL: %s\n' "$*"; fails=$((fails + 1)); }
ok() { n=$((n + 1)); printf 'ok %d - %s\n' "$n" "$*"; }

run()
{
	rc=0
	out=$(bash "$SCRIPT" "$@" 2>&1) || rc=$?
}

expect()
{
	local what=$1 want_rc=$2 pattern=$3
	if [[ $rc != "$want_rc" ]]; then
		fail "$what: exit $rc, expected $want_rc; output:"$'\n'"$out"
	elif ! grep -qE -- "$pattern" <<<"$out"; then
		fail "$what: output lacks /$pattern/:"$'\n'"$out"
	else
		ok "$what"
	fi
}

# ---- usage --------------------------------------------------------------------------
run
expect "no device" 2 "name a device"
run --bogus
expect "unknown option" 2 "unknown option '--bogus'"
run --driver ixgbe 0000:00:00.0
expect "--driver without --unbind" 2 "--driver goes with --unbind"
run --unbind --force 0000:00:00.0
expect "--force with --unbind" 2 "--force goes with binding"
run --unbind --driver vfio-pci 0000:00:00.0
expect "--driver naming a DPDK driver" 2 "is not a kernel network driver"
run --unbind --driver 'a/b' 0000:00:00.0
expect "--driver that is no name" 2 "is not a driver name"
run --unbind --driver
expect "--driver without a value" 2 "--driver needs a value"
run --status 0000:00:00.0
expect "--status with a device" 2 "--status takes no device"
run --help
expect "--help" 0 "usage: bind-nic.sh"

# ---- devices that do not exist or are not NICs -------------------------------------
run 0000:ff:1f.7
expect "nonexistent PCI address" 1 "no PCI device 0000:ff:1f.7"
run ff:1f.7
expect "short PCI address made full" 1 "no PCI device 0000:ff:1f.7"
run nosuchif0
expect "nonexistent interface" 1 "no PCI device or network interface named 'nosuchif0'"
run --unbind nosuchif0
expect "--unbind of a nonexistent interface" 1 "no PCI device or network interface named 'nosuchif0'"
run 'eth0;reboot'
expect "argument that is neither" 1 "is neither a PCI address"
run lo
expect "virtual interface" 1 "lo is not a PCI device"
run --dry-run 0000:ff:1f.7 nosuchif0
expect "several devices: each reported" 1 "named 'nosuchif0'"
grep -q 'no PCI device 0000:ff:1f.7' <<<"$out" || fail "several devices: first one not reported"

other=
for d in /sys/bus/pci/devices/*; do
	[[ -r $d/class && $(<"$d/class") != 0x02* ]] && { other=${d##*/}; break; }
done
if [[ -n $other ]]; then
	run --dry-run "$other"
	expect "PCI device that is not a NIC" 1 "$other is not a network controller"
	run --unbind --dry-run "$other"
	expect "--unbind of a PCI device that is not a NIC" 1 "is not a network controller"
fi

# ---- records --------------------------------------------------------------------------
printf 'driver=ixgbe\nifname=ghost7\n' >"$T/state/bind-0000:ff:1f.6.driver"
run --unbind ghost7
expect "--unbind by the recorded name of a vanished device" 1 "ghost7: recorded as 0000:ff:1f.6"
run --status
expect "--status lists NICs" 0 "^network devices \(PCI class 02\):"
grep -q '0000:ff:1f.6: recorded in .* but no such device now' <<<"$out" || fail "--status: stale record not shown"
grep -qE '^IOMMU: ' <<<"$out" || fail "--status: no IOMMU line"
grep -q "^dpdk-devbind.py: $T/devbind" <<<"$out" || fail "--status: DPDK_DEVBIND not shown"
rm -f "$T/state/bind-0000:ff:1f.6.driver"

rc=0
out=$(DPDK_DEVBIND=$T/nonexistent bash "$SCRIPT" --dry-run --force ff:1f.7 2>&1) || rc=$?
expect "nonexistent device checked before dpdk-devbind" 1 "no PCI device"

# ---- a NIC the kernel uses (the VM's own), dry run only --------------------------------
busy=
for i in /sys/class/net/*; do
	i=${i##*/}
	[[ $(readlink -f "/sys/class/net/$i") == /sys/devices/pci* ]] || continue
	(($(<"/sys/class/net/$i/flags") & 1)) || continue
	[[ -n $(ip -o addr show dev "$i" scope global 2>/dev/null) ]] || continue
	busy=$i
	break
done
if [[ -n $busy ]]; then
	pci=$(readlink -f "/sys/class/net/$busy" | grep -oE '[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]' | tail -1)
	drv=$(basename "$(readlink "/sys/bus/pci/devices/$pci/driver")")
	run --dry-run "$busy"
	expect "interface up with addresses refused ($busy)" 1 "$busy \($pci\) is up, addresses .*give --force"
	run --dry-run --force "$busy"
	# Without an IOMMU group (and no vfio no-IOMMU mode) the dry run says binding would fail.
	want=0
	if [[ ! -e /sys/bus/pci/devices/$pci/iommu_group ]] &&
		[[ $(cat /sys/module/vfio/parameters/enable_unsafe_noiommu_mode 2>/dev/null) != [Yy1]* ]]; then
		want=1
		grep -q "binding would fail now: $pci has no IOMMU group" <<<"$out" ||
			fail "--force --dry-run: missing IOMMU not reported"
	fi
	expect "--force --dry-run: the devbind command printed" "$want" \
		"dry run: $T/devbind --bind=vfio-pci --force $pci"
	grep -q "dry run: record driver=$drv ifname=$busy" <<<"$out" || fail "--force --dry-run: no record line"
	[[ -z $(ls -A "$T/state") ]] || fail "--dry-run wrote a record"
	run --unbind --dry-run "$pci"
	expect "--unbind of a NIC on its kernel driver" 0 "on its kernel driver $drv already, nothing to do"
else
	echo "# no PCI interface up with addresses here: the busy-NIC cases are not run"
fi

if ((EUID == 0)) && command -v setpriv >/dev/null; then
	rc=0
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups bash "$SCRIPT" 0000:ff:1f.7 2>&1) || rc=$?
	expect "not root: refused" 1 "must run as root"
	rc=0
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups bash "$SCRIPT" --status 2>&1) || rc=$?
	expect "not root: --status allowed" 0 "^network devices"
fi

if [[ -e $T/devbind.called ]]; then
	fail "dpdk-devbind.py was called: $(cat "$T/devbind.called")"
else
	ok "dpdk-devbind.py never called"
fi
echo "$n passed, $fails failed"
((fails == 0))
