#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Reserves huge pages for dpdnsd (DPDK) on every NUMA node, or on one, and
# mounts hugetlbfs for that page size if it is not mounted yet.  Idempotent:
# a second run with the same arguments changes nothing and says so.  Prints
# what it did and the resulting per-node counts.
#
#   setup-hugepages.sh -n N [-s 2M|1G] [-m MOUNTPOINT] [--node K] [--dry-run]
#   setup-hugepages.sh --status
#
# -n N is the number of pages *per node* (0 gives them back).  The default
# mount point is /dev/hugepages for 2 MB pages (where systemd mounts
# hugetlbfs) and /dev/hugepages1G for 1 GB pages, so both sizes can be
# mounted side by side; DPDK finds every hugetlbfs mount by itself.
#
# 1 GB pages need contiguous free memory: at run time the kernel often finds
# fewer than asked.  The script then reports how many it got and exits 1;
# reserve them at boot instead (kernel command line: default_hugepagesz=1G
# hugepagesz=1G hugepages=N).  A reservation made here does not survive a
# reboot; doc/pop.md shows how to make it permanent.
#
# Exit status: 0 done (or nothing to do), 1 error or partial reservation,
# 2 bad usage.
#
# For tests only: DPDNS_SYSFS and DPDNS_PROC replace /sys and /proc (a fake
# tree with the same layout).
set -euo pipefail

SYSFS=${DPDNS_SYSFS:-/sys}
PROC=${DPDNS_PROC:-/proc}
PROG=setup-hugepages.sh

log() { printf '%s\n' "$*"; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
usage_error() { printf '%s: %s (see --help)\n' "$PROG" "$*" >&2; exit 2; }

usage()
{
	cat <<'EOF'
usage: setup-hugepages.sh -n N [-s 2M|1G] [-m MOUNTPOINT] [--node K] [--dry-run]
       setup-hugepages.sh --status
  -n, --pages N        pages to reserve on each NUMA node (0 releases them)
  -s, --size 2M|1G     page size (default 2M)
  -m, --mount DIR      hugetlbfs mount point (default /dev/hugepages for 2M,
                       /dev/hugepages1G for 1G); mounted if it is not yet
      --node K         only NUMA node K (default: every node with memory)
      --dry-run        print what would be done, change nothing
      --status         print the per-node counts and the hugetlbfs mounts
  -h, --help           this text
Needs root, except for --status and --dry-run.
EOF
}

pages=
size=2M
mountpoint=
node=
dry_run=0
status=0
while (($#)); do
	case $1 in
	-n | --pages)
		(($# >= 2)) || usage_error "$1 needs a value"
		pages=$2
		shift 2
		;;
	-s | --size)
		(($# >= 2)) || usage_error "$1 needs a value"
		size=$2
		shift 2
		;;
	-m | --mount)
		(($# >= 2)) || usage_error "$1 needs a value"
		mountpoint=$2
		shift 2
		;;
	--node)
		(($# >= 2)) || usage_error "$1 needs a value"
		node=$2
		shift 2
		;;
	--dry-run)
		dry_run=1
		shift
		;;
	--status)
		status=1
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage_error "unknown argument '$1'"
		;;
	esac
done

# ---- page sizes -----------------------------------------------------------------

# kB of a size written as 2M, 2MB, 1G, 1GB, 2048kB, ... (any case); nothing if invalid.
size_kb()
{
	local s=${1^^}
	s=${s%B}
	[[ $s =~ ^([0-9]{1,9})([KMG])$ ]] || return 1
	local n=$((10#${BASH_REMATCH[1]}))
	case ${BASH_REMATCH[2]} in
	K) echo "$n" ;;
	M) echo $((n * 1024)) ;;
	G) echo $((n * 1024 * 1024)) ;;
	esac
}

# 2048 -> 2M, 1048576 -> 1G
size_name()
{
	local kb=$1
	if ((kb % (1024 * 1024) == 0)); then
		echo "$((kb / 1024 / 1024))G"
	elif ((kb % 1024 == 0)); then
		echo "$((kb / 1024))M"
	else
		echo "${kb}K"
	fi
}

# The page sizes the kernel offers, in kB, ascending.
kernel_sizes()
{
	local d
	for d in "$SYSFS"/kernel/mm/hugepages/hugepages-*kB; do
		[[ -d $d ]] || continue
		d=${d##*/hugepages-}
		echo "${d%kB}"
	done | sort -n
}

default_size_kb()
{
	local k v _
	while read -r k v _; do
		[[ $k == Hugepagesize: ]] && { echo "$v"; return 0; }
	done <"$PROC/meminfo"
	echo 2048
}

# Whether the CPU can map 1 GB pages.  x86 says so with the pdpe1gb flag; other
# architectures have no such flag and are left to the kernel's sysfs.
cpu_has_1g()
{
	grep -q '^flags' "$PROC/cpuinfo" 2>/dev/null || return 0
	grep -q '^flags.*\bpdpe1gb\b' "$PROC/cpuinfo"
}

# ---- NUMA nodes -----------------------------------------------------------------

# Prints the numbers of the nodes (NUMA kernels); nothing on a kernel without NUMA.
numa_nodes()
{
	local d
	for d in "$SYSFS"/devices/system/node/node[0-9]*; do
		[[ -d $d ]] && echo "${d##*/node}"
	done | sort -n
}

# The sysfs directory holding node K's counts of pages of kB; K is "-" on a
# kernel without NUMA (the system-wide directory).
count_dir()
{
	local k=$1 kb=$2
	if [[ $k == - ]]; then
		echo "$SYSFS/kernel/mm/hugepages/hugepages-${kb}kB"
	else
		echo "$SYSFS/devices/system/node/node$k/hugepages/hugepages-${kb}kB"
	fi
}

read_count()
{
	local v
	v=$(<"$1") || return 1
	[[ $v =~ ^[0-9]+$ ]] || return 1
	echo "$v"
}

node_label()
{
	if [[ $1 == - ]]; then echo "node0"; else echo "node$1"; fi
}

# ---- hugetlbfs mounts -----------------------------------------------------------

# Prints "MOUNTPOINT KB" for every hugetlbfs mount (KB: its page size).
hugetlbfs_mounts()
{
	local mp type opts _ o opt kb def
	def=$(default_size_kb)
	while read -r _ mp type opts _; do
		[[ $type == hugetlbfs ]] || continue
		kb=$def
		IFS=, read -ra o <<<"$opts"
		for opt in "${o[@]}"; do
			if [[ $opt == pagesize=* ]]; then
				kb=$(size_kb "${opt#pagesize=}") || kb=$def
			fi
		done
		printf '%s %s\n' "$(printf '%b' "$mp")" "$kb"
	done <"$PROC/mounts"
}

# Prints the filesystem type mounted on $1, nothing when it is not a mount point.
mount_type()
{
	local mp type _ last=
	while read -r _ mp type _; do
		[[ $(printf '%b' "$mp") == "$1" ]] && last=$type
	done <"$PROC/mounts"
	[[ -z $last ]] || echo "$last"
}

# ---- --status -------------------------------------------------------------------

print_status()
{
	local kbs k kb d nodes
	mapfile -t kbs < <(kernel_sizes)
	mapfile -t nodes < <(numa_nodes)
	((${#nodes[@]})) || nodes=(-)
	if ((${#kbs[@]} == 0)); then
		log "huge pages: the kernel offers none (no $SYSFS/kernel/mm/hugepages)"
	else
		log "huge pages per NUMA node:"
		printf '  %-6s %5s %8s %8s %8s\n' node size total free surplus
		for k in "${nodes[@]}"; do
			for kb in "${kbs[@]}"; do
				d=$(count_dir "$k" "$kb")
				[[ -f $d/nr_hugepages ]] || continue
				printf '  %-6s %5s %8s %8s %8s\n' "$(node_label "$k")" "$(size_name "$kb")" \
					"$(<"$d/nr_hugepages")" "$(<"$d/free_hugepages")" \
					"$(<"$d/surplus_hugepages")"
			done
		done
		[[ ${nodes[0]} == - ]] && log "  (kernel without NUMA: system-wide counts)"
	fi
	local m=0 mp mkb
	log "hugetlbfs mounts:"
	while read -r mp mkb; do
		log "  $mp (pagesize $(size_name "$mkb"))"
		m=1
	done < <(hugetlbfs_mounts)
	((m)) || log "  none"
	if cpu_has_1g; then
		log "1G pages: supported by the CPU"
	else
		log "1G pages: not supported by the CPU (no pdpe1gb flag)"
	fi
}

if ((status)); then
	[[ -z $pages ]] || usage_error "--status takes no -n"
	print_status
	exit 0
fi

# ---- checks -----------------------------------------------------------------------

[[ -n $pages ]] || usage_error "give the number of pages per node with -n N (or --status)"
[[ $pages =~ ^[0-9]{1,9}$ ]] || usage_error "-n: '$pages' is not a number of pages"
pages=$((10#$pages))
kb=$(size_kb "$size") || usage_error "-s: '$size' is not a page size (2M or 1G)"
sname=$(size_name "$kb")
if [[ -n $node && ! $node =~ ^[0-9]{1,4}$ ]]; then
	usage_error "--node: '$node' is not a node number"
fi
if ((!dry_run && EUID != 0)); then
	die "must run as root (writes $SYSFS/.../nr_hugepages and mounts hugetlbfs); --dry-run and --status do not need it"
fi
[[ -d $SYSFS/kernel/mm/hugepages ]] || die "the kernel has no huge page support ($SYSFS/kernel/mm/hugepages is missing)"
if ((kb == 1024 * 1024)) && ! cpu_has_1g; then
	die "this CPU does not support 1 GB pages (no pdpe1gb flag in $PROC/cpuinfo): use -s 2M"
fi
if [[ ! -d $SYSFS/kernel/mm/hugepages/hugepages-${kb}kB ]]; then
	offered=$(kernel_sizes | while read -r k; do size_name "$k"; done | paste -sd' ')
	die "the kernel offers no ${sname} pages (it offers: ${offered:-none}); for 1G pages boot with hugepagesz=1G"
fi
if [[ -z $mountpoint ]]; then
	if ((kb == 2048)); then mountpoint=/dev/hugepages; else mountpoint=/dev/hugepages$sname; fi
fi
[[ $mountpoint == /* ]] || usage_error "-m: '$mountpoint' is not an absolute path"
[[ $mountpoint =~ [[:space:]] ]] && usage_error "-m: the mount point must not contain white space"
mountpoint=$(realpath -m -- "$mountpoint")

mapfile -t all_nodes < <(numa_nodes)
if ((${#all_nodes[@]} == 0)); then
	# Kernel without NUMA: one system-wide count, reported as node0.
	[[ -z $node || $node == 0 ]] || die "no NUMA node $node: this kernel has no NUMA (only node0)"
	targets=(-)
elif [[ -n $node ]]; then
	node=$((10#$node))
	[[ -d $SYSFS/devices/system/node/node$node ]] ||
		die "no NUMA node $node (nodes: ${all_nodes[*]})"
	[[ -f $(count_dir "$node" "$kb")/nr_hugepages ]] ||
		die "NUMA node $node has no memory for huge pages"
	targets=("$node")
else
	targets=()
	for k in "${all_nodes[@]}"; do
		if [[ -f $(count_dir "$k" "$kb")/nr_hugepages ]]; then
			targets+=("$k")
		else
			log "node$k: no memory, skipped"
		fi
	done
	((${#targets[@]})) || die "no NUMA node has memory for huge pages"
fi

# The mount point is checked before anything changes: a bad -m must not leave
# pages reserved behind it.
have=
while read -r mp mkb; do
	[[ $mp == "$mountpoint" ]] && have=$mkb
done < <(hugetlbfs_mounts)
if [[ -n $have ]]; then
	((have == kb)) ||
		die "$mountpoint is a hugetlbfs mount of $(size_name "$have") pages, not $sname: choose another mount point with -m"
else
	t=$(mount_type "$mountpoint")
	[[ -z $t ]] || die "$mountpoint is already a mount point (type $t), not hugetlbfs: choose another with -m"
	[[ ! -e $mountpoint || -d $mountpoint ]] || die "$mountpoint exists and is not a directory"
fi

# ---- reserve ----------------------------------------------------------------------

changed=0
short=0
prefix=
((dry_run)) && prefix="dry run: "
for k in "${targets[@]}"; do
	d=$(count_dir "$k" "$kb")
	label=$(node_label "$k")
	before=$(read_count "$d/nr_hugepages") || die "cannot read $d/nr_hugepages"
	if ((before == pages)); then
		log "${label}: ${pages} ${sname} pages already reserved, unchanged"
		continue
	fi
	if ((dry_run)); then
		log "${prefix}echo $pages > $d/nr_hugepages   (${label}: $before -> $pages)"
		continue
	fi
	if ! err=$( { printf '%s\n' "$pages" >"$d/nr_hugepages"; } 2>&1); then
		die "${label}: writing $pages to $d/nr_hugepages failed: ${err##*: }"
	fi
	changed=1
	after=$(read_count "$d/nr_hugepages") || die "cannot read $d/nr_hugepages"
	if ((after == pages)); then
		log "${label}: ${sname} pages ${before} -> ${after}"
	elif ((after < pages)); then
		short=1
		log "${label}: ${sname} pages ${before} -> ${after}: the kernel reserved only ${after} of ${pages}" \
			"(not enough free contiguous memory on the node)"
	else
		short=1
		used=$((after - $(read_count "$d/free_hugepages" || echo 0)))
		log "${label}: ${sname} pages ${before} -> ${after}, not ${pages}: ${used} are in use" \
			"by running processes (they are released when those exit)"
	fi
done

# ---- mount ------------------------------------------------------------------------

if [[ -n $have ]]; then
	log "hugetlbfs for ${sname} pages already mounted on $mountpoint, unchanged"
elif ((dry_run)); then
	[[ -d $mountpoint ]] || log "${prefix}mkdir -p $mountpoint"
	log "${prefix}mount -t hugetlbfs -o pagesize=$sname nodev $mountpoint"
else
	mkdir -p -- "$mountpoint" || die "cannot create $mountpoint"
	if ! err=$(mount -t hugetlbfs -o "pagesize=$sname" nodev "$mountpoint" 2>&1); then
		die "mounting hugetlbfs (pagesize=$sname) on $mountpoint failed: $err"
	fi
	changed=1
	log "mounted hugetlbfs (pagesize=$sname) on $mountpoint"
fi

# ---- result -----------------------------------------------------------------------

if ((dry_run)); then
	log "dry run: nothing changed"
	exit 0
fi
((changed)) || log "nothing to do: already as asked"
for k in "${targets[@]}"; do
	d=$(count_dir "$k" "$kb")
	log "$(node_label "$k"): ${sname} pages total $(<"$d/nr_hugepages"), free $(<"$d/free_hugepages")"
done
if ((short)); then
	if ((kb == 1024 * 1024)); then
		log "for 1G pages reserve them at boot: default_hugepagesz=1G hugepagesz=1G hugepages=N" \
			"(N for all nodes together)"
	fi
	exit 1
fi
exit 0
