#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""secondary_peers: dpdnsd as the secondary of knotd, nsd and BIND named (issue 5's peer tests).

For each primary (--peer knot|nsd|bind|all), started in the client namespace on 198.18.0.1@53 and
[2001:db8:ffff::1]@53 with TSIG hmac-sha256 (primaries.py), and dpdnsd on net_af_packet in the server
namespace with example.com as a secondary zone (key, remote, zone.primary):
  1. AXFR at start: the log says "serial 1 by AXFR from <primary>"; then a corpus of about 2,000 queries over
     the zone is answered by dpdnsd exactly as the answer engine (dpdns-answer) answers them over the zone file
     the primary loaded (byte for byte), and with the primary's own rcode and answer section (as sets) for
     the ordinary queries.  The zone has ~1,200 records, so the AXFR takes several messages, each one
     TSIG-verified.
  2. A change on the primary (zone file rewritten, primary reloaded): the primary's NOTIFY is logged as TSIG
     verified, the log says "serial 1 -> 2 by IXFR" with the size of the change (not of the zone), the new
     answer is served within a second of the NOTIFY, and the corpus matches version 2.
  3. An IXFR the primary cannot serve (restarted without its journal/IXFR data; knotd: no journal content,
     nsd: no store-ixfr, named: provide-ixfr no for dpdnsd): NOTIFY -> "serial 2 -> 3 by IXFR as AXFR" (or
     AXFR after a failed IXFR), the corpus matches version 3.
  4. An IXFR that does not apply: the primary is rebuilt with different data under the same serial 3, then
     changed to 4; its IXFR 3 -> 4 removes a record dpdnsd never had: dpdnsd logs the inconsistency, falls
     back to AXFR at once, and serves version 4 (the corpus matches it).
  5. Wrong TSIG secret, fresh rundir: the refresh fails (the primary's BADSIG logged), nothing is applied,
     the zone is not served (SERVFAIL, as Knot and NSD answer for a zone without data).
  6. Wrong TSIG secret, with the zone persisted by the good run: the persisted version is served; the
     primary's NOTIFY (right secret) is refused with NOTAUTH + BADSIG and logged; a NOTIFY signed with
     dpdnsd's (wrong) key starts a refresh that fails (logged with the primary's address); the old data
     keeps being served and nothing from the primary's newer version is.

Skips (77) when the peer's binaries are missing, without root, or when DPDK cannot start here.
"""

import datetime
import json
import os
import re
import select
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
ORIGIN = 'example.com.'
ZRX = re.escape('zone ' + ORIGIN)
NBULK = 1200
# The transfer addresses dpdnsd tries, in order: knotd over IPv4 first, nsd and named over IPv6 first,
# so that both families carry transfers.
ADDRS = {
	'knot': ['%s@53' % st.CLI4, '%s@53' % st.CLI6],
	'nsd': ['%s@53' % st.CLI6, '%s@53' % st.CLI4],
	'bind': ['%s@53' % st.CLI6, '%s@53' % st.CLI4],
}


def core_lines(serial, variant=''):
	"""The zone's records other than the bulk ones, at version serial (variant 'rebuilt': the same serial
	with other data, as a primary rebuilt from another source would have)."""
	v = '%d%s' % (serial, ' ' + variant if variant else '')
	lines = [
		'$ORIGIN example.com.',
		'$TTL 3600',
		'@\tSOA\tns1 hostmaster %d 3600 600 86400 300' % serial,
		'@\tNS\tns1',
		'@\tNS\tns2.example.net.',
		'@\tMX\t10 mail',
		'@\tMX\t20 mail.example.net.',
		'@\tTXT\t"v=spf1 -all"',
		'@\tA\t192.0.2.1',
		'@\tAAAA\t2001:db8::1',
		'@\tCAA\t0 issue "ca.example.net"',
		'ns1\tA\t198.18.0.1',
		'ns1\tAAAA\t2001:db8:ffff::1',
		'mail\tA\t192.0.2.25',
		'www\tA\t192.0.2.80',
		'www\tAAAA\t2001:db8::80',
		'alias\tCNAME\twww',
		'chain\tCNAME\talias',
		'ext\tCNAME\twww.example.net.',
		'*.wild\tTXT\t"wildcard"',
		'_sip._udp\tSRV\t10 5 5060 sip',
		'sip\tA\t192.0.2.50',
		'a.b.c.ent\tA\t192.0.2.99',
		'sub\tNS\tns.sub',
		'ns.sub\tA\t192.0.2.53',
		'long\tTXT\t"%s" "%s"' % ('a' * 200, 'b' * 200),
		'v\tTXT\t"version %s"' % v,
	]
	if serial == 1:
		lines += ['gone\tA\t192.0.2.7', 'changed\tTXT\t"before"']
	else:
		lines += ['changed\tTXT\t"after"', 'new\tA\t192.0.2.2', 'new\tAAAA\t2001:db8::2']
	if serial >= 3:
		lines += ['three\tA\t192.0.2.3']
	if variant == 'rebuilt':
		lines += ['rebuilt\tTXT\t"only in the rebuilt primary"']
	return lines


def zone_text(serial, variant=''):
	lines = core_lines(serial, variant)
	lines += ['bulk%d\tTXT\t"bulk record %d of a zone that takes several messages"' % (i, i) for i in range(NBULK)]
	return '\n'.join(lines) + '\n'


class Corpus:
	"""Queries over the zone: diff_answers' corpus of the core records (every owner x 12 types x 3 EDNS modes,
	names below, beside and under them, mixed case, payload sizes) plus a sample of the bulk names."""

	def __init__(self, workdir):
		path = os.path.join(workdir, 'corpus.zone')
		# Every version's names, so that added and removed records are asked for in every version.
		names = sorted({ln for s, var in ((1, ''), (2, ''), (3, 'rebuilt')) for ln in core_lines(s, var)
				if not ln.startswith('$') and not ln.startswith('@\tSOA')} - {''}, key=str)
		body = core_lines(1)[:3] + [ln for ln in names if not ln.startswith('@\tSOA')]
		with open(path, 'w') as f:
			f.write('\n'.join(body) + '\n')
		self.queries = [q for q in da.build_corpus([(ORIGIN, path)], with_specials=False)]
		qid = 0x4000
		for i in range(0, NBULK, 97):
			for t in (16, 1):
				qid += 1
				self.queries.append(da.Query('bulk%d.example.com. %d plain' % (i, t),
							     st.dns_query(qid, 'bulk%d.example.com' % i, t)))
		# Unique ids across both lists.
		for i, q in enumerate(self.queries):
			q.wire = struct.pack('!H', i + 1) + q.wire[2:]
		assert len(self.queries) < 0xffff


def primary_comparable(q):
	"""Ordinary queries whose rcode and answer section every primary gives the same way: no EDNS oddities,
	no ANY (RFC 8482 choices differ), nothing outside the zone (REFUSED or a referral to the root)."""
	return (q.label.endswith(' plain') or ' plain ' in q.label) and ' ANY ' not in q.label and \
		'outside' not in q.label and 'parent-of-apex' not in q.label


def check_served(env, topo, prim, corpus, version, text):
	"""dpdnsd's answers to the corpus == the engine's over text, and agree with the primary's."""
	ref = os.path.join(env.workdir, 'ref-%s-%s.zone' % (prim.kind, version))
	with open(ref, 'w') as f:
		f.write(text)
	wires = [q.wire for q in corpus.queries]
	want = st.engine_answers(env.answer_tool, [(ORIGIN, ref)], wires)
	cli = st.UdpClient(topo, socket.AF_INET)
	res = cli.exchange_many(wires, window=32, timeout=1.0, tries=3, deadline=40)
	cli.close()
	diffs = [i for i in range(len(wires)) if res.responses[i] != want[i]]
	detail = []
	for i in diffs[:10]:
		detail.append('%s' % corpus.queries[i].label)
		detail.append('  dpdnsd   %s' % da.describe(res.responses[i]))
		detail.append('  engine   %s' % da.describe(want[i]))
		detail += ['  ' + x.replace('only a', 'only dpdnsd').replace('only b', 'only engine')
			   for x in da.compare(res.responses[i], want[i])[:6]]
	if len(diffs) > 10:
		detail.append('... %d more' % (len(diffs) - 10))
	C.check(not diffs, '%s %s: %d queries answered as the engine answers them over the primary\'s zone file '
		'(%.1fs)' % (prim.kind, version, len(wires), res.elapsed), '\n'.join(detail))

	# The primary's own answers for the ordinary queries: same rcode, same answer section (as a set).
	sub = [i for i, q in enumerate(corpus.queries) if primary_comparable(q)]
	pc = st.UdpClient(topo, socket.AF_INET)
	pc.server = (st.CLI4, 53)
	pres = pc.exchange_many([wires[i] for i in sub], window=16, timeout=1.0, tries=3, deadline=30)
	pc.close()
	bad = []
	for k, i in enumerate(sub):
		a, b = res.responses[i], pres.responses[k]
		if a is None or b is None:
			bad.append((i, 'no response from %s' % ('dpdnsd' if a is None else 'the primary')))
			continue
		ra, rb = da.Response(a), da.Response(b)
		if ra.rcode != rb.rcode:
			bad.append((i, 'rcode %s, primary %s' % (da.rcode_text(ra.rcode), da.rcode_text(rb.rcode))))
		elif ra.sections[0] != rb.sections[0]:
			ta = sorted(da.rr_text(k2) for k2 in ra.sections[0])
			tb = sorted(da.rr_text(k2) for k2 in rb.sections[0])
			bad.append((i, 'answer %s, primary %s' % (ta, tb)))
	C.check(not bad, '%s %s: %d ordinary queries get the primary\'s own rcode and answer section' % (
		prim.kind, version, len(sub)),
		'\n'.join('%s: %s' % (corpus.queries[i].label, why) for i, why in bad[:10]) +
		('\n... %d more' % (len(bad) - 10) if len(bad) > 10 else ''))


def txt_served(topo, name, family=socket.AF_INET, timeout=0.5):
	"""(rcode, [TXT strings]) of dpdnsd's answer to name TXT, or (None, None)."""
	cli = st.UdpClient(topo, family)
	try:
		r = cli.exchange(st.dns_query(0x7e57, name, 16), timeout=timeout)
	finally:
		cli.close()
	if r is None:
		return None, None
	resp = da.Response(r)
	return resp.rcode, [t[5] for t in resp.text[0] if t[1] == 16]


def log_time(line):
	"""Wall-clock time (epoch seconds) of a dpdnsd log line ("2026-01-02T03:04:05.678Z ..."), or None."""
	m = re.match(r'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)Z', line)
	if not m:
		return None
	dt = datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=datetime.timezone.utc)
	return dt.timestamp()


class AnswerWatch(threading.Thread):
	"""Asks dpdnsd for name TXT every few milliseconds (at most `timeout` seconds) until a TXT string
	contains want; found_at is then the wall-clock time of that response."""

	def __init__(self, topo, name, want, timeout):
		super().__init__(daemon=True)
		self.cli = st.UdpClient(topo, socket.AF_INET)  # made here: in the client namespace
		self.name, self.want, self.timeout = name, want, timeout
		self.found_at = None
		self.stop_ev = threading.Event()
		self.start()

	def run(self):
		# Plain send/recv: UdpClient.exchange waits 0.3 s for stragglers after each response.
		end = time.monotonic() + self.timeout
		sock = self.cli.sock
		qid = 0x1000
		try:
			while time.monotonic() < end and not self.stop_ev.is_set():
				qid = (qid + 1) & 0xffff
				self.cli._send(st.dns_query(qid, self.name, 16))
				t_end = time.monotonic() + 0.1
				while time.monotonic() < t_end:
					r, _, _ = select.select([sock], [], [], max(0.0, t_end - time.monotonic()))
					if not r:
						break
					try:
						data = sock.recv(65535)
					except (BlockingIOError, ConnectionRefusedError):
						continue
					if data[:2] != struct.pack('!H', qid):
						continue
					txt = [t[5] for t in da.Response(data).text[0] if t[1] == 16]
					if any(self.want in t for t in txt):
						self.found_at = time.time()
						return
					break
				time.sleep(0.002)
		finally:
			self.cli.close()

	def result(self, timeout):
		self.join(timeout)
		self.stop_ev.set()
		self.join(1)
		return self.found_at


def xfr_line(d, since, old, new, timeout):
	"""The log line of the transfer old -> new (old None: the first one), its kind, records and address."""
	rx = r'%s: serial %s%d by (IXFR as AXFR|IXFR|AXFR) from (\S+): (\d+) records' % (
		ZRX, '' if old is None else '%d -> ' % old, new)
	i = d.wait_for(rx, timeout, since=since, fatal=False)
	if i is None:
		return None, None, None, None
	m = re.search(rx, d.lines[i])
	return d.lines[i], m.group(1), int(m.group(3)), m.group(2)


def daemon_for(env, topo, kind, secret, rundir, name):
	os.makedirs(rundir, exist_ok=True)
	return env.daemon(topo, [{'domain': ORIGIN, 'primary': ['primary1']}], name=name, rundir=rundir,
			  keys=[pr.dpdnsd_key(secret)],
			  remotes=[{'id': 'primary1', 'address': ADDRS[kind], 'key': pr.KEY_NAME}],
			  metrics='127.0.0.1@9155')


def check_transfer_metrics(d, peer):
	"""After the runs 1-4: AXFR 1, IXFR 1 -> 2, AXFR-style 2 -> 3, the IXFR 3 -> 4 that did not apply
	and its AXFR: the transfer counters by kind and result, the duration summary, zone-status's last
	transfer and telemetry's view of the zone."""
	m = d.scrape()
	ok = lambda k: m.get('dpdns_zone_transfers_total', zone=ORIGIN, kind=k, result='ok')  # noqa: E731
	C.equal((ok('axfr'), ok('ixfr')), (3.0, 1.0), '%s: /metrics transfers applied (axfr, ixfr)' % peer)
	C.check((m.get('dpdns_zone_transfers_total', zone=ORIGIN, kind='ixfr', result='failed') or 0) >= 1,
		'%s: /metrics counts the IXFR that did not apply as a failed ixfr' % peer, m.text[-2500:])
	for k, n in (('axfr', 3), ('ixfr', 1)):
		cnt = m.get('dpdns_zone_transfer_duration_seconds_count', zone=ORIGIN, kind=k)
		tot = m.get('dpdns_zone_transfer_duration_seconds_sum', zone=ORIGIN, kind=k)
		C.check(cnt == n and tot is not None and 0 < tot < 60,
			'%s: /metrics transfer duration summary (%s): count %s, sum %s s' % (peer, k, cnt, tot))
	ctl = subprocess.run([st.dpdnsctl_path(d.exe), '-s', d.control_socket, '--json', 'zone-status', ORIGIN],
			     capture_output=True, text=True, timeout=10)
	try:
		last = json.loads(ctl.stdout)[0].get('last_transfer') or {}
	except (ValueError, IndexError, AttributeError):
		last = {}
	C.check(last.get('kind') == 'axfr' and last.get('records', 0) > 10 and last.get('bytes', 0) > 100 and
		last.get('seconds', -1) >= 0, '%s: zone-status last_transfer: the AXFR 3 -> 4 with records, bytes, '
		'seconds' % peer, ctl.stdout + ctl.stderr)
	tel = d.telemetry()
	try:
		z = tel.get('/dpdns/zones,' + ORIGIN)
	finally:
		tel.close()
	C.check(z.get('serial') == 4 and z.get('secondary') == 1 and z.get('expired') == 0 and
		0 <= z.get('seconds_since_refresh', -1) < 30 and z.get('seconds_to_expire', 0) > 0,
		'%s: telemetry /dpdns/zones,%s: serial 4, refreshed, not expiring' % (peer, ORIGIN), z)


def refused(topo, name):
	rc, _ = txt_served(topo, name)
	return rc


def run_peer(env, topo, kind, corpus):
	peer = pr.PEER_NAMES[kind]
	first = ADDRS[kind][0]
	prim = pr.Primary(kind, topo, env.workdir, ORIGIN, zone_text(1))
	env.cleanups.append(prim.kill)
	prim.start(1)
	rundir = os.path.join(env.workdir, 'rundir-%s' % kind)

	# 1. AXFR at start.
	d = daemon_for(env, topo, kind, pr.SECRET, rundir, '%s-sec' % kind)
	d.start()
	line, how, nrec, addr = xfr_line(d, 0, None, 1, 20)
	C.check(line is not None and how == 'AXFR' and addr == first,
		'%s: AXFR of serial 1 from %s with TSIG at start' % (peer, first), line or d.tail(20))
	if line is None:
		raise st.CheckFailed('no transfer from %s' % peer)
	print('# %s' % line.split(' ', 2)[-1])
	# The count is of the records in the stream: the zone's and the closing SOA.
	nzone = NBULK + len([ln for ln in core_lines(1) if not ln.startswith('$')])
	C.equal(nrec, nzone + 1, '%s: the AXFR stream held every record of the zone and the closing SOA' % peer)
	check_served(env, topo, prim, corpus, 'v1', zone_text(1))

	# 2. A change + NOTIFY -> IXFR, served within a second of the NOTIFY.
	since = d.log_count()
	watch = AnswerWatch(topo, 'v.example.com', 'version 2', 15)
	t_reload = time.time()
	prim.reload(zone_text(2), 2)
	i = d.wait_for(r'%s: NOTIFY from %s@\d+ \(TSIG verified\)' % (ZRX, re.escape(st.CLI4)), 10, since=since,
		       fatal=False)
	C.check(i is not None, '%s: its NOTIFY after the change is logged as TSIG verified' % peer, d.tail(20))
	t_served = watch.result(5)
	t_notify = log_time(d.lines[i]) if i is not None else None
	C.check(t_served is not None and t_notify is not None and t_served - t_notify <= 1.0,
		'%s: the new answer is served within 1 s of the NOTIFY (%s ms after the NOTIFY, %s ms after the '
		'reload command)' % (peer, '%.0f' % ((t_served - t_notify) * 1e3) if t_served and t_notify else '-',
				      '%.0f' % ((t_served - t_reload) * 1e3) if t_served else '-'), d.tail(20))
	line, how, nrec, addr = xfr_line(d, since, 1, 2, 5)
	C.check(how == 'IXFR' and nrec is not None and nrec < 20,
		'%s: serial 1 -> 2 by IXFR, %s records (the change, not the zone)' % (peer, nrec), line or d.tail(20))
	if line:
		print('# %s' % line.split(' ', 2)[-1])
	check_served(env, topo, prim, corpus, 'v2', zone_text(2))

	# 3. An IXFR the primary cannot serve: restarted without history and without IXFR.
	prim.stop()
	prim.forget_history()
	prim.ixfr = False
	pr.write_zone(prim.zone_path, zone_text(3))
	since = d.log_count()
	prim.start(3)
	resp, req = pr.send_notify(topo, st.CLI4, ORIGIN)
	C.check(pr.is_notify_response(resp) and pr.rcode_of(resp) == 0 and pr.verify_response(resp, req),
		'%s: a NOTIFY for version 3 gets a signed NOERROR NOTIFY response' % peer,
		resp.hex() if resp else 'no response')
	line, how, nrec, addr = xfr_line(d, since, 2, 3, 10)
	fallback = d.wait_for(r'%s: IXFR from \S+ failed \(.*\), AXFR used' % ZRX, 0, since=since, fatal=False)
	C.check(how == 'IXFR as AXFR' or (how == 'AXFR' and fallback is not None),
		'%s without IXFR: serial 2 -> 3 by %s (the whole zone, %s records)' % (peer, how, nrec),
		line or d.tail(20))
	if line:
		print('# %s' % line.split(' ', 2)[-1])
	check_served(env, topo, prim, corpus, 'v3', zone_text(3))

	# 4. An IXFR that does not apply: the primary rebuilt with other data under serial 3, then changed to 4.
	prim.stop()
	prim.forget_history()
	prim.ixfr = True
	pr.write_zone(prim.zone_path, zone_text(3, 'rebuilt'))
	prim.start(3)
	since = d.log_count()
	prim.reload(zone_text(4), 4)
	i = d.wait_for(r'%s: .*IXFR .*; AXFR from ' % ZRX, 10, since=since, fatal=False)
	C.check(i is not None, '%s: an IXFR 3 -> 4 that does not apply to dpdnsd\'s version 3: the '
		'inconsistency is logged and AXFR follows' % peer, d.tail(20))
	if i is not None:
		print('# %s' % d.lines[i].split(' ', 2)[-1])
	line, how, nrec, addr = xfr_line(d, since, 3, 4, 10)
	C.check(how == 'AXFR', '%s: serial 3 -> 4 by AXFR after the IXFR that did not apply' % peer,
		line or d.tail(20))
	check_served(env, topo, prim, corpus, 'v4', zone_text(4))
	check_transfer_metrics(d, peer)
	rc = d.stop()
	C.check(rc == 0, '%s run: dpdnsd exits 0 on SIGTERM' % peer, d.tail(10))

	# 5. Wrong secret, nothing persisted: nothing applied, the zone not served.
	d = daemon_for(env, topo, kind, pr.WRONG_SECRET, os.path.join(env.workdir, 'rundir-%s-wrong' % kind),
		       '%s-wrongkey' % kind)
	d.start()
	i = d.wait_for(r'%s: refresh failed: .*(BADSIG|BADKEY|TSIG)' % ZRX, 15, fatal=False)
	C.check(i is not None, '%s, wrong secret: the refresh fails with the TSIG error logged' % peer, d.tail(20))
	if i is not None:
		print('# %s' % d.lines[i].split(' ', 2)[-1])
	C.check(d.wait_for(r'%s: serial' % ZRX, 0, fatal=False) is None, '%s, wrong secret: nothing applied' % peer,
		d.tail(20))
	rc = refused(topo, 'v.example.com')
	C.equal(da.rcode_text(rc) if rc is not None else None, 'SERVFAIL',
		'%s, wrong secret: the zone is not served (SERVFAIL: configured, no data)' % peer)
	d.stop()

	# 6. Wrong secret, the zone persisted by the good run: old data kept.
	d = daemon_for(env, topo, kind, pr.WRONG_SECRET, rundir, '%s-wrongkey-persisted' % kind)
	d.start()
	C.check(d.wait_for(r'%s: serial 4 from .*\(persisted' % ZRX, 0, fatal=False) is not None,
		'%s, wrong secret, persisted zone: serial 4 loaded from rundir' % peer, d.tail(20))
	_rc, txt = txt_served(topo, 'v.example.com')
	C.check(txt and 'version 4' in txt[0], '%s, wrong secret: the persisted version 4 is served' % peer, txt)
	since = d.log_count()
	prim.reload(zone_text(5), 5)
	i = d.wait_for(r'NOTIFY from %s@\d+ for %s refused: .*(BADSIG|BADKEY|TSIG)' % (re.escape(st.CLI4),
										  re.escape(ORIGIN)),
		       10, since=since, fatal=False)
	C.check(i is not None, '%s, wrong secret: the primary\'s NOTIFY is refused and logged' % peer, d.tail(20))
	# A NOTIFY signed with dpdnsd's own (wrong) key is accepted: the refresh it starts fails.
	since = d.log_count()
	resp, req = pr.send_notify(topo, st.CLI4, ORIGIN, secret=pr.WRONG_SECRET)
	C.check(pr.is_notify_response(resp) and pr.rcode_of(resp) == 0 and
		pr.verify_response(resp, req, pr.WRONG_SECRET),
		'%s, wrong secret: a NOTIFY signed with dpdnsd\'s key is accepted' % peer)
	i = d.wait_for(r'%s: refresh failed: .*(BADSIG|BADKEY|TSIG)' % ZRX, 10, since=since, fatal=False)
	C.check(i is not None and re.search(r'198\.18\.0\.1@53|2001:db8:ffff::1@53', d.lines[i]),
		'%s, wrong secret: the refresh fails, logged with the primary\'s address' % peer,
		d.lines[i] if i is not None else d.tail(20))
	time.sleep(0.3)
	_rc, txt = txt_served(topo, 'v.example.com')
	C.check(txt and 'version 4' in txt[0] and d.wait_for(r'%s: serial 4 -> 5' % ZRX, 0, since=since,
								     fatal=False) is None,
		'%s, wrong secret: version 4 is still served, nothing of version 5 applied' % peer, txt)
	d.stop()
	prim.stop()


def body(env):
	kinds = ['knot', 'nsd', 'bind'] if env.args.peer == 'all' else [env.args.peer]
	runnable = []
	for k in kinds:
		miss = pr.missing_binaries(k)
		if miss:
			print('# %s: skipped, not installed: %s' % (pr.PEER_NAMES[k], ', '.join(miss)))
		else:
			runnable.append(k)
	if not runnable:
		raise st.Skip('no primary to test (%s not installed)' % ', '.join(pr.PEER_NAMES[k] for k in kinds))
	topo = env.topology('af_packet')
	corpus = Corpus(env.workdir)
	print('# corpus: %d queries' % len(corpus.queries))
	for k in runnable:
		run_peer(env, topo, k, corpus)


def extra_args(ap):
	ap.add_argument('--peer', choices=('knot', 'nsd', 'bind', 'all'), default='all',
			help='the primary to test (default: all that are installed)')


if __name__ == '__main__':
	sys.exit(st.main('secondary_peers', __doc__.split('\n')[0], body, extra_args=extra_args,
			 needs=('dpdnsd', 'answer')))
