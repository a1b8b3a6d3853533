#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Differential test of the dpdns answer engine against Knot DNS and NSD.

The script starts nsd and knotd on 127.0.0.1 (free high ports, configuration generated in a temporary
directory), loads the same zones into both, builds a corpus of queries from the zone contents, sends every
query to both peers over UDP and feeds the same query bytes to `dpdns-answer` (stdin/stdout framed like DNS
over TCP: 2-byte big-endian length + message; a zero length in the output means "dropped").  A query passes
when the dpdns response equals the Knot response OR the NSD response.  Without --answer-tool (or when the tool
does not exist yet) the script compares NSD against Knot instead and reports where they differ.

Comparison (see compare()): header id, opcode, full rcode (header + EDNS extended), flags QR AA TC RD RA AD CD
(and Z); the question section byte for byte; answer, authority and additional as multisets of RRs (owner
case-insensitive, TTL, class, rdata in canonical form, so RR order and RRSIG order do not matter); the OPT
record separately: presence, version, UDP payload size, DO and other flags, options.

Peer configuration and why (keep NSD and Knot as alike as their knobs allow):
  * NSD `minimal-responses: yes` (default no).  Knot has no such switch and never puts the apex NS RRset into
    the authority section of positive answers; NSD's default does (plus the NS addresses in additional).
    With `yes`, NSD's positive answers have an empty authority section like Knot's.  The remaining
    difference is that NSD then also omits the additional A/AAAA for MX/SRV targets that Knot adds.
    `--nsd-minimal no` restores the NSD default.
  * NSD `refuse-any: no` (default).  Knot 3.2 has no equivalent: it always gives one RRset for ANY
    (RFC 8482), as NSD does with refuse-any off.  refuse-any would set TC on every UDP ANY.
  * NSD `rrl-ratelimit: 0`, `rrl-whitelist-ratelimit: 0`: the Debian build enables response rate limiting
    (200 qps per source) which would turn part of the corpus into slipped/dropped replies.  Knot has RRL
    only when the rrl module is configured (it is not).
  * NSD `round-robin: no` (default), Knot has no rotation: deterministic RR order (we compare sets anyway).
  * Identity, version and NSID are set to the same values in both peers and passed to dpdns-answer with
    --identity/--version/--nsid (profile "configured").  A second profile "hidden" starts a second pair of
    peers with them disabled (NSD hide-identity/hide-version, no nsid; Knot identity/version/nsid "") and
    runs dpdns-answer without those options, for the CHAOS and NSID queries only.
  * UDP payload advertised: 1232 in both (NSD ipv4/ipv6-edns-size, Knot udp-max-payload; both defaults).
  * No ACLs: NOTIFY/AXFR/IXFR from the test client are refused (NSD) or NOTAUTH (Knot); either is accepted.
  * DNS cookies: NSD answer-cookie no (default), Knot without the cookie module: both ignore COOKIE.

Runs as root or not (no privileged ports).  Every socket has a timeout, the whole run has a deadline
(--deadline), peers run in their own process groups and are killed on exit, SIGINT and SIGTERM.
Exit status: 0 when there is no difference, 1 when there are differences, 2 on setup errors, 77 (meson's
"skipped") when there is nothing to compare: no answer tool and no --peers-only, or knotd/nsd not installed.
"""

import argparse
import atexit
import collections
import concurrent.futures
import glob
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

try:
	import dns.name
	import dns.rdata
	import dns.rdataclass
	import dns.rdatatype
	import dns.zone
except ImportError:
	# A pyenv or venv python does not see Debian's python3-dnspython; add the Debian path.
	for _p in glob.glob('/usr/lib/python3/dist-packages'):
		sys.path.append(_p)
	try:
		import dns.name
		import dns.rdata
		import dns.rdataclass
		import dns.rdatatype
		import dns.zone
	except ImportError:
		sys.stderr.write('diff_answers: dnspython is missing: apt-get install python3-dnspython\n')
		sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, '..', '..'))

IDENTITY = 'dpdns-test-id'
VERSION = 'dpdns-test-version'
NSID = 'dpdns-test-nsid'

QTYPES = ['A', 'AAAA', 'NS', 'SOA', 'MX', 'TXT', 'CNAME', 'SRV', 'CAA', 'DS', 'ANY', 'PTR']

# Flag bits in the second header word.
F_QR, F_AA, F_TC, F_RD, F_RA, F_Z, F_AD, F_CD = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080, 0x0040, 0x0020, 0x0010
FLAG_NAMES = ((F_QR, 'QR'), (F_AA, 'AA'), (F_TC, 'TC'), (F_RD, 'RD'), (F_RA, 'RA'), (F_Z, 'Z'), (F_AD, 'AD'),
	      (F_CD, 'CD'))

DEADLINE = None


def log(msg):
	sys.stderr.write(msg + '\n')
	sys.stderr.flush()


def time_left():
	return DEADLINE - time.monotonic()


class DeadlineExceeded(Exception):
	pass


def check_deadline():
	if time_left() <= 0:
		raise DeadlineExceeded()


# ---------------------------------------------------------------------------------------------------------
# Query construction

def hdr(qid, flags=0, qd=1, an=0, ns=0, ar=0):
	return struct.pack('>HHHHHH', qid, flags, qd, an, ns, ar)


def wire_name(text):
	return dns.name.from_text(text).to_wire()


def question(name, qtype=1, qclass=1):
	if isinstance(name, str):
		name = wire_name(name)
	return name + struct.pack('>HH', qtype, qclass)


def opt_rr(payload=1232, ext_rcode=0, version=0, flags=0, options=b''):
	return b'\x00' + struct.pack('>HHBBHH', 41, payload, ext_rcode, version, flags, len(options)) + options


def edns_option(code, data=b''):
	return struct.pack('>HH', code, len(data)) + data


class Query:
	__slots__ = ('label', 'wire', 'profile')

	def __init__(self, label, wire, profile='configured'):
		self.label = label
		self.wire = wire
		self.profile = profile


def std_query(qid, name_wire, qtype, mode, rd=False, qclass=1, payload=1232, options=b''):
	"""mode: 'plain' (no EDNS), 'edns' (EDNS0), 'do' (EDNS0 + DO)."""
	flags = F_RD if rd else 0
	if mode == 'plain':
		return hdr(qid, flags) + question(name_wire, qtype, qclass)
	eflags = 0x8000 if mode == 'do' else 0
	return hdr(qid, flags, ar=1) + question(name_wire, qtype, qclass) + opt_rr(payload, flags=eflags,
										    options=options)


def mixed_case(name, rng):
	out = bytearray()
	wire = name.to_wire()
	i = 0
	while i < len(wire):
		n = wire[i]
		out.append(n)
		for c in wire[i + 1:i + 1 + n]:
			if 0x61 <= c <= 0x7a or 0x41 <= c <= 0x5a:
				c = c ^ 0x20 if rng.random() < 0.5 else c
			out.append(c)
		i += n + 1
	return bytes(out)


def load_zone(origin, path):
	return dns.zone.from_file(path, origin=origin, relativize=False, check_origin=False)


def build_corpus(zones, with_specials=True):
	"""zones: list of (origin text, path).  Returns a list of Query."""
	rng = random.Random(4242)
	queries = []
	seen = set()
	qid = [0]

	def next_id():
		qid[0] = (qid[0] + 7919) & 0xffff
		return qid[0]

	def add(label, wire, profile='configured'):
		key = (profile, wire[2:])  # ignore the id when deduplicating
		if key in seen:
			return
		seen.add(key)
		queries.append(Query(label, wire, profile))

	def add_name(name, types, modes=('plain', 'edns', 'do'), why=''):
		for t in types:
			code = dns.rdatatype.from_text(t)
			for m in modes:
				add('%s %s %s%s' % (name.to_text(), t, m, why), std_query(next_id(), name.to_wire(), code, m))

	apexes = []
	extra_names = []  # (name, reason)
	for origin, path in zones:
		z = load_zone(origin, path)
		apex = z.origin
		apexes.append(apex)
		owners = sorted(z.nodes.keys())
		deleg = set()
		for n in owners:
			node = z.nodes[n]
			types = {rds.rdtype for rds in node.rdatasets}
			if n != apex and dns.rdatatype.NS in types:
				deleg.add(n)
		for n in owners:
			node = z.nodes[n]
			types = {rds.rdtype for rds in node.rdatasets}
			if n.labels[0] == b'*':
				parent = n.parent()
				extra_names.append((dns.name.Name((b'wcx',) + parent.labels), 'wildcard'))
				extra_names.append((dns.name.Name((b'a', b'b') + parent.labels), 'wildcard-deep'))
				extra_names.append((parent, 'wildcard-parent'))
				continue
			add_name(n, QTYPES)
			extra_names.append((dns.name.Name((b'zz-nx',) + n.labels), 'below-existing'))
			if n in deleg:
				extra_names.append((dns.name.Name((b'www',) + n.labels), 'under-delegation'))
				extra_names.append((dns.name.Name((b'a', b'b') + n.labels), 'under-delegation'))
			if dns.rdatatype.DNAME in types:
				extra_names.append((dns.name.Name((b'www',) + n.labels), 'under-dname'))
				extra_names.append((dns.name.Name((b'nx-a', b'nx-b') + n.labels), 'under-dname'))
				add_name(dns.name.Name((b'www',) + n.labels), ['CNAME', 'DNAME'], ('plain',), ' under-dname')
			# Empty non-terminals between this name and the apex.
			p = n.parent()
			while p != apex and len(p) > len(apex):
				extra_names.append((p, 'ent-or-parent'))
				p = p.parent()
		extra_names.append((dns.name.Name((b'nx-name',) + apex.labels), 'nxdomain'))
		# Mixed-case variants of every owner, A and the types present.
		for n in owners:
			if n.labels[0] == b'*':
				n = dns.name.Name((b'MiXeD',) + n.parent().labels)
			node = z.nodes.get(n)
			types = sorted({dns.rdatatype.to_text(r.rdtype) for r in node.rdatasets}) if node else ['A']
			for t in set(types) | {'A'}:
				code = dns.rdatatype.from_text(t)
				w = mixed_case(n, rng)
				for m in ('plain', 'edns'):
					add('%s %s %s mixed-case' % (name_text(w), t, m), std_query(next_id(), w, code, m))
		# Apex parent (not served unless it is another zone), for DS and SOA.
		if len(apex) > 1:
			add_name(apex.parent(), ['SOA', 'A', 'DS'], ('plain', 'edns'), ' parent-of-apex')

	for n, why in extra_names:
		add_name(n, QTYPES, ('plain', 'edns', 'do'), ' ' + why)

	# Outside every zone.
	for text in ('www.example.org.', '.', 'com.', 'invalid.', 'xn--bcher-kva.example.', 'a.root-servers.net.'):
		add_name(dns.name.from_text(text), ['A', 'SOA', 'NS', 'ANY', 'DS'], ('plain', 'edns', 'do'), ' outside')

	# RD set on ordinary queries, various EDNS payload sizes (truncation limits).
	for apex in apexes:
		for t in ('SOA', 'NS', 'MX'):
			code = dns.rdatatype.from_text(t)
			add('%s %s rd' % (apex, t), std_query(next_id(), apex.to_wire(), code, 'plain', rd=True))
			for payload in (0, 100, 511, 512, 513, 1232, 1400, 4096, 65535):
				add('%s %s edns payload=%d' % (apex, t, payload),
				    std_query(next_id(), apex.to_wire(), code, 'edns', payload=payload))
	for origin, path in zones:
		z = load_zone(origin, path)
		for n, node in z.nodes.items():
			size = sum(len(r.to_wire()) + 12 for rds in node.rdatasets for r in rds)
			if size > 300:  # candidates for truncation
				for rds in node.rdatasets:
					t = rds.rdtype
					for payload in (0, 512, 600, 1000, 1232, 4096):
						add('%s %s edns payload=%d big' % (n, dns.rdatatype.to_text(t), payload),
						    std_query(next_id(), n.to_wire(), t, 'edns', payload=payload))
						add('%s %s edns+do payload=%d big' % (n, dns.rdatatype.to_text(t), payload),
						    std_query(next_id(), n.to_wire(), t, 'do', payload=payload))

	if with_specials:
		first = apexes[0]
		for label, wire, profile in special_queries(first, next_id):
			add(label, wire, profile)
	return queries


def special_queries(apex, next_id):
	"""Step-1(f) cases: opcodes, counts, classes, EDNS oddities, header bits, malformed input."""
	www = dns.name.Name((b'www',) + apex.labels).to_wire()
	ap = apex.to_wire()
	Q = question(www)
	S = question(ap, 6)
	out = []

	def s(label, wire, profile='configured'):
		out.append(('special: ' + label, wire, profile))

	for op, name in ((1, 'IQUERY'), (2, 'STATUS'), (3, 'opcode3'), (4, 'NOTIFY'), (5, 'UPDATE'), (6, 'DSO'),
			 (15, 'opcode15')):
		s('opcode %s' % name, hdr(next_id(), op << 11) + S)
	s('NOTIFY with AA', hdr(next_id(), (4 << 11) | F_AA) + S)
	s('NOTIFY with EDNS', hdr(next_id(), 4 << 11, ar=1) + S + opt_rr())
	s('UPDATE with EDNS', hdr(next_id(), 5 << 11, ar=1) + S + opt_rr())
	s('QDCOUNT=0', hdr(next_id(), qd=0))
	s('QDCOUNT=0 + OPT', hdr(next_id(), qd=0, ar=1) + opt_rr())
	s('QDCOUNT=2', hdr(next_id(), qd=2) + Q + question(ap, 6))
	for n in ('version.bind', 'hostname.bind', 'id.server', 'version.server', 'authors.bind', 'foo.bind',
		  'VERSION.BIND', 'ID.Server'):
		for profile in ('configured', 'hidden'):
			s('CH TXT %s' % n, hdr(next_id()) + question(n, 16, 3), profile)
			s('CH TXT %s + EDNS' % n, hdr(next_id(), ar=1) + question(n, 16, 3) + opt_rr(), profile)
	s('CH A version.bind', hdr(next_id()) + question('version.bind', 1, 3))
	s('CH ANY version.bind', hdr(next_id()) + question('version.bind', 255, 3))
	s('CH TXT www', hdr(next_id()) + question(www, 16, 3))
	s('CH SOA apex', hdr(next_id()) + question(ap, 6, 3))
	for cls, name in ((254, 'NONE'), (255, 'ANY'), (4, 'HS'), (42, 'CLASS42')):
		s('class %s www A' % name, hdr(next_id()) + question(www, 1, cls))
		s('class %s nx A' % name, hdr(next_id()) + question(b'\x05nx-zz' + ap, 1, cls))
		s('class %s apex SOA' % name, hdr(next_id()) + question(ap, 6, cls))
	s('AXFR over UDP', hdr(next_id()) + question(ap, 252))
	s('IXFR over UDP, no SOA', hdr(next_id()) + question(ap, 251))
	soa_auth = ap + struct.pack('>HHIH', 6, 1, 0, 22) + b'\x00\x00' + struct.pack('>IIIII', 1, 0, 0, 0, 0)
	s('IXFR over UDP, old serial SOA in authority', hdr(next_id(), ns=1) + question(ap, 251) + soa_auth)
	for t, name in ((253, 'MAILB'), (254, 'MAILA'), (41, 'OPT'), (46, 'RRSIG'), (47, 'NSEC'), (50, 'NSEC3'),
			(249, 'TKEY'), (250, 'TSIG'), (0, 'TYPE0'), (65280, 'TYPE65280'), (48, 'DNSKEY'),
			(99, 'SPF'), (257, 'CAA')):
		s('qtype %s' % name, hdr(next_id()) + question(www, t))
		s('qtype %s apex' % name, hdr(next_id()) + question(ap, t))
	s('EDNS version 1', hdr(next_id(), ar=1) + Q + opt_rr(version=1))
	s('EDNS version 1 + DO', hdr(next_id(), ar=1) + Q + opt_rr(version=1, flags=0x8000))
	s('EDNS version 1 + NSID', hdr(next_id(), ar=1) + Q + opt_rr(version=1, options=edns_option(3)))
	s('EDNS version 255', hdr(next_id(), ar=1) + Q + opt_rr(version=255))
	s('EDNS version 1 outside zones', hdr(next_id(), ar=1) + question('www.example.org') + opt_rr(version=1))
	s('two OPTs', hdr(next_id(), ar=2) + Q + opt_rr() + opt_rr())
	s('OPT in answer section', hdr(next_id(), an=1) + Q + opt_rr())
	s('OPT in authority section', hdr(next_id(), ns=1) + Q + opt_rr())
	s('OPT with non-root owner', hdr(next_id(), ar=1) + Q + b'\x01a' + opt_rr())
	for p in (0, 1, 511, 512, 4096, 65535):
		s('EDNS payload %d' % p, hdr(next_id(), ar=1) + Q + opt_rr(payload=p))
	s('EDNS unknown option 65001', hdr(next_id(), ar=1) + Q + opt_rr(options=edns_option(65001, b'abc')))
	s('EDNS NSID', hdr(next_id(), ar=1) + Q + opt_rr(options=edns_option(3)))
	s('EDNS NSID (hidden)', hdr(next_id(), ar=1) + Q + opt_rr(options=edns_option(3)), 'hidden')
	s('EDNS NSID non-empty', hdr(next_id(), ar=1) + Q + opt_rr(options=edns_option(3, b'xx')))
	s('EDNS NSID + DO', hdr(next_id(), ar=1) + Q + opt_rr(flags=0x8000, options=edns_option(3)))
	s('EDNS NSID twice', hdr(next_id(), ar=1) + Q + opt_rr(options=edns_option(3) + edns_option(3)))
	s('EDNS NSID on NXDOMAIN', hdr(next_id(), ar=1) + question(b'\x05nx-zz' + ap) + opt_rr(options=edns_option(3)))
	s('EDNS NSID outside zones', hdr(next_id(), ar=1) + question('www.example.org') +
	  opt_rr(options=edns_option(3)))
	s('EDNS NSID on CH version.bind', hdr(next_id(), ar=1) + question('version.bind', 16, 3) +
	  opt_rr(options=edns_option(3)))
	s('EDNS DO', hdr(next_id(), ar=1) + Q + opt_rr(flags=0x8000))
	s('EDNS DO + unknown flag bits', hdr(next_id(), ar=1) + Q + opt_rr(flags=0xc001))
	s('EDNS ext-rcode set in query', hdr(next_id(), ar=1) + Q + opt_rr(ext_rcode=1))
	s('EDNS option length past end', hdr(next_id(), ar=1) + Q + opt_rr(options=struct.pack('>HH', 10, 20) +
									    b'12345678'))
	s('EDNS rdlen past end', hdr(next_id(), ar=1) + Q + b'\x00' + struct.pack('>HHBBHH', 41, 1232, 0, 0, 0, 8))
	s('EDNS cookie client 8', hdr(next_id(), ar=1) + Q + opt_rr(options=edns_option(10, bytes(range(1, 9)))))
	s('EDNS cookie bad length 5', hdr(next_id(), ar=1) + Q + opt_rr(options=edns_option(10, b'12345')))
	s('EDNS cookie client+server 24', hdr(next_id(), ar=1) + Q + opt_rr(options=edns_option(10, bytes(range(24)))))
	s('EDNS ECS', hdr(next_id(), ar=1) + Q + opt_rr(options=edns_option(8, struct.pack('>HBB', 1, 24, 0) +
									      bytes([192, 0, 2]))))
	s('EDNS padding', hdr(next_id(), ar=1) + Q + opt_rr(options=edns_option(12, b'\0\0\0\0')))
	s('EDNS keepalive', hdr(next_id(), ar=1) + Q + opt_rr(options=edns_option(11)))
	s('EDNS expire on SOA', hdr(next_id(), ar=1) + S + opt_rr(options=edns_option(9)))
	s('EDNS chain option', hdr(next_id(), ar=1) + Q + opt_rr(options=edns_option(13, b'\x00')))
	s('QR set', hdr(next_id(), F_QR) + Q)
	for bit, name in ((F_TC, 'TC'), (F_RD, 'RD'), (F_CD, 'CD'), (F_AD, 'AD'), (F_Z, 'Z'), (F_AA, 'AA'),
			  (F_RA, 'RA')):
		s('%s set' % name, hdr(next_id(), bit) + Q)
		s('%s set, NXDOMAIN' % name, hdr(next_id(), bit) + question(b'\x05nx-zz' + ap))
	s('AD + DO', hdr(next_id(), F_AD, ar=1) + Q + opt_rr(flags=0x8000))
	s('CD + DO', hdr(next_id(), F_CD, ar=1) + Q + opt_rr(flags=0x8000))
	s('rcode set in query', hdr(next_id(), 3) + Q)
	rr = www + struct.pack('>HHIH', 1, 1, 60, 4) + b'\x01\x02\x03\x04'
	s('record in answer section', hdr(next_id(), an=1) + Q + rr)
	s('record in authority section', hdr(next_id(), ns=1) + Q + rr)
	s('non-OPT record in additional', hdr(next_id(), ar=1) + Q + rr)
	s('non-OPT record + OPT in additional', hdr(next_id(), ar=2) + Q + rr + opt_rr())
	s('ANCOUNT=1, nothing there', hdr(next_id(), an=1) + Q)
	s('ARCOUNT=1, nothing there', hdr(next_id(), ar=1) + Q)
	s('trailing bytes after question', hdr(next_id()) + Q + b'\xde\xad')
	s('trailing bytes after OPT', hdr(next_id(), ar=1) + Q + opt_rr() + b'\xde\xad')
	s('header only, QDCOUNT=1', hdr(next_id()))
	s('11 bytes', hdr(next_id())[:11])
	s('truncated qname', hdr(next_id()) + www[:8])
	s('question without qclass', hdr(next_id()) + www + b'\x00\x01')
	s('compression pointer in qname', hdr(next_id()) + b'\xc0\x0c\x00\x01\x00\x01')
	s('label of 64 bytes', hdr(next_id()) + b'\x40' + b'a' * 64 + ap + b'\x00\x01\x00\x01')
	s('qname of 256 bytes', hdr(next_id()) + (b'\x3f' + b'a' * 63) * 4 + b'\x00\x00\x01\x00\x01')
	s('qname of 255 bytes', hdr(next_id()) + (b'\x3f' + b'a' * 63) * 3 + b'\x3d' + b'a' * 61 + b'\x00' +
	  b'\x00\x01\x00\x01')
	s('label type 0x40 (extended)', hdr(next_id()) + b'\x41\x00' + ap + b'\x00\x01\x00\x01')
	s('binary byte in label', hdr(next_id()) + b'\x03w\x00w' + ap + b'\x00\x01\x00\x01')
	s('dot inside a label', hdr(next_id()) + b'\x07www.abc' + ap + b'\x00\x01\x00\x01')
	s('uppercase + binary 0xff label', hdr(next_id()) + b'\x03W\xffW' + ap + b'\x00\x01\x00\x01')
	return out


# ---------------------------------------------------------------------------------------------------------
# Response parsing and comparison

class ParseError(Exception):
	pass


def read_name(wire, off):
	"""Returns (lowercased uncompressed wire name, offset after the name in the original position)."""
	labels = []
	end = None
	hops = 0
	total = 0
	while True:
		if off >= len(wire):
			raise ParseError('name runs past end')
		n = wire[off]
		if n & 0xc0 == 0xc0:
			if off + 1 >= len(wire):
				raise ParseError('truncated pointer')
			if end is None:
				end = off + 2
			off = ((n & 0x3f) << 8) | wire[off + 1]
			hops += 1
			if hops > 128:
				raise ParseError('pointer loop')
			continue
		if n & 0xc0:
			raise ParseError('bad label type')
		off += 1
		if n == 0:
			break
		if off + n > len(wire):
			raise ParseError('label past end')
		labels.append(bytes(wire[off:off + n]).lower())
		total += n + 1
		if total > 255:
			raise ParseError('name too long')
		off += n
	if end is None:
		end = off
	return b''.join(bytes([len(l)]) + l for l in labels) + b'\x00', end


def name_text(wire_name):
	try:
		return dns.name.from_wire(wire_name, 0)[0].to_text()
	except Exception:
		return wire_name.hex()


def canonical_rdata(wire, off, rdlen, rrclass, rrtype):
	try:
		rd = dns.rdata.from_wire(rrclass, rrtype, wire, off, rdlen)
		return rd.to_digestable(), rd.to_text()
	except Exception as e:  # keep the raw bytes: still comparable
		raw = bytes(wire[off:off + rdlen])
		return raw, '\\# %d %s (%s)' % (rdlen, raw.hex(), e)


class Response:
	"""Parsed response: header fields, raw question bytes, sections as multisets, OPT details."""

	def __init__(self, wire):
		self.wire = wire
		if len(wire) < 12:
			raise ParseError('short response (%d bytes)' % len(wire))
		(self.id, self.flags, qd, an, ns, ar) = struct.unpack('>HHHHHH', wire[:12])
		self.counts = (qd, an, ns, ar)
		self.opcode = (self.flags >> 11) & 0xf
		off = 12
		for _ in range(qd):
			_, off = read_name(wire, off)
			off += 4
			if off > len(wire):
				raise ParseError('question past end')
		self.question = bytes(wire[12:off])
		self.sections = []
		self.text = [[], [], []]
		self.opt = None
		self.opt_count = 0
		for si, count in enumerate((an, ns, ar)):
			rrs = collections.Counter()
			for _ in range(count):
				owner, off = read_name(wire, off)
				if off + 10 > len(wire):
					raise ParseError('RR header past end')
				rrtype, rrclass, ttl, rdlen = struct.unpack('>HHIH', wire[off:off + 10])
				off += 10
				if off + rdlen > len(wire):
					raise ParseError('rdata past end')
				if rrtype == 41 and si == 2:
					self.opt_count += 1
					self.opt = self.parse_opt(owner, rrclass, ttl, wire[off:off + rdlen])
				else:
					rd, txt = canonical_rdata(wire, off, rdlen, rrclass, rrtype)
					rrs[(owner, rrtype, rrclass, ttl, rd)] += 1
					self.text[si].append((owner, rrtype, rrclass, ttl, rd, txt))
				off += rdlen
			self.sections.append(rrs)
		self.trailing = len(wire) - off
		ext = self.opt['ext_rcode'] if self.opt else 0
		self.rcode = (ext << 4) | (self.flags & 0xf)

	@staticmethod
	def parse_opt(owner, rrclass, ttl, rdata):
		opts = []
		i = 0
		while i + 4 <= len(rdata):
			code, olen = struct.unpack('>HH', rdata[i:i + 4])
			opts.append((code, bytes(rdata[i + 4:i + 4 + olen])))
			i += 4 + olen
		return {
			'owner': owner, 'payload': rrclass, 'ext_rcode': ttl >> 24, 'version': (ttl >> 16) & 0xff,
			'do': bool(ttl & 0x8000), 'zflags': ttl & 0x7fff, 'options': sorted(opts),
			'malformed': i != len(rdata),
		}


def rr_text(key, txt=None):
	owner, rrtype, rrclass, ttl, rd = key
	return '%s %d %s %s %s' % (name_text(owner), ttl, dns.rdataclass.to_text(rrclass),
				   dns.rdatatype.to_text(rrtype), txt if txt is not None else rd.hex())


def flags_text(f):
	return ' '.join(n for b, n in FLAG_NAMES if f & b) or '-'


SECTION_NAMES = ('answer', 'authority', 'additional')


def compare(a, b):
	"""Differences between two raw responses (bytes or None = dropped), as a list of strings.
	Words describe `a` relative to `b` ("a has ...", "b has ...")."""
	if a is None and b is None:
		return []
	if a is None:
		return ['a dropped the query, b answered']
	if b is None:
		return ['a answered, b dropped the query']
	try:
		ra = Response(a)
	except ParseError as e:
		return ['a unparsable: %s' % e] if a != b else []
	try:
		rb = Response(b)
	except ParseError as e:
		return ['b unparsable: %s' % e]
	d = []
	if ra.id != rb.id:
		d.append('id %04x != %04x' % (ra.id, rb.id))
	if ra.opcode != rb.opcode:
		d.append('opcode %d != %d' % (ra.opcode, rb.opcode))
	if ra.rcode != rb.rcode:
		d.append('rcode %s != %s' % (rcode_text(ra.rcode), rcode_text(rb.rcode)))
	fm = 0xffff & ~0x780f  # all flag bits, opcode and rcode compared separately
	if (ra.flags & fm) != (rb.flags & fm):
		d.append('flags [%s] != [%s]' % (flags_text(ra.flags), flags_text(rb.flags)))
	if ra.question != rb.question:
		d.append('question %s != %s (qdcount %d/%d)' % (ra.question.hex(), rb.question.hex(), ra.counts[0],
							       rb.counts[0]))
	for si in range(3):
		if ra.sections[si] != rb.sections[si]:
			only_a = ra.sections[si] - rb.sections[si]
			only_b = rb.sections[si] - ra.sections[si]
			ta = {t[:5]: t[5] for t in ra.text[si]}
			tb = {t[:5]: t[5] for t in rb.text[si]}
			for k in only_a:
				d.append('%s: only a: %s' % (SECTION_NAMES[si], rr_text(k, ta.get(k))))
			for k in only_b:
				d.append('%s: only b: %s' % (SECTION_NAMES[si], rr_text(k, tb.get(k))))
	if (ra.opt is None) != (rb.opt is None) or ra.opt_count != rb.opt_count:
		d.append('OPT records %d != %d' % (ra.opt_count, rb.opt_count))
	elif ra.opt is not None:
		for k in ('owner', 'version', 'payload', 'do', 'zflags', 'options', 'malformed'):
			if ra.opt[k] != rb.opt[k]:
				d.append('OPT %s %r != %r' % (k, ra.opt[k], rb.opt[k]))
	if ra.trailing != rb.trailing:
		d.append('trailing bytes %d != %d' % (ra.trailing, rb.trailing))
	return d


def rcode_text(r):
	names = {0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 6: 'YXDOMAIN',
		 7: 'YXRRSET', 8: 'NXRRSET', 9: 'NOTAUTH', 10: 'NOTZONE', 16: 'BADVERS', 23: 'BADCOOKIE'}
	return names.get(r, 'RCODE%d' % r)


def describe(wire):
	"""One-line summary of a response for reports."""
	if wire is None:
		return '(dropped)'
	try:
		r = Response(wire)
	except ParseError as e:
		return 'unparsable (%s): %s' % (e, wire[:48].hex())
	s = '%s [%s] op=%d qd/an/ns/ar=%s len=%d' % (rcode_text(r.rcode), flags_text(r.flags), r.opcode,
						   '/'.join(map(str, r.counts)), len(wire))
	if r.opt:
		s += ' OPT(v%d,%d%s%s)' % (r.opt['version'], r.opt['payload'], ',DO' if r.opt['do'] else '',
					   ''.join(',opt%d=%s' % (c, v.hex()) for c, v in r.opt['options']))
	return s


def describe_query(wire):
	try:
		qid, flags, qd, an, ns, ar = struct.unpack('>HHHHHH', wire[:12])
	except struct.error:
		return 'query %s' % wire.hex()
	s = 'id=%04x op=%d [%s] qd/an/ns/ar=%d/%d/%d/%d' % (qid, (flags >> 11) & 0xf, flags_text(flags), qd, an, ns,
								  ar)
	if qd >= 1:
		try:
			n, off = read_name(wire, 12)
			t, c = struct.unpack('>HH', wire[off:off + 4])
			s += ' q=%s %s %s' % (name_text(n), dns.rdataclass.to_text(c), dns.rdatatype.to_text(t))
		except Exception:
			pass
	return s


# ---------------------------------------------------------------------------------------------------------
# Peers

def free_port():
	"""A port free for both UDP and TCP on 127.0.0.1 (best effort)."""
	for _ in range(50):
		t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		try:
			t.bind(('127.0.0.1', 0))
			port = t.getsockname()[1]
			u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
			try:
				u.bind(('127.0.0.1', port))
			except OSError:
				continue
			finally:
				u.close()
			return port
		finally:
			t.close()
	raise RuntimeError('no free port')


class Peer:
	def __init__(self, name, argv, port, workdir):
		self.name = name
		self.argv = argv
		self.port = port
		self.workdir = workdir
		self.proc = None
		self.logf = None

	def start(self):
		self.logf = open(os.path.join(self.workdir, self.name + '.out'), 'wb')
		# Own session => own process group, so stop() reaches forked children (NSD's servers, xfrd).
		self.proc = subprocess.Popen(self.argv, stdout=self.logf, stderr=subprocess.STDOUT,
					     stdin=subprocess.DEVNULL, start_new_session=True)

	def stop(self):
		if self.proc is None:
			return
		if self.proc.poll() is None:
			try:
				os.killpg(self.proc.pid, signal.SIGTERM)
			except ProcessLookupError:
				pass
			try:
				self.proc.wait(timeout=5)
			except subprocess.TimeoutExpired:
				pass
		try:  # leftovers of the group (children that outlived the leader)
			os.killpg(self.proc.pid, signal.SIGKILL)
		except (ProcessLookupError, PermissionError):
			pass
		try:
			self.proc.wait(timeout=2)
		except subprocess.TimeoutExpired:
			pass
		self.proc = None
		if self.logf:
			self.logf.close()
			self.logf = None

	def log_tail(self):
		try:
			with open(os.path.join(self.workdir, self.name + '.out'), 'rb') as f:
				data = f.read()[-2000:]
			extra = ''
			for lf in (self.name + '.log',):
				p = os.path.join(self.workdir, lf)
				if os.path.exists(p):
					with open(p, 'rb') as g:
						extra += g.read()[-2000:].decode(errors='replace')
			return data.decode(errors='replace') + extra
		except OSError:
			return ''


def nsd_config(d, port, zones, profile, minimal):
	lines = [
		'server:',
		'  ip-address: 127.0.0.1@%d' % port,
		'  port: %d' % port,
		'  do-ip6: no',
		'  username: ""',
		'  chroot: ""',
		'  zonesdir: "%s"' % d,
		'  database: ""',
		'  zonelistfile: "%s/nsd.zonelist"' % d,
		'  xfrdfile: "%s/nsd.xfrd.state"' % d,
		'  xfrdir: "%s"' % d,
		'  pidfile: "%s/nsd.pid"' % d,
		'  logfile: "%s/nsd.log"' % d,
		'  cookie-secret-file: "%s/nsd_cookiesecrets.txt"' % d,
		'  server-count: 1',
		'  reuseport: no',
		'  verbosity: 1',
		'  minimal-responses: %s' % ('yes' if minimal else 'no'),
		'  refuse-any: no',
		'  round-robin: no',
		'  rrl-ratelimit: 0',
		'  rrl-whitelist-ratelimit: 0',
		'  ipv4-edns-size: 1232',
		'  ipv6-edns-size: 1232',
		'  answer-cookie: no',
	]
	if profile == 'configured':
		lines += ['  identity: "%s"' % IDENTITY, '  version: "%s"' % VERSION,
			  '  nsid: "ascii_%s"' % NSID, '  hide-identity: no', '  hide-version: no']
	else:
		lines += ['  hide-identity: yes', '  hide-version: yes']
	lines += ['remote-control:', '  control-enable: no']
	for origin, path in zones:
		lines += ['zone:', '  name: "%s"' % origin, '  zonefile: "%s"' % os.path.abspath(path)]
	return '\n'.join(lines) + '\n'


def knot_config(d, port, zones, profile):
	lines = [
		'server:',
		'  listen: 127.0.0.1@%d' % port,
		'  rundir: "%s"' % d,
		'  udp-workers: 1',
		'  tcp-workers: 1',
		'  background-workers: 1',
		'  udp-max-payload: 1232',
	]
	if profile == 'configured':
		lines += ['  identity: "%s"' % IDENTITY, '  version: "%s"' % VERSION, '  nsid: "%s"' % NSID]
	else:
		lines += ['  identity: ""', '  version: ""', '  nsid: ""']
	lines += [
		'log:',
		'  - target: "%s/knot.log"' % d,
		'    any: info',
		'database:',
		'  storage: "%s/db"' % d,
		'template:',
		'  - id: default',
		'    storage: "%s"' % d,
		'    zonefile-sync: -1',
		'    zonefile-load: whole',
		'    journal-content: none',
		'    semantic-checks: off',
		'zone:',
	]
	for origin, path in zones:
		lines += ['  - domain: "%s"' % origin, '    file: "%s"' % os.path.abspath(path)]
	return '\n'.join(lines) + '\n'


def udp_exchange(port, wire, timeout=0.7, tries=2):
	for attempt in range(tries):
		check_deadline()
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		try:
			s.settimeout(min(timeout * (attempt + 1), max(0.05, time_left())))
			s.connect(('127.0.0.1', port))
			s.send(wire)
			while True:
				data = s.recv(65535)
				# Ignore stray datagrams that are not an answer to this query (id mismatch).
				if len(wire) >= 2 and len(data) >= 2 and data[:2] != wire[:2]:
					continue
				return data
		except socket.timeout:
			continue
		except ConnectionRefusedError:
			time.sleep(0.05)
			continue
		finally:
			s.close()
	return None


def wait_ready(peer, zones, limit=15.0):
	end = time.monotonic() + limit
	pending = [o for o, _ in zones]
	while pending and time.monotonic() < end:
		if peer.proc.poll() is not None:
			raise RuntimeError('%s exited (status %s):\n%s' % (peer.name, peer.proc.returncode, peer.log_tail()))
		origin = pending[0]
		r = udp_exchange(peer.port, hdr(0x5eed) + question(origin, 6), timeout=0.3, tries=1)
		if r is not None and len(r) >= 12 and (r[3] & 0xf) == 0 and struct.unpack('>H', r[6:8])[0] >= 1:
			pending.pop(0)
			continue
		time.sleep(0.1)
	if pending:
		raise RuntimeError('%s did not serve %s within %.0fs:\n%s' % (peer.name, pending, limit, peer.log_tail()))


class PeerSet:
	"""knotd + nsd for one profile."""

	def __init__(self, profile, zones, tmp, args):
		self.profile = profile
		self.peers = {}
		kd = os.path.join(tmp, profile, 'knot')
		nd = os.path.join(tmp, profile, 'nsd')
		os.makedirs(os.path.join(kd, 'db'))
		os.makedirs(nd)
		kport, nport = free_port(), free_port()
		while nport == kport:
			nport = free_port()
		with open(os.path.join(kd, 'knot.conf'), 'w') as f:
			f.write(knot_config(kd, kport, zones, profile))
		with open(os.path.join(nd, 'nsd.conf'), 'w') as f:
			f.write(nsd_config(nd, nport, zones, profile, args.nsd_minimal == 'yes'))
		self.peers['knot'] = Peer('knot', [args.knotd, '-c', os.path.join(kd, 'knot.conf')], kport, kd)
		self.peers['nsd'] = Peer('nsd', [args.nsd, '-d', '-c', os.path.join(nd, 'nsd.conf')], nport, nd)

	def start(self, zones):
		for p in self.peers.values():
			p.start()
		for p in self.peers.values():
			wait_ready(p, zones)

	def stop(self):
		for p in self.peers.values():
			p.stop()


# ---------------------------------------------------------------------------------------------------------
# dpdns-answer

def run_answer_tool(tool, zones, profile, queries, timeout):
	argv = [tool]
	for origin, path in zones:
		argv += ['-z', '%s=%s' % (origin, os.path.abspath(path))]
	if profile == 'configured':
		argv += ['--nsid', NSID, '--identity', IDENTITY, '--version', VERSION]
	data = b''.join(struct.pack('>H', len(q.wire)) + q.wire for q in queries)
	try:
		p = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
	except subprocess.TimeoutExpired:
		raise RuntimeError('%s timed out after %.0fs' % (tool, timeout))
	if p.returncode != 0:
		log('warning: %s exited with %d: %s' % (tool, p.returncode, p.stderr.decode(errors='replace')[-1500:]))
	out = p.stdout
	res = []
	i = 0
	while i + 2 <= len(out) and len(res) < len(queries):
		n = struct.unpack('>H', out[i:i + 2])[0]
		i += 2
		if i + n > len(out):
			log('warning: %s output truncated inside response %d' % (tool, len(res)))
			break
		res.append(out[i:i + n] if n else None)
		i += n
	if len(res) != len(queries):
		log('warning: %s gave %d responses for %d queries; the rest count as failures' % (tool, len(res),
												   len(queries)))
	return res, p.stderr.decode(errors='replace')


# ---------------------------------------------------------------------------------------------------------

def default_zones():
	zones = []
	for d in (os.path.join(REPO, 'config', 'zones'), os.path.join(HERE, 'zones')):
		for path in sorted(glob.glob(os.path.join(d, '*.zone'))):
			origin = os.path.basename(path)[:-len('.zone')]
			origin = origin.rstrip('.') + '.'
			zones.append((origin, path))
	return zones


def parse_args(argv):
	ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
				     formatter_class=argparse.RawDescriptionHelpFormatter)
	ap.add_argument('-z', '--zone', action='append', default=[], metavar='ORIGIN=FILE',
			help='zone to serve (repeatable); default: config/zones/*.zone and tests/system/zones/*.zone '
			'(origin = file name without .zone)')
	ap.add_argument('--answer-tool', default=None,
			help='path of dpdns-answer; default build/tools/dpdns-answer if it exists. Without it the '
			'script compares NSD against Knot')
	ap.add_argument('--peers-only', action='store_true', help='compare NSD against Knot even if the tool exists')
	ap.add_argument('--knotd', default=shutil.which('knotd') or '/usr/sbin/knotd')
	ap.add_argument('--nsd', default=shutil.which('nsd') or '/usr/sbin/nsd')
	ap.add_argument('--nsd-minimal', choices=('yes', 'no'), default='yes',
			help='NSD minimal-responses (default yes, closest to Knot)')
	ap.add_argument('--deadline', type=float, default=270.0, help='total run time limit in seconds')
	ap.add_argument('--filter', default=None, help='only queries whose label matches this regex')
	ap.add_argument('--max-report', type=int, default=-1,
			help='print at most this many failing queries (default: all)')
	ap.add_argument('--report', default=None, help='write every failing query with its differences to FILE')
	ap.add_argument('-j', '--jobs', type=int, default=8, help='parallel UDP exchanges (default 8)')
	ap.add_argument('--list', action='store_true', help='print the corpus and exit (no peers started)')
	ap.add_argument('--keep-tmp', action='store_true', help='keep the temporary directory (configs, logs)')
	ap.add_argument('-v', '--verbose', action='store_true', help='also report which side each query agreed with')
	return ap.parse_args(argv)


def on_alarm(_signum, _frame):
	raise DeadlineExceeded()


def main(argv):
	global DEADLINE
	args = parse_args(argv)
	DEADLINE = time.monotonic() + args.deadline
	# Hard stop a little after the deadline in case something blocks outside a socket timeout.
	signal.signal(signal.SIGALRM, on_alarm)
	signal.alarm(int(args.deadline) + 20)

	zones = []
	for z in args.zone:
		if '=' not in z:
			log('bad -z %r: want ORIGIN=FILE' % z)
			return 2
		o, p = z.split('=', 1)
		zones.append((o.rstrip('.') + '.', p))
	if not zones:
		zones = default_zones()
	if not zones:
		log('no zones given and none found')
		return 2
	origins = [dns.name.from_text(o) for o, _ in zones]
	if len(set(origins)) != len(origins):
		log('the same origin is given twice: %s' % ', '.join(o for o, _ in zones))
		return 2
	for o, p in zones:
		if not os.path.isfile(p):
			log('zone file %s not found' % p)
			return 2

	queries = build_corpus(zones)
	if args.filter:
		rx = re.compile(args.filter)
		queries = [q for q in queries if rx.search(q.label)]
	if args.list:
		for q in queries:
			print('%-10s %-60s %s' % (q.profile, q.label, q.wire.hex()))
		print('%d queries' % len(queries))
		return 0

	tool = args.answer_tool
	if tool is None:
		cand = os.path.join(REPO, 'build', 'tools', 'dpdns-answer')
		tool = cand if os.access(cand, os.X_OK) else None
	if args.peers_only:
		tool = None
	elif tool is None:
		# Nothing to test yet: tell meson "skipped" rather than fail on NSD-vs-Knot differences.
		log('diff_answers: no answer tool (build/tools/dpdns-answer or --answer-tool); skipping. '
		    'Use --peers-only to compare NSD against Knot.')
		print('0 passed, 0 failed (skipped: no answer tool)')
		return 77
	if tool is not None and not os.access(tool, os.X_OK):
		log('answer tool %s missing or not executable' % tool)
		return 2
	for b in (args.knotd, args.nsd):
		if not os.access(b, os.X_OK):
			log('%s not found (apt-get install knot nsd); skipping' % b)
			print('0 passed, 0 failed (skipped: %s missing)' % b)
			return 77

	tmp = tempfile.mkdtemp(prefix='dpdns-diff-')
	sets = []

	def cleanup():
		for s in sets:
			s.stop()
		if args.keep_tmp:
			log('kept %s' % tmp)
		else:
			shutil.rmtree(tmp, ignore_errors=True)
	atexit.register(cleanup)

	def on_signal(signum, _frame):
		raise SystemExit(128 + signum)
	signal.signal(signal.SIGTERM, on_signal)
	signal.signal(signal.SIGINT, on_signal)
	signal.signal(signal.SIGHUP, on_signal)

	mode = 'dpdns vs (knot|nsd)' if tool else 'nsd vs knot (no answer tool)'
	log('diff_answers: %d queries, %d zones, mode: %s, nsd minimal-responses: %s' %
	    (len(queries), len(zones), mode, args.nsd_minimal))

	passed = failed = 0
	agree = collections.Counter()
	failures = []
	try:
		for profile in ('configured', 'hidden'):
			pq = [q for q in queries if q.profile == profile]
			if not pq:
				continue
			ps = PeerSet(profile, zones, tmp, args)
			sets.append(ps)
			ps.start(zones)
			kp, np_ = ps.peers['knot'].port, ps.peers['nsd'].port
			log('profile %s: knotd on 127.0.0.1:%d, nsd on 127.0.0.1:%d, %d queries' % (profile, kp, np_,
												  len(pq)))
			# Queries the peers drop cost a full timeout, so run exchanges in parallel.
			with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
				kf = [ex.submit(udp_exchange, kp, q.wire) for q in pq]
				nf = [ex.submit(udp_exchange, np_, q.wire) for q in pq]
				knot_r = [f.result() for f in kf]
				nsd_r = [f.result() for f in nf]
			for name in ('knot', 'nsd'):
				if ps.peers[name].proc.poll() is not None:
					raise RuntimeError('%s died during the run:\n%s' % (name, ps.peers[name].log_tail()))
			if tool:
				dp_r, _ = run_answer_tool(tool, zones, profile, pq, max(10.0, time_left() - 5))
				dp_r += [b'__missing__'] * (len(pq) - len(dp_r))
			for i, q in enumerate(pq):
				if tool:
					got = dp_r[i]
					if got == b'__missing__':
						dk = dn = ['no response from the answer tool (output ended)']
					else:
						dk = compare(got, knot_r[i])
						dn = compare(got, nsd_r[i])
					if not dk or not dn:
						passed += 1
						side = 'both' if not dk and not dn else ('knot' if not dk else 'nsd')
						agree[side] += 1
						if args.verbose:
							print('ok (%s) %s' % (side, q.label))
					else:
						failed += 1
						failures.append((q, got, knot_r[i], nsd_r[i], dk, dn))
				else:
					d = compare(nsd_r[i], knot_r[i])
					if not d:
						passed += 1
						agree['both'] += 1
					else:
						failed += 1
						failures.append((q, nsd_r[i], knot_r[i], nsd_r[i], d, []))
			ps.stop()
	except DeadlineExceeded:
		log('diff_answers: deadline of %.0fs exceeded' % args.deadline)
		report(failures, tool, args)
		print('%d passed, %d failed (incomplete: deadline of %.0fs exceeded)' % (passed, failed + 1, args.deadline))
		return 1
	except RuntimeError as e:
		log('diff_answers: setup error: %s' % e)
		return 2
	finally:
		signal.alarm(0)

	report(failures, tool, args)
	if tool:
		print('agreement: %d with both, %d with knot only, %d with nsd only' % (agree['both'], agree['knot'],
											 agree['nsd']))
	print('%d passed, %d failed' % (passed, failed))
	return 0 if failed == 0 else 1


def report(failures, tool, args):
	lines = []
	for q, got, kr, nr, dk, dn in failures:
		lines.append('FAIL %s' % q.label)
		lines.append('  query   %s  (%s)' % (q.wire.hex(), describe_query(q.wire)))
		if tool:
			lines.append('  dpdns   %s' % describe(got))
			lines.append('  knot    %s' % describe(kr))
			lines.append('  nsd     %s' % describe(nr))
			lines += ['  vs knot: ' + x.replace('only a', 'only dpdns').replace('only b', 'only knot')
				  for x in dk]
			lines += ['  vs nsd:  ' + x.replace('only a', 'only dpdns').replace('only b', 'only nsd')
				  for x in dn]
		else:
			lines.append('  nsd     %s' % describe(nr))
			lines.append('  knot    %s' % describe(kr))
			lines += ['  ' + x.replace('only a', 'only nsd').replace('only b', 'only knot')
				  .replace('a dropped', 'nsd dropped').replace('b dropped', 'knot dropped')
				  .replace('a answered', 'nsd answered').replace('b answered', 'knot answered')
				  for x in dk]
	if args.report:
		with open(args.report, 'w') as f:
			f.write('\n'.join(lines) + '\n')
	shown = 0
	out = []
	for line in lines:
		if line.startswith('FAIL'):
			shown += 1
			if 0 <= args.max_report < shown:
				out.append('... %d more failing queries (use --report FILE or --max-report)' %
					   (len(failures) - args.max_report))
				break
		out.append(line)
	if out:
		print('\n'.join(out))


if __name__ == '__main__':
	sys.exit(main(sys.argv[1:]))
