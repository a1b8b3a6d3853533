# SPDX-License-Identifier: BSD-3-Clause
"""Harness of the dpdnsd system tests (tests/system/fastpath_*.py, daemon_lifecycle.py, secondary_*.py).

What it provides:
  * Topology: two network namespaces `dpt-<test>-<pid>-srv` (runs dpdnsd) and `...-cli` (the client),
    joined either by a veth pair (dpdnsd reads `veth-srv` with net_af_packet) or by the kernel side of
    dpdnsd's net_tap data port (`dtap-x`, moved into the client namespace once dpdnsd is ready).
  * Daemon: writes a dpdnsd configuration (static zones; secondary zones with their keys and remotes),
    runs `ip netns exec SRV dpdnsd -c FILE` in its own process group, collects its log, waits for
    `dpdnsd: ready`, sends signals, stops it, and always kills it.
  * Telemetry: a DPDK telemetry client (AF_UNIX SOCK_SEQPACKET) for `/dpdns/stats` and `/ethdev/...`.
  * Frames: Ethernet/IPv4/IPv6/UDP builders with correct or deliberately wrong checksums and lengths.
  * UdpClient: DNS over UDP from the client namespace, many queries in flight, matched by id.
  * Checks: every check prints "ok - ..." or "FAIL - ...", the run ends with "N passed, N failed".

Bounds: every subprocess, socket and wait has a timeout; a test has a deadline (SIGALRM); namespaces,
interfaces, DPDK runtime directories and the daemon are removed on exit, on failure and on SIGINT/SIGTERM.
Exit status: 0 all checks passed, 1 a check failed, 2 setup error, 77 skipped (not root, no `ip`, no
dpdnsd, or DPDK cannot start here).
"""

import argparse
import contextlib
import ctypes
import glob
import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, '..', '..'))

SRV4, CLI4 = '198.18.0.2', '198.18.0.1'
SRV6, CLI6 = '2001:db8:ffff::2', '2001:db8:ffff::1'
PLEN4, PLEN6 = 24, 64
EXC_IF = 'dpdns0'
VETH_SRV, VETH_CLI = 'veth-srv', 'veth-cli'
TAP_DATA = 'dtap-x'
CLI_TAP_MAC = '02:44:50:54:00:01'  # locally administered
IDENTITY = 'pop1.example.net'
VERSION = 'dpdns-systest'

# EAL messages that mean "DPDK cannot run on this machine" (skip) rather than a daemon bug; but EAL
# arguments it refuses are the configuration's (or the daemon's) fault: those fail.
EAL_CANNOT_START = re.compile(r'EAL initiali[sz]ation failed|EAL: (Cannot|Error|FATAL)|rte_eal_init|'
			      r'Cannot init EAL|No available hugepages|/dev/net/tun', re.I)
EAL_BAD_ARGS = re.compile(r"Invalid 'command line' arguments|unrecognized option|invalid option", re.I)


class Skip(Exception):
	"""The test cannot run here: exit 77 (meson: SKIP)."""


class SetupError(Exception):
	"""The harness could not build the test environment: exit 2."""


class DeadlineExceeded(Exception):
	"""The test's own time limit (--deadline) passed."""


class CheckFailed(Exception):
	"""A fatal check failed: stop the test (the failure is already counted)."""


def log(msg):
	sys.stderr.write(msg + '\n')
	sys.stderr.flush()


# ---------------------------------------------------------------------------------------------------------
# Checks

class Checks:
	"""Counts checks; each prints one line.  check() returns the condition so callers can branch."""

	def __init__(self):
		self.passed = 0
		self.failed = 0

	def check(self, cond, what, detail=None):
		if cond:
			self.passed += 1
			print('ok - %s' % what)
		else:
			self.failed += 1
			print('FAIL - %s' % what)
			if detail:
				for line in str(detail).rstrip('\n').split('\n'):
					print('    ' + line)
		sys.stdout.flush()
		return bool(cond)

	def require(self, cond, what, detail=None):
		"""Like check(), but a failure ends the test (later checks would only repeat it)."""
		if not self.check(cond, what, detail):
			raise CheckFailed(what)

	def equal(self, got, want, what):
		return self.check(got == want, '%s: %r' % (what, got) if got == want else what,
				  None if got == want else 'got  %r\nwant %r' % (got, want))

	def summary(self):
		print('%d passed, %d failed' % (self.passed, self.failed))
		sys.stdout.flush()


CHECKS = Checks()


# ---------------------------------------------------------------------------------------------------------
# Processes and namespaces

def run(argv, ns=None, timeout=15, check=True, input=None):
	"""Runs argv (inside netns ns if given); returns CompletedProcess with text output."""
	if ns:
		argv = ['ip', 'netns', 'exec', ns] + list(argv)
	try:
		p = subprocess.run(argv, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
				   timeout=timeout, text=True, stdin=None if input is not None else subprocess.DEVNULL)
	except subprocess.TimeoutExpired:
		raise SetupError('%s: timed out after %ss' % (' '.join(argv), timeout))
	if check and p.returncode != 0:
		raise SetupError('%s: exit %d: %s' % (' '.join(argv), p.returncode, p.stderr.strip()))
	return p


_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


@contextlib.contextmanager
def in_netns(name):
	"""Runs the body with this thread in network namespace `name` (sockets created there stay there)."""
	target = os.open('/run/netns/' + name, os.O_RDONLY | os.O_CLOEXEC)
	home = os.open('/proc/thread-self/ns/net', os.O_RDONLY | os.O_CLOEXEC)
	try:
		if _libc.setns(target, CLONE_NEWNET) != 0:
			e = ctypes.get_errno()
			raise OSError(e, 'setns(%s): %s' % (name, os.strerror(e)))
		try:
			yield
		finally:
			if _libc.setns(home, CLONE_NEWNET) != 0:
				# Continuing in the wrong namespace would send traffic where it must not go.
				log('systest: cannot return to the original network namespace; aborting')
				os._exit(2)
	finally:
		os.close(target)
		os.close(home)


def link_mac(ns, ifname):
	p = run(['ip', '-n', ns, '-j', 'link', 'show', 'dev', ifname])
	return json.loads(p.stdout)[0]['address']


def link_exists(ns, ifname):
	return run(['ip', '-n', ns, 'link', 'show', 'dev', ifname], check=False).returncode == 0


def mac_bytes(mac):
	return bytes(int(x, 16) for x in mac.split(':'))


def neighbours(ns, ifname):
	"""{address: (lladdr or None, state list)} of ifname's neighbour table."""
	p = run(['ip', '-n', ns, '-j', 'neigh', 'show', 'dev', ifname])
	out = {}
	for e in json.loads(p.stdout or '[]'):
		out[e['dst']] = (e.get('lladdr'), e.get('state', []))
	return out


class Topology:
	"""The namespaces and links of one test run.  kind: 'af_packet' (veth pair) or 'tap' (net_tap)."""

	def __init__(self, test, kind, index=0):
		assert kind in ('af_packet', 'tap')
		self.kind = kind
		self.tag = 'dpt-%s-%d%s' % (test, os.getpid(), '-%d' % index if index else '')
		self.srv = self.tag + '-srv'
		self.cli = self.tag + '-cli'
		self.cli_if = VETH_CLI if kind == 'af_packet' else TAP_DATA
		self.isolation = None
		self.created = []
		self.ready = False

	def vdev(self, workers=1):
		# Deep receive rings: on a 2-core machine the worker lcore shares its core with the client and
		# can be descheduled for tens of milliseconds; a frame lost in a full ring would never be
		# counted, and the flood test accounts for every frame.  (net_af_packet: 4096 frames instead of
		# 512; net_tap: the kernel side's queue, set in after_ready.)
		# One queue pair per worker lcore: net_af_packet needs qpairs= (it spreads flows over them
		# with PACKET_FANOUT); net_tap takes as many as the port is configured with.
		if self.kind == 'af_packet':
			return 'net_af_packet0', 'net_af_packet0,iface=%s,framecnt=4096,qpairs=%d' % (VETH_SRV, workers)
		return 'net_tap0', 'net_tap0,iface=%s' % TAP_DATA

	def setup(self):
		for ns in (self.srv, self.cli):
			run(['ip', 'netns', 'add', ns])
			self.created.append(ns)
			run(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
		if self.kind == 'af_packet':
			run(['ip', 'link', 'add', VETH_SRV, 'netns', self.srv, 'type', 'veth', 'peer', 'name', VETH_CLI,
			     'netns', self.cli])
			# No IPv6 (no link-local address, no DAD, no RS) and no addresses on the PMD's interface.
			run(['sysctl', '-qw', 'net.ipv6.conf.%s.disable_ipv6=1' % VETH_SRV], ns=self.srv)
			self.isolate(VETH_SRV)
			run(['ip', '-n', self.srv, 'link', 'set', VETH_SRV, 'up'])
			self.full_checksums()
			self.address_cli()

	def isolate(self, ifname):
		"""Keeps the server namespace's kernel away from what the PMD receives on ifname.

		Packet sockets (net_af_packet) see a frame before tc ingress and before the protocol handlers.
		Preferred: tc ingress `matchall action drop`.  Kernels without cls_matchall or act_gact (like the
		CI VM's) get the same effect from a bridge that stays down: its rx handler runs after the packet
		taps and drops every frame of a port that is not forwarding."""
		run(['tc', '-n', self.srv, 'qdisc', 'add', 'dev', ifname, 'clsact'], check=False)
		p = run(['tc', '-n', self.srv, 'filter', 'add', 'dev', ifname, 'ingress', 'matchall', 'action', 'drop'],
			check=False)
		if p.returncode == 0:
			self.isolation = 'tc matchall drop'
			return
		run(['tc', '-n', self.srv, 'qdisc', 'del', 'dev', ifname, 'clsact'], check=False)
		run(['ip', '-n', self.srv, 'link', 'add', 'dpt-sink', 'type', 'bridge'])
		run(['ip', '-n', self.srv, 'link', 'set', ifname, 'master', 'dpt-sink'])
		self.isolation = 'port of a down bridge (tc matchall/gact unavailable: %s)' % p.stderr.strip().split('\n')[0]

	def full_checksums(self):
		"""The client's kernel computes UDP/TCP checksums itself.  veth offers checksum offload, so by
		default the frames it carries hold only the pseudo-header sum (CHECKSUM_PARTIAL), which a
		packet socket reports as TP_STATUS_CSUMNOTREADY and net_af_packet (DPDK 22.11) ignores: the
		fastpath would see bad checksums.  A real client behind a NIC always sends complete ones."""
		if not shutil.which('ethtool'):
			raise Skip('ethtool not found (apt-get install ethtool): needed to turn off veth checksum offload')
		run(['ethtool', '-K', self.cli_if, 'tx', 'off'], ns=self.cli)

	def address_cli(self):
		run(['ip', '-n', self.cli, 'addr', 'add', '%s/%d' % (CLI4, PLEN4), 'dev', self.cli_if])
		run(['ip', '-n', self.cli, 'addr', 'add', '%s/%d' % (CLI6, PLEN6), 'dev', self.cli_if, 'nodad'])
		run(['ip', '-n', self.cli, 'link', 'set', self.cli_if, 'up'])

	def after_ready(self):
		"""Once dpdnsd runs: the net_tap data port's kernel side becomes the client's interface."""
		if self.kind == 'tap' and not self.ready:
			run(['ip', '-n', self.srv, 'link', 'set', TAP_DATA, 'netns', self.cli])
			# net_tap gives its kernel side the port's MAC: give the client a MAC of its own.
			run(['ip', '-n', self.cli, 'link', 'set', TAP_DATA, 'address', CLI_TAP_MAC, 'txqueuelen', '8192'])
			self.address_cli()
		self.ready = True

	def server_mac(self):
		"""The port's MAC, which the exception TAP carries."""
		return link_mac(self.srv, EXC_IF)

	def cleanup(self):
		for ns in reversed(self.created):
			run(['ip', 'netns', 'del', ns], check=False)
		self.created = []


# ---------------------------------------------------------------------------------------------------------
# The daemon

def yaml_str(s):
	return json.dumps(str(s))  # a JSON string is a YAML double-quoted scalar


class Daemon:
	"""One dpdnsd in the server namespace of topo."""

	def __init__(self, exe, topo, workdir, zones, identity=IDENTITY, version=VERSION, idle_sleep_us=20,
		     extra_eal='', name='dpdnsd', workers=1, keys=(), remotes=(), rundir=None, metrics=None,
		     server=None, acls=(), extra_yaml=''):
		self.exe = exe
		self.topo = topo
		self.workdir = workdir
		# Each zone: (origin, path) for a static zone, or a dict of the zone's keys as doc/config.md
		# names them ('domain', 'file', 'primary' (a list of remote ids), 'refresh-min-interval', ...).
		self.zones = list(zones)
		# TSIG keys: dicts {'id', 'algorithm', 'secret'}; remotes: {'id', 'address' (list of
		# "ADDR@PORT"), 'key' (optional)}.
		self.keys = list(keys)
		self.remotes = list(remotes)
		# ACLs: dicts {'id', 'action' (list), 'address' (list, optional), 'key' (optional),
		# 'deny' (bool, optional)}; zones name them in their 'acl' list.
		self.acls = list(acls)
		self.extra_yaml = extra_yaml  # appended to the configuration (whole top-level sections)
		self.rundir = rundir or workdir
		# metrics: "ADDR@PORT" of the Prometheus endpoint (in the server namespace), or None.
		self.metrics = metrics
		# server: more keys of the server section ({'tcp-max-clients': 4, ...}).
		self.server = dict(server or {})
		self.identity = identity
		self.version = version
		self.idle_sleep_us = idle_sleep_us
		self.extra_eal = extra_eal
		self.workers = workers
		self.name = name
		self.prefix = '%s-%s' % (topo.tag, name)
		self.config = os.path.join(workdir, name + '.yaml')
		self.logpath = os.path.join(workdir, name + '.log')
		self.proc = None
		self.lines = []
		self.cond = threading.Condition()
		self.reader = None
		self.rc = None

	def config_text(self):
		port, vdev = self.topo.vdev(self.workers)
		# The main lcore (exception path) and the workers, mapped onto the CPUs there are: more
		# workers than CPUs share them (lcore 2 on CPU 1 on a 2-CPU machine), which is what a test
		# of several readers needs, not a performance setup.
		ncpu = os.cpu_count() or 1
		lcores = ','.join('%d@%d' % (i, i % ncpu) for i in range(self.workers + 1))
		eal = '--lcores=%s --no-huge -m 512 --no-pci --file-prefix=%s --vdev=%s' % (
			lcores, self.prefix, vdev)
		if self.extra_eal:
			eal += ' ' + self.extra_eal
		lines = ['server:']
		if self.identity is not None:
			lines.append('  identity: %s' % yaml_str(self.identity))
		if self.version is not None:
			lines.append('  version: %s' % yaml_str(self.version))
		for k, v in self.server.items():
			lines.append('  %s: %s' % (k, v if isinstance(v, int) else yaml_str(v)))
		lines += [
			'  rundir: %s' % yaml_str(self.rundir),
			'dataplane:',
			'  eal: %s' % yaml_str(eal),
			'  interfaces:',
			'    - port: %s' % port,
			'      address: ["%s/%d", "%s/%d"]' % (SRV4, PLEN4, SRV6, PLEN6),
			'  exception: %s' % EXC_IF,
			'  idle-sleep-us: %d' % self.idle_sleep_us,
		]
		if self.keys:
			lines.append('key:')
			for k in self.keys:
				lines.append('  - id: %s' % yaml_str(k['id']))
				lines.append('    algorithm: %s' % yaml_str(k['algorithm']))
				lines.append('    secret: %s' % yaml_str(k['secret']))
		if self.remotes:
			lines.append('remote:')
			for r in self.remotes:
				lines.append('  - id: %s' % yaml_str(r['id']))
				lines.append('    address: [%s]' % ', '.join(yaml_str(a) for a in r['address']))
				if r.get('key'):
					lines.append('    key: %s' % yaml_str(r['key']))
		if self.acls:
			lines.append('acl:')
			for a in self.acls:
				lines.append('  - id: %s' % yaml_str(a['id']))
				lines.append('    action: [%s]' % ', '.join(yaml_str(x) for x in a['action']))
				if a.get('address'):
					lines.append('    address: [%s]' % ', '.join(yaml_str(x) for x in a['address']))
				if a.get('key'):
					lines.append('    key: %s' % yaml_str(a['key']))
				if a.get('deny'):
					lines.append('    deny: true')
		lines.append('zone:')
		for z in self.zones:
			if not isinstance(z, dict):
				z = {'domain': z[0], 'file': z[1]}
			lines.append('  - domain: %s' % yaml_str(z['domain']))
			for k, v in z.items():
				if k == 'domain':
					continue
				if k == 'file':
					v = yaml_str(os.path.abspath(v))
				elif isinstance(v, (list, tuple)):
					v = '[%s]' % ', '.join(yaml_str(x) for x in v)
				elif isinstance(v, int):
					v = str(v)
				else:
					v = yaml_str(v)
				lines.append('    %s: %s' % (k, v))
		if self.metrics:
			lines += ['metrics:', '  listen: %s' % yaml_str(self.metrics)]
		return '\n'.join(lines) + '\n' + self.extra_yaml

	def write_config(self):
		with open(self.config, 'w') as f:
			f.write(self.config_text())

	@property
	def telemetry_path(self):
		return '/var/run/dpdk/%s/dpdk_telemetry.v2' % self.prefix

	def _read(self):
		with open(self.logpath, 'ab') as lf:
			for raw in iter(self.proc.stdout.readline, b''):
				lf.write(raw)
				lf.flush()
				with self.cond:
					self.lines.append(raw.decode(errors='replace').rstrip('\n'))
					self.cond.notify_all()
		with self.cond:
			self.cond.notify_all()

	def start(self, timeout=40, expect_ready=True):
		"""Starts dpdnsd; with expect_ready waits for 'dpdnsd: ready' (Skip when DPDK cannot start)."""
		self.write_config()
		argv = ['ip', 'netns', 'exec', self.topo.srv, self.exe, '-c', self.config]
		self.lines = []
		self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
					     stdin=subprocess.DEVNULL, start_new_session=True)
		self.reader = threading.Thread(target=self._read, daemon=True)
		self.reader.start()
		if not expect_ready:
			return
		i = self.wait_for(r'dpdnsd: ready', timeout, fatal=False)
		if i is None:
			rc = self.proc.poll()
			tail = self.tail()
			if rc is not None and EAL_CANNOT_START.search(tail) and not EAL_BAD_ARGS.search(tail):
				raise Skip('DPDK cannot start here (dpdnsd exit %d):\n%s' % (rc, tail))
			if rc is not None:
				raise SetupError('dpdnsd exited with status %s before "ready":\n%s' % (rc, tail))
			raise SetupError('dpdnsd not ready within %ss:\n%s' % (timeout, tail))
		self.topo.after_ready()

	def wait_for(self, pattern, timeout, since=0, fatal=True):
		"""Index of the first log line >= since matching pattern; None (or SetupError) on timeout/exit."""
		rx = re.compile(pattern)
		end = time.monotonic() + timeout
		with self.cond:
			while True:
				for i in range(since, len(self.lines)):
					if rx.search(self.lines[i]):
						return i
				since = max(since, len(self.lines))
				left = end - time.monotonic()
				exited = self.proc.poll() is not None and not self.reader.is_alive()
				if left <= 0 or exited:
					if fatal:
						raise SetupError('no log line matching %r within %ss (dpdnsd %s):\n%s' %
								 (pattern, timeout, 'exited %s' % self.proc.poll()
								  if exited else 'running', self.tail()))
					return None
				self.cond.wait(min(left, 0.2))

	def tail(self, n=40):
		with self.cond:
			return '\n'.join(self.lines[-n:])

	def log_count(self):
		with self.cond:
			return len(self.lines)

	def alive(self):
		return self.proc is not None and self.proc.poll() is None

	def send_signal(self, sig):
		if self.alive():
			os.kill(self.proc.pid, sig)

	def wait_exit(self, timeout):
		try:
			self.rc = self.proc.wait(timeout=timeout)
		except subprocess.TimeoutExpired:
			return None
		if self.reader:
			self.reader.join(timeout=5)
		return self.rc

	def stop(self, sig=signal.SIGTERM, timeout=20):
		"""Sends sig, waits for the exit; returns the exit status (None: it did not exit, then killed)."""
		if self.proc is None:
			return None
		if self.proc.poll() is None:
			self.send_signal(sig)
		rc = self.wait_exit(timeout)
		if rc is None:
			self.kill()
		return rc

	def kill(self):
		if self.proc is None:
			return
		try:
			os.killpg(self.proc.pid, signal.SIGKILL)
		except (ProcessLookupError, PermissionError):
			pass
		try:
			self.proc.wait(timeout=5)
		except subprocess.TimeoutExpired:
			pass
		if self.reader:
			self.reader.join(timeout=5)

	def cleanup(self):
		self.kill()
		shutil.rmtree('/var/run/dpdk/%s' % self.prefix, ignore_errors=True)

	def telemetry(self, timeout=10):
		return Telemetry(self.telemetry_path, timeout)


	@property
	def control_socket(self):
		return os.path.join(self.rundir, 'dpdnsd.sock')

	def scrape(self, timeout=5):
		"""GET /metrics from the endpoint (in the server namespace): a Metrics object."""
		addr, port = self.metrics.rsplit('@', 1)
		return Metrics(scrape_metrics(self.topo.srv, addr, int(port), timeout))


def dpdnsctl_path(dpdnsd):
	return os.path.normpath(os.path.join(os.path.dirname(dpdnsd), '..', '..', 'tools', 'dpdnsctl'))


def scrape_metrics(ns, addr, port, timeout=5):
	"""The body of GET /metrics on addr:port from namespace ns (raises SetupError unless 200)."""
	fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
	with in_netns(ns):
		s = socket.socket(fam, socket.SOCK_STREAM)
	s.settimeout(timeout)
	try:
		s.connect((addr, port))
		s.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
		data = b''
		while True:
			chunk = s.recv(65536)
			if not chunk:
				break
			data += chunk
	except OSError as e:
		raise SetupError('metrics %s@%d: %s' % (addr, port, e))
	finally:
		s.close()
	head, _, body = data.partition(b'\r\n\r\n')
	if not head.startswith(b'HTTP/1.1 200'):
		raise SetupError('metrics: %r' % head[:200])
	return body.decode()


class Metrics:
	"""A parsed Prometheus text exposition: samples by (name, labels), and the HELP/TYPE of each family."""

	LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
	LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

	def __init__(self, text):
		self.text = text
		self.samples = {}
		self.help = {}
		self.type = {}
		self.bad = []  # lines that are not the format
		for line in text.split('\n'):
			if not line:
				continue
			if line.startswith('# HELP '):
				name, _, h = line[7:].partition(' ')
				self.help[name] = h
				continue
			if line.startswith('# TYPE '):
				name, _, t = line[7:].partition(' ')
				self.type[name] = t
				continue
			m = self.LINE.match(line)
			if not m:
				self.bad.append(line)
				continue
			labels = tuple(sorted(self.LABEL.findall(m.group(2) or '')))
			self.samples[(m.group(1), labels)] = float(m.group(3))

	def get(self, name, **labels):
		"""The sample's value, or None."""
		return self.samples.get((name, tuple(sorted(labels.items()))))

	def sum(self, name, **labels):
		"""The sum of the samples of name whose labels include the given ones."""
		want = set(labels.items())
		return sum(v for (n, ls), v in self.samples.items() if n == name and want <= set(ls))

	def families(self):
		"""The family each sample belongs to (name less _sum/_count/_bucket where the type says so)."""
		out = set()
		for (n, _ls) in self.samples:
			for sfx in ('_sum', '_count', '_bucket'):
				if n.endswith(sfx) and self.type.get(n[:-len(sfx)]) in ('summary', 'histogram'):
					n = n[:-len(sfx)]
					break
			out.add(n)
		return out


def check_cli(exe, args, timeout=30):
	"""Runs `dpdnsd ARGS` (no namespace needed: --check does not start DPDK)."""
	return run([exe] + list(args), timeout=timeout, check=False)


# ---------------------------------------------------------------------------------------------------------
# DPDK telemetry

class Telemetry:
	"""Client of DPDK's telemetry socket (v2): JSON hello on connect, then one reply per command."""

	def __init__(self, path, timeout=10):
		self.path = path
		end = time.monotonic() + timeout
		last = None
		while True:
			s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
			s.settimeout(5)
			try:
				s.connect(path)
				break
			except OSError as e:
				s.close()
				last = e
				if time.monotonic() > end:
					raise SetupError('telemetry socket %s: %s' % (path, last))
				time.sleep(0.1)
		self.sock = s
		self.duplicates = set()  # counter names the daemon reported more than once
		self.hello = json.loads(self.sock.recv(1 << 16).decode())
		self.max_len = int(self.hello.get('max_output_len', 16384))

	def cmd(self, command):
		self.sock.send(command.encode())
		data = self.sock.recv(max(self.max_len, 1 << 16) + 64)
		if not data:
			raise SetupError('telemetry: connection closed on %r' % command)
		return json.loads(data.decode())

	def _pairs(self, pairs):
		# A JSON object with a key twice: keep both values (summed) and remember the name, instead of
		# silently keeping the last one as json.loads does.
		d = {}
		for k, v in pairs:
			if k in d:
				self.duplicates.add(k)
				if isinstance(v, int) and isinstance(d[k], int):
					v += d[k]
			d[k] = v
		return d

	def get(self, command):
		"""The value of command's reply (its only key)."""
		r = self.cmd(command)
		if not isinstance(r, dict) or len(r) != 1:
			raise SetupError('telemetry %s: unexpected reply %r' % (command, r))
		return next(iter(r.values()))

	def stats(self):
		self.sock.send(b'/dpdns/stats')
		data = self.sock.recv(max(self.max_len, 1 << 16) + 64)
		if not data:
			raise SetupError('telemetry: connection closed on /dpdns/stats')
		r = json.loads(data.decode(), object_pairs_hook=self._pairs)
		st = r.get('/dpdns/stats')
		if not isinstance(st, dict):
			raise SetupError('telemetry /dpdns/stats: unexpected reply %r' % r)
		return st

	def close(self):
		self.sock.close()


def check_counter_names(tel, what):
	"""One check: /dpdns/stats names each counter once (a name reported twice hides one of the values
	from every JSON reader; the harness sums them so that the other checks still see every frame)."""
	CHECKS.check(not tel.duplicates, '%s: /dpdns/stats reports each counter name once' % what,
		     'reported more than once (values summed here): %s' % ', '.join(sorted(tel.duplicates)))


def dict_delta(after, before):
	return {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)
		if isinstance(after.get(k, 0), int) and isinstance(before.get(k, 0), int)}


def format_stats(st):
	keys = sorted(st)
	return '\n'.join('%-24s %s' % (k, st[k]) for k in keys)


def stats_invariant(st):
	"""rx == answered + drop_total + exc_total; returns (holds, explanation)."""
	need = ('rx', 'answered', 'drop_total', 'exc_total')
	missing = [k for k in need if k not in st]
	if missing:
		return False, 'missing counters %s' % missing
	rhs = st['answered'] + st['drop_total'] + st['exc_total']
	return st['rx'] == rhs, 'rx %d, answered %d + drop_total %d + exc_total %d = %d' % (
		st['rx'], st['answered'], st['drop_total'], st['exc_total'], rhs)


def sum_prefix(st, prefix, exclude=()):
	return sum(v for k, v in st.items() if k.startswith(prefix) and k not in exclude and isinstance(v, int))


# ---------------------------------------------------------------------------------------------------------
# Frames

def csum16(data):
	if len(data) & 1:
		data += b'\0'
	s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
	while s >> 16:
		s = (s & 0xffff) + (s >> 16)
	return ~s & 0xffff


def ip4_bytes(a):
	return socket.inet_pton(socket.AF_INET, a)


def ip6_bytes(a):
	return socket.inet_pton(socket.AF_INET6, a)


def eth(dst, src, ethertype, payload):
	return dst + src + struct.pack('!H', ethertype) + payload


def ipv4(src, dst, proto, payload, ttl=64, ident=1, flags_frag=0, tot_len=None, ihl=5, version=4,
	 bad_csum=False, options=b''):
	tl = 20 + len(options) + len(payload) if tot_len is None else tot_len
	h = struct.pack('!BBHHHBBH4s4s', (version << 4) | ihl, 0, tl, ident, flags_frag, ttl, proto, 0, src, dst)
	h += options
	c = csum16(h)
	if bad_csum:
		c ^= 0x5a5a
	return h[:10] + struct.pack('!H', c) + h[12:] + payload


def ipv6(src, dst, nh, payload, hlim=64, plen=None):
	pl = len(payload) if plen is None else plen
	return struct.pack('!IHBB16s16s', 6 << 28, pl, nh, hlim, src, dst) + payload


def udp(src_ip, dst_ip, sport, dport, payload, length=None, csum='ok'):
	"""UDP header + payload.  csum: 'ok', 'bad' (off by one bit pattern) or 'zero'."""
	ln = 8 + len(payload) if length is None else length
	h = struct.pack('!HHHH', sport, dport, ln, 0)
	if csum == 'zero':
		return h + payload
	if len(src_ip) == 4:
		pseudo = src_ip + dst_ip + struct.pack('!BBH', 0, 17, 8 + len(payload))
	else:
		pseudo = src_ip + dst_ip + struct.pack('!IxxxB', 8 + len(payload), 17)
	c = csum16(pseudo + h + payload)
	if c == 0:
		c = 0xffff
	if csum == 'bad':
		c = (c ^ 0x0101) or 0x0101
	return h[:6] + struct.pack('!H', c) + payload


def udp4_frame(dst_mac, src_mac, src, dst, sport, dport, payload, **kw):
	s, d = ip4_bytes(src), ip4_bytes(dst)
	ucsum = kw.pop('udp_csum', 'ok')
	ulen = kw.pop('udp_len', None)
	return eth(dst_mac, src_mac, 0x0800, ipv4(s, d, 17, udp(s, d, sport, dport, payload, ulen, ucsum), **kw))


def udp6_frame(dst_mac, src_mac, src, dst, sport, dport, payload, **kw):
	s, d = ip6_bytes(src), ip6_bytes(dst)
	ucsum = kw.pop('udp_csum', 'ok')
	ulen = kw.pop('udp_len', None)
	return eth(dst_mac, src_mac, 0x86dd, ipv6(s, d, 17, udp(s, d, sport, dport, payload, ulen, ucsum), **kw))


ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_STATISTICS = 6
PACKET_OUTGOING = 4


def raw_socket(ns, ifname):
	"""AF_PACKET SOCK_RAW socket bound to ifname in namespace ns (send only: protocol 0)."""
	with in_netns(ns):
		s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
		s.bind((ifname, 0))
	return s


class TxCounter:
	"""Counts every frame that leaves ifname (packet type OUTGOING), whoever sent it: the kernel's own
	traffic (ARP, NDP, MLD), sockets, and other packet sockets.  A classic BPF filter keeps only outgoing
	frames, truncated to one octet; PACKET_STATISTICS counts them even when the queue overflows."""

	def __init__(self, ns, ifname):
		with in_netns(ns):
			self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
			# ld pkttype; jeq #OUTGOING, accept, reject; accept: ret #1; reject: ret #0
			prog = [(0x20, 0, 0, 0xfffff004), (0x15, 0, 1, PACKET_OUTGOING), (0x06, 0, 0, 1), (0x06, 0, 0, 0)]
			insns = b''.join(struct.pack('HBBI', *i) for i in prog)
			buf = ctypes.create_string_buffer(insns)
			fprog = struct.pack('HL', len(prog), ctypes.addressof(buf))
			self.sock.setsockopt(socket.SOL_SOCKET, 26, fprog)  # SO_ATTACH_FILTER
			self.sock.bind((ifname, ETH_P_ALL))
		self.sock.setblocking(False)
		self.total = 0
		self.read()  # PACKET_STATISTICS resets on read: start from zero

	def read(self):
		"""Frames seen since the previous read (the kernel's count includes queue drops)."""
		st = self.sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
		packets, _drops = struct.unpack('II', st)
		# Drain the queue so it does not fill (only the counter matters).
		while True:
			try:
				self.sock.recv(64)
			except BlockingIOError:
				break
		self.total += packets
		return packets

	def close(self):
		self.sock.close()


# ---------------------------------------------------------------------------------------------------------
# DNS over UDP from the client namespace

class UdpClient:
	"""An unconnected UDP socket in the client namespace (ICMP errors do not abort it)."""

	def __init__(self, topo, family):
		self.family = family
		self.server = (SRV4, 53) if family == socket.AF_INET else (SRV6, 53)
		with in_netns(topo.cli):
			self.sock = socket.socket(family, socket.SOCK_DGRAM)
			self.sock.bind((CLI4 if family == socket.AF_INET else CLI6, 0))
		self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
		self.sock.setblocking(False)

	def close(self):
		self.sock.close()

	def drain(self):
		n = 0
		while True:
			try:
				self.sock.recv(65535)
				n += 1
			except (BlockingIOError, ConnectionRefusedError):
				return n

	def exchange(self, wire, timeout=1.0, grace=0.3):
		"""One query, one matching response (same id) or None; then `grace` seconds to collect duplicates."""
		r = self.exchange_many([wire], timeout=timeout, tries=1, grace=grace)
		return r.responses[0]

	def exchange_many(self, queries, expect=None, window=32, timeout=1.0, tries=3, grace=0.3, deadline=60.0):
		"""Sends queries (bytes, unique ids) with up to `window` in flight; a query unanswered after
		`timeout` is sent again, up to `tries` times.  expect[i] False: the query is expected to get no
		response (sent once, not waited for; a response within `grace` after the last one is recorded).
		Returns an object with responses[i] (bytes or None), retries, unexpected (responses with unknown
		ids) and elapsed."""
		ids = [struct.unpack('!H', q[:2])[0] for q in queries]
		if len(set(ids)) != len(ids):
			raise SetupError('exchange_many: query ids are not unique')
		by_id = {qid: i for i, qid in enumerate(ids)}
		res = ExchangeResult(len(queries))
		if expect is None:
			expect = [True] * len(queries)
		todo = list(range(len(queries)))
		todo.reverse()
		inflight = {}  # qid -> (index, sent at, tries)
		start = time.monotonic()
		end = start + deadline
		last_send = start
		while (todo or inflight) and time.monotonic() < end:
			while todo and len(inflight) < window:
				i = todo.pop()
				self._send(queries[i])
				res.sends[i] += 1
				last_send = time.monotonic()
				if expect[i]:
					inflight[ids[i]] = (i, last_send, 1)
			now = time.monotonic()
			wait = min([t + timeout - now for _, t, _ in inflight.values()] or [0.0])
			if inflight:
				select.select([self.sock], [], [], max(0.0, min(wait, 0.05)))
			self._collect(by_id, inflight, res)
			now = time.monotonic()
			for qid, (i, t, n) in list(inflight.items()):
				if now - t >= timeout:
					if n < tries:
						res.retries += 1
						res.retried.add(i)
						self._send(queries[i])
						res.sends[i] += 1
						inflight[qid] = (i, now, n + 1)
					else:
						del inflight[qid]
		res.timed_out = len(inflight) + len(todo)
		# Stragglers and responses to queries expected to be dropped.
		g_end = max(last_send + grace, time.monotonic())
		while time.monotonic() < g_end:
			select.select([self.sock], [], [], max(0.0, g_end - time.monotonic()))
			self._collect(by_id, {}, res)
		res.elapsed = time.monotonic() - start
		return res

	def _send(self, wire):
		for _ in range(100):
			try:
				self.sock.sendto(wire, self.server)
				return
			except BlockingIOError:
				time.sleep(0.001)
			except ConnectionRefusedError:
				continue  # an ICMP error queued on the socket by an earlier datagram
		raise SetupError('cannot send a query')

	def _collect(self, by_id, inflight, res):
		while True:
			try:
				data = self.sock.recv(65535)
			except BlockingIOError:
				return
			except ConnectionRefusedError:
				res.icmp_errors += 1
				continue
			if len(data) < 2:
				res.unexpected.append(data)
				continue
			qid = struct.unpack('!H', data[:2])[0]
			i = by_id.get(qid)
			if i is None:
				res.unexpected.append(data)
				continue
			if res.responses[i] is not None:
				res.duplicates += 1
				if res.responses[i] != data:
					res.unexpected.append(data)
				continue
			res.responses[i] = data
			inflight.pop(qid, None)


class ExchangeResult:
	def __init__(self, n):
		self.responses = [None] * n
		self.sends = [0] * n
		self.retries = 0
		self.retried = set()
		self.unexpected = []
		self.duplicates = 0
		self.icmp_errors = 0
		self.timed_out = 0
		self.elapsed = 0.0


def dns_query(qid, name, qtype, qclass=1, flags=0, opcode=0, edns=None):
	"""A DNS query; name text; edns: None or the payload size (adds an OPT)."""
	wire = b''
	for label in name.rstrip('.').split('.'):
		if label:
			wire += bytes([len(label)]) + label.encode()
	wire += b'\0'
	h = struct.pack('!HHHHHH', qid, flags | (opcode << 11), 1, 0, 0, 1 if edns else 0)
	q = h + wire + struct.pack('!HH', qtype, qclass)
	if edns:
		q += b'\0' + struct.pack('!HHIH', 41, edns, 0, 0)
	return q


def tcp_dns(topo, family, addr, wire, port=53, timeout=4):
	"""One DNS message over TCP (RFC 7766 framing) from the client namespace: (response bytes, None) or
	(None, 'refused' | 'timeout' | 'closed' | error text)."""
	with in_netns(topo.cli):
		s = socket.socket(family, socket.SOCK_STREAM)
	s.settimeout(timeout)
	try:
		s.connect((addr, port))
		s.sendall(struct.pack('!H', len(wire)) + wire)
		buf = b''
		while len(buf) < 2 or len(buf) < 2 + struct.unpack('!H', buf[:2])[0]:
			chunk = s.recv(65536)
			if not chunk:
				return None, 'closed'
			buf += chunk
		n = struct.unpack('!H', buf[:2])[0]
		return buf[2:2 + n], None
	except ConnectionRefusedError:
		return None, 'refused'
	except socket.timeout:
		return None, 'timeout'
	except OSError as e:
		return None, str(e)
	finally:
		s.close()


# ---------------------------------------------------------------------------------------------------------
# Reference: the answer engine in-process (tools/dpdns-answer)

def engine_answers(tool, zones, queries, identity=IDENTITY, version=VERSION, timeout=60, tcp=False):
	"""Responses (bytes or None = dropped) of dpdns-answer for queries, configured like the daemon:
	identity (also NSID, as dpdnsd does), version, default UDP payload 1232; tcp: as over TCP."""
	argv = [tool] + (['--tcp'] if tcp else [])
	for origin, path in zones:
		argv += ['-z', '%s=%s' % (origin, os.path.abspath(path))]
	if identity is not None:
		argv += ['--identity', identity, '--nsid', identity]
	if version is not None:
		argv += ['--version', version]
	data = b''.join(struct.pack('!H', len(q)) + q for q in queries)
	try:
		p = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
	except subprocess.TimeoutExpired:
		raise SetupError('%s timed out' % tool)
	if p.returncode != 0:
		raise SetupError('%s exit %d: %s' % (tool, p.returncode, p.stderr.decode(errors='replace')[-1000:]))
	out, res, i = p.stdout, [], 0
	while i + 2 <= len(out):
		n = struct.unpack('!H', out[i:i + 2])[0]
		res.append(out[i + 2:i + 2 + n] if n else None)
		i += 2 + n
	if len(res) != len(queries):
		raise SetupError('%s: %d responses for %d queries' % (tool, len(res), len(queries)))
	return res


def classify_frames(tool, mac, frames, zones, identity=IDENTITY, version=VERSION, timeout=60):
	"""fp-classify's counter name for each frame (what the daemon's worker counts)."""
	argv = [tool, '--mac', mac, '--addr', SRV4, '--addr', SRV6]
	for origin, path in zones:
		argv += ['-z', '%s=%s' % (origin, os.path.abspath(path))]
	if identity is not None:
		argv += ['--identity', identity, '--nsid', identity]
	if version is not None:
		argv += ['--version', version]
	data = b''.join(struct.pack('!H', len(f)) + f for f in frames)
	try:
		p = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
	except subprocess.TimeoutExpired:
		raise SetupError('%s timed out' % tool)
	if p.returncode != 0:
		raise SetupError('%s exit %d: %s' % (tool, p.returncode, p.stderr.decode(errors='replace')[-1000:]))
	names = p.stdout.decode().split()
	if len(names) != len(frames):
		raise SetupError('%s: %d verdicts for %d frames' % (tool, len(names), len(frames)))
	return names


# ---------------------------------------------------------------------------------------------------------
# Running a test

def find_build_file(args_path, *candidates):
	if args_path:
		return args_path if os.access(args_path, os.X_OK) else None
	for c in candidates:
		p = os.path.join(REPO, c)
		if os.access(p, os.X_OK):
			return p
	return None


def common_args(description):
	ap = argparse.ArgumentParser(description=description)
	ap.add_argument('--dpdnsd', default=None, help='dpdnsd binary (default build/src/daemon/dpdnsd)')
	ap.add_argument('--answer-tool', default=None, help='dpdns-answer (default build/tools/dpdns-answer)')
	ap.add_argument('--classify-tool', default=None, help='fp-classify (default build/tests/system/fp-classify)')
	ap.add_argument('--kind', choices=('af_packet', 'tap', 'both'), default='both',
			help='data port: net_af_packet on a veth pair, net_tap, or both (default)')
	ap.add_argument('--deadline', type=float, default=150.0, help='hard limit for the whole run, seconds')
	ap.add_argument('--keep-tmp', action='store_true', help='keep the work directory (configs, logs)')
	return ap


def kinds(args):
	return ['af_packet', 'tap'] if args.kind == 'both' else [args.kind]


class Env:
	"""What a test body gets: paths, a work directory, and cleanup of everything it creates."""

	def __init__(self, name, args):
		self.name = name
		self.args = args
		self.dpdnsd = find_build_file(args.dpdnsd, 'build/src/daemon/dpdnsd')
		self.answer_tool = find_build_file(args.answer_tool, 'build/tools/dpdns-answer')
		self.classify_tool = find_build_file(args.classify_tool, 'build/tests/system/fp-classify')
		self.workdir = tempfile.mkdtemp(prefix='dpdns-%s-' % name)
		self.topos = []
		self.daemons = []
		self.cleanups = []  # callables run at cleanup before the daemons stop (peers, helper threads)

	def topology(self, kind):
		t = Topology(self.name.replace('_', '-')[:14], kind, index=len(self.topos))
		self.topos.append(t)
		if kind == 'tap' and not os.path.exists('/dev/net/tun'):
			raise Skip('/dev/net/tun missing: no net_tap')
		t.setup()
		return t

	def daemon(self, topo, zones, **kw):
		kw.setdefault('name', 'dpdnsd%d' % len(self.daemons))
		d = Daemon(self.dpdnsd, topo, self.workdir, zones, **kw)
		self.daemons.append(d)
		return d

	def cleanup(self):
		for f in reversed(self.cleanups):
			try:
				f()
			except Exception as e:  # keep cleaning up
				log('cleanup: %s' % e)
		for d in self.daemons:
			d.cleanup()
		for t in self.topos:
			t.cleanup()
		if self.args.keep_tmp:
			log('kept %s' % self.workdir)
		else:
			shutil.rmtree(self.workdir, ignore_errors=True)


def system_zones():
	"""The zones diff_answers uses: config/zones/*.zone and tests/system/zones/*.zone."""
	zones = []
	for d in (os.path.join(REPO, 'config', 'zones'), os.path.join(HERE, 'zones')):
		for path in sorted(glob.glob(os.path.join(d, '*.zone'))):
			origin = os.path.basename(path)[:-len('.zone')].rstrip('.') + '.'
			zones.append((origin, path))
	return zones


def main(name, description, body, extra_args=None, needs=('dpdnsd',)):
	"""Runs body(env) with the harness around it; returns the exit status."""
	ap = common_args(description)
	if extra_args:
		extra_args(ap)
	args = ap.parse_args()
	if os.geteuid() != 0:
		print('skipped: needs root (network namespaces, DPDK)')
		return 77
	for tool in ('ip', 'tc', 'sysctl'):
		if not shutil.which(tool):
			print('skipped: %s not found (apt-get install iproute2 procps)' % tool)
			return 77
	env = Env(name, args)

	def on_signal(signum, _frame):
		raise SystemExit(128 + signum)

	def on_alarm(_signum, _frame):
		raise DeadlineExceeded('deadline of %.0fs exceeded' % args.deadline)
	signal.signal(signal.SIGTERM, on_signal)
	signal.signal(signal.SIGINT, on_signal)
	signal.signal(signal.SIGALRM, on_alarm)
	signal.alarm(int(args.deadline))
	rc = 0
	try:
		for what in needs:
			path = {'dpdnsd': env.dpdnsd, 'answer': env.answer_tool, 'classify': env.classify_tool}[what]
			if not path:
				print('skipped: %s not built (give its path or build it first)' % what)
				return 77
		body(env)
	except Skip as e:
		print('skipped: %s' % e)
		rc = 77
	except CheckFailed as e:
		print('stopped after a failed check: %s' % e)
	except SetupError as e:
		print('setup error: %s' % e)
		rc = 2
	except DeadlineExceeded as e:
		CHECKS.check(False, str(e))
	except Exception:  # a harness bug or an unexpected environment: report it, still clean up
		import traceback
		traceback.print_exc()
		print('setup error: unexpected exception (above)')
		rc = 2
	finally:
		signal.alarm(0)
		for d in env.daemons:
			if d.alive():
				log('--- %s log (tail) ---\n%s' % (d.name, d.tail(60)))
		env.cleanup()
	if rc == 77:
		return rc
	CHECKS.summary()
	if rc:
		return rc
	return 0 if CHECKS.failed == 0 else 1
