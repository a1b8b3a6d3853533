#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""fastpath_rcu_swap: 100 zone reloads (SIGHUP) under continuous queries: no query unanswered, no response
mixing two versions, no version going backwards, and the last version served.

The zone swap.test encodes its version N twice: the SOA serial is N and `v CNAME vN`, where vN has an A
record but no TXT.  So `v.swap.test TXT` is answered with the CNAME to vN in the answer section and the SOA
(serial N) in the authority section: one response carries the version twice, from two different places of
the zone table.  Two clients (IPv4 and IPv6, each one query in flight, a new id per query) query it
continuously while the test rewrites the zone file (write + rename) and sends SIGHUP, 100 times, each
time waiting for `dpdnsd: reloaded`.  Every query must be answered within its timeout (a timeout and the
retry that follows count as a failure), with NOERROR, AA, target N == serial N, and N never lower than the
previous response's for the same client.  After the last reload the served version is 101.
"""

import os
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import systest as st  # noqa: E402
import diff_answers as da  # noqa: E402

C = st.CHECKS
ORIGIN = 'swap.test.'
FILLER = 300  # names per version, so that each rebuild is not trivially small


def zone_text(n):
	lines = [
		'$ORIGIN swap.test.',
		'$TTL 60',
		'@\tIN SOA ns.swap.test. admin.swap.test. %d 3600 600 86400 60' % n,
		'\tIN NS ns.swap.test.',
		'ns\tIN A 198.18.0.2',
		'v\tIN CNAME v%d' % n,
		'v%d\tIN A 192.0.2.%d' % (n, n % 250 + 1),
	]
	for i in range(FILLER):
		lines.append('h%d\tIN A 198.51.100.%d' % (i, (i + n) % 250 + 1))
	return '\n'.join(lines) + '\n'


def write_zone(path, n):
	tmp = path + '.tmp'
	with open(tmp, 'w') as f:
		f.write(zone_text(n))
	os.replace(tmp, path)


def parse_version(resp):
	"""(target N, serial N, error) from a response to v.swap.test TXT."""
	try:
		r = da.Response(resp)
	except da.ParseError as e:
		return None, None, 'unparsable: %s' % e
	if r.rcode != 0 or not (r.flags & da.F_AA):
		return None, None, 'rcode %d flags %s' % (r.rcode, da.flags_text(r.flags))
	target = serial = None
	for owner, rrtype, _cls, _ttl, rd, txt in r.text[0]:
		if rrtype == 5:  # CNAME
			label = txt.split('.')[0]
			if label.startswith('v') and label[1:].isdigit():
				target = int(label[1:])
	for owner, rrtype, _cls, _ttl, rd, txt in r.text[1]:
		if rrtype == 6:
			serial = int(txt.split()[2])
	if target is None or serial is None:
		return target, serial, 'no CNAME target or no SOA: %s' % da.describe(resp)
	return target, serial, None


class Client(threading.Thread):
	def __init__(self, topo, family, stop, timeout, max_queries):
		super().__init__(daemon=True)
		self.cli = st.UdpClient(topo, family)
		self.name = 'IPv4' if family == socket.AF_INET else 'IPv6'
		self.stop = stop
		self.timeout = timeout
		self.max_queries = max_queries
		self.sent = self.answered = self.unanswered = self.mixed = self.backwards = self.bad = 0
		self.last = 0
		self.versions = set()
		self.errors = []

	def run(self):
		qid = 0
		sock = self.cli.sock
		while not self.stop.is_set() and self.sent < self.max_queries:
			qid = (qid + 1) & 0xffff
			q = st.dns_query(qid, 'v.swap.test', 16)
			self.cli._send(q)
			self.sent += 1
			end = time.monotonic() + self.timeout
			resp = None
			while resp is None:
				left = end - time.monotonic()
				if left <= 0:
					break
				sock.settimeout(left)
				try:
					data = sock.recv(65535)
				except socket.timeout:
					break
				except (BlockingIOError, ConnectionRefusedError):
					continue
				if len(data) >= 2 and struct.unpack('!H', data[:2])[0] == qid:
					resp = data
			if resp is None:
				self.unanswered += 1
				if len(self.errors) < 10:
					self.errors.append('query %d (id %d) unanswered within %.1fs' % (self.sent, qid, self.timeout))
				continue
			self.answered += 1
			target, serial, err = parse_version(resp)
			if err:
				self.bad += 1
				if len(self.errors) < 10:
					self.errors.append(err)
				continue
			if target != serial:
				self.mixed += 1
				if len(self.errors) < 10:
					self.errors.append('mixed versions: CNAME target v%d, SOA serial %d' % (target, serial))
			if serial < self.last:
				self.backwards += 1
				if len(self.errors) < 10:
					self.errors.append('serial went back from %d to %d' % (self.last, serial))
			self.last = max(self.last, serial)
			self.versions.add(serial)
		self.cli.close()


def body(env):
	zfile = os.path.join(env.workdir, 'swap.test.zone')
	write_zone(zfile, 1)
	zones = [(ORIGIN, zfile), ('example.com.', os.path.join(st.REPO, 'config', 'zones', 'example.com.zone'))]
	topo = env.topology(env.args.kind if env.args.kind != 'both' else 'af_packet')
	# Two worker lcores: two QSBR readers the grace periods must wait for.
	d = env.daemon(topo, zones, workers=2)
	d.start()
	print('# %s: dpdnsd ready with 2 workers; server namespace %s' % (topo.kind, topo.srv))
	tel = d.telemetry()
	before = tel.stats()
	stop = threading.Event()
	clients = [Client(topo, fam, stop, env.args.query_timeout, env.args.max_queries)
		   for fam in (socket.AF_INET, socket.AF_INET6)]
	for c in clients:
		c.start()
	reloads = 0
	t0 = time.monotonic()
	since = d.log_count()
	try:
		time.sleep(0.2)
		for n in range(2, 2 + env.args.reloads):
			if time.monotonic() - t0 > env.args.reload_limit:
				break
			write_zone(zfile, n)
			d.send_signal(signal.SIGHUP)
			i = d.wait_for(r'dpdnsd: reloaded', 10, since=since, fatal=False)
			if i is None:
				C.check(False, 'reload %d: no "dpdnsd: reloaded" within 10s' % (n - 1), d.tail(20))
				break
			since = i + 1
			reloads += 1
			time.sleep(env.args.pause)
		time.sleep(0.3)
	finally:
		stop.set()
		for c in clients:
			c.join(timeout=10)
	t1 = time.monotonic()
	C.equal(reloads, env.args.reloads, 'reloads done (SIGHUP + "dpdnsd: reloaded") in %.1fs' % (t1 - t0))
	for c in clients:
		detail = '\n'.join(c.errors)
		print('# %s: %d queries, %d answered, %d versions seen (%s..%s)' % (
			c.name, c.sent, c.answered, len(c.versions), min(c.versions, default='-'),
			max(c.versions, default='-')))
		C.check(c.sent > 0 and c.unanswered == 0, '%s: every one of %d queries answered within %.1fs' %
			(c.name, c.sent, env.args.query_timeout), detail)
		C.check(c.bad == 0, '%s: every response NOERROR, AA, with the CNAME and the SOA' % c.name, detail)
		C.check(c.mixed == 0, '%s: no response mixes two versions (CNAME target == SOA serial)' % c.name, detail)
		C.check(c.backwards == 0, '%s: the version never goes backwards' % c.name, detail)
		C.check(len(c.versions) >= min(10, reloads), '%s: queries ran across the swaps (%d versions seen)' %
			(c.name, len(c.versions)))
	after = tel.stats()
	delta = st.dict_delta(after, before)
	got = sum(c.answered for c in clients)
	C.equal(delta.get('answered'), got, 'counter answered grew by the responses the clients got')
	for fam in (socket.AF_INET, socket.AF_INET6):
		cli = st.UdpClient(topo, fam)
		r = cli.exchange(st.dns_query(0x7777, 'v.swap.test', 16), timeout=2)
		cli.close()
		target, serial, err = parse_version(r) if r else (None, None, 'no response')
		C.check(err is None and target == serial == 1 + reloads, '%s: the final version %d is served' %
			('IPv4' if fam == socket.AF_INET else 'IPv6', 1 + reloads), err or 'target %s serial %s' % (target, serial))
	tel.close()
	rc = d.stop(signal.SIGTERM)
	C.equal(rc, 0, 'dpdnsd exit status after SIGTERM')


def extra(ap):
	ap.add_argument('--reloads', type=int, default=100, help='zone swaps (default 100)')
	ap.add_argument('--pause', type=float, default=0.02, help='seconds between a reload and the next write')
	ap.add_argument('--reload-limit', type=float, default=60, help='seconds the reloads may take in all')
	ap.add_argument('--query-timeout', type=float, default=1.0, help='per-query timeout, seconds')
	ap.add_argument('--max-queries', type=int, default=300000, help='queries per client at most')


if __name__ == '__main__':
	sys.exit(st.main('fastpath_rcu_swap', __doc__.split('\n')[0], body, extra))
