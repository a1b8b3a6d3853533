#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Demo: builds dpdns, checks every shipped zone (config/zones/<origin>.zone)
# with the offline zone checker, then starts the DPDK daemon dpdnsd serving
# those zones in a network namespace and asks it questions with kdig from
# another namespace, over IPv4 and IPv6, through a veth pair: dpdnsd reads
# the server end with DPDK's net_af_packet PMD (--no-huge, no NIC needed)
# and hands ARP, NDP and ping to the kernel through its exception TAP.
# Ctrl-C (or the end) stops dpdnsd and removes the namespaces.  Needs root.
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
 dpdns demo: zone checks, then dpdnsd answering over DPDK
 dpdns is a secondary authoritative DNS server.  Before it serves a zone, the
 zone goes through the same loader and semantic checks that dpdns-zone runs
 here.  Then dpdnsd starts on a DPDK port (net_af_packet on a veth pair, in a
 network namespace) and kdig, in another namespace, queries it.
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
meson compile -C "$BUILD" tools/dpdns-zone src/daemon/dpdnsd >/dev/null || {
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
cleanup() {
	trap - EXIT INT TERM
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

# ---- the configuration ------------------------------------------------------
cfg=$work/dpdnsd.yaml
{
	echo "server:"
	echo "  identity: demo.dpdns"
	echo "  version: \"dpdns demo\""
	echo "  rundir: $work"
	echo "dataplane:"
	echo "  eal: \"-l 0-1 --no-huge -m 256 --no-pci --file-prefix=$tag --vdev=net_af_packet0,iface=veth-srv\""
	echo "  interfaces:"
	echo "    - port: net_af_packet0"
	echo "      address: [198.18.0.2/24, \"2001:db8:ffff::2/64\"]"
	echo "  exception: dpdns0"
	echo "  idle-sleep-us: 50"
	echo "zone:"
	for file in "${zones[@]}"; do
		echo "  - domain: $(basename "$file" .zone)"
		echo "    file: $ROOT/$file"
	done
} >"$cfg"
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
grep -v '^EAL: \|^TELEMETRY' "$work/dpdnsd.log" | sed 's/^/    /'
if ! grep -q 'dpdnsd: ready' "$work/dpdnsd.log"; then
	echo "demo: dpdnsd did not start" >&2
	exit 1
fi

# ---- queries ------------------------------------------------------------------
# Each: kdig arguments and what they show.
queries=(
	"@198.18.0.2 www.example.com. A|a CNAME chain, followed inside the zone to the addresses"
	"@2001:db8:ffff::2 example.com. MX|over IPv6: additional A/AAAA for in-zone mail exchangers"
	"@198.18.0.2 anything.example.com. TXT|a wildcard answer"
	"@198.18.0.2 host.sub.example.com. A|a referral: not authoritative, NS and glue"
	"@198.18.0.2 nowhere.example.net. A|a name that does not exist: NXDOMAIN and the SOA"
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
	echo "demo: dpdnsd keeps running: ip netns exec $cli kdig @198.18.0.2 example.com SOA; Ctrl-C stops"
	wait "$dpid" || true
fi
echo
echo "--- stopping dpdnsd (SIGTERM)"
kill -TERM "$dpid"
wait "$dpid" && echo "    dpdnsd exited 0"
dpid=
echo
echo "demo: done"
