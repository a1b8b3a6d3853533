#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Hands a NIC to DPDK (binds it to vfio-pci with dpdk-devbind.py) and gives it
# back to its kernel driver.
#
#   bind-nic.sh [--force] [--dry-run] DEVICE...            bind to vfio-pci
#   bind-nic.sh --unbind [--driver NAME] [--dry-run] DEVICE...
#   bind-nic.sh --status
#
# DEVICE is a PCI address (0000:03:00.0 or 03:00.0) or, while the kernel
# still drives the NIC, its interface name (eth1); --unbind also takes the
# interface name the NIC had when it was bound.  Binding
#  - refuses a device that is not a network controller;
#  - refuses an interface that is up with addresses or routes (it probably
#    carries traffic: binding it takes it away from the kernel, an SSH session
#    over it included) unless --force;
#  - loads vfio-pci and checks the device has an IOMMU group (or that vfio's
#    unsafe no-IOMMU mode is on);
#  - remembers the kernel driver and interface name in
#    /run/dpdns/bind-<pci>.driver, which --unbind reads to give the device
#    back (or --driver NAME, e.g. after a reboot emptied /run);
# Unbinding refuses while a process (dpdnsd) holds the device's VFIO group.
# Running it twice changes nothing the second time and says so.
#
# dpdk-devbind.py ships in Debian's dpdk package (apt-get install dpdk); set
# DPDK_DEVBIND to use another copy.  Needs root, except --status and --dry-run.
# Exit status: 0 done (or nothing to do), 1 error, 2 bad usage.
#
# For tests: DPDNS_BIND_STATE replaces /run/dpdns.
set -euo pipefail

PROG=bind-nic.sh
STATE=${DPDNS_BIND_STATE:-/run/dpdns}
SYS=/sys
DPDK_DRIVERS=(vfio-pci uio_pci_generic igb_uio)

log() { printf '%s\n' "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
err() { printf '%s: error: %s\n' "$PROG" "$*" >&2; }
die() { err "$@"; exit 1; }
usage_error() { printf '%s: %s (see --help)\n' "$PROG" "$*" >&2; exit 2; }

usage()
{
	cat <<'EOF'
usage: bind-nic.sh [--force] [--dry-run] DEVICE...
       bind-nic.sh --unbind [--driver NAME] [--dry-run] DEVICE...
       bind-nic.sh --status
  DEVICE          PCI address (0000:03:00.0, 03:00.0) or kernel interface name
  (default)       bind DEVICE to vfio-pci, remembering its kernel driver
  -u, --unbind    give DEVICE back to the kernel driver it had
      --driver N  with --unbind: the kernel driver to give it to (when no
                  record of it is left, e.g. after a reboot)
      --force     bind even an interface that is up with addresses or routes
  -n, --dry-run   print what would be done, change nothing
  -s, --status    network devices, their drivers, and the records kept
  -h, --help      this text
Records: /run/dpdns/bind-<pci>.driver.  Needs root, except --status and --dry-run.
EOF
}

mode=bind
force=0
dry_run=0
driver_arg=
devices=()
while (($#)); do
	case $1 in
	-u | --unbind) mode=unbind ;;
	-s | --status) mode=status ;;
	--force) force=1 ;;
	-n | --dry-run) dry_run=1 ;;
	--driver)
		(($# >= 2)) || usage_error "--driver needs a value"
		driver_arg=$2
		shift
		;;
	--driver=*) driver_arg=${1#--driver=} ;;
	-h | --help)
		usage
		exit 0
		;;
	--)
		shift
		devices+=("$@")
		break
		;;
	-*) usage_error "unknown option '$1'" ;;
	*) devices+=("$1") ;;
	esac
	shift
done

# ---- devices ------------------------------------------------------------------

PCI_RE='^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$'

# Kernel driver currently bound to PCI device $1 (nothing when none).
current_driver()
{
	local l
	l=$(readlink "$SYS/bus/pci/devices/$1/driver" 2>/dev/null) || return 0
	echo "${l##*/}"
}

is_dpdk_driver()
{
	local d
	for d in "${DPDK_DRIVERS[@]}"; do
		[[ $1 == "$d" ]] && return 0
	done
	return 1
}

# Kernel interfaces of PCI device $1 (virtio NICs have them one level down).
pci_ifnames()
{
	local d
	for d in "$SYS/bus/pci/devices/$1"/net/* "$SYS/bus/pci/devices/$1"/virtio*/net/*; do
		[[ -e $d ]] && echo "${d##*/}"
	done
	return 0
}

record_file() { echo "$STATE/bind-$1.driver"; }

# record_get PCI KEY: a value of the record of PCI, nothing when absent.
record_get()
{
	local f k v
	f=$(record_file "$1")
	[[ -f $f ]] || return 0
	while IFS='=' read -r k v; do
		[[ $k == "$2" ]] && { echo "$v"; return 0; }
	done <"$f"
	return 0
}

# Resolves a DEVICE argument to a PCI address in $pci, or prints why not and
# returns 1.
resolve()
{
	local a=$1 path f
	pci=
	if [[ $a =~ $PCI_RE ]]; then
		pci=${a,,}
		[[ $pci == ????:* ]] || pci=0000:$pci
		[[ -e $SYS/bus/pci/devices/$pci ]] || { err "no PCI device $pci"; return 1; }
		return 0
	fi
	if [[ ! $a =~ ^[A-Za-z0-9_.:-]{1,15}$ ]]; then
		err "'$a' is neither a PCI address (0000:03:00.0) nor an interface name"
		return 1
	fi
	if [[ -e $SYS/class/net/$a ]]; then
		path=$(readlink -f "$SYS/class/net/$a")
		# The last PCI address in the device path: the NIC itself (virtio: its parent).
		local part
		IFS=/ read -ra parts <<<"$path"
		for part in "${parts[@]}"; do
			[[ $part =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]] && pci=$part
		done
		if [[ -z $pci ]]; then
			err "$a is not a PCI device (a virtual interface: $path)"
			return 1
		fi
		return 0
	fi
	# A NIC on vfio-pci has no interface any more: find the name it had in the records.
	for f in "$STATE"/bind-*.driver; do
		[[ -f $f ]] || continue
		local p=${f##*/bind-}
		p=${p%.driver}
		if [[ $(record_get "$p" ifname) == "$a" ]]; then
			if [[ ! -e $SYS/bus/pci/devices/$p ]]; then
				err "$a: recorded as $p (in $f), but there is no such PCI device now"
				return 1
			fi
			pci=$p
			return 0
		fi
	done
	err "no PCI device or network interface named '$a'"
	return 1
}

is_nic()
{
	local class
	class=$(<"$SYS/bus/pci/devices/$1/class")
	[[ $class == 0x02* ]] && return 0
	err "$1 is not a network controller (PCI class $class)"
	return 1
}

# Why interface $1 looks in use: "up, addresses ..., routes ..."; nothing if it is not.
if_activity()
{
	local ifc=$1 flags addrs routes
	flags=$(<"$SYS/class/net/$ifc/flags")
	((flags & 1)) || return 0
	addrs=$(ip -o addr show dev "$ifc" scope global 2>/dev/null | awk '{print $4}' | paste -sd' ')
	routes=$( {
		ip -o -4 route show dev "$ifc" 2>/dev/null
		ip -o -6 route show dev "$ifc" 2>/dev/null | grep -v '^fe80::/64\|^ff00::/8\|^multicast'
	} | awk '{print $1, ($2 == "via" ? "via " $3 : "")}' | sed 's/ $//' | paste -sd',')
	[[ -n $addrs || -n $routes ]] || return 0
	printf 'up'
	[[ -z $addrs ]] || printf ', addresses %s' "$addrs"
	[[ -z $routes ]] || printf ', routes %s' "${routes//,/, }"
	echo
}

# PIDs (and names) of processes holding VFIO group $1 open.
vfio_users()
{
	local fd pid out=()
	for fd in /proc/[0-9]*/fd/*; do
		[[ $(readlink "$fd" 2>/dev/null) == "/dev/vfio/$1" ]] || continue
		pid=${fd#/proc/}
		pid=${pid%%/*}
		out+=("$pid ($(cat "/proc/$pid/comm" 2>/dev/null || echo '?'))")
	done
	((${#out[@]} == 0)) || printf '%s\n' "${out[@]}" | sort -u | paste -sd' '
}

iommu_group()
{
	local l
	l=$(readlink "$SYS/bus/pci/devices/$1/iommu_group" 2>/dev/null) || return 0
	echo "${l##*/}"
}

noiommu_on()
{
	[[ $(cat "$SYS/module/vfio/parameters/enable_unsafe_noiommu_mode" 2>/dev/null) == [Yy1]* ]]
}

find_devbind()
{
	if [[ -n ${DPDK_DEVBIND:-} ]]; then
		[[ -x $DPDK_DEVBIND ]] || die "DPDK_DEVBIND=$DPDK_DEVBIND is not an executable"
		devbind=$DPDK_DEVBIND
	elif devbind=$(command -v dpdk-devbind.py); then
		:
	else
		die "dpdk-devbind.py not found: install it with 'apt-get install dpdk' (Debian's dpdk" \
			"package ships /usr/bin/dpdk-devbind.py), or set DPDK_DEVBIND=/path/to/dpdk-devbind.py"
	fi
}

# Runs a command that changes something, or only prints it in a dry run.
act()
{
	if ((dry_run)); then
		log "dry run: $*"
		return 0
	fi
	"$@"
}

# ---- --status -------------------------------------------------------------------

print_status()
{
	local d pci class drv ifs node rec any=0 line
	log "network devices (PCI class 02):"
	for d in "$SYS"/bus/pci/devices/*; do
		[[ -e $d/class ]] || continue
		class=$(<"$d/class")
		[[ $class == 0x02* ]] || continue
		any=1
		pci=${d##*/}
		drv=$(current_driver "$pci")
		node=$(cat "$d/numa_node" 2>/dev/null || echo '?')
		[[ $node != -1 ]] || node=0
		line=$(printf '  %s  numa %s  driver %-15s' "$pci" "$node" "${drv:-none}")
		ifs=$(pci_ifnames "$pci" | paste -sd' ')
		if [[ -n $ifs ]]; then
			local i act
			for i in $ifs; do
				act=$(if_activity "$i")
				line+=" interface $i${act:+ ($act)}"
			done
		fi
		rec=$(record_get "$pci" driver)
		if [[ -n $rec ]]; then
			line+=" bound by bind-nic.sh, kernel driver $rec"
			local rif
			rif=$(record_get "$pci" ifname)
			[[ -z $rif ]] || line+=" (was $rif)"
		fi
		log "$line"
	done
	((any)) || log "  none"
	# Records of devices that are gone.
	local f p
	for f in "$STATE"/bind-*.driver; do
		[[ -f $f ]] || continue
		p=${f##*/bind-}
		p=${p%.driver}
		[[ -e $SYS/bus/pci/devices/$p ]] || log "  $p: recorded in $f but no such device now"
	done
	if [[ -d $SYS/bus/pci/drivers/vfio-pci ]]; then
		log "vfio-pci: loaded"
	else
		log "vfio-pci: not loaded (bind-nic.sh loads it)"
	fi
	local groups
	groups=$(find "$SYS/kernel/iommu_groups" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	if ((groups > 0)); then
		log "IOMMU: $groups groups"
	elif noiommu_on; then
		log "IOMMU: none, vfio no-IOMMU mode on (unsafe: no DMA protection)"
	else
		log "IOMMU: none (boot with intel_iommu=on iommu=pt or amd_iommu=on for vfio-pci)"
	fi
	if [[ -n ${DPDK_DEVBIND:-} ]]; then
		log "dpdk-devbind.py: $DPDK_DEVBIND"
	elif command -v dpdk-devbind.py >/dev/null; then
		log "dpdk-devbind.py: $(command -v dpdk-devbind.py)"
	else
		log "dpdk-devbind.py: not installed (apt-get install dpdk)"
	fi
}

if [[ $mode == status ]]; then
	((${#devices[@]} == 0)) || usage_error "--status takes no device"
	print_status
	exit 0
fi

((${#devices[@]})) || usage_error "name a device (PCI address or interface), or --status"
[[ -z $driver_arg || $mode == unbind ]] || usage_error "--driver goes with --unbind"
[[ $force == 0 || $mode == bind ]] || usage_error "--force goes with binding, not --unbind"
if [[ -n $driver_arg ]] && ! [[ $driver_arg =~ ^[A-Za-z0-9_-]{1,64}$ ]]; then
	usage_error "--driver: '$driver_arg' is not a driver name"
fi
if [[ -n $driver_arg ]] && is_dpdk_driver "$driver_arg"; then
	usage_error "--driver: $driver_arg is not a kernel network driver"
fi
if ((!dry_run && EUID != 0)); then
	die "must run as root (binds drivers through sysfs); --status and --dry-run do not need it"
fi

# ---- bind -----------------------------------------------------------------------

bind_one()
{
	local pci drv ifs i act group rec would_fail=0
	resolve "$1" || return 1
	is_nic "$pci" || return 1
	drv=$(current_driver "$pci")
	if [[ $drv == vfio-pci ]]; then
		log "$pci: already bound to vfio-pci, nothing to do"
		return 0
	fi
	if [[ -n $drv ]] && is_dpdk_driver "$drv"; then
		err "$pci is bound to $drv: unbind it first (--unbind --driver KERNEL_DRIVER)"
		return 1
	fi
	ifs=$(pci_ifnames "$pci" | paste -sd' ')
	for i in $ifs; do
		act=$(if_activity "$i")
		[[ -n $act ]] || continue
		if ((force)); then
			warn "$i ($pci) is $act: binding it anyway (--force)"
		else
			err "$i ($pci) is $act: the kernel uses it, and binding takes it away (a session" \
				"over it drops). Take it down first (ip link set $i down) or give --force"
			return 1
		fi
	done
	find_devbind
	if [[ ! -d $SYS/bus/pci/drivers/vfio-pci ]]; then
		if ((!dry_run)) && ! command -v modprobe >/dev/null; then
			err "vfio-pci is not loaded and there is no modprobe (apt-get install kmod)"
			return 1
		fi
		act modprobe vfio-pci || { err "cannot load vfio-pci (modprobe vfio-pci failed)"; return 1; }
	fi
	group=$(iommu_group "$pci")
	if [[ -z $group ]] && ! noiommu_on; then
		local why="$pci has no IOMMU group: vfio-pci needs the IOMMU (boot with intel_iommu=on iommu=pt, or amd_iommu=on) or, without DMA protection, echo 1 > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode"
		if ((dry_run)); then
			log "dry run: binding would fail now: $why"
			would_fail=1
		else
			err "$why"
			return 1
		fi
	fi
	rec=$(record_file "$pci")
	if ((dry_run)); then
		log "dry run: record driver=${drv:-none} ifname=${ifs%% *} in $rec"
	else
		mkdir -p "$STATE" || { err "cannot create $STATE"; return 1; }
		printf 'driver=%s\nifname=%s\n' "$drv" "${ifs%% *}" >"$rec" ||
			{ err "cannot write $rec"; return 1; }
	fi
	local bflags=(--bind=vfio-pci)
	((force)) && bflags+=(--force)
	if ! act "$devbind" "${bflags[@]}" "$pci"; then
		((dry_run)) || rm -f "$rec"
		err "$devbind ${bflags[*]} $pci failed"
		return 1
	fi
	((dry_run)) && return "$would_fail"
	drv=$(current_driver "$pci")
	if [[ $drv != vfio-pci ]]; then
		rm -f "$rec"
		err "$pci: dpdk-devbind.py returned but the device is on '${drv:-no driver}', not vfio-pci"
		return 1
	fi
	log "$pci${ifs:+ ($ifs)}: bound to vfio-pci (kernel driver $(record_get "$pci" driver) recorded" \
		"in $rec); dpdnsd: port: \"$pci\" in dataplane.interfaces, -a $pci in dataplane.eal"
}

# ---- unbind ---------------------------------------------------------------------

unbind_one()
{
	local pci drv orig group users rec ifs
	resolve "$1" || return 1
	is_nic "$pci" || return 1
	drv=$(current_driver "$pci")
	rec=$(record_file "$pci")
	orig=${driver_arg:-$(record_get "$pci" driver)}
	if [[ -n $drv ]] && ! is_dpdk_driver "$drv"; then
		log "$pci: on its kernel driver $drv already, nothing to do"
		if [[ -f $rec ]]; then
			act rm -f "$rec"
		fi
		return 0
	fi
	if [[ -z $orig ]]; then
		err "$pci: no record of its kernel driver in $rec (gone after a reboot?): name it with" \
			"--driver (e.g. ixgbe, i40e, ice, mlx5_core; 'dpdk-devbind.py --status' lists" \
			"the candidates as unused=)"
		return 1
	fi
	group=$(iommu_group "$pci")
	if [[ -n $group ]]; then
		users=$(vfio_users "$group")
		if [[ -n $users ]]; then
			err "$pci is in use (VFIO group $group held by pid $users): stop dpdnsd first"
			return 1
		fi
	fi
	find_devbind
	if ! act "$devbind" --bind="$orig" "$pci"; then
		err "$devbind --bind=$orig $pci failed"
		return 1
	fi
	((dry_run)) && { log "dry run: rm -f $rec"; return 0; }
	drv=$(current_driver "$pci")
	if [[ $drv != "$orig" ]]; then
		err "$pci: dpdk-devbind.py returned but the device is on '${drv:-no driver}', not $orig"
		return 1
	fi
	rm -f "$rec"
	ifs=$(pci_ifnames "$pci" | paste -sd' ')
	log "$pci: back on $orig${ifs:+, interface $ifs} (down, without addresses: your network" \
		"configuration brings it up)"
}

rc=0
for dev in "${devices[@]}"; do
	if [[ $mode == bind ]]; then
		bind_one "$dev" || rc=1
	else
		unbind_one "$dev" || rc=1
	fi
done
exit "$rc"
