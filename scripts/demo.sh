#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Demo: builds dpdns, checks every shipped zone (config/zones/<origin>.zone)
# with the offline zone checker, then runs the mission on one machine:
# knotd is a hidden primary for example.net (TSIG hmac-sha256) in one
# network namespace; dpdnsd, in another, serves example.com from its file
# and is knotd's secondary for example.net, reading the veth between them
# with DPDK's net_af_packet PMD (--no-huge, no NIC needed) and handing ARP,
# NDP, ping, TCP and NOTIFY to the kernel through its exception TAP.  kdig
# asks it questions over IPv4 and IPv6; a record changes on the primary and
# NOTIFY -> IXFR -> the new answer follows; dpdnsctl shows the zone's state.
# Ctrl-C (or the end) stops everything and removes the namespaces.  Root.
#
# Environment: DPDNS_BUILD_PREFIX (default "build") names the build directory;
# SKIP_DEPS=1 skips scripts/deps.sh; DEMO_KEEP=1 leaves dpdnsd running until
# Ctrl-C.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${DPDNS_BUILD_PREFIX:-build}

cat <<'HEADER'
================================================================================
 dpdns demo: a hidden primary, dpdnsd as its secondary over DPDK, kdig
 dpdns is a secondary authoritative DNS server.  Before it serves a zone, the
 zone goes through the same loader and checks that dpdns-zone runs here.
 Then knotd (the hidden primary of example.net, TSIG) and dpdnsd (on a DPDK
 port: net_af_packet on a veth pair) start in two network namespaces; dpdnsd
 transfers example.net, answers kdig, and follows a change on the primary
 (NOTIFY -> IXFR) within milliseconds.
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
meson compile -C "$BUILD" tools/dpdns-zone tools/dpdnsctl src/daemon/dpdnsd >/dev/null || {
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

if [[ $(id -u) != 0 ]]; then
	echo "demo: dpdnsd needs root (network namespaces, DPDK); run as root" >&2
	exit 1
fi

# ---- the network: two namespaces joined by a veth pair --------------------
tag=dpdns-demo
srv=$tag-srv cli=$tag-cli
work=$(mktemp -d /tmp/dpdns-demo.XXXXXX)
dpid=
kpid=
cleanup() {
	trap - EXIT INT TERM
	if [[ -n $kpid ]]; then
		kill -TERM "$kpid" 2>/dev/null || true
		wait "$kpid" 2>/dev/null || true
	fi
	if [[ -n $dpid ]] && kill -0 "$dpid" 2>/dev/null; then
		kill -TERM "$dpid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$dpid" 2>/dev/null || true
	fi
	ip netns del "$srv" 2>/dev/null || true
	ip netns del "$cli" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted"; exit 130' INT TERM
ip netns del "$srv" 2>/dev/null || true
ip netns del "$cli" 2>/dev/null || true
ip netns add "$srv"
ip netns add "$cli"
ip link add veth-srv netns "$srv" type veth peer name veth-cli netns "$cli"
ip -n "$srv" link set lo up
ip -n "$cli" link set lo up
# The server end belongs to DPDK (net_af_packet reads it), but the kernel sees
# its frames too; it must not answer them as well (the addresses live on the
# exception TAP in the same namespace): no IPv6 and no ARP on it, and IPv4
# arriving on it fails the strict reverse-path check (its sources route via
# the TAP), so the kernel drops it.
ip netns exec "$srv" sysctl -qw net.ipv6.conf.veth-srv.disable_ipv6=1
ip netns exec "$srv" sysctl -qw net.ipv4.conf.all.rp_filter=1
ip netns exec "$srv" sysctl -qw net.ipv4.conf.veth-srv.rp_filter=1
ip -n "$srv" link set veth-srv arp off up
ip -n "$cli" addr add 198.18.0.1/24 dev veth-cli
ip -n "$cli" addr add 2001:db8:ffff::1/64 dev veth-cli nodad
ip -n "$cli" link set veth-cli up
# A veth hands checksums over as "to be completed" (offload); a packet socket
# then sees UDP checksums that do not verify, which dpdnsd drops and counts.
# Real NICs deliver complete checksums; here the client computes them.
ip netns exec "$cli" ethtool -K veth-cli tx off >/dev/null

# ---- the hidden primary: knotd for example.net, TSIG, NOTIFY to dpdnsd ------
if ! command -v knotd >/dev/null; then
	echo "demo: knotd is missing (apt-get install knot, or run scripts/deps.sh)" >&2
	exit 1
fi
secret=$(head -c 32 /dev/urandom | base64)
mkdir -p "$work/knot/db" "$work/run"
cp config/zones/example.net.zone "$work/knot/example.net.zone"
cat >"$work/knot/knot.conf" <<KNOT
server:
    listen: [198.18.0.1@53, 2001:db8:ffff::1@53]
    rundir: $work/knot
    user: root
log:
  - target: stderr
    any: info
database:
    storage: $work/knot/db
key:
  - id: xfr-key
    algorithm: hmac-sha256
    secret: $secret
remote:
  - id: dpdnsd
    address: 198.18.0.2@53
    key: xfr-key
acl:
  - id: xfr
    address: 198.18.0.2
    key: xfr-key
    action: transfer
template:
  - id: default
    storage: $work/knot
    zonefile-load: difference
    journal-content: changes
zone:
  - domain: example.net
    file: example.net.zone
    notify: dpdnsd
    acl: xfr
KNOT
echo
echo "--- starting knotd, the hidden primary of example.net, in namespace $cli (198.18.0.1)"
ip netns exec "$cli" knotd -c "$work/knot/knot.conf" >"$work/knot.log" 2>&1 &
kpid=$!
for _ in $(seq 50); do
	ip netns exec "$cli" kdig +retry=0 +time=1 @198.18.0.1 example.net SOA +short >/dev/null 2>&1 && break
	sleep 0.1
done

# ---- the configuration ------------------------------------------------------
cfg=$work/dpdnsd.yaml
{
	echo "server:"
	echo "  identity: demo.dpdns"
	echo "  version: \"dpdns demo\""
	echo "  rundir: $work/run"
	echo "dataplane:"
	echo "  eal: \"-l 0-1 --no-huge -m 256 --no-pci --file-prefix=$tag --vdev=net_af_packet0,iface=veth-srv\""
	echo "  interfaces:"
	echo "    - port: net_af_packet0"
	echo "      address: [198.18.0.2/24, \"2001:db8:ffff::2/64\"]"
	echo "  exception: dpdns0"
	echo "  idle-sleep-us: 50"
	echo "key:"
	echo "  - id: xfr-key"
	echo "    algorithm: hmac-sha256"
	echo "    secret: \"$secret\""
	echo "remote:"
	echo "  - id: hidden-primary"
	echo "    address: [\"198.18.0.1@53\"]"
	echo "    key: xfr-key"
	echo "control:"
	echo "  listen: $work/run/dpdnsd.sock"
	echo "zone:"
	for file in "${zones[@]}"; do
		origin=$(basename "$file" .zone)
		echo "  - domain: $origin"
		if [[ $origin == example.net ]]; then
			echo "    primary: [hidden-primary]   # a secondary zone: transferred, not read"
		else
			echo "    file: $ROOT/$file"
		fi
	done
} >"$cfg"
ctl() { "$BUILD/tools/dpdnsctl" -s "$work/run/dpdnsd.sock" "$@"; }
echo
echo "--- $cfg"
cat "$cfg"

echo
echo "--- starting dpdnsd in namespace $srv"
ip netns exec "$srv" "$BUILD/src/daemon/dpdnsd" -c "$cfg" >"$work/dpdnsd.log" 2>&1 &
dpid=$!
for _ in $(seq 300); do
	grep -q 'dpdnsd: ready' "$work/dpdnsd.log" && break
	kill -0 "$dpid" 2>/dev/null || break
	sleep 0.1
done
if ! grep -q 'dpdnsd: ready' "$work/dpdnsd.log"; then
	grep -v '^EAL: \|^TELEMETRY' "$work/dpdnsd.log" | sed 's/^/    /'
	echo "demo: dpdnsd did not start" >&2
	exit 1
fi
for _ in $(seq 100); do
	grep -q 'example.net.: serial .* by AXFR' "$work/dpdnsd.log" && break
	sleep 0.1
done
grep -v '^EAL: \|^TELEMETRY\|^tap_\|^qdisc_\|^eth_dev_tap' "$work/dpdnsd.log" | sed 's/^/    /'
echo
echo "--- dpdnsctl zone-status example.net (after the first transfer)"
ctl zone-status example.net | sed 's/^/    /' 

# ---- queries ------------------------------------------------------------------
# Each: kdig arguments and what they show.
queries=(
	"@198.18.0.2 www.example.com. A|a CNAME chain, followed inside the zone to the addresses"
	"@2001:db8:ffff::2 example.com. MX|over IPv6: additional A/AAAA for in-zone mail exchangers"
	"@198.18.0.2 anything.example.com. TXT|a wildcard answer"
	"@198.18.0.2 host.sub.example.com. A|a referral: not authoritative, NS and glue"
	"@198.18.0.2 nowhere.example.net. A|a name that does not exist in the transferred zone: NXDOMAIN and the SOA"
	"@198.18.0.2 example.org. A|a zone that is not served: REFUSED"
	"@198.18.0.2 +nsid CH TXT hostname.bind.|the server's identity (CHAOS) and NSID"
)
for entry in "${queries[@]}"; do
	q=${entry%%|*}
	echo
	echo "--- ${entry#*|}"
	echo "--- kdig $q"
	# shellcheck disable=SC2086 # q is several words
	ip netns exec "$cli" kdig +retry=1 +time=2 $q | grep -v '^$\|^;; Time\|^;; Received' | sed 's/^/    /' || {
		echo "demo: no answer" >&2
		exit 1
	}
done

echo
echo "--- a change on the hidden primary: ftp.example.net moves, serial + 1, knotc zone-reload"
sed -e 's/2024060101/2024060102/' -e 's/^ftp\tIN A\t198.51.100.21/ftp\tIN A\t198.51.100.22/' \
	config/zones/example.net.zone >"$work/knot/example.net.zone"
t0=$(date +%s%N)
ip netns exec "$cli" knotc -c "$work/knot/knot.conf" zone-reload example.net >/dev/null
got=
for _ in $(seq 200); do
	got=$(ip netns exec "$cli" kdig +retry=0 +time=1 @198.18.0.2 ftp.example.net A +short 2>/dev/null || true)
	[[ $got == 198.51.100.22 ]] && break
	sleep 0.02
done
t1=$(date +%s%N)
grep 'NOTIFY from\|by IXFR\|IXFR from' "$work/dpdnsd.log" | tail -3 | sed 's/^/    /'
echo "    kdig ftp.example.net A: $got ($(( (t1 - t0) / 1000000 )) ms after the reload command)"
[[ $got == 198.51.100.22 ]] || { echo "demo: the change did not arrive" >&2; exit 1; }
echo
echo "--- dpdnsctl zone-status example.net (after NOTIFY and IXFR)"
ctl zone-status example.net | sed 's/^/    /'

echo
echo "--- ping and ping -6 through the kernel exception path (ARP and NDP too)"
ip netns exec "$cli" ping -c 2 -i 0.2 -W 2 198.18.0.2 | tail -2
ip netns exec "$cli" ping -6 -c 2 -i 0.2 -W 2 2001:db8:ffff::2 | tail -2
ip -n "$cli" neigh show dev veth-cli | sed 's/^/    neighbour: /'

echo
echo "--- dpdnsd's counters (SIGUSR1)"
kill -USR1 "$dpid"
sleep 0.3
grep 'stats:' "$work/dpdnsd.log" | tail -1 | sed 's/^.*stats: /    /' | tr ' ' '\n' | sed 's/^/    /' | grep -v '^ *$'

if [[ ${DEMO_KEEP:-0} == 1 ]]; then
	echo
	echo "demo: dpdnsd keeps running: ip netns exec $cli kdig @198.18.0.2 example.com SOA;"
	echo "      $BUILD/tools/dpdnsctl -s $work/run/dpdnsd.sock zone-status; Ctrl-C stops"
	wait "$dpid" || true
fi
echo
echo "--- stopping dpdnsd (SIGTERM)"
kill -TERM "$dpid"
wait "$dpid" && echo "    dpdnsd exited 0"
dpid=
echo
echo "demo: done"
