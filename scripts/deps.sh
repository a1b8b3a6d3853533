#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Installs every Debian 12 package dpdns needs to build, test and fuzz.
# Idempotent: only missing packages are installed, and `apt-get update` runs at
# most once, only when something is missing.  Run as root (or via sudo).
#
# The DNS daemons (knot, nsd, bind9) are only used as test peers that the
# system tests start themselves; while installing them a temporary
# policy-rc.d stops dpkg from starting them on port 53.
set -euo pipefail

readonly PACKAGES=(
	# build
	gcc meson ninja-build pkg-config
	libdpdk-dev liburcu-dev libssl-dev libyaml-dev libuv1-dev libknot-dev
	# tests
	libcriterion-dev python3 python3-dnspython iproute2 ethtool iputils-ping
	# fuzzing (libFuzzer runtime ships in libclang-rt-14-dev)
	clang libclang-rt-14-dev
	# peers and tools for system tests
	knot nsd bind9 knot-dnsutils bind9-dnsutils dnsutils
	# zone signing for the DNSSEC tests and benchmark (dnssec-keygen, dnssec-signzone)
	bind9-utils
)
# Service unit of each daemon package: not to be left running or enabled.
declare -rA DAEMON_UNIT=([knot]=knot [nsd]=nsd [bind9]=named)
readonly POLICY=/usr/sbin/policy-rc.d

log() { printf 'deps: %s\n' "$*"; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }

is_installed()
{
	local status
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) || return 1
	[[ $status == ii* ]]
}

missing=()
for p in "${PACKAGES[@]}"; do
	is_installed "$p" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	log "all ${#PACKAGES[@]} packages already installed, nothing to do"
	exit 0
fi

sudo=()
if ((EUID != 0)); then
	command -v sudo >/dev/null 2>&1 || die "not root and no sudo: run as root"
	sudo=(sudo)
fi

log "installing ${#missing[@]} missing package(s): ${missing[*]}"

created_policy=0
cleanup()
{
	if ((created_policy)); then
		"${sudo[@]}" rm -f "$POLICY"
		log "removed temporary $POLICY"
	fi
}
trap cleanup EXIT

if [[ ! -e $POLICY ]]; then
	# 101 = "action forbidden": invoke-rc.d and deb-systemd-invoke then
	# skip starting services, so no daemon grabs port 53 during install.
	printf '#!/bin/sh\n# temporary, from dpdns scripts/deps.sh\nexit 101\n' |
		"${sudo[@]}" tee "$POLICY" >/dev/null
	"${sudo[@]}" chmod 755 "$POLICY"
	created_policy=1
	log "installed temporary $POLICY (no service starts during install)"
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	"${missing[@]}"

# On a machine booted with systemd the daemon packages enable their units;
# disable those of the daemons installed just now so a reboot does not start
# them either (the system tests run their own instances).
if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
	for p in "${missing[@]}"; do
		unit=${DAEMON_UNIT[$p]:-}
		[[ -n $unit ]] || continue
		if systemctl is-enabled --quiet "$unit.service" 2>/dev/null; then
			"${sudo[@]}" systemctl disable --now --quiet "$unit.service" || true
			log "disabled $unit.service (system tests start their own)"
		fi
	done
fi

still=()
for p in "${missing[@]}"; do
	is_installed "$p" || still+=("$p")
done
((${#still[@]} == 0)) || die "still missing after install: ${still[*]}"
log "installed: ${missing[*]}"
