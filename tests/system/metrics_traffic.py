#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""metrics_traffic: known queries move the Prometheus metrics and the DPDK telemetry by exactly their count.

dpdnsd serves two static zones (X, Y) with the metrics endpoint on 127.0.0.1 of its namespace.  Between
two readings of /metrics and of telemetry (/dpdns/stats, /dpdns/qtype, /dpdns/zones, /dpdns/tcp) the
client sends over UDP 300 A and 200 AAAA (www.X), 100 MX (X), 50 TXT (Y), 40 A of names X does not have
(NXDOMAIN) and 10 A of a name no zone holds (REFUSED), then 5 SOA queries of X over TCP (one connection
each).  Every counter these queries touch must move by exactly that much (by type and transport, by zone,
by rcode, TCP connections), and every other query-type counter not at all: ARP, NDP and the exception
path carry frames too, but none of them is an answered query.  Also: every family in the exposition has
HELP and TYPE lines, no line breaks the format, and doc/control.md names every family.
"""

import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import systest as st  # noqa: E402

C = st.CHECKS
X, Y = 'mt-x.test.', 'mt-y.test.'
METRICS = '127.0.0.1@9153'
T_A, T_NS, T_SOA, T_MX, T_TXT, T_AAAA = 1, 2, 6, 15, 16, 28
TCP_MAX, TCP_IDLE = 4, 2
QTYPES = ['other', 'A', 'NS', 'CNAME', 'SOA', 'PTR', 'MX', 'TXT', 'AAAA', 'SRV', 'NAPTR', 'DS', 'DNSKEY',
	  'SVCB', 'HTTPS', 'CAA', 'ANY']


def zone_x():
	return '\n'.join([
		'$ORIGIN %s' % X, '$TTL 300',
		'@ IN SOA ns admin 1 3600 600 86400 60', '@ IN NS ns', '@ IN MX 10 mail',
		'ns IN A 198.18.0.2', 'mail IN A 192.0.2.25', 'www IN A 192.0.2.1', 'www IN AAAA 2001:db8::1',
	]) + '\n'


def zone_y():
	return '\n'.join([
		'$ORIGIN %s' % Y, '$TTL 300',
		'@ IN SOA ns admin 7 3600 600 86400 60', '@ IN NS ns', 'ns IN A 198.18.0.2',
		'txt IN TXT "hello"',
	]) + '\n'


def rcode(resp):
	return struct.unpack('!H', resp[2:4])[0] & 0xf


def readings(d, tel):
	"""Everything compared: the exposition and the telemetry replies."""
	return {
		'prom': d.scrape(),
		'stats': tel.stats(),
		'qtype': tel.get('/dpdns/qtype'),
		'zone_x': tel.get('/dpdns/zones,%s' % X),
		'zone_y': tel.get('/dpdns/zones,%s' % Y.rstrip('.')),  # without the dot: the same zone
		'tcp': tel.get('/dpdns/tcp'),
	}


def send_udp(topo):
	"""The UDP queries; returns how many responses came back for each kind (duplicates counted: the
	server answered each), so the checks hold even if a query had to be sent again."""
	plan = [  # (what, family, name, qtype, count, expected rcode)
		('A', socket.AF_INET, 'www.' + X, T_A, 300, 0),
		('AAAA', socket.AF_INET6, 'www.' + X, T_AAAA, 200, 0),
		('MX', socket.AF_INET, X, T_MX, 100, 0),
		('TXT', socket.AF_INET6, 'txt.' + Y, T_TXT, 50, 0),
		('NXDOMAIN', socket.AF_INET, None, T_A, 40, 3),
		('REFUSED', socket.AF_INET, 'www.not-served.example.', T_A, 10, 5),
	]
	seen = {}
	qid = 1
	for what, fam, name, qtype, count, want_rc in plan:
		qs = []
		for i in range(count):
			qn = name or 'nothere-%d.%s' % (i, X)
			qs.append(st.dns_query(qid, qn, qtype))
			qid += 1
		cli = st.UdpClient(topo, fam)
		try:
			r = cli.exchange_many(qs, window=16, timeout=2.0, tries=3, grace=0.5)
		finally:
			cli.close()
		got = [x for x in r.responses if x is not None]
		C.check(len(got) == count and not r.unexpected,
			'%d %s queries: %d answered (%d retries, %d duplicates)' % (count, what, len(got), r.retries,
										  r.duplicates),
			'timed out: %d, unexpected: %d' % (r.timed_out, len(r.unexpected)))
		C.check(all(rcode(x) == want_rc for x in got), '%s queries: rcode %d' % (what, want_rc),
			sorted(set(rcode(x) for x in got)))
		seen[what] = len(got) + r.duplicates
	return seen


def send_tcp(topo, n):
	ok = 0
	for i in range(n):
		resp, err = st.tcp_dns(topo, socket.AF_INET, st.SRV4, st.dns_query(0x7000 + i, X, T_SOA), timeout=5)
		ok += resp is not None and rcode(resp) == 0
		C.check(resp is not None, 'SOA over TCP #%d answered' % (i + 1), err)
	return ok


def delta(after, before, key):
	return after.get(key, 0) - before.get(key, 0)


def check_families(prom):
	C.check(not prom.bad, 'every line of the exposition is a comment or a sample', prom.bad[:5])
	fams = prom.families()
	missing = sorted(f for f in fams if f not in prom.help or f not in prom.type)
	C.check(not missing, 'every family has HELP and TYPE (%d families)' % len(fams), missing)
	with open(os.path.join(st.REPO, 'doc', 'control.md')) as f:
		doc = f.read()
	undocumented = sorted(f for f in fams if not re.search(r'`%s`' % re.escape(f), doc))
	C.check(not undocumented, 'doc/control.md names every family', undocumented)


def check_tcp_limits(d, topo, tel):
	"""TCP_MAX idle connections fill the server; one more is refused at once; after the idle timeout
	the server closes the others."""
	before, tb = d.scrape(), tel.get('/dpdns/tcp')
	conns = []
	try:
		for _ in range(TCP_MAX):
			with st.in_netns(topo.cli):
				s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
			s.settimeout(5)
			s.connect((st.SRV4, 53))
			conns.append(s)
		end = time.monotonic() + 5
		while d.scrape().get('dpdns_tcp_connections_open') != TCP_MAX and time.monotonic() < end:
			time.sleep(0.1)
		C.equal(d.scrape().get('dpdns_tcp_connections_open'), TCP_MAX,
			'/metrics dpdns_tcp_connections_open with %d idle connections' % TCP_MAX)
		with st.in_netns(topo.cli):
			extra = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		extra.settimeout(5)
		try:
			extra.connect((st.SRV4, 53))
			got = extra.recv(10)  # closed at once: EOF (or a reset)
		except OSError:
			got = b''
		finally:
			extra.close()
		C.equal(got, b'', 'connection %d (over tcp-max-clients %d): closed at once' % (TCP_MAX + 1, TCP_MAX))
		# The idle timeout closes the others: each client sees EOF.
		t0 = time.monotonic()
		closed = 0
		for s in conns:
			try:
				closed += s.recv(10) == b''
			except OSError:
				pass
		waited = time.monotonic() - t0
		C.check(closed == TCP_MAX and waited < TCP_IDLE + 3,
			'the %d idle connections closed by the server after about %d s (%.1f s)' % (TCP_MAX, TCP_IDLE, waited))
	finally:
		for s in conns:
			s.close()
	end = time.monotonic() + 5
	while True:
		after, ta = d.scrape(), tel.get('/dpdns/tcp')
		if (after.get('dpdns_tcp_connections_open') == 0 and ta.get('connections_open') == 0) or \
				time.monotonic() > end:
			break
		time.sleep(0.3)
	for name, key, want in (('dpdns_tcp_connections_accepted_total', 'connections_accepted', TCP_MAX),
				('dpdns_tcp_connections_refused_total', 'connections_refused', 1),
				('dpdns_tcp_connections_idle_closed_total', 'connections_idle_closed', TCP_MAX),
				('dpdns_tcp_messages_total', 'messages', 0)):
		C.equal(after.get(name) - before.get(name), want, '/metrics %s delta' % name)
		C.equal(delta(ta, tb, key), want, 'telemetry /dpdns/tcp %s delta' % key)
	C.equal(after.get('dpdns_tcp_connections_open'), 0, '/metrics dpdns_tcp_connections_open at the end')


def check_dpdk_telemetry_py(d):
	"""DPDK's own client (Debian package dpdk) reads the commands: what operators will use."""
	exe = shutil.which('dpdk-telemetry.py')
	if not exe:
		st.log('dpdk-telemetry.py not installed (apt-get install dpdk): its check is skipped')
		return
	p = subprocess.run([exe, '-f', d.prefix], input='/dpdns/zones\n/dpdns/tcp\n/dpdns/qtype\n/\n',
			   capture_output=True, text=True, timeout=20)
	out = p.stdout
	C.check(p.returncode == 0 and all(k in out for k in ('"zone": "%s"' % X, '"zone": "%s"' % Y,
							     '"connections_accepted"', '"total"', '"AAAA"',
							     '/dpdns/zones', '/dpdns/tcp', '/dpdns/qtype')),
		'dpdk-telemetry.py -f PREFIX reads /dpdns/zones, /dpdns/tcp and /dpdns/qtype, and lists them',
		'exit %d\n%s\n%s' % (p.returncode, out[-2000:], p.stderr[-1000:]))


def body(env):
	workdir = env.workdir
	paths = {}
	for origin, text in ((X, zone_x()), (Y, zone_y())):
		paths[origin] = os.path.join(workdir, origin + 'zone')
		with open(paths[origin], 'w') as f:
			f.write(text)
	kind = st.kinds(env.args)[0]
	topo = env.topology(kind)
	d = env.daemon(topo, [(X, paths[X]), (Y, paths[Y])], name='metrics', metrics=METRICS,
		       server={'tcp-max-clients': TCP_MAX, 'tcp-idle-timeout': TCP_IDLE})
	d.start()
	tel = d.telemetry()
	try:
		# Warm up: neighbour discovery both ways, so that the measured window has no first-query delays.
		cli = st.UdpClient(topo, socket.AF_INET)
		cli.exchange(st.dns_query(0xfff0, X, T_NS), timeout=3)
		cli.close()
		cli = st.UdpClient(topo, socket.AF_INET6)
		cli.exchange(st.dns_query(0xfff1, X, T_NS), timeout=3)
		cli.close()
		time.sleep(1.5)  # the /dpdns/tcp copy is refreshed each second
		before = readings(d, tel)
		check_families(before['prom'])

		seen = send_udp(topo)
		tcp_ok = send_tcp(topo, 5)
		n_x = seen['A'] + seen['AAAA'] + seen['MX'] + seen['NXDOMAIN'] + tcp_ok
		n_y = seen['TXT']
		udp_want = {'A': seen['A'] + seen['NXDOMAIN'] + seen['REFUSED'], 'AAAA': seen['AAAA'],
			    'MX': seen['MX'], 'TXT': seen['TXT']}
		tcp_want = {'SOA': tcp_ok}
		answered = sum(seen.values())

		# The TCP copy for telemetry and the open-connection gauge settle within a couple of seconds.
		end = time.monotonic() + 5
		while True:
			after = readings(d, tel)
			settled = (delta(after['tcp'], before['tcp'], 'connections_accepted') >= 5 and
				   after['tcp'].get('connections_open') == 0 and
				   after['prom'].get('dpdns_tcp_connections_open') == 0)
			if settled or time.monotonic() > end:
				break
			time.sleep(0.3)
		pb, pa = before['prom'], after['prom']

		# Prometheus: by type and transport.
		for qt in QTYPES:
			for proto, want in (('udp', udp_want), ('tcp', tcp_want)):
				got = (pa.get('dpdns_queries_total', qtype=qt, proto=proto) or 0) - \
				      (pb.get('dpdns_queries_total', qtype=qt, proto=proto) or 0)
				C.equal(got, want.get(qt, 0), '/metrics dpdns_queries_total{qtype="%s",proto="%s"} delta' %
					(qt, proto))
		for zone, want in ((X, n_x), (Y, n_y)):
			got = pa.get('dpdns_zone_queries_total', zone=zone) - pb.get('dpdns_zone_queries_total', zone=zone)
			C.equal(got, want, '/metrics dpdns_zone_queries_total{zone="%s"} delta' % zone)
		C.equal(pa.get('dpdns_zone_queries_other_total') - pb.get('dpdns_zone_queries_other_total'), 0,
			'/metrics dpdns_zone_queries_other_total delta')
		for rc, want in (('noerror', answered - seen['NXDOMAIN'] - seen['REFUSED']),
				 ('nxdomain', seen['NXDOMAIN']), ('refused', seen['REFUSED']), ('servfail', 0),
				 ('formerr', 0)):
			got = pa.get('dpdns_responses_total', rcode=rc) - pb.get('dpdns_responses_total', rcode=rc)
			C.equal(got, want, '/metrics dpdns_responses_total{rcode="%s"} delta (UDP)' % rc)
		got = pa.get('dpdns_tcp_responses_by_rcode_total', rcode='noerror') - \
			pb.get('dpdns_tcp_responses_by_rcode_total', rcode='noerror')
		C.equal(got, tcp_ok, '/metrics dpdns_tcp_responses_by_rcode_total{rcode="noerror"} delta')
		for name, want in (('dpdns_tcp_connections_accepted_total', 5), ('dpdns_tcp_messages_total', 5),
				   ('dpdns_tcp_responses_total', tcp_ok), ('dpdns_tcp_connections_refused_total', 0)):
			C.equal(pa.get(name) - pb.get(name), want, '/metrics %s delta' % name)
		C.equal(pa.get('dpdns_tcp_connections_open'), 0, '/metrics dpdns_tcp_connections_open after')

		# Telemetry.
		sb, sa = before['stats'], after['stats']
		C.equal(delta(sa, sb, 'answered'), answered, 'telemetry /dpdns/stats answered delta')
		for qt in QTYPES:
			C.equal(delta(sa, sb, 'qtype_' + qt), udp_want.get(qt, 0),
				'telemetry /dpdns/stats qtype_%s delta' % qt)
		C.equal(sum(v for k, v in sa.items() if k.startswith('qtype_')), sa['answered'],
			'telemetry /dpdns/stats: the qtype counters add up to answered')
		for part, want in (('udp', udp_want), ('tcp', tcp_want)):
			for qt in QTYPES:
				C.equal(delta(after['qtype'][part], before['qtype'][part], qt), want.get(qt, 0),
					'telemetry /dpdns/qtype %s %s delta' % (part, qt))
		C.equal(delta(after['qtype']['total'], before['qtype']['total'], 'A'), udp_want['A'],
			'telemetry /dpdns/qtype total A delta')
		C.equal(delta(after['zone_x'], before['zone_x'], 'queries'), n_x, 'telemetry /dpdns/zones,%s queries delta' % X)
		C.equal(delta(after['zone_y'], before['zone_y'], 'queries'), n_y, 'telemetry /dpdns/zones,%s queries delta' % Y)
		C.equal(after['zone_x'].get('serial'), 1, 'telemetry /dpdns/zones,%s serial' % X)
		C.equal(after['zone_y'].get('serial'), 7, 'telemetry /dpdns/zones,%s serial' % Y)
		C.equal(after['zone_x'].get('expired'), 0, 'telemetry /dpdns/zones,%s expired' % X)
		allz = tel.get('/dpdns/zones')
		C.check(isinstance(allz, dict) and sorted(allz) == ['0', '1'] and
			sorted(z.get('zone') for z in allz.values()) == [X, Y] and
			all(z.get('queries') == after['zone_x' if z.get('zone') == X else 'zone_y']['queries']
			    for z in allz.values()),
			'telemetry /dpdns/zones: both zones, with the same counts', repr(allz))
		r = tel.cmd('/dpdns/zones,nosuch.test.')
		C.equal(r, {'/dpdns/zones': None}, 'telemetry /dpdns/zones of an unknown zone: null')
		C.check(isinstance(tel.stats().get('answered'), int), 'telemetry still answers after an unknown zone')
		tb, ta = before['tcp'], after['tcp']
		for k, want in (('connections_accepted', 5), ('messages', 5), ('responses', tcp_ok), ('answered', tcp_ok),
				('connections_refused', 0)):
			C.equal(delta(ta, tb, k), want, 'telemetry /dpdns/tcp %s delta' % k)
		C.equal(ta.get('connections_open'), 0, 'telemetry /dpdns/tcp connections_open after')
		check_families(pa)
		check_tcp_limits(d, topo, tel)
		check_dpdk_telemetry_py(d)
	finally:
		tel.close()
	rc = d.stop(timeout=15)
	C.check(rc == 0, 'dpdnsd stops cleanly (exit %s)' % rc, d.tail(20))


if __name__ == '__main__':
	sys.exit(st.main('metrics_traffic', __doc__.split('\n')[0], body))
