#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""config_reload: `dpdnsctl reload` re-reads the configuration under query load, without losing a query.

dpdnsd (net_af_packet) starts with static zones a.test, b.test, d.test (file d1.zone, serial 1) and e.test
(serial 1).  A paced UDP load from the client namespace asks for the A records of a.test's names (QPS queries
a second for LOAD_S seconds, no retries, every ID different).  During the load the configuration is rewritten:
c.test added, b.test removed, d.test's file changed to d2.zone (serial 2), e.test's file rewritten in place
(serial 2), and, with knotd as the primary in the client namespace (TSIG), a key, a remote and the secondary
zone example.com added; also dataplane.idle-sleep-us changed, which needs a restart.  Then `dpdnsctl reload`:
  * the reply comes once the new zones are published: "reloaded: 2 zones added, 1 removed, 1 changed,
    2 unchanged" and a line naming dataplane.idle-sleep-us as needing a restart; the log says the same;
    c.test answers as soon as the reply is in;
  * every query of the load got exactly its answer (ID, rcode NOERROR, the name's address): zero loss;
  * c.test answers, b.test is REFUSED, d.test and e.test serve serial 2, example.com is transferred from
    knotd and answers; zone-status lists c.test and example.com, not b.test;
  * a configuration with an error: dpdnsctl reload exits 1 with FILE:LINE, and nothing changes;
  * a zone file with an error: dpdnsctl reload exits 1 with "reload failed, nothing changed: zone c.test.:
    ...", and nothing changes; with --json the reply to a good reload is {"reload":"done","message":...};
  * a reload of a big zone (600000 records): a second reload meanwhile exits 1 with "a reload is running",
    the first one's reply comes when the zone answers;
  * a reload that removes example.com and adds b.test back: example.com REFUSED, b.test answers; example.com
    added and removed in quick succession three times; a new key secret is used at once (knotd refuses it)
    while the zone keeps its data;
  * a secondary whose primary never answers, removed while its refresh runs: the refresh is cancelled
    (logged), the zone is REFUSED and unknown to zone-status, nothing more is logged for it;
  * SIGHUP reloads like dpdnsctl does.

Skips (77) without root or when DPDK cannot start; without knotd the secondary part is skipped (logged).
"""

import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import systest as st  # noqa: E402
import diff_answers as da  # noqa: E402
import primaries as pr  # noqa: E402

C = st.CHECKS
QPS = 200
LOAD_S = 10
NAMES = 50
BIG = 600000  # records of big.test (about a second to load)
SEC = 'example.com.'


def zone_text(origin, serial, names=0):
	lines = [
		'$ORIGIN %s' % origin,
		'$TTL 300',
		'@\tSOA\tns hostmaster %d 3600 600 86400 60' % serial,
		'@\tNS\tns',
		'ns\tA\t198.18.0.2',
		'v\tTXT\t"%s serial %d"' % (origin, serial),
	]
	lines += ['www%d\tA\t192.0.2.%d' % (i, i + 1) for i in range(names)]
	return '\n'.join(lines) + '\n'


def big_zone_text(n):
	"""big.test. with n A records: long enough to load (about a second) to catch a reload running."""
	lines = ['$ORIGIN big.test.', '$TTL 300', '@\tSOA\tns hostmaster 1 3600 600 86400 60', '@\tNS\tns',
		 'ns\tA\t198.18.0.2']
	lines += ['h%d\tA\t192.0.2.%d' % (i, i % 250 + 1) for i in range(n)]
	return '\n'.join(lines) + '\n'


def sec_zone(serial):
	return '\n'.join([
		'$ORIGIN example.com.',
		'$TTL 300',
		'@\tSOA\tns1 hostmaster %d 3600 600 86400 300' % serial,
		'@\tNS\tns1',
		'ns1\tA\t198.18.0.1',
		'www\tA\t192.0.2.%d' % (100 + serial),
	]) + '\n'


def write(path, text):
	tmp = path + '.tmp'
	with open(tmp, 'w') as f:
		f.write(text)
	os.replace(tmp, path)


def ask(topo, name, qtype=1):
	"""One question; asked again (up to 3 times, waiting longer each time) when nothing comes back,
	as the first query after a start may wait for ARP on a loaded machine."""
	cli = st.UdpClient(topo, socket.AF_INET)
	r = None
	try:
		for timeout in (0.5, 1.0, 2.0):
			r = cli.exchange(st.dns_query(0x2a2a, name, qtype), timeout=timeout, grace=0)
			if r is not None:
				break
	finally:
		cli.close()
	return da.Response(r) if r is not None else None


def rcode(resp):
	return resp.rcode if resp is not None else None


def soa_serial(topo, origin):
	r = ask(topo, origin, 6)
	if r is None or r.rcode != 0:
		return None
	for _o, t, _c, _ttl, _rd, txt in r.text[0]:
		if t == 6:
			return int(txt.split()[2])
	return None


def answer_a(resp):
	return [t[5] for t in resp.text[0] if t[1] == 1] if resp is not None else None


class Load:
	"""QPS queries a second for LOAD_S seconds, paced, each with its own ID, no retries; answers kept."""

	def __init__(self, topo):
		self.topo = topo
		self.n = QPS * LOAD_S
		self.queries = []
		for i in range(self.n):
			self.queries.append(st.dns_query(i, 'www%d.a.test' % (i % NAMES), 1))
		self.responses = [None] * self.n
		self.sent_at = [None] * self.n
		self.extra = []
		self.thread = threading.Thread(target=self._run, daemon=True)
		self.error = None

	def start(self):
		self.thread.start()

	def _recv(self, sock):
		while True:
			try:
				data = sock.recv(65535)
			except BlockingIOError:
				return
			except ConnectionRefusedError:
				continue
			qid = struct.unpack('!H', data[:2])[0] if len(data) >= 2 else None
			if qid is None or qid >= self.n or self.responses[qid] is not None:
				self.extra.append(data)
			else:
				self.responses[qid] = data

	def _run(self):
		try:
			with st.in_netns(self.topo.cli):
				sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
				sock.bind((st.CLI4, 0))
			sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
			sock.setblocking(False)
			t0 = time.monotonic()
			for i in range(self.n):
				due = t0 + i / QPS
				while True:
					left = due - time.monotonic()
					if left <= 0:
						break
					select.select([sock], [], [], left)
					self._recv(sock)
				sock.sendto(self.queries[i], (st.SRV4, 53))
				self.sent_at[i] = time.monotonic()
				self._recv(sock)
			end = time.monotonic() + 2.0  # the last answers
			while time.monotonic() < end and None in self.responses:
				select.select([sock], [], [], 0.05)
				self._recv(sock)
			sock.close()
		except Exception as e:  # reported by the checks
			self.error = repr(e)

	def join(self):
		self.thread.join(LOAD_S + 20)

	def verdict(self):
		"""(lost, wrong, examples)"""
		lost, wrong, ex = 0, 0, []
		for i, r in enumerate(self.responses):
			want = '192.0.2.%d' % (i % NAMES + 1)
			if r is None:
				lost += 1
				if len(ex) < 5:
					ex.append('query %d (www%d.a.test): no answer' % (i, i % NAMES))
				continue
			try:
				resp = da.Response(r)
				ok = resp.rcode == 0 and answer_a(resp) == [want] and r[:2] == self.queries[i][:2]
			except da.ParseError as e:
				ok, resp = False, e
			if not ok:
				wrong += 1
				if len(ex) < 5:
					ex.append('query %d: %s' % (i, getattr(resp, 'text', resp)))
		return lost, wrong, ex


def ctl_argv(d, *args):
	exe = os.path.join(os.path.dirname(d.exe), '..', '..', 'tools', 'dpdnsctl')
	return [exe, '-s', os.path.join(d.rundir, 'dpdnsd.sock')] + list(args)


def ctl(d, *args, timeout=10):
	return subprocess.run(ctl_argv(d, *args), capture_output=True, text=True, timeout=timeout)


def reload_ok(d, what, since=None, timeout=15):
	"""dpdnsctl reload, whose reply comes with the outcome; returns (reply, its "reloaded:" line or None)."""
	since = d.log_count() if since is None else since
	p = ctl(d, 'reload', timeout=timeout)
	first = p.stdout.split('\n')[0]
	ok = p.returncode == 0 and first.startswith('reloaded: ')
	C.check(ok, '%s: dpdnsctl reload exit 0, "reloaded: ..."' % what,
		'exit %d: %s%s' % (p.returncode, p.stdout, p.stderr))
	# The log line is written before the reply; give the log pipe a moment. Look for this reply's own
	# line: an earlier reload's line can still be on its way through the pipe when `since` is taken.
	pat = re.escape('dpdnsd: ' + first) if ok else r'dpdnsd: reloaded: '
	i = d.wait_for(pat, 5, since=since, fatal=False)
	C.check(i is not None and ok, '%s: the log says "%s" too' % (what, first), d.tail(20))
	return p.stdout, first if ok else None


def body(env):
	topo = env.topology('af_packet')
	w = env.workdir
	files = {}
	for z, serial in (('a', 1), ('b', 1), ('c', 1), ('e', 1)):
		files[z] = os.path.join(w, '%s.zone' % z)
		write(files[z], zone_text('%s.test.' % z, serial, NAMES if z == 'a' else 0))
	d1, d2 = os.path.join(w, 'd1.zone'), os.path.join(w, 'd2.zone')
	write(d1, zone_text('d.test.', 1))
	write(d2, zone_text('d.test.', 2))
	rundir = os.path.join(w, 'rundir')
	os.makedirs(rundir)

	knot = not pr.missing_binaries('knot')
	prim = None
	if knot:
		prim = pr.Primary('knot', topo, w, SEC, sec_zone(1))
		env.cleanups.append(prim.kill)
		prim.start(1)
	else:
		st.log('knotd not installed: the secondary zone part is skipped')

	zones0 = [('a.test.', files['a']), ('b.test.', files['b']), ('d.test.', d1), ('e.test.', files['e'])]
	d = env.daemon(topo, zones0, name='reload', rundir=rundir)
	d.start()
	C.equal(rcode(ask(topo, 'v.b.test', 16)), 0, 'b.test answers at start')
	C.equal(rcode(ask(topo, 'v.c.test', 16)), 5, 'c.test REFUSED at start (not configured)')
	C.equal(soa_serial(topo, 'd.test'), 1, 'd.test serial 1 at start')

	# The new configuration: c added, b removed, d's file changed, e's file rewritten, a secondary added.
	load = Load(topo)
	load.start()
	time.sleep(3)
	d.zones = [('a.test.', files['a']), ('c.test.', files['c']), ('d.test.', d2), ('e.test.', files['e'])]
	if knot:
		d.keys = [pr.dpdnsd_key()]
		d.remotes = [{'id': 'knot', 'address': ['%s@53' % st.CLI4], 'key': pr.KEY_NAME}]
		d.zones.append({'domain': SEC, 'primary': ['knot']})
	d.idle_sleep_us += 1
	write(files['e'], zone_text('e.test.', 2))
	d.write_config()
	t0 = time.monotonic()
	reply, line = reload_ok(d, 'the first reload, under load')
	t_reload = time.monotonic() - t0
	# The reply comes after the new table is published: c.test answers at once, without waiting.
	C.equal(rcode(ask(topo, 'v.c.test', 16)), 0, 'c.test answers as soon as the reply is in')
	adds = 2 if knot else 1
	want = 'reloaded: %d zones added, 1 removed, 1 changed, 2 unchanged' % adds
	C.check(line == want, 'the reply says "%s"' % want, reply)
	C.check('\ndataplane.idle-sleep-us changed: needs a restart; keeping the running value\n' in reply,
		'the reply names dataplane.idle-sleep-us as needing a restart', reply)
	print('# reload: reply (new table published) within %.0f ms' % (t_reload * 1e3))
	load.join()
	C.check(load.error is None, 'the load ran', load.error)
	lost, wrong, ex = load.verdict()
	C.check(lost == 0 and wrong == 0,
		'%d queries for a.test at %d/s across the reload: every one answered right (lost %d, wrong %d)' %
		(load.n, QPS, lost, wrong), '\n'.join(ex))
	C.equal(len(load.extra), 0, 'no duplicate or unknown responses')

	C.equal(rcode(ask(topo, 'v.c.test', 16)), 0, 'c.test answers after the reload')
	C.equal(rcode(ask(topo, 'v.b.test', 16)), 5, 'b.test REFUSED after the reload')
	C.equal(soa_serial(topo, 'd.test'), 2, 'd.test serves its new file (serial 2)')
	C.equal(soa_serial(topo, 'e.test'), 2, 'e.test (unchanged) has its file re-read (serial 2)')
	if knot:
		C.check(d.wait_for(r'zone example\.com\.: serial 1 by AXFR from 198\.18\.0\.1@53', 15, fatal=False)
			is not None, 'the secondary added by the reload is transferred from knotd', d.tail(20))
		C.equal(answer_a(ask(topo, 'www.example.com')), ['192.0.2.101'], 'www.example.com served')
	p = ctl(d, 'zone-status')
	C.check(p.returncode == 0 and 'c.test.' in p.stdout and 'b.test.' not in p.stdout and
		(not knot or 'example.com.' in p.stdout), 'zone-status lists c.test (and example.com), not b.test',
		p.stdout + p.stderr)
	status_before = re.sub(r'\d+ s\b', 'N s', p.stdout)

	# A configuration with an error: nothing changes, dpdnsctl exits 1 with FILE:LINE.
	good = d.config_text()
	lines = good.split('\n')
	at = lines.index('zone:') + 2  # after the first zone's domain line
	lines.insert(at, '    colour: blue')
	write(d.config, '\n'.join(lines))
	since = d.log_count()
	p = ctl(d, 'reload')
	where = '%s:%d' % (d.config, at + 1)
	C.check(p.returncode == 1 and where in p.stdout + p.stderr and 'colour' in p.stdout + p.stderr,
		'a broken configuration: dpdnsctl reload exits 1 with "%s"' % os.path.basename(where),
		'exit %d: %s%s' % (p.returncode, p.stdout, p.stderr))
	C.check(d.wait_for(re.escape(where), 2, since=since, fatal=False) is not None,
		'the error is logged with FILE:LINE', d.tail(10))
	time.sleep(0.3)
	C.check(d.wait_for(r'reloaded: ', 0, since=since, fatal=False) is None, 'no "reloaded" after it')
	C.equal(rcode(ask(topo, 'v.c.test', 16)), 0, 'c.test still answers')
	C.equal(rcode(ask(topo, 'v.b.test', 16)), 5, 'b.test still REFUSED')
	p = ctl(d, 'zone-status')
	C.check(re.sub(r'\d+ s\b', 'N s', p.stdout) == status_before, 'zone-status as before the failed reload',
		p.stdout)
	# A zone file with an error: nothing changes either.
	write(d.config, good)
	write(files['c'], zone_text('c.test.', 2) + 'bad\tA\t300.1.2.3\n')
	since = d.log_count()
	p = ctl(d, 'reload')
	want = 'error: reload failed, nothing changed: zone c.test.: %s not loaded' % files['c']
	C.check(p.returncode == 1 and p.stderr.startswith(want) and p.stdout == '',
		'a broken zone file: dpdnsctl reload exits 1 with "reload failed, nothing changed: zone c.test.: ..."',
		'exit %d: %s%s' % (p.returncode, p.stdout, p.stderr))
	C.check(d.wait_for(r'reload failed, nothing changed', 2, since=since, fatal=False) is not None,
		'a broken zone file: "reload failed, nothing changed" logged', d.tail(10))
	C.equal(soa_serial(topo, 'c.test'), 1, 'c.test keeps serving serial 1')
	p = ctl(d, '--json', 'reload')
	C.check(p.returncode == 1 and p.stdout.startswith('{"error":"reload failed, nothing changed: zone c.test.'),
		'the same in JSON: exit 1, {"error":"reload failed, nothing changed: ..."}',
		'exit %d: %s%s' % (p.returncode, p.stdout, p.stderr))
	write(files['c'], zone_text('c.test.', 1))
	p = ctl(d, '--json', 'reload')
	try:
		j = json.loads(p.stdout)
	except ValueError:
		j = None
	C.check(p.returncode == 0 and j is not None and j.get('reload') == 'done' and
		j.get('message', '').startswith('reloaded: 0 zones added, 0 removed, 0 changed, ') and
		sorted(j.keys()) == ['message', 'reload'],
		'fixed: --json reload exits 0 with {"reload":"done","message":"reloaded: ..."}',
		'exit %d: %s%s' % (p.returncode, p.stdout, p.stderr))
	C.equal(soa_serial(topo, 'c.test'), 1, 'c.test serves its file again')

	# A reload that takes a while (big.test, BIG records): a second one meanwhile is refused, and the
	# first one's reply comes when big.test is served.
	big = os.path.join(w, 'big.zone')
	write(big, big_zone_text(BIG))
	d.zones.append(('big.test.', big))
	d.write_config()
	since = d.log_count()
	t0 = time.monotonic()
	p1 = subprocess.Popen(ctl_argv(d, '-t', '60', 'reload'), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
			      text=True)
	started = d.wait_for(r'dpdnsd: reload of .*: 1 zone to add, 0 to remove', 10, since=since, fatal=False)
	t_started = time.monotonic() - t0
	p2 = ctl(d, 'reload')
	t2 = time.monotonic() - t0
	first_running = p1.poll() is None
	print('# big reload: started after %.0f ms, the second reload answered after %.0f ms' %
	      (t_started * 1e3, t2 * 1e3))
	out1, err1 = p1.communicate(timeout=70)
	t1 = time.monotonic() - t0
	C.check(started is not None and first_running, 'the first reload was still running when the second came',
		'started %s, running %s: %s' % (started, first_running, d.tail(10)))
	C.check(p2.returncode == 1 and 'a reload is running; try again when it has ended' in p2.stderr,
		'a second reload while one runs: exit 1, "a reload is running"',
		'exit %d: %s%s' % (p2.returncode, p2.stdout, p2.stderr))
	C.check(p1.returncode == 0 and re.match(r'reloaded: 1 zone added, 0 removed, 0 changed, \d+ unchanged\n',
						 out1) is not None,
		'the first reload: exit 0, "reloaded: 1 zone added, ..." after %.1f s' % t1,
		'exit %d: %s%s' % (p1.returncode, out1, err1))
	C.equal(answer_a(ask(topo, 'h%d.big.test' % (BIG - 1))), ['192.0.2.%d' % ((BIG - 1) % 250 + 1)],
		'big.test answers as soon as the reply is in')
	d.zones.pop()
	d.write_config()
	reload_ok(d, 'big.test removed')

	if knot:
		# The secondary removed (and b.test back), then added and removed at once: no crash, no leftovers.
		d.zones = [z for z in d.zones if isinstance(z, tuple)] + [('b.test.', files['b'])]
		d.write_config()
		ctl(d, 'zone-refresh', SEC)  # a refresh running (or just done) when the zone goes
		reload_ok(d, 'a reload removing example.com')
		C.equal(rcode(ask(topo, 'www.example.com')), 5, 'example.com REFUSED once removed')
		C.equal(rcode(ask(topo, 'v.b.test', 16)), 0, 'b.test answers again')
		for k in range(3):
			d.zones.append({'domain': SEC, 'primary': ['knot']})
			d.write_config()
			since = d.log_count()
			reload_ok(d, 'add example.com (%d)' % k, since=since)
			d.zones.pop()
			d.write_config()
			reload_ok(d, 'remove it at once (%d)' % k)
		time.sleep(1)
		C.equal(rcode(ask(topo, 'www.example.com')), 5, 'example.com REFUSED at the end')
		C.check(d.alive(), 'dpdnsd alive after the removals during transfers', d.tail(20))
		# A new key secret: the zone uses it at once (a refresh that knotd refuses) and keeps its data.
		d.zones.append({'domain': SEC, 'primary': ['knot']})
		d.write_config()
		since = d.log_count()
		reload_ok(d, 'example.com back', since=since)
		C.check(d.wait_for(r'zone example\.com\.: serial 1', 15, since=since, fatal=False) is not None,
			'example.com served again (persisted copy or transfer)', d.tail(20))
		d.keys = [pr.dpdnsd_key(pr.WRONG_SECRET)]
		d.write_config()
		since = d.log_count()
		_reply, line = reload_ok(d, 'a new key secret')
		C.check(line is not None and '1 changed' in line, 'a new secret changes the zone', line)
		C.check(d.wait_for(r'zone example\.com\.: refresh failed: .*(BADSIG|TSIG|NOTAUTH|signature)', 15,
				   since=since, fatal=False) is not None,
			'the zone refreshes at once with the new secret (knotd refuses it)', d.tail(20))
		C.equal(answer_a(ask(topo, 'www.example.com')), ['192.0.2.101'],
			'example.com keeps serving its data meanwhile')

	# A secondary whose primary never answers (an address nobody has): removed while its refresh runs.
	d.remotes = [r for r in d.remotes if r['id'] != 'mute'] + [{'id': 'mute', 'address': ['198.18.0.77@53']}]
	d.zones.append({'domain': 'mute.test.', 'primary': ['mute']})
	d.write_config()
	reload_ok(d, 'a secondary with a mute primary added')
	p = ctl(d, 'zone-status', 'mute.test')
	C.check(p.returncode == 0 and 'next refresh: running' in p.stdout, 'its refresh is running',
		p.stdout + p.stderr)
	C.equal(rcode(ask(topo, 'mute.test', 6)), 2, 'mute.test answers SERVFAIL (no data yet)')
	d.zones.pop()
	d.write_config()
	since = d.log_count()
	reload_ok(d, 'removing it', since=since)
	C.check(d.wait_for(r'zone mute\.test\.: removed; its refresh is cancelled', 0, since=since, fatal=False)
		is not None, 'the running refresh is cancelled', d.tail(10))
	C.equal(rcode(ask(topo, 'mute.test', 6)), 5, 'mute.test REFUSED once removed')
	p = ctl(d, 'zone-status', 'mute.test')
	C.check(p.returncode == 1 and 'no such zone' in p.stdout + p.stderr, 'zone-status: no such zone',
		p.stdout + p.stderr)
	time.sleep(2.5)  # past the SOA query's read timeout: nothing may come back for the zone
	C.check(d.alive(), 'dpdnsd alive after the cancelled refresh', d.tail(10))
	C.check(d.wait_for(r'zone mute\.test\.: refresh failed', 0, since=since, fatal=False) is None,
		'no "refresh failed" for the removed zone', d.tail(10))

	# SIGHUP does what dpdnsctl reload does.
	d.zones = [z for z in d.zones if not (isinstance(z, tuple) and z[0] == 'c.test.')]
	d.write_config()
	since = d.log_count()
	d.send_signal(signal.SIGHUP)
	C.check(d.wait_for(r'dpdnsd: reloaded: 0 zones added, 1 removed', 10, since=since, fatal=False) is not None,
		'SIGHUP reloads the configuration (c.test removed)', d.tail(10))
	C.equal(rcode(ask(topo, 'v.c.test', 16)), 5, 'c.test REFUSED after SIGHUP')
	rc = d.stop(signal.SIGTERM, timeout=10)
	C.check(rc == 0, 'SIGTERM: exit 0 after the reloads (%s)' % rc, d.tail(20))


if __name__ == '__main__':
	sys.exit(st.main('config_reload', __doc__.split('\n')[0], body))
