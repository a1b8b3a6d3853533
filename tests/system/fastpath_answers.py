#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""fastpath_answers: dpdnsd answers over DPDK exactly what the answer engine answers in-process.

For each data port kind (net_af_packet on a veth pair, net_tap) dpdnsd serves the zones diff_answers uses
(config/zones, tests/system/zones); the client namespace sends diff_answers' whole corpus (about 9,000
queries) over UDP to 198.18.0.2 and to 2001:db8:ffff::2 port 53, and each response must equal, byte for
byte, what `dpdns-answer` (the same engine, same zones, same identity/version/NSID, UDP payload 1232)
answers for the same query bytes.  The fastpath hands some queries to other places, and the test expects
exactly that: a message with opcode other than QUERY goes to the kernel (no DNS response: nothing listens on
port 53 there; counted as exc_opcode); a message with QR set or shorter than a DNS header is dropped.
The counters must account for the run: answered and rcode_<name> grew by exactly the responses the engine
makes (retries included), exc_opcode by the non-QUERY messages, and rx == answered + drop_total + exc_total.
Then a few kdig queries (+norec, +nsid, CHAOS, NXDOMAIN, over IPv4 and IPv6) whose output is checked.
"""

import os
import re
import shutil
import signal
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import systest as st  # noqa: E402
import diff_answers as da  # noqa: E402

C = st.CHECKS
RCODE_NAMES = {0: 'noerror', 1: 'formerr', 2: 'servfail', 3: 'nxdomain', 4: 'notimp', 5: 'refused',
	       16: 'badvers'}


def fastpath_fate(wire):
	"""What the packet stage does with this DNS message before the engine: 'engine', 'exc_opcode',
	'drop_dns_short' or 'drop_dns_response' (pkt.h: DNS header checks, QR before opcode)."""
	if len(wire) < 12:
		return 'drop_dns_short'
	flags = struct.unpack('!H', wire[2:4])[0]
	if flags & 0x8000:
		return 'drop_dns_response'
	if (flags >> 11) & 0xf:
		return 'exc_opcode'
	return 'engine'


def full_rcode(resp):
	"""Header rcode plus the OPT record's extended rcode (a light walk over the sections)."""
	qd, an, ns, ar = struct.unpack('!HHHH', resp[4:12])
	rc = resp[3] & 0xf
	try:
		off = 12
		for _ in range(qd):
			off = da.read_name(resp, off)[1] + 4
		for i in range(an + ns + ar):
			off = da.read_name(resp, off)[1]
			rrtype, _cls, ttl, rdlen = struct.unpack('!HHIH', resp[off:off + 10])
			if rrtype == 41 and i >= an + ns:
				rc |= (ttl >> 24) << 4
			off += 10 + rdlen
	except (da.ParseError, struct.error):
		pass
	return rc


def rcode_counter(resp):
	return 'rcode_' + RCODE_NAMES.get(full_rcode(resp), 'other')


def serial_of(zones, origin):
	z = da.load_zone(origin, dict(zones)[origin])
	soa = z.find_rdataset(origin, 'SOA')
	return soa[0].serial


def run_corpus(topo, tel, corpus, expected, fates, rcode_names):
	"""Both families: every response compared, then the counters; returns the stats after the run."""
	wires = [q.wire for q in corpus]
	before = tel.stats()
	n_answered = 0
	rcodes = {}
	n_exc = 0
	for fam, fname in ((socket.AF_INET, 'IPv4'), (socket.AF_INET6, 'IPv6')):
		cli = st.UdpClient(topo, fam)
		want = [expected[i] if fates[i] == 'engine' else None for i in range(len(wires))]
		res = cli.exchange_many(wires, expect=[w is not None for w in want], window=48, timeout=1.0, tries=3,
					deadline=40)
		cli.close()
		diffs = []
		for i, (got, w) in enumerate(zip(res.responses, want)):
			if got != w:
				diffs.append(i)
		detail = []
		for i in diffs[:15]:
			detail.append('%s  [%s]' % (corpus[i].label, fates[i]))
			detail.append('  query    %s' % wires[i].hex())
			detail.append('  dpdnsd   %s' % da.describe(res.responses[i]))
			detail.append('  engine   %s' % da.describe(want[i]))
			detail += ['  ' + x.replace('only a', 'only dpdnsd').replace('only b', 'only engine')
				   for x in da.compare(res.responses[i], want[i])[:6]]
			if res.responses[i] is not None and want[i] is not None:
				detail.append('  (bytes differ: dpdnsd %d octets, engine %d)' % (len(res.responses[i]),
												  len(want[i])))
		if len(diffs) > 15:
			detail.append('... %d more' % (len(diffs) - 15))
		C.check(not diffs, '%s %s: %d queries, %d answered, every response identical to the engine\'s '
			'(%.1fs, %d retries)' % (topo.kind, fname, len(wires), sum(1 for w in want if w), res.elapsed,
						res.retries), '\n'.join(detail))
		C.check(not res.unexpected and not res.duplicates, '%s %s: no unexpected or duplicate responses' %
			(topo.kind, fname), 'unexpected %d, duplicates %d' % (len(res.unexpected), res.duplicates))
		for i, w in enumerate(want):
			if w is not None:
				n_answered += res.sends[i]
				k = rcode_names[i]
				rcodes[k] = rcodes.get(k, 0) + res.sends[i]
			elif fates[i] == 'exc_opcode':
				n_exc += 1
	after = tel.stats()
	delta = st.dict_delta(after, before)
	C.equal(delta.get('answered'), n_answered, '%s: counter answered grew by the responses made' % topo.kind)
	for k in sorted(set(rcodes) | {x for x in delta if x.startswith('rcode_') and delta[x]}):
		C.equal(delta.get(k, 0), rcodes.get(k, 0), '%s: counter %s' % (topo.kind, k))
	C.equal(delta.get('exc_opcode'), n_exc, '%s: counter exc_opcode grew by the non-QUERY messages' % topo.kind)
	return after


def kdig(topo, args, timeout=10):
	return st.run(['kdig', '+timeout=2', '+retry=1'] + args, ns=topo.cli, timeout=timeout, check=False)


def kdig_checks(topo, zones):
	if not shutil.which('kdig'):
		C.check(False, 'kdig installed (apt-get install knot-dnsutils)')
		return
	serial = serial_of(zones, 'example.com.')
	for addr in (st.SRV4, st.SRV6):
		fam = '-4' if ':' not in addr else '-6'
		p = kdig(topo, [fam, '@' + addr, '+norec', 'example.com.', 'SOA'])
		out = p.stdout
		C.check(p.returncode == 0 and 'status: NOERROR' in out and re.search(r'Flags: qr aa;', out) and
			re.search(r'^example\.com\.\s+\d+\s+IN\s+SOA\s+ns1\.example\.com\. hostmaster\.example\.com\. %d '
				  % serial, out, re.M),
			'%s kdig %s +norec example.com SOA: NOERROR, qr aa (no rd), serial %d' % (topo.kind, addr, serial),
			out + p.stderr)
		p = kdig(topo, [fam, '@' + addr, '+nsid', 'www.example.com.', 'A'])
		out = p.stdout
		C.check(p.returncode == 0 and 'status: NOERROR' in out and 'NSID: ' in out and st.IDENTITY in out and
			re.search(r'Flags: qr aa rd;', out),
			'%s kdig %s +nsid www.example.com A: NOERROR, qr aa rd, NSID %s' % (topo.kind, addr, st.IDENTITY),
			out + p.stderr)
		p = kdig(topo, [fam, '@' + addr, '-c', 'CH', 'version.bind', 'TXT'])
		C.check(p.returncode == 0 and re.search(r'version\.bind\.\s+\d+\s+CH\s+TXT\s+"%s"' % st.VERSION, p.stdout),
			'%s kdig %s CH TXT version.bind: "%s"' % (topo.kind, addr, st.VERSION), p.stdout + p.stderr)
		p = kdig(topo, [fam, '@' + addr, '+norec', 'no-such-name.example.net.', 'A'])
		C.check(p.returncode == 0 and 'status: NXDOMAIN' in p.stdout and re.search(r'Flags: qr aa;', p.stdout) and
			re.search(r'^example\.net\.\s+\d+\s+IN\s+SOA\s', p.stdout, re.M),
			'%s kdig %s no-such-name.example.net A: NXDOMAIN, aa, SOA in authority' % (topo.kind, addr),
			p.stdout + p.stderr)
		p = kdig(topo, [fam, '@' + addr, '+norec', 'www.example.org.', 'A'])
		C.check(p.returncode == 0 and 'status: REFUSED' in p.stdout,
			'%s kdig %s www.example.org A (not served): REFUSED' % (topo.kind, addr), p.stdout + p.stderr)


def body(env):
	zones = st.system_zones()
	corpus = [q for q in da.build_corpus(zones) if q.profile == 'configured']
	if env.args.limit:
		corpus = corpus[:env.args.limit]
	wires = [q.wire for q in corpus]
	expected = st.engine_answers(env.answer_tool, zones, wires)
	fates = [fastpath_fate(w) for w in wires]
	rcode_names = [rcode_counter(e) if e is not None else None for e in expected]
	for kind in st.kinds(env.args):
		topo = env.topology(kind)
		d = env.daemon(topo, zones)
		d.start()
		print('# %s: dpdnsd ready; server namespace %s, isolation: %s' % (kind, topo.srv, topo.isolation or '-'))
		tel = d.telemetry()
		after = run_corpus(topo, tel, corpus, expected, fates, rcode_names)
		ok, why = st.stats_invariant(after)
		C.check(ok, '%s: rx == answered + drop_total + exc_total (%s)' % (kind, why), st.format_stats(after))
		kdig_checks(topo, zones)
		tel.close()
		rc = d.stop(signal.SIGTERM)
		C.equal(rc, 0, '%s: dpdnsd exit status after SIGTERM' % kind)
		if rc != 0:
			print(d.tail(30))


def extra(ap):
	ap.add_argument('--limit', type=int, default=0, help='only the first N queries of the corpus')


if __name__ == '__main__':
	sys.exit(st.main('fastpath_answers', __doc__.split('\n')[0], body, extra, needs=('dpdnsd', 'answer')))
