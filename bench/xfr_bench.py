#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The zone-transfer benchmark (scripts/bench-xfr.sh runs it; BENCHMARKS.md "Zone transfers").

One run, on two network namespaces it creates:

    netns xbench-<pid>-pri                      netns xbench-<pid>-srv
    br-pri 198.18.0.1/24 (bridge)
      knotd primary, the probe
      ├─ veth-pri ────────────────────────────── veth-srv  no address; dpdnsd's net_af_packet0
      │                                          dpdns0    198.18.0.2/24, dpdnsd's exception TAP
      └─ peer-pri ────────────────────────────── peer-srv  198.18.0.3/32 knotd, 198.18.0.4/32 nsd

The three secondaries share the server namespace.  dpdnsd owns veth-srv (the kernel drops what
arrives there: tc matchall drop, or a bridge that stays down where tc lacks matchall), and its
slow path talks to the primary through dpdns0 and back out of the fastpath's port.  knotd and
nsd bind their sources (knotd `via`, nsd `outgoing-interface`) and policy routing sends anything
from 198.18.0.3/.4 out of peer-srv, so their traffic never crosses dpdnsd; arp_ignore=1 keeps
each interface answering ARP for its own addresses only.  The run checks it afterwards: the
primary's log names each transfer's client address, and the interface byte counters must add up.

Steps:
  1. knotd primary (198.18.0.1) loads the zone file (bench/gen_zone.py), TSIG hmac-sha256 for
     transfers and NOTIFY, journal with `zonefile-load: difference`, notify to all three.
  2. Each secondary is started in turn (default order knotd, nsd, dpdnsd: dpdnsd's poll loops
     nap but still take some CPU when idle, so the peers are measured without it running) and
     the probe queries it every 20 ms until it answers the last name of the zone and the SOA
     serial: "served" seconds from the start of the process.  Peak memory is the largest VmHWM
     of the daemon's processes (sampled every 100 ms, and read once the transfer is done and the
     daemon has written the zone to disk); CPU is user+system time of its processes.
  3. A 1-record change: the primary's zone file is rewritten with serial+1 and one A record
     changed, then `knotc zone-reload`.  The probe captures each NOTIFY the primary sends (packet
     socket on br-pri, kernel timestamps; Knot 3.2 sends them over TCP) and queries the changed
     name at every secondary every POLL ms (default 2), at real-time priority so that it is not
     queued behind the daemons it measures; NOTIFY -> new answer is the kernel receive time of
     the first answer with the new address minus the kernel time of the NOTIFY to that
     secondary.  Also recorded: the CPU time the secondary used in between, the last old answer
     before the new one (a gap far above POLL means it stopped answering), the slowest response,
     any answer that was neither old nor new, and which transfer the primary served (its log).
     After the changes, dpdnsd's exception-path drop counters (`dpdnsctl stats`: a frame lost
     there would cost the transfer a TCP retransmission).
  4. Everything is stopped and removed (also on errors, SIGINT, SIGTERM and the deadline).

--order runs a subset (e.g. `--order dpdnsd`: one secondary without the others' load);
--lcores sets dpdnsd's EAL lcore map (default 0@0,1@1: main lcore on CPU 0, worker on CPU 1);
--perf DIR profiles dpdnsd with perf during both transfers (those runs are slower).

Output: one JSON object per run appended to --out, and a human-readable line per step on stderr.
`--summary FILE` prints the median table of the runs in FILE.

Needs root, iproute2, ethtool, knotd/knotc, nsd, dnspython (Debian's python3-dnspython) and a
dpdnsd binary.  Bounded: every wait has a timeout, the run a deadline (SIGALRM).
"""

import argparse
import base64
import glob
import json
import os
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, '..'))
sys.path.insert(0, os.path.join(REPO, 'tests', 'system'))
from systest import in_netns  # noqa: E402  (setns around socket creation)

try:
	import dns.message
	import dns.name
	import dns.rcode
	import dns.rdatatype
except ImportError:  # python3 from pyenv or a venv: use Debian's python3-dnspython
	for _p in glob.glob('/usr/lib/python3/dist-packages'):
		sys.path.append(_p)
	import dns.message
	import dns.name
	import dns.rcode
	import dns.rdatatype

ORIGIN = 'bench.test.'
PRI_IP, DPDNS_IP, KNOT_IP, NSD_IP = '198.18.0.1', '198.18.0.2', '198.18.0.3', '198.18.0.4'
SECONDARIES = ('dpdnsd', 'knotd', 'nsd')
ADDR = {'dpdnsd': DPDNS_IP, 'knotd': KNOT_IP, 'nsd': NSD_IP}
CHANGED_ADDR = '192.0.2.77'  # the changed record's new address (never a generated one: 10/8)
PEER_TABLE = '100'


class BenchError(Exception):
	"""The run cannot go on; the message says why."""


class Deadline(Exception):
	pass


def log(msg):
	sys.stderr.write('xfr-bench: %s\n' % msg)
	sys.stderr.flush()


def run(argv, ns=None, timeout=30, check=True):
	if ns:
		argv = ['ip', 'netns', 'exec', ns] + list(argv)
	try:
		p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
				   stdin=subprocess.DEVNULL, timeout=timeout)
	except subprocess.TimeoutExpired:
		raise BenchError('%s: no exit within %ss' % (' '.join(argv), timeout))
	if check and p.returncode != 0:
		raise BenchError('%s: exit %d: %s' % (' '.join(argv), p.returncode, p.stderr.strip()))
	return p


def gen_addr(i):
	"""The A record bench/gen_zone.py writes for hI."""
	return '10.%d.%d.%d' % (i >> 16 & 255, i >> 8 & 255, i & 255)


# ---------------------------------------------------------------------------------------------
# Topology

class Net:
	def __init__(self, tag):
		self.pri = tag + '-pri'
		self.srv = tag + '-srv'
		self.created = []
		self.isolation = None

	def setup(self):
		for ns in (self.pri, self.srv):
			run(['ip', 'netns', 'add', ns])
			self.created.append(ns)
			run(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
			# IPv4 only; no IPv6 link-local chatter (DAD, RS, MLD) on the links.
			run(['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1',
			     'net.ipv6.conf.default.disable_ipv6=1'], ns=ns)
		# Server namespace: each interface answers ARP for its own addresses only (dpdns0 must not
		# claim 198.18.0.3, peer-srv not 198.18.0.2); no reverse-path filter (two interfaces, one
		# subnet, policy routing).
		run(['sysctl', '-qw', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2',
		     'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0'], ns=self.srv)
		run(['ip', 'link', 'add', 'veth-srv', 'netns', self.srv, 'type', 'veth', 'peer', 'name',
		     'veth-pri', 'netns', self.pri])
		run(['ip', 'link', 'add', 'peer-srv', 'netns', self.srv, 'type', 'veth', 'peer', 'name',
		     'peer-pri', 'netns', self.pri])
		# Primary side: one bridge, one address, both links as ports.
		run(['ip', '-n', self.pri, 'link', 'add', 'br-pri', 'type', 'bridge', 'stp_state', '0',
		     'forward_delay', '0'])
		for port in ('veth-pri', 'peer-pri'):
			run(['ip', '-n', self.pri, 'link', 'set', port, 'master', 'br-pri'])
		# veth offloads checksums by default (frames carry a partial sum), which net_af_packet in
		# DPDK 22.11 does not complete: the fastpath would drop them.  A NIC sends full sums.
		run(['ethtool', '-K', 'veth-pri', 'tx', 'off'], ns=self.pri)
		run(['ip', '-n', self.pri, 'addr', 'add', PRI_IP + '/24', 'dev', 'br-pri'])
		for link in ('veth-pri', 'peer-pri', 'br-pri'):
			run(['ip', '-n', self.pri, 'link', 'set', link, 'up'])
		# Server side: dpdnsd's port, isolated from the kernel.
		self.isolate('veth-srv')
		run(['ip', '-n', self.srv, 'link', 'set', 'veth-srv', 'up'])
		# The peers' link: /32 addresses (no prefix route, so the main table's 198.18.0.0/24 is
		# dpdns0's), and a table of its own for traffic from those addresses.
		for a in (KNOT_IP, NSD_IP):
			run(['ip', '-n', self.srv, 'addr', 'add', a + '/32', 'dev', 'peer-srv'])
			run(['ip', '-n', self.srv, 'rule', 'add', 'from', a, 'table', PEER_TABLE, 'priority', '100'])
		run(['ip', '-n', self.srv, 'link', 'set', 'peer-srv', 'up'])
		run(['ip', '-n', self.srv, 'route', 'add', '198.18.0.0/24', 'dev', 'peer-srv', 'table',
		     PEER_TABLE])

	def isolate(self, ifname):
		"""Packet sockets see a frame before tc ingress: drop it there for the kernel (as the
		system tests do; a bridge that stays down where tc lacks matchall/gact)."""
		run(['tc', '-n', self.srv, 'qdisc', 'add', 'dev', ifname, 'clsact'], check=False)
		p = run(['tc', '-n', self.srv, 'filter', 'add', 'dev', ifname, 'ingress', 'matchall', 'action',
			 'drop'], check=False)
		if p.returncode == 0:
			self.isolation = 'tc matchall drop'
			return
		run(['tc', '-n', self.srv, 'qdisc', 'del', 'dev', ifname, 'clsact'], check=False)
		run(['ip', '-n', self.srv, 'link', 'add', 'xb-sink', 'type', 'bridge'])
		run(['ip', '-n', self.srv, 'link', 'set', ifname, 'master', 'xb-sink'])
		self.isolation = 'port of a down bridge'

	def link_bytes(self, ns, ifname):
		"""(rx_bytes, tx_bytes) of ifname."""
		p = run(['ip', '-n', ns, '-s', '-j', 'link', 'show', 'dev', ifname], check=False)
		if p.returncode != 0:
			return (0, 0)
		st = json.loads(p.stdout)[0]['stats64']
		return (st['rx']['bytes'], st['tx']['bytes'])

	def cleanup(self):
		for ns in reversed(self.created):
			run(['ip', 'netns', 'del', ns], check=False)
		self.created = []


# ---------------------------------------------------------------------------------------------
# Daemons

def proc_stat(pid):
	"""(session id, utime+stime+cutime+cstime in ticks) of pid, or None."""
	try:
		with open('/proc/%d/stat' % pid) as f:
			s = f.read()
	except OSError:
		return None
	f = s[s.rindex(')') + 2:].split()
	return int(f[3]), int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])


def proc_status_kb(pid, key):
	try:
		with open('/proc/%d/status' % pid) as f:
			for line in f:
				if line.startswith(key + ':'):
					return int(line.split()[1])
	except OSError:
		pass
	return 0


def session_pids(sid):
	"""Every process of session sid (a daemon started in its own session and its children)."""
	out = []
	for d in os.listdir('/proc'):
		if d.isdigit():
			st = proc_stat(int(d))
			if st and st[0] == sid:
				out.append(int(d))
	return out


class Daemon:
	"""A daemon in its own session, output to a log file."""

	def __init__(self, name, argv, ns, logpath):
		self.name = name
		self.argv = ['ip', 'netns', 'exec', ns] + argv  # ip netns exec execs: same pid
		self.logpath = logpath
		self.proc = None
		self.t_start = None
		self.t_start_wall = None
		self.peak_kb = 0  # largest VmHWM seen among its processes
		self.lock = threading.Lock()

	def start(self):
		lf = open(self.logpath, 'ab')
		self.t_start = time.monotonic()
		self.t_start_wall = time.time()
		self.proc = subprocess.Popen(self.argv, stdout=lf, stderr=subprocess.STDOUT,
					     stdin=subprocess.DEVNULL, start_new_session=True)
		lf.close()

	def alive(self):
		return self.proc is not None and self.proc.poll() is None

	def pids(self):
		return session_pids(self.proc.pid) if self.alive() else []

	def sample(self):
		hwm = max([proc_status_kb(p, 'VmHWM') for p in self.pids()] or [0])
		with self.lock:
			self.peak_kb = max(self.peak_kb, hwm)
		return hwm

	def rss_kb(self):
		"""Resident memory now: the largest process (NSD's children share the zone copy-on-write)."""
		return max([proc_status_kb(p, 'VmRSS') for p in self.pids()] or [0])

	def cpu_s(self):
		ticks = 0
		for p in self.pids():
			st = proc_stat(p)
			if st:
				ticks += st[1]
		return ticks / os.sysconf('SC_CLK_TCK')

	def log_text(self):
		try:
			with open(self.logpath, errors='replace') as f:
				return f.read()
		except OSError:
			return ''

	def wait_log(self, pattern, timeout):
		rx = re.compile(pattern)
		end = time.monotonic() + timeout
		while time.monotonic() < end:
			m = rx.search(self.log_text())
			if m:
				return m
			if not self.alive():
				raise BenchError('%s exited (status %s):\n%s' % (self.name, self.proc.poll(),
										self.log_text()[-3000:]))
			time.sleep(0.05)
		return None

	def stop(self, timeout=20):
		if self.proc is None or self.proc.poll() is not None:
			return
		try:
			os.killpg(self.proc.pid, signal.SIGTERM)
		except ProcessLookupError:
			return
		try:
			self.proc.wait(timeout)
		except subprocess.TimeoutExpired:
			log('%s did not stop within %ss: SIGKILL' % (self.name, timeout))
		try:
			os.killpg(self.proc.pid, signal.SIGKILL)  # also any child left behind
		except ProcessLookupError:
			pass
		try:
			self.proc.wait(10)
		except subprocess.TimeoutExpired:
			pass


class Sampler(threading.Thread):
	"""Reads every daemon's VmHWM every 100 ms (a process that exits keeps its peak)."""

	def __init__(self, daemons):
		super().__init__(daemon=True)
		self.daemons = daemons
		self.halt = threading.Event()
		self.paused = threading.Event()  # set: no sampling (it holds the GIL for milliseconds)

	def run(self):
		while not self.halt.wait(0.1):
			if not self.paused.is_set():
				for d in list(self.daemons):
					d.sample()


# ---------------------------------------------------------------------------------------------
# DNS probe (sockets in the primary's namespace)

SO_TIMESTAMPNS = getattr(socket, 'SO_TIMESTAMPNS', 35)
ETH_P_ALL, ETH_P_IP = 0x0003, 0x0800


def kernel_ts(ancdata):
	for level, kind, data in ancdata:
		if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
			sec, nsec = struct.unpack('qq', data[:16])
			return sec + nsec / 1e9
	return time.time()


class Prober:
	"""UDP queries from the primary's namespace; one connected socket per server."""

	def __init__(self, ns, addrs):
		self.socks = {}
		with in_netns(ns):
			for a in addrs:
				s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
				s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
				s.connect((a, 53))
				s.setblocking(False)
				self.socks[a] = s
		self.next_id = 1

	def close(self):
		for s in self.socks.values():
			s.close()

	def query_wire(self, name, rdtype):
		q = dns.message.make_query(name, rdtype)
		q.flags = 0  # no RD: an authoritative question
		q.id = self.next_id
		self.next_id = (self.next_id + 1) & 0xffff or 1
		return q.id, q.to_wire()

	def send(self, addr, name, rdtype):
		qid, wire = self.query_wire(name, rdtype)
		try:
			self.socks[addr].send(wire)
		except OSError:  # e.g. ICMP unreachable reported on a connected socket: try again later
			pass
		return qid

	def recv(self, addr):
		"""(kernel time, dns.message) of every datagram waiting on addr's socket."""
		out = []
		s = self.socks[addr]
		while True:
			try:
				data, anc, _flags, _src = s.recvmsg(65535, 64)
			except (BlockingIOError, InterruptedError):
				break
			except OSError:  # ICMP errors surface here; keep polling
				continue
			try:
				out.append((kernel_ts(anc), dns.message.from_wire(data)))
			except Exception:
				continue
		return out

	@staticmethod
	def answer_of(msg, rdtype):
		"""The rdata texts of msg's answer RRsets of rdtype (NOERROR answers only)."""
		if msg.rcode() != 0:
			return []
		out = []
		for rrset in msg.answer:
			if rrset.rdtype == rdtype:
				out += [r.to_text() for r in rrset]
		return out

	def wait_served(self, addr, name, want_a, want_serial, timeout, daemon, interval=0.02):
		"""Queries name A and the SOA every interval until both are right; returns the monotonic
		time of the answer that completed it, or raises on timeout or daemon exit."""
		end = time.monotonic() + timeout
		got_a = got_soa = False
		pending = {}
		while time.monotonic() < end:
			if not daemon.alive():
				raise BenchError('%s exited (status %s) before serving the zone:\n%s' % (
					daemon.name, daemon.proc.poll(), daemon.log_text()[-3000:]))
			pending.clear()
			pending[self.send(addr, name, dns.rdatatype.A)] = 'a'
			pending[self.send(addr, ORIGIN, dns.rdatatype.SOA)] = 'soa'
			tick = time.monotonic() + interval
			while time.monotonic() < tick:
				r, _, _ = select.select([self.socks[addr]], [], [], max(0, tick - time.monotonic()))
				if not r:
					continue
				for _ts, msg in self.recv(addr):
					what = pending.pop(msg.id, None)
					if what == 'a':
						got_a = self.answer_of(msg, dns.rdatatype.A) == [want_a]
					elif what == 'soa':
						soa = self.answer_of(msg, dns.rdatatype.SOA)
						got_soa = len(soa) == 1 and int(soa[0].split()[2]) == want_serial
				if got_a and got_soa:
					return time.monotonic()
			got_a = got_soa = False  # both from the same round
		raise BenchError('%s at %s: %s A %s and serial %d not served within %ss' % (
			daemon.name, addr, name, want_a, want_serial, timeout))


def notify_socket(ns, ifname):
	"""A packet socket that sees every frame on ifname, timestamped.  ETH_P_ALL: sockets bound
	to one protocol see only received frames, not the ones the host sends."""
	with in_netns(ns):
		s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
		s.bind((ifname, ETH_P_ALL))
	s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
	s.setblocking(False)
	return s


def parse_notify(pkt):
	"""(destination address, zone name) when pkt (an IPv4 packet) carries a DNS NOTIFY request to
	port 53: a UDP datagram, or a TCP segment that starts a message (Knot 3.2 sends its NOTIFYs
	over TCP); else None."""
	if len(pkt) < 20 or pkt[0] >> 4 != 4 or pkt[9] not in (6, 17):
		return None
	l4 = pkt[(pkt[0] & 15) * 4:]
	if len(l4) < 20 or struct.unpack('!H', l4[2:4])[0] != 53:
		return None
	if pkt[9] == 17:
		d = l4[8:]
	else:
		d = l4[(l4[12] >> 4) * 4 + 2:]  # after the TCP header and the 2-octet length
	if len(d) < 12 + 1:
		return None
	flags = struct.unpack('!H', d[2:4])[0]
	if flags & 0x8000 or (flags >> 11) & 15 != 4 or struct.unpack('!H', d[4:6])[0] != 1:
		return None
	# Only the question's name: the message carries a TSIG this socket has no key for.
	try:
		zone = dns.name.from_wire(bytes(d), 12)[0].to_text().lower()
	except Exception:
		return None
	return socket.inet_ntoa(pkt[16:20]), zone


# ---------------------------------------------------------------------------------------------
# Configurations

def knot_primary_conf(w, secret, notify):
	return '''server:
    listen: %(pri)s@53
    rundir: %(w)s
database:
    storage: %(w)s/db
key:
  - id: xfr-key
    algorithm: hmac-sha256
    secret: %(secret)s
remote:
  - id: dpdnsd
    address: %(dpdns)s@53
    key: xfr-key
  - id: knotd
    address: %(knot)s@53
    key: xfr-key
  - id: nsd
    address: %(nsd)s@53
    key: xfr-key
acl:
  - id: secondaries
    address: 198.18.0.0/24
    key: xfr-key
    action: transfer
zone:
  - domain: %(origin)s
    file: %(w)s/bench.test.zone
    zonefile-load: difference
    journal-content: changes
    zonefile-sync: -1
    semantic-checks: off
    notify: [%(notify)s]
    acl: secondaries
log:
  - target: stdout
    any: info
''' % dict(pri=PRI_IP, w=w, secret=secret, dpdns=DPDNS_IP, knot=KNOT_IP, nsd=NSD_IP, origin=ORIGIN,
		  notify=', '.join(notify))


def knot_secondary_conf(w, secret):
	# Knot's defaults otherwise: journal of changes, the zone file written after each transfer.
	return '''server:
    listen: %(knot)s@53
    rundir: %(w)s
database:
    storage: %(w)s/db
key:
  - id: xfr-key
    algorithm: hmac-sha256
    secret: %(secret)s
remote:
  - id: primary
    address: %(pri)s@53
    key: xfr-key
    via: %(knot)s
acl:
  - id: notify-from-primary
    address: %(pri)s
    key: xfr-key
    action: notify
zone:
  - domain: %(origin)s
    master: primary
    acl: notify-from-primary
    file: %(w)s/bench.test.zone
log:
  - target: stdout
    any: info
''' % dict(pri=PRI_IP, w=w, secret=secret, knot=KNOT_IP, origin=ORIGIN)


def nsd_conf(w, secret):
	# NSD's defaults otherwise (IXFR with AXFR fallback, xfrd-reload-timeout 1 s).
	return '''server:
    ip-address: %(nsd)s
    port: 53
    zonesdir: "%(w)s"
    database: ""
    pidfile: "%(w)s/nsd.pid"
    xfrdfile: "%(w)s/xfrd.state"
    zonelistfile: "%(w)s/zone.list"
    xfrdir: "%(w)s"
    username: ""
    server-count: 1
    verbosity: 2
    rrl-ratelimit: 0
remote-control:
    control-enable: no
key:
    name: xfr-key
    algorithm: hmac-sha256
    secret: "%(secret)s"
zone:
    name: %(origin)s
    zonefile: bench.test.zone
    allow-notify: %(pri)s xfr-key
    request-xfr: %(pri)s xfr-key
    outgoing-interface: %(nsd)s
''' % dict(pri=PRI_IP, w=w, secret=secret, nsd=NSD_IP, origin=ORIGIN)


def dpdnsd_conf(w, secret, prefix, mem_mb, idle_us, lcores):
	eal = ('--lcores=%s --no-huge -m %d --no-pci --file-prefix=%s '
	       '--vdev=net_af_packet0,iface=veth-srv,framecnt=4096,qpairs=1' % (lcores, mem_mb, prefix))
	return '''server:
  rundir: "%(w)s/run"
dataplane:
  eal: "%(eal)s"
  interfaces:
    - port: net_af_packet0
      address: ["%(dpdns)s/24"]
  exception: dpdns0
  idle-sleep-us: %(idle)d
key:
  - id: xfr-key
    algorithm: hmac-sha256
    secret: "%(secret)s"
remote:
  - id: primary
    address: "%(pri)s@53"
    key: xfr-key
zone:
  - domain: %(origin)s
    primary: primary
''' % dict(w=w, eal=eal, dpdns=DPDNS_IP, idle=idle_us, secret=secret, pri=PRI_IP, origin=ORIGIN)


# ---------------------------------------------------------------------------------------------
# One run

def cpu_steal():
	"""(total, steal) jiffies of all CPUs."""
	with open('/proc/stat') as f:
		v = [int(x) for x in f.readline().split()[1:]]
	return sum(v), v[7] if len(v) > 7 else 0


def loadavg():
	with open('/proc/loadavg') as f:
		return float(f.read().split()[0])


def change_zone(src, dst, serial, name, new_addr):
	"""Copies the zone file src to dst with the SOA serial set and name's A record replaced
	(written to a temporary file and renamed, so the primary never reads half a file)."""
	soa = re.compile(r'^@ SOA (\S+) (\S+) (\d+) ')
	owner = name.split('.')[0]
	seen_soa = seen_a = False
	tmp = dst + '.tmp'
	with open(src) as fi, open(tmp, 'w') as fo:
		for line in fi:
			if not seen_soa:
				m = soa.match(line)
				if m:
					line = '@ SOA %s %s %d %s' % (m.group(1), m.group(2), serial, line[m.end():])
					seen_soa = True
			elif not seen_a and line.startswith(owner + ' A '):
				line = '%s A %s\n' % (owner, new_addr)
				seen_a = True
			fo.write(line)
	if not (seen_soa and seen_a):
		os.unlink(tmp)
		raise BenchError('%s: no SOA or no "%s A" line to change' % (src, owner))
	os.rename(tmp, dst)



def dpdnsd_log_times(text, pattern):
	"""Wall-clock times (epoch seconds) of the dpdnsd log lines matching pattern."""
	out = []
	for m in re.finditer(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)Z [a-z]+ dpdnsd: ' + pattern, text,
			     re.M):
		out.append(time.mktime(time.strptime(m.group(1), '%Y-%m-%dT%H:%M:%S')) - time.timezone +
			   float(m.group(2)))
	return out


def thread_cpu(pid):
	"""[(tid, name, CPU seconds, allowed CPUs)] of pid's threads."""
	out = []
	for t in sorted(os.listdir('/proc/%d/task' % pid), key=int):
		try:
			with open('/proc/%d/task/%s/stat' % (pid, t)) as f:
				st = f.read()
			comm = st[st.index('(') + 1:st.rindex(')')]
			f2 = st[st.rindex(')') + 2:].split()
			cpu = (int(f2[11]) + int(f2[12])) / os.sysconf('SC_CLK_TCK')
			allowed = ''
			with open('/proc/%d/task/%s/status' % (pid, t)) as f:
				for line in f:
					if line.startswith('Cpus_allowed_list:'):
						allowed = line.split()[1]
			out.append((int(t), comm, round(cpu, 2), allowed))
		except (OSError, ValueError):
			continue
	return out


class Perf:
	"""perf record of one process (a profile of where dpdnsd spends a transfer; --perf only:
	it adds overhead, so profiled runs are not timed runs)."""

	def __init__(self, pid, path):
		self.path = path
		self.proc = subprocess.Popen(['perf', 'record', '-q', '-F', '499', '--call-graph', 'dwarf,16384',
					      '-p', str(pid), '-o', path],
					     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
					     stdin=subprocess.DEVNULL, start_new_session=True)

	def stop(self):
		if self.proc.poll() is None:
			os.killpg(self.proc.pid, signal.SIGINT)
			try:
				self.proc.wait(60)
			except subprocess.TimeoutExpired:
				os.killpg(self.proc.pid, signal.SIGKILL)
				self.proc.wait(10)
		# Per thread, then per function with its callees included (job_work = apply + build).
		with open(self.path + '.txt', 'w') as f:
			for argv in (['--sort', 'pid', '--no-children', '-g', 'none'],
				     ['--sort', 'sym', '--children', '-g', 'none', '--percent-limit', '2']):
				rep = run(['perf', 'report', '-i', self.path, '--stdio'] + argv, timeout=600,
					  check=False)
				f.write(rep.stdout)
		log('profile: %s.txt' % self.path)


def start_secondary(a, index, name, d, prober, last_name, last, dirs, primary):
	"""Starts secondary d, waits until it serves the zone, measures it; returns its results."""
	d.start()
	rss_ready = None
	perf = Perf(d.proc.pid, os.path.join(a.perf, 'dpdnsd-axfr-%d.data' % index)) \
		if a.perf and name == 'dpdnsd' else None
	if name == 'dpdnsd':
		# Its memory before any zone: EAL (-m, mbufs), rings, the TAP.
		if d.wait_log(r'dpdnsd: ready', 120) is None:
			raise BenchError('dpdnsd not ready within 120 s:\n' + d.log_text()[-3000:])
		rss_ready = d.rss_kb()
	try:
		t = prober.wait_served(ADDR[name], last_name, gen_addr(last), 1, a.timeout, d)
	finally:
		if perf:
			perf.stop()
	r = {'served_s': round(t - d.t_start, 3), 'cpu_s': round(d.cpu_s(), 2)}
	if name == 'dpdnsd':
		r['threads'] = thread_cpu(d.proc.pid)
		text = d.log_text()
		m = re.search(r'serial 1 by (AXFR|IXFR as AXFR) from \S+: (\d+) records, (\d+) bytes, '
			      r'transfer (\d+) ms, build ([\d.]+) ms(?: \((incremental|afresh)\))?', text)
		if not m:
			raise BenchError('dpdnsd serves serial 1 but logged no transfer:\n' + text[-2000:])
		r.update(kind=m.group(1), records=int(m.group(2)), bytes=int(m.group(3)),
			 transfer_ms=int(m.group(4)), build_ms=float(m.group(5)),
			 rss_at_ready_mb=round(rss_ready / 1024, 1))
		t_ready = dpdnsd_log_times(text, 'ready')
		if t_ready:
			r['ready_s'] = round(t_ready[0] - d.t_start_wall, 3)
		# A large zone is served first from its index (the reference resolver answers), then with
		# prepared answers: when the second stage is published, and its CPU time.
		if '(index; answers being prepared)' in m.group(0) + text[m.end():m.end() + 40]:
			if d.wait_log(r'serial 1: answers prepared in', a.timeout) is None:
				raise BenchError('dpdnsd: no "answers prepared" after the first stage:\n' +
						 d.log_text()[-2000:])
			r['cpu_prepared_s'] = round(d.cpu_s(), 2)
			text = d.log_text()
			mp = re.search(r'serial 1: answers prepared in ([\d.]+) ms', text)
			r['prepare_ms'] = float(mp.group(1))
			t_prep = dpdnsd_log_times(text, r'zone bench\.test\.: serial 1: answers prepared')
			if t_prep:
				r['prepared_s'] = round(t_prep[0] - d.t_start_wall, 3)
		# Written to rundir after it is served: wait for it (its memory counts in the peak).
		timers = os.path.join(dirs['dpdnsd'], 'run', 'bench.test.timers')
		end = time.monotonic() + a.timeout
		while not os.path.exists(timers) and time.monotonic() < end and d.alive():
			time.sleep(0.05)
		r['persisted_s'] = round(time.monotonic() - d.t_start, 3) if os.path.exists(timers) else None
	elif name == 'knotd':
		# The zone file is written after the transfer (zonefile-sync 0): wait for it.
		d.wait_log(r'zone file updated', a.timeout)
		text = d.log_text()
		m = re.search(r'AXFR, incoming, remote [^,]*, finished, ([\d.]+) seconds, (\d+) messages, '
			      r'(\d+) bytes', text)
		if m:
			r.update(kind='AXFR', transfer_ms=round(float(m.group(1)) * 1000), bytes=int(m.group(3)))
	elif name == 'nsd':
		m = re.search(r'received update to serial 1 .* of (\d+) bytes in ([\d.e-]+) seconds', d.log_text())
		if m:
			r.update(bytes=int(m.group(1)), transfer_ms=round(float(m.group(2)) * 1000))
	time.sleep(a.settle)
	r['peak_mb'] = round(max(d.sample(), d.peak_kb) / 1024, 1)
	r['rss_mb'] = round(d.rss_kb() / 1024, 1)
	# CPU while idle (dpdnsd's poll loops nap but never stop).
	c0 = d.cpu_s()
	time.sleep(1.0)
	r['idle_cpu_share'] = round(d.cpu_s() - c0, 3)
	log('run %d: %s served after %.2f s, peak %.0f MB, CPU %.1f s%s' % (
		index, name, r['served_s'], r['peak_mb'], r['cpu_s'],
		', transfer %d ms + build %g ms' % (r['transfer_ms'], r['build_ms']) if 'build_ms' in r else ''))
	return r


def check_paths(a, net, primary, res):
	"""Each secondary transferred from its own address, and the peers' bytes did not cross
	dpdnsd: dpdns0 received about one zone, peer-srv the others."""
	text = primary.log_text()
	sizes = {}
	for m in re.finditer(r'AXFR, outgoing, remote (\d+\.\d+\.\d+\.\d+)@\d+, finished, [\d.]+ seconds, '
			     r'\d+ messages, (\d+) bytes', text):
		sizes[m.group(1)] = sizes.get(m.group(1), 0) + int(m.group(2))
	res['primary_axfr_bytes'] = sizes
	for name in a.order:
		if ADDR[name] not in sizes:
			raise BenchError('primary log: no AXFR to %s (%s); AXFRs: %r' % (name, ADDR[name], sizes))
	dp_rx = net.link_bytes(net.srv, 'dpdns0')[0]
	peer_rx = net.link_bytes(net.srv, 'peer-srv')[0]
	res['link_rx_bytes'] = {'dpdns0': dp_rx, 'peer-srv': peer_rx}
	want_dp = sizes.get(DPDNS_IP, 0)
	want_peer = sizes.get(KNOT_IP, 0) + sizes.get(NSD_IP, 0)
	# DNS payload plus TCP/IP headers (about 4%) plus the probe's queries; never another zone.
	ok_dp = want_dp <= dp_rx < 1.2 * want_dp + 5_000_000 if want_dp else dp_rx < 5_000_000
	ok_peer = want_peer <= peer_rx < 1.2 * want_peer + 5_000_000
	if not (ok_dp and ok_peer):
		raise BenchError('link counters do not match the topology: dpdns0 rx %d for %d zone bytes, '
				 'peer-srv rx %d for %d' % (dp_rx, want_dp, peer_rx, want_peer))


EXC_DROPS = ('exc_ring_full', 'kernel_tx_drop', 'kernel_rx_ring_full', 'kernel_rx_tx_drop')


def exception_path_drops(a, sock):
	"""dpdnsd's exception-path drop counters after the changes (`dpdnsctl stats`), logged; {} when
	dpdnsctl is not beside the binary.  A frame lost there costs a TCP retransmission (200 ms or more)."""
	ctl = a.dpdnsctl or os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
		os.path.abspath(a.dpdnsd)))), 'tools', 'dpdnsctl')
	if not os.access(ctl, os.X_OK):
		return {}
	p = subprocess.run([ctl, '-s', sock, '-j', 'stats'], capture_output=True, text=True, timeout=30)
	try:
		st = json.loads(p.stdout)
	except ValueError:
		log('dpdnsctl stats: %s' % (p.stdout + p.stderr).strip()[:200])
		return {}
	drops = {k: st.get(k) for k in EXC_DROPS}
	log('dpdnsd: exception path: %d frames to the kernel, %d from it; dropped: %s' % (
		st.get('kernel_tx', 0), st.get('tap_rx', 0), ', '.join('%s %s' % kv for kv in drops.items())))
	return {'exception_drops': drops}


def one_run(a, index, zone_path, records):
	tag = 'xbench-%d' % os.getpid()
	work = tempfile.mkdtemp(prefix='dpdns-xfr-bench.', dir=a.tmpdir)
	secret = base64.b64encode(os.urandom(32)).decode()
	net = Net(tag)
	daemons = []
	sampler = None
	prober = None
	nsock = None
	prefix = tag + '-dpdnsd'
	res = {'run': index, 'names': a.names, 'records': records, 'order': a.order,
	       'date': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'load_start': loadavg()}
	steal0 = cpu_steal()
	try:
		net.setup()
		res['isolation'] = net.isolation
		dirs = {}
		for d in ('primary', 'dpdnsd', 'knotd', 'nsd'):
			dirs[d] = os.path.join(work, d)
			os.makedirs(dirs[d])
		os.makedirs(os.path.join(dirs['primary'], 'db'))
		os.makedirs(os.path.join(dirs['knotd'], 'db'))
		os.makedirs(os.path.join(dirs['dpdnsd'], 'run'))
		pzone = os.path.join(dirs['primary'], 'bench.test.zone')
		shutil.copyfile(zone_path, pzone)
		confs = {
			'primary': knot_primary_conf(dirs['primary'], secret, a.order),
			'knotd': knot_secondary_conf(dirs['knotd'], secret),
			'nsd': nsd_conf(dirs['nsd'], secret),
			'dpdnsd': dpdnsd_conf(dirs['dpdnsd'], secret, prefix, a.eal_mem, a.idle_sleep_us, a.lcores),
		}
		paths = {}
		for k, text in confs.items():
			paths[k] = os.path.join(dirs[k], k + ('.yaml' if k == 'dpdnsd' else '.conf'))
			with open(paths[k], 'w') as f:
				f.write(text)

		last = a.names - 1
		last_name = 'h%d.%s' % (last, ORIGIN)
		prober = Prober(net.pri, [PRI_IP] + [ADDR[n] for n in a.order])

		# 1. The primary.
		primary = Daemon('primary', ['knotd', '-c', paths['primary']], net.pri,
				 os.path.join(dirs['primary'], 'stdout.log'))
		daemons.append(primary)
		primary.start()
		t = prober.wait_served(PRI_IP, last_name, gen_addr(last), 1, a.timeout, primary, 0.1)
		res['primary_load_s'] = round(t - primary.t_start, 3)
		log('run %d: primary knotd serves %d records after %.1f s' % (index, records, t - primary.t_start))

		sampler = Sampler(daemons)
		sampler.start()

		# 2. The secondaries, one at a time.
		secs = {
			'dpdnsd': Daemon('dpdnsd', [a.dpdnsd, '-c', paths['dpdnsd']], net.srv,
					 os.path.join(dirs['dpdnsd'], 'dpdnsd.log')),
			'knotd': Daemon('knotd', ['knotd', '-c', paths['knotd']], net.srv,
					os.path.join(dirs['knotd'], 'stdout.log')),
			'nsd': Daemon('nsd', ['nsd', '-d', '-c', paths['nsd']], net.srv,
				      os.path.join(dirs['nsd'], 'nsd.log')),
		}
		secs = {n: secs[n] for n in a.order}
		for name in a.order:
			daemons.append(secs[name])
			res[name] = start_secondary(a, index, name, secs[name], prober, last_name, last, dirs, primary)
		check_paths(a, net, primary, res)

		# 3. One record changed on the primary; NOTIFY -> new answer at each secondary.
		changed = a.names // 2
		cname = 'h%d.%s' % (changed, ORIGIN)
		for name in a.order:  # the old answer first, so a new one means the change arrived
			prober.wait_served(ADDR[name], cname, gen_addr(changed), 1, 10, secs[name])
		before = {n: len(re.findall(r'[AI]XFR, outgoing, remote %s@' % re.escape(ADDR[n]),
					    primary.log_text())) for n in a.order}
		change_zone(zone_path, pzone, 2, cname, CHANGED_ADDR)
		nsock = notify_socket(net.pri, 'br-pri')
		sampler.paused.set()
		perf = Perf(secs['dpdnsd'].proc.pid, os.path.join(a.perf, 'dpdnsd-ixfr-%d.data' % index)) \
			if a.perf and 'dpdnsd' in secs else None
		if perf:
			time.sleep(1)  # attached before the change starts
		try:
			ixfr = measure_change(a, prober, nsock, primary, secs, paths['primary'], cname,
					      gen_addr(changed))
		finally:
			if perf:
				perf.stop()
		sampler.paused.clear()
		res['change'] = {k: v for k, v in ixfr.items() if k not in secs}
		for name in a.order:
			res[name].update(ixfr[name])
			kinds = re.findall(r'([AI]XFR), outgoing, remote %s@' % re.escape(ADDR[name]),
					   primary.log_text())
			res[name]['change_kind'] = kinds[before[name]] if len(kinds) > before[name] else None
		if 'dpdnsd' in secs:
			text = secs['dpdnsd'].log_text()
			m = re.search(r'serial 1 -> 2 by (\S+(?: as AXFR)?) from \S+: (\d+) records, (\d+) bytes, '
				      r'transfer (\d+) ms, build ([\d.]+) ms(?: \((incremental|afresh)\))?', text)
			if m:
				res['dpdnsd'].update(change_log_kind=m.group(1), change_records=int(m.group(2)),
						     change_bytes=int(m.group(3)), change_transfer_ms=int(m.group(4)),
						     change_build_ms=float(m.group(5)),
						     change_build_how=m.group(6))
			t_x = dpdnsd_log_times(text, r'zone \S+: serial 1 -> 2 by')
			t_n = [t for t in dpdnsd_log_times(text, r'zone \S+: NOTIFY from') if t_x and t <= t_x[0]]
			if t_n and t_x:  # the last NOTIFY before the change was published
				res['dpdnsd']['change_log_notify_to_published_ms'] = round((t_x[0] - t_n[-1]) * 1000)
		if 'knotd' in secs:
			m = re.search(r'refresh, remote [^,]*, zone updated, ([\d.]+) seconds, serial 1 -> 2',
				      secs['knotd'].log_text())
			if m:
				res['knotd']['change_refresh_ms'] = round(float(m.group(1)) * 1000)
		# More changes (--changes N): another name each time, each timed the same way, so that a
		# run gives N samples of NOTIFY -> new answer instead of one.
		samples = {name: [res[name].get('notify_to_served_ms')] for name in a.order}
		for k in range(1, a.changes):
			idx = (changed + 7919 * k) % a.names
			name_k = 'h%d.%s' % (idx, ORIGIN)
			for name in a.order:
				prober.wait_served(ADDR[name], name_k, gen_addr(idx), 1 + k, 10, secs[name])
			change_zone(zone_path, pzone, 2 + k, name_k, CHANGED_ADDR)
			sampler.paused.set()
			x = measure_change(a, prober, nsock, primary, secs, paths['primary'], name_k,
					   gen_addr(idx))
			sampler.paused.clear()
			for name in a.order:
				samples[name].append(x[name]['notify_to_served_ms'])
		if a.changes > 1:
			for name in a.order:
				res[name]['change_samples_ms'] = samples[name]
				res[name]['changes_median_ms'] = med(samples[name])
				log('run %d: %s: NOTIFY -> new answer over %d changes: median %.1f ms (%s)' % (
					index, name, len(samples[name]), med(samples[name]),
					' '.join('%.0f' % v for v in samples[name])))
		if 'dpdnsd' in secs:
			res['dpdnsd'].update(exception_path_drops(a, os.path.join(dirs['dpdnsd'], 'run', 'dpdnsd.sock')))
		time.sleep(a.settle)
		for name in a.order:
			peak = max(secs[name].sample(), secs[name].peak_kb)
			res[name]['peak_after_change_mb'] = round(peak / 1024, 1)
			r = res[name]
			log('run %d: %s: NOTIFY -> new answer %s ms (%s)%s' % (
				index, name, r.get('notify_to_served_ms'), r.get('change_kind'),
				', transfer %d ms + build %g ms (%s)' % (r['change_transfer_ms'], r['change_build_ms'], r.get('change_build_how'))
				if 'change_build_ms' in r else ''))
	finally:
		if sampler:
			sampler.halt.set()
			sampler.join(5)
		for d in reversed(daemons):
			d.stop()
		if prober:
			prober.close()
		if nsock:
			nsock.close()
		net.cleanup()
		shutil.rmtree('/var/run/dpdk/' + prefix, ignore_errors=True)
		if a.keep:
			log('files kept in %s' % work)
		else:
			shutil.rmtree(work, ignore_errors=True)
	steal1 = cpu_steal()
	res['load_end'] = loadavg()
	res['steal_pct'] = round(100.0 * (steal1[1] - steal0[1]) / max(1, steal1[0] - steal0[0]), 1)
	return res


def measure_change(a, prober, nsock, primary, secs, pconf, cname, old_addr):
	"""knotc zone-reload, then NOTIFY capture and polling of cname at the primary and each
	secondary every a.poll_ms; returns per secondary the NOTIFY -> new answer time, the last old
	answer before it (a gap much longer than the poll interval means no answers in between) and
	the CPU time the secondary used from the NOTIFY to its new answer."""
	targets = {PRI_IP: 'primary'}
	for name in secs:
		targets[ADDR[name]] = name
	notify_at = {}
	new_at = {}
	old_at = {}
	cpu_notify = {}
	cpu_new = {}
	other = {}
	sent = {}  # (address, query id): time sent
	slowest = {}  # address: the longest time a response took
	socks = {prober.socks[addr].fileno(): addr for addr in targets}
	interval = a.poll_ms / 1000.0
	t_reload = time.time()
	ctl = subprocess.Popen(['knotc', '-c', pconf, '-t', '60', 'zone-reload', ORIGIN],
			       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
	end = time.monotonic() + a.timeout
	queries = 0
	late = 0
	# The probe must not wait behind the daemons it measures for a CPU (two cores, all of them
	# busy while the secondaries apply the change): real-time priority while it polls.  It sleeps
	# in select() between queries, and the kernel's RT throttling bounds it in any case.
	policy = os.sched_getscheduler(0)
	param = os.sched_getparam(0)
	try:
		os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
		rt = True
	except OSError:
		rt = False
	try:
		next_send = time.monotonic()
		while time.monotonic() < end and len(new_at) < len(targets):
			now = time.monotonic()
			if now - next_send > interval:
				late += 1  # a round of queries went out more than one interval late
			if now >= next_send:
				for addr in targets:
					if addr not in new_at:
						sent[(addr, prober.send(addr, cname, dns.rdatatype.A))] = time.time()
						queries += 1
				next_send = now + interval
			r, _, _ = select.select(list(socks) + [nsock], [], [], max(0, next_send - time.monotonic()))
			for fd in r:
				if fd is nsock:
					while True:
						try:
							pkt, anc, _f, src = nsock.recvmsg(65535, 64)
						except (BlockingIOError, InterruptedError):
							break
						n = parse_notify(pkt) if src[1] == ETH_P_IP else None
						if n and n[1] == ORIGIN and n[0] in targets and n[0] not in notify_at:
							notify_at[n[0]] = kernel_ts(anc)
							if targets[n[0]] in secs:
								cpu_notify[n[0]] = secs[targets[n[0]]].cpu_s()
					continue
				addr = socks[fd]
				for ts, msg in prober.recv(addr):
					t_sent = sent.pop((addr, msg.id), None)
					if t_sent is not None:
						slowest[addr] = max(slowest.get(addr, 0), ts - t_sent)
					if addr in new_at:
						continue
					ans = prober.answer_of(msg, dns.rdatatype.A)
					if ans == [CHANGED_ADDR]:
						new_at[addr] = ts
						if targets[addr] in secs:
							cpu_new[addr] = secs[targets[addr]].cpu_s()
					elif ans == [old_addr]:
						old_at[addr] = ts
					else:  # neither: an error or an empty answer while it changes
						k = dns.rcode.to_text(msg.rcode())
						other.setdefault(addr, {})
						other[addr][k] = other[addr].get(k, 0) + 1
			for d in [primary] + list(secs.values()):
				if not d.alive():
					raise BenchError('%s exited during the change:\n%s' % (
						d.name, d.log_text()[-2000:]))
	finally:
		if rt:
			os.sched_setscheduler(0, policy, param)
		try:
			out, _ = ctl.communicate(timeout=60)
		except subprocess.TimeoutExpired:
			ctl.kill()
			out, _ = ctl.communicate()
	if ctl.returncode != 0:
		raise BenchError('knotc zone-reload: exit %d: %s' % (ctl.returncode, out.strip()))
	missing = [targets[x] for x in targets if x not in new_at]
	if missing:
		raise BenchError('the changed record was not served by %s within %ss' % (', '.join(missing), a.timeout))
	out = {'primary_reload_s': round(new_at[PRI_IP] - t_reload, 3), 'poll_ms': a.poll_ms,
	       'queries': queries, 'late_rounds': late, 'probe_realtime': rt}
	for name in secs:
		addr = ADDR[name]
		if addr not in notify_at:
			raise BenchError('no NOTIFY to %s (%s) seen on br-pri' % (name, addr))
		out[name] = {'notify_to_served_ms': round((new_at[addr] - notify_at[addr]) * 1000, 1),
			     'change_gap_ms': round((new_at[addr] - old_at[addr]) * 1000, 1) if addr in old_at else None,
			     'change_cpu_s': round(cpu_new[addr] - cpu_notify[addr], 2)
			     if addr in cpu_new and addr in cpu_notify else None,
			     'change_other_answers': other.get(addr, {}),
			     'change_slowest_response_ms': round(slowest.get(addr, 0) * 1000, 1)}
	out['notify_after_primary_served_ms'] = round(
		(min(notify_at[ADDR[n]] for n in secs) - new_at[PRI_IP]) * 1000, 1)
	return out


# ---------------------------------------------------------------------------------------------
# Summary

def med(vals):
	vals = [v for v in vals if v is not None]
	return statistics.median(vals) if vals else None


def fmt(v, spec):
	return '—' if v is None else format(v, spec)


def summary(path):
	runs = []
	try:
		with open(path) as f:
			for n, line in enumerate(f, 1):
				if line.strip():
					runs.append(json.loads(line))
	except OSError as e:
		print('%s: %s' % (path, e.strerror))
		return 2
	except ValueError as e:
		print('%s:%d: not a JSON line of xfr_bench.py: %s' % (path, n, e))
		return 2
	if not runs:
		print('no runs in %s' % path)
		return 1
	cols = [s for s in SECONDARIES if any(s in r for r in runs)]
	r0 = runs[0]
	orders = []
	for r in runs:
		if ','.join(r['order']) not in orders:
			orders.append(','.join(r['order']))
	print('%d run(s) of %s, %d names, %d records, started in the order %s' % (
		len(runs), r0['date'][:10], r0['names'], r0['records'], ' / '.join(orders)))
	print('load average at start/end of each run: %s; CPU stolen by the host: %s%%' % (
		' '.join('%.1f/%.1f' % (r['load_start'], r['load_end']) for r in runs),
		' '.join('%.1f' % r['steal_pct'] for r in runs)))
	print('primary knotd: zone loaded in %s s; knotc zone-reload -> new answer %s s; NOTIFYs sent %s ms '
	      'after that (medians)' % (
		fmt(med(r['primary_load_s'] for r in runs), '.1f'),
		fmt(med(r['change']['primary_reload_s'] for r in runs), '.2f'),
		fmt(med(r['change']['notify_after_primary_served_ms'] for r in runs), '.0f')))
	print()
	print('| medians of %d run(s) | %s |' % (len(runs), ' | '.join(cols)))
	print('| --- |%s' % (' --- |' * len(cols)))

	def row(label, key, spec):
		vals = [fmt(med(r.get(s, {}).get(key) for r in runs), spec) for s in cols]
		if any(v != '—' for v in vals):
			print('| %s | %s |' % (label, ' | '.join(vals)))
	row('start -> zone served (s)', 'served_s', '.2f')
	row('CPU time until served (s)', 'cpu_s', '.1f')
	row('start -> prepared answers served (s; dpdnsd\'s log)', 'prepared_s', '.2f')
	row('CPU time until prepared answers (s)', 'cpu_prepared_s', '.1f')
	row('peak RSS after the AXFR (MB)', 'peak_mb', '.0f')
	row('RSS after the AXFR (MB)', 'rss_mb', '.0f')
	row('RSS before any zone (MB)', 'rss_at_ready_mb', '.0f')
	row('NOTIFY -> new answer, 1-record IXFR (ms)', 'notify_to_served_ms', '.0f')
	row('NOTIFY -> new answer, every change of a run (median of the runs\' medians, ms)',
	    'changes_median_ms', '.0f')
	row('CPU time from NOTIFY to new answer (s)', 'change_cpu_s', '.2f')
	row('last old answer -> first new answer (ms)', 'change_gap_ms', '.0f')
	row('slowest response while it changed (ms)', 'change_slowest_response_ms', '.0f')
	row('peak RSS after the IXFR (MB)', 'peak_after_change_mb', '.0f')
	row('idle CPU share after the transfer', 'idle_cpu_share', '.2f')
	print()
	if 'dpdnsd' in cols:
		d = [r['dpdnsd'] for r in runs if 'dpdnsd' in r]
		print('dpdnsd: ready %s s after start; AXFR transfer %s ms + build %s ms (+ prepared answers %s ms); '
		      '%s bytes' % (
			fmt(med(x.get('ready_s') for x in d), '.2f'),
			fmt(med(x.get('transfer_ms') for x in d), '.0f'), fmt(med(x.get('build_ms') for x in d), '.0f'),
			fmt(med(x.get('prepare_ms') for x in d), '.0f'),
			fmt(med(x.get('bytes') for x in d), ',.0f')))
		print('dpdnsd: IXFR transfer %s ms + build %s ms; its log: NOTIFY -> published %s ms (medians)' % (
			fmt(med(x.get('change_transfer_ms') for x in d), '.0f'),
			fmt(med(x.get('change_build_ms') for x in d), '.1f'),
			fmt(med(x.get('change_log_notify_to_published_ms') for x in d), '.0f')))
	if 'knotd' in cols:
		print('knotd: its log: IXFR refresh %s ms (median)' % fmt(
			med(r['knotd'].get('change_refresh_ms') for r in runs if 'knotd' in r), '.0f'))
	for s in cols:
		pooled = [v for r in runs if s in r for v in r[s].get('change_samples_ms', [])]
		if pooled:
			print('%s: NOTIFY -> new answer over all %d changes: median %.1f ms, range %.0f-%.0f ms' % (
				s, len(pooled), med(pooled), min(pooled), max(pooled)))
	for s in cols:
		rr = [r[s] for r in runs if s in r]
		print('%s per run: served %s s; NOTIFY -> new %s ms; change by %s' % (
			s, ' '.join(fmt(x.get('served_s'), '.2f') for x in rr),
			' '.join(fmt(x.get('notify_to_served_ms'), '.0f') for x in rr),
			'/'.join(str(x.get('change_kind')) for x in rr)))
	return 0


# ---------------------------------------------------------------------------------------------

def main():
	ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
	ap.add_argument('--summary', metavar='FILE', help='print the median table of the runs in FILE and exit')
	ap.add_argument('--dpdnsd', help='dpdnsd binary')
	ap.add_argument('--dpdnsctl', help='dpdnsctl binary (default: tools/dpdnsctl of the build dpdnsd is in)')
	ap.add_argument('--zone', help='the zone file from bench/gen_zone.py (origin bench.test.)')
	ap.add_argument('--names', type=int, help='NAMES given to gen_zone.py')
	ap.add_argument('--runs', type=int, default=1)
	ap.add_argument('--out', help='append one JSON line per run here')
	ap.add_argument('--order', default='knotd,nsd,dpdnsd',
			help='the secondaries to run, in start order (a subset measures one without the others)')
	ap.add_argument('--poll-ms', type=float, default=2.0, help='query interval after the change')
	ap.add_argument('--changes', type=int, default=1,
			help='1-record changes per run, each timed NOTIFY -> new answer (default 1)')
	ap.add_argument('--settle', type=float, default=2.0, help='seconds after a transfer before memory is read')
	ap.add_argument('--timeout', type=float, default=600.0, help='limit of every wait (seconds)')
	ap.add_argument('--deadline', type=float, default=0, help='limit of the whole command (seconds; '
			'default 1200 per run)')
	ap.add_argument('--eal-mem', type=int, default=256, help='dpdnsd EAL -m (MB, --no-huge)')
	ap.add_argument('--lcores', default='0@0,1@1',
			help="dpdnsd's EAL --lcores (main lcore 0, worker 1); e.g. '0@(0,1),1@(0,1)' lets both float")
	ap.add_argument('--idle-sleep-us', type=int, default=100, help='dpdnsd idle-sleep-us')
	ap.add_argument('--tmpdir', default=None)
	ap.add_argument('--keep', action='store_true', help='keep configurations and logs')
	ap.add_argument('--perf', metavar='DIR', help='profile dpdnsd (perf record) during the AXFR and the IXFR; '
			'writes DIR/dpdnsd-{axfr,ixfr}-RUN.data and .txt (profiled runs are slower: not for timing)')
	a = ap.parse_args()
	if a.summary:
		return summary(a.summary)
	if not a.dpdnsd or not a.zone or not a.names:
		ap.error('--dpdnsd, --zone and --names are required')
	a.order = a.order.split(',')
	if not a.order or len(set(a.order)) != len(a.order) or not set(a.order) <= set(SECONDARIES):
		ap.error('--order: secondaries to run, in start order, from %s' % ','.join(SECONDARIES))
	if not 1 <= a.runs <= 20 or a.names < 2 or not 0.5 <= a.poll_ms <= 100:
		ap.error('--runs 1..20, --names >= 2, --poll-ms 0.5..100')
	if os.geteuid() != 0:
		log('needs root (network namespaces, DPDK)')
		return 2
	for tool in ('ip', 'tc', 'sysctl', 'ethtool', 'knotd', 'knotc', 'nsd'):
		if not shutil.which(tool):
			log('%s not found (scripts/deps.sh installs it)' % tool)
			return 2
	if a.perf:
		if not shutil.which('perf'):
			log('--perf: perf not found (apt-get install linux-perf)')
			return 2
		os.makedirs(a.perf, exist_ok=True)
	if not os.access(a.dpdnsd, os.X_OK):
		log('%s: not an executable' % a.dpdnsd)
		return 2
	# The zone must be gen_zone.py's with --names: the last name and the changed one are in it.
	want = {'h%d A ' % (a.names - 1), 'h%d A ' % (a.names // 2)}
	records = 0
	try:
		with open(a.zone) as f:
			for line in f:
				if not line.startswith('$'):
					records += 1
					if line.startswith('h'):
						want.discard(line[:line.find(' A ') + 3])
	except OSError as e:
		log('%s: %s' % (a.zone, e.strerror))
		return 2
	if want:
		log('%s: no %s: not a zone of bench/gen_zone.py --names %d' % (
			a.zone, ' and no '.join(sorted(x.strip() for x in want)), a.names))
		return 2

	def on_signal(signum, _frame):
		log('signal %d: stopping and cleaning up' % signum)
		raise SystemExit(128 + signum)

	def on_alarm(_signum, _frame):
		raise Deadline('deadline passed')
	signal.signal(signal.SIGTERM, on_signal)
	signal.signal(signal.SIGINT, on_signal)
	signal.signal(signal.SIGALRM, on_alarm)
	signal.alarm(int(a.deadline or 1200 * a.runs))
	try:
		for i in range(1, a.runs + 1):
			res = one_run(a, i, os.path.abspath(a.zone), records)
			if a.out:
				with open(a.out, 'a') as f:
					f.write(json.dumps(res, sort_keys=True) + '\n')
			else:
				print(json.dumps(res, sort_keys=True))
	except (BenchError, Deadline) as e:
		log('error: %s' % e)
		return 1
	finally:
		signal.alarm(0)
	return 0


if __name__ == '__main__':
	sys.exit(main())
