#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# scripts/setup-hugepages.sh against fake /sys and /proc trees (DPDNS_SYSFS,
# DPDNS_PROC): nothing on the machine changes.  Every mount point the cases
# use is already listed in the fake /proc/mounts (or the case is a dry run),
# so the script never calls mount(8).  The one case that needs an unprivileged
# user (the "must run as root" error) runs only when started as root.
#
#   test_setup_hugepages.sh PATH/TO/setup-hugepages.sh
set -euo pipefail

SCRIPT=${1:?usage: test_setup_hugepages.sh PATH/TO/setup-hugepages.sh}
T=$(mktemp -d /tmp/dpdns-test-hugepages.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"

fails=0
n=0
fail() { printf 'FAIL: %s\n' "$*"; fails=$((fails + 1)); }
ok() { n=$((n + 1)); printf 'ok %d - %s\n' "$n" "$*"; }

# make_tree DIR NODES FLAGS: a fake sysfs/procfs with NODES ("0 1", or "-" for
# a kernel without NUMA; a node written "2:nomem" has no memory) and the CPU
# flags FLAGS.  Each page count is 0; hugetlbfs is mounted on DIR/mnt2M (2M)
# and DIR/mnt1G (1G), tmpfs on DIR/tmp.
make_tree()
{
	local d=$1 nodes=$2 flags=$3 k kb
	mkdir -p "$d/sys/kernel/mm/hugepages" "$d/proc" "$d/mnt2M" "$d/mnt1G" "$d/tmp"
	for kb in 2048 1048576; do
		mkdir -p "$d/sys/kernel/mm/hugepages/hugepages-${kb}kB"
		for f in nr_hugepages free_hugepages surplus_hugepages; do
			echo 0 >"$d/sys/kernel/mm/hugepages/hugepages-${kb}kB/$f"
		done
	done
	if [[ $nodes != - ]]; then
		for k in $nodes; do
			if [[ $k == *:nomem ]]; then
				mkdir -p "$d/sys/devices/system/node/node${k%:nomem}"
				continue
			fi
			for kb in 2048 1048576; do
				local h=$d/sys/devices/system/node/node$k/hugepages/hugepages-${kb}kB
				mkdir -p "$h"
				for f in nr_hugepages free_hugepages surplus_hugepages; do
					echo 0 >"$h/$f"
				done
			done
		done
	fi
	printf 'processor\t: 0\nflags\t\t: fpu vme de pse %s\n' "$flags" >"$d/proc/cpuinfo"
	printf 'MemTotal:       24000000 kB\nHugepagesize:       2048 kB\n' >"$d/proc/meminfo"
	{
		echo "proc /proc proc rw,nosuid 0 0"
		echo "hugetlbfs $d/mnt2M hugetlbfs rw,relatime,pagesize=2M 0 0"
		echo "hugetlbfs $d/mnt1G hugetlbfs rw,relatime,pagesize=1024M 0 0"
		echo "tmpfs $d/tmp tmpfs rw 0 0"
	} >"$d/proc/mounts"
}

# run DIR ARGS...: runs the script on tree DIR; sets $out (stdout and stderr) and $rc.
run()
{
	local d=$1
	shift
	rc=0
	out=$(DPDNS_SYSFS=$d/sys DPDNS_PROC=$d/proc bash "$SCRIPT" "$@" 2>&1) || rc=$?
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

count() { cat "$1/sys/devices/system/node/node$2/hugepages/hugepages-$3kB/nr_hugepages"; }

# ---- two nodes, 1G-capable CPU ----------------------------------------------------
A=$T/a
make_tree "$A" "0 1" "pdpe1gb sse"

run "$A" -n 8 -m "$A/mnt2M"
expect "reserve 8 2M pages on each node" 0 "node1: 2M pages 0 -> 8"
[[ $(count "$A" 0 2048) == 8 && $(count "$A" 1 2048) == 8 ]] || fail "counts after reserve not 8/8"

run "$A" -n 8 -m "$A/mnt2M"
expect "second run changes nothing" 0 "nothing to do: already as asked"
grep -q 'node0: 8 2M pages already reserved, unchanged' <<<"$out" || fail "second run: node0 not reported unchanged"
grep -q 'already mounted on' <<<"$out" || fail "second run: mount not reported unchanged"

run "$A" -n 3 --node 1 -m "$A/mnt2M"
expect "--node 1 only" 0 "node1: 2M pages 8 -> 3"
[[ $(count "$A" 0 2048) == 8 && $(count "$A" 1 2048) == 3 ]] || fail "--node 1 touched node0"

run "$A" -n 2 -s 1G -m "$A/mnt1G"
expect "1G pages (mount shows pagesize=1024M)" 0 "node0: 1G pages 0 -> 2"
[[ $(count "$A" 1 1048576) == 2 ]] || fail "1G count on node1 not 2"

run "$A" -n 5 --dry-run -m "$A/mnt2M"
expect "--dry-run prints the writes" 0 "dry run: echo 5 > .*node0/hugepages/hugepages-2048kB/nr_hugepages"
[[ $(count "$A" 0 2048) == 8 ]] || fail "--dry-run changed node0"

run "$A" -n 5 --dry-run -m "$A/new"
expect "--dry-run on an unmounted directory" 0 "dry run: mount -t hugetlbfs -o pagesize=2M nodev $A/new"
[[ ! -e $A/new ]] || fail "--dry-run created the mount point"

run "$A" -n 6 -m "$A/mnt1G"
expect "mount point of the other page size refused" 1 "is a hugetlbfs mount of 1G pages, not 2M"
[[ $(count "$A" 0 2048) == 8 ]] || fail "refused run still reserved pages"

run "$A" -n 6 -m "$A/tmp"
expect "mount point of another file system refused" 1 "already a mount point \(type tmpfs\)"

run "$A" -n 1 --node 7 -m "$A/mnt2M"
expect "unknown node" 1 "no NUMA node 7 \(nodes: 0 1\)"

run "$A" --status
expect "--status lists nodes and mounts" 0 "node1 +2M +3 "
grep -q "$A/mnt1G (pagesize 1G)" <<<"$out" || fail "--status: 1G mount missing"

run "$A" -n 1 -s 3M
expect "unknown page size" 1 "offers no 3M pages \(it offers: 2M 1G\)"
run "$A" -n 1 -s big
expect "page size that is no size" 2 "-s: 'big' is not a page size"
run "$A" -n -1
expect "negative count" 2 "is not a number of pages"
run "$A" --pages
expect "option without its value" 2 "--pages needs a value"
run "$A" -n 1 --bogus
expect "unknown option" 2 "unknown argument '--bogus'"
run "$A"
expect "no -n" 2 "give the number of pages"
run "$A" -n 1 -m relative/dir
expect "relative mount point" 2 "is not an absolute path"

# ---- CPU without 1G pages -----------------------------------------------------------
B=$T/b
make_tree "$B" "0" "sse sse2"
run "$B" -n 1 -s 1G -m "$B/mnt1G"
expect "1G refused without pdpe1gb" 1 "does not support 1 GB pages \(no pdpe1gb"
[[ $(count "$B" 0 1048576) == 0 ]] || fail "1G count changed on a CPU without pdpe1gb"
run "$B" --status
expect "--status says 1G unsupported" 0 "1G pages: not supported by the CPU"

# ---- kernel without NUMA ------------------------------------------------------------
C=$T/c
make_tree "$C" - "pdpe1gb"
run "$C" -n 4 -m "$C/mnt2M"
expect "no NUMA: the system-wide count, as node0" 0 "node0: 2M pages 0 -> 4"
[[ $(cat "$C/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages") == 4 ]] ||
	fail "no NUMA: system-wide count not 4"
run "$C" -n 4 --node 1 -m "$C/mnt2M"
expect "no NUMA: --node 1 refused" 1 "this kernel has no NUMA"
run "$C" --status
expect "no NUMA: --status" 0 "kernel without NUMA"

# ---- a node without memory ----------------------------------------------------------
D=$T/d
make_tree "$D" "0 1:nomem" "pdpe1gb"
run "$D" -n 2 -m "$D/mnt2M"
expect "memory-less node skipped" 0 "node1: no memory, skipped"
run "$D" -n 2 --node 1 -m "$D/mnt2M"
expect "memory-less node refused with --node" 1 "node 1 has no memory"

# ---- not root -----------------------------------------------------------------------
if ((EUID == 0)) && command -v setpriv >/dev/null; then
	E=$T/e
	make_tree "$E" "0" "pdpe1gb"
	chmod -R a+rX "$T"
	rc=0
	out=$(DPDNS_SYSFS=$E/sys DPDNS_PROC=$E/proc setpriv --reuid=65534 --regid=65534 \
		--clear-groups bash "$SCRIPT" -n 1 -m "$E/mnt2M" 2>&1) || rc=$?
	expect "not root: refused" 1 "must run as root"
	rc=0
	out=$(DPDNS_SYSFS=$E/sys DPDNS_PROC=$E/proc setpriv --reuid=65534 --regid=65534 \
		--clear-groups bash "$SCRIPT" -n 1 --dry-run -m "$E/mnt2M" 2>&1) || rc=$?
	expect "not root: --dry-run allowed" 0 "dry run: echo 1 >"
else
	echo "# not root (or no setpriv): the not-root cases are not run"
fi

echo "$n passed, $fails failed"
((fails == 0))
