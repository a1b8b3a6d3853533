#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""fastpath_flood: a bounded flood of malformed and unwanted frames leaves dpdnsd answering, and every frame
is counted where it belongs.

From the client namespace an AF_PACKET socket on the client's interface sends (paced, bounded in count and
time) about 100,000 frames in classes: random bytes, random bytes after an IPv4 or IPv6 EtherType,
truncated IPv4/IPv6/UDP/DNS headers, wrong IP versions and header lengths, bad IPv4 header checksums, bad
UDP checksums (IPv4 and IPv6), IPv4 total and IPv6 payload lengths past the frame, impossible UDP lengths,
IPv6 UDP with checksum 0, DNS responses sent to port 53, malformed questions, QDCOUNT=2, martian sources,
unicast to another MAC, broadcast, and some good queries.  The oracle `fp-classify` (the packet stage and
the answer engine in-process, with the daemon's MAC, addresses and zones) says for each frame which counter
the worker bumps.  A second packet socket counts every frame leaving the client's interface, the client
kernel's own ARP/NDP/MLD included.

Checks: the oracle puts each designated class entirely in its drop reason; after the flood every drop_*
counter (packet stage, drop_engine_*), answered and each rcode_* grew by exactly the oracle's count, each
exc_* by at least it and exc_total by exactly the oracle's exceptions plus the client kernel's frames; rx
grew by exactly the frames that left the client; rx == answered + drop_total + exc_total; then queries are still answered exactly as
the engine answers them, and SIGTERM stops dpdnsd with exit 0.
"""

import collections
import os
import random
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import systest as st  # noqa: E402
import diff_answers as da  # noqa: E402

C = st.CHECKS
VLAN_TYPES = (0x8100, 0x88a8, 0x9100)  # the kernel strips 802.1Q before packet sockets see a frame


class Gen:
	def __init__(self, rng, smac, cmac):
		self.rng = rng
		self.smac = smac
		self.cmac = cmac
		self.qid = 0

	def query(self, name='www.example.com', qtype=1, flags=0, qd=None):
		self.qid = (self.qid + 1) & 0xffff
		q = st.dns_query(self.qid, name, qtype, flags=flags)
		if qd is not None:
			q = q[:4] + struct.pack('!H', qd) + q[6:]
		return q

	def sport(self):
		return self.rng.randint(1024, 65535)

	def u4(self, payload, dport=53, src=st.CLI4, dst=st.SRV4, dmac=None, **kw):
		return st.udp4_frame(dmac or self.smac, self.cmac, src, dst, self.sport(), dport, payload, **kw)

	def u6(self, payload, dport=53, src=st.CLI6, dst=st.SRV6, dmac=None, **kw):
		return st.udp6_frame(dmac or self.smac, self.cmac, src, dst, self.sport(), dport, payload, **kw)

	def either(self, payload, **kw):
		return self.u4(payload, **kw) if self.rng.random() < 0.5 else self.u6(payload, **kw)

	# Classes: each returns one frame.  The comment is the reason the class is designed to hit.
	def random(self):  # anything: the oracle decides
		r = self.rng
		f = bytearray(r.randbytes(r.randint(14, 300)))
		if r.random() < 0.5:
			f[0:6] = self.smac
		while struct.unpack('!H', f[12:14])[0] in VLAN_TYPES:
			f[12] = r.randint(0, 255)
		return bytes(f)

	def random_ip4(self):
		r = self.rng
		return st.eth(self.smac, self.cmac, 0x0800, r.randbytes(r.randint(0, 120)))

	def random_ip6(self):
		r = self.rng
		return st.eth(self.smac, self.cmac, 0x86dd, r.randbytes(r.randint(0, 120)))

	def l3_trunc(self):  # drop_l3_trunc
		r = self.rng
		if r.random() < 0.5:
			h = st.ipv4(st.ip4_bytes(st.CLI4), st.ip4_bytes(st.SRV4), 17, b'')
			return st.eth(self.smac, self.cmac, 0x0800, h[:r.randint(0, 19)])
		h = st.ipv6(st.ip6_bytes(st.CLI6), st.ip6_bytes(st.SRV6), 17, b'')
		return st.eth(self.smac, self.cmac, 0x86dd, h[:r.randint(0, 39)])

	def ip_version(self):  # drop_ip_version
		h = st.ipv4(st.ip4_bytes(st.CLI4), st.ip4_bytes(st.SRV4), 17, st.udp(
			st.ip4_bytes(st.CLI4), st.ip4_bytes(st.SRV4), self.sport(), 53, self.query()), version=6)
		return st.eth(self.smac, self.cmac, 0x0800, h)

	def ip4_hdr_len(self):  # drop_ip4_hdr_len
		h = st.ipv4(st.ip4_bytes(st.CLI4), st.ip4_bytes(st.SRV4), 17, st.udp(
			st.ip4_bytes(st.CLI4), st.ip4_bytes(st.SRV4), self.sport(), 53, self.query()),
			ihl=self.rng.randint(0, 4))
		return st.eth(self.smac, self.cmac, 0x0800, h)

	def ip4_csum(self):  # drop_ip4_csum
		return self.u4(self.query(), bad_csum=True)

	def ip_len(self):  # drop_ip_len
		r = self.rng
		q = self.query()
		if r.random() < 0.5:
			return self.u4(q, tot_len=20 + 8 + len(q) + r.randint(1, 200))
		return self.u6(q, plen=8 + len(q) + r.randint(1, 200))

	def l4_trunc(self):  # drop_l4_trunc
		r = self.rng
		if r.random() < 0.5:
			return st.eth(self.smac, self.cmac, 0x0800, st.ipv4(st.ip4_bytes(st.CLI4), st.ip4_bytes(st.SRV4), 17,
									   r.randbytes(r.randint(0, 7))))
		return st.eth(self.smac, self.cmac, 0x86dd, st.ipv6(st.ip6_bytes(st.CLI6), st.ip6_bytes(st.SRV6), 17,
								   r.randbytes(r.randint(0, 7))))

	def udp_len(self):  # drop_udp_len
		r = self.rng
		q = self.query()
		ln = r.randint(0, 7) if r.random() < 0.5 else 8 + len(q) + r.randint(1, 100)
		return self.either(q, udp_len=ln)

	def udp_csum(self):  # drop_udp_csum
		return self.either(self.query(), udp_csum='bad')

	def udp6_no_csum(self):  # drop_udp6_no_csum
		return self.u6(self.query(), udp_csum='zero')

	def bad_src(self):  # drop_bad_src: loopback/multicast source address
		if self.rng.random() < 0.5:
			return self.u4(self.query(), src=self.rng.choice(['127.0.0.1', '224.0.0.9', '0.0.0.1']))
		return self.u6(self.query(), src=self.rng.choice(['::1', 'ff02::1', '::ffff:192.0.2.1']))

	def dns_short(self):  # drop_dns_short
		return self.either(self.rng.randbytes(self.rng.randint(0, 11)))

	def dns_response(self):  # drop_dns_response
		return self.either(self.query(flags=0x8400))

	def dns_question(self):  # drop_engine_question: truncated question
		q = self.query()
		return self.either(q[:12 + self.rng.randint(1, len(q) - 13)])

	def dns_qdcount(self):  # drop_engine_qdcount
		q = self.query(qd=2)
		return self.either(q + q[12:])

	def not_ours(self):  # drop_l2_not_ours: unicast to another MAC
		return self.either(self.query(), dmac=b'\x02\x00\x00\x00\x00\x99')

	def broadcast(self):  # exc_l2_group
		return self.u4(self.query(), dmac=b'\xff' * 6, dst='198.18.0.255')

	def good(self):  # rcode_noerror
		return self.either(self.query())


CLASSES = [  # name, share of the frames, the counter the whole class must land in (None: any)
	('random', 20, None),
	('random_ip4', 8, None),
	('random_ip6', 6, None),
	('l3_trunc', 5, 'drop_l3_trunc'),
	('ip_version', 2, 'drop_ip_version'),
	('ip4_hdr_len', 2, 'drop_ip4_hdr_len'),
	('ip4_csum', 6, 'drop_ip4_csum'),
	('ip_len', 5, 'drop_ip_len'),
	('l4_trunc', 4, 'drop_l4_trunc'),
	('udp_len', 5, 'drop_udp_len'),
	('udp_csum', 6, 'drop_udp_csum'),
	('udp6_no_csum', 4, 'drop_udp6_no_csum'),
	('bad_src', 3, 'drop_bad_src'),
	('dns_short', 4, 'drop_dns_short'),
	('dns_response', 4, 'drop_dns_response'),
	('dns_question', 4, 'drop_engine_question'),
	('dns_qdcount', 4, 'drop_engine_qdcount'),
	('not_ours', 3, 'drop_l2_not_ours'),
	('broadcast', 2, 'exc_l2_group'),
	('good', 3, 'rcode_noerror'),
]


def make_flood(total, smac, cmac, seed):
	rng = random.Random(seed)
	g = Gen(rng, smac, cmac)
	weights = sum(w for _, w, _ in CLASSES)
	frames, labels = [], []
	for name, w, _ in CLASSES:
		n = total * w // weights
		fn = getattr(g, name)
		for _ in range(n):
			frames.append(fn())
			labels.append(name)
	order = list(range(len(frames)))
	rng.shuffle(order)
	return [frames[i] for i in order], [labels[i] for i in order]


def send_paced(sock, frames, rate, limit_s):
	"""Sends frames at about `rate` per second in bursts of 32; stops at limit_s.  Returns the count sent."""
	start = time.monotonic()
	sent = 0
	burst = 32
	while sent < len(frames):
		due = start + sent / rate
		now = time.monotonic()
		if now - start > limit_s:
			break
		if due > now:
			time.sleep(due - now)
		for f in frames[sent:sent + burst]:
			for attempt in range(50):
				try:
					sock.send(f)
					break
				except BlockingIOError:
					time.sleep(0.001)
			else:
				raise st.SetupError('raw socket send keeps failing')
			sent += 1
	return sent


def answers_still_match(env, topo, zones):
	corpus = [q for q in da.build_corpus(zones, with_specials=False) if q.profile == 'configured']
	corpus = corpus[::max(1, len(corpus) // 400)]
	wires = [q.wire for q in corpus]
	expected = st.engine_answers(env.answer_tool, zones, wires)
	for fam, fname in ((socket.AF_INET, 'IPv4'), (socket.AF_INET6, 'IPv6')):
		cli = st.UdpClient(topo, fam)
		res = cli.exchange_many(wires, expect=[e is not None for e in expected], window=16, timeout=1.0, tries=2)
		cli.close()
		bad = [i for i, (g, e) in enumerate(zip(res.responses, expected)) if g != e]
		C.check(not bad, '%s %s after the flood: %d queries answered exactly as the engine does' %
			(topo.kind, fname, len(wires)),
			'\n'.join('%s: dpdnsd %s / engine %s' % (corpus[i].label, da.describe(res.responses[i]),
								   da.describe(expected[i])) for i in bad[:10]))


def quiet_point(tel, counter, timeout=5.0):
	"""The daemon's counters and the client's count of frames sent, taken together at a moment when the
	client sends nothing: the client's count is read, the daemon's counters 0.1 s later (every frame
	sent before has reached the worker by then), and the client's count again; the pair is kept only
	if that count has not moved, so that the daemon's reading holds exactly the frames the client's
	count holds (the client's kernel sends ARP, NDP and MLD frames of its own at any moment)."""
	end = time.monotonic() + timeout
	while True:
		counter.read()
		sent = counter.total
		time.sleep(0.1)
		stats = tel.stats()
		counter.read()
		if counter.total == sent or time.monotonic() > end:
			return stats, sent


def one_kind(env, kind, zones):
	topo = env.topology(kind)
	d = env.daemon(topo, zones)
	d.start()
	print('# %s: dpdnsd ready; server namespace %s, isolation: %s' % (kind, topo.srv, topo.isolation or '-'))
	smac = topo.server_mac()
	cmac = st.link_mac(topo.cli, topo.cli_if)
	frames, labels = make_flood(env.args.frames, st.mac_bytes(smac), st.mac_bytes(cmac), env.args.seed)
	verdicts = st.classify_frames(env.classify_tool, smac, frames, zones)
	by_class = collections.defaultdict(collections.Counter)
	for lab, v in zip(labels, verdicts):
		by_class[lab][v] += 1
	for name, _, want in CLASSES:
		got = by_class[name]
		if want:
			C.check(set(got) == {want}, '%s: oracle: all %d %s frames are %s' % (kind, sum(got.values()), name, want),
				dict(got))
		else:
			print('# %s: %d %s frames: %s' % (kind, sum(got.values()), name,
							   ', '.join('%s %d' % kv for kv in got.most_common())))

	tel = d.telemetry()
	raw = st.raw_socket(topo.cli, topo.cli_if)
	raw.setblocking(False)
	counter = st.TxCounter(topo.cli, topo.cli_if)
	before, sent_before = quiet_point(tel, counter)
	port_before = tel.cmd('/ethdev/stats,0').get('/ethdev/stats', {})
	t0 = time.monotonic()
	n = send_paced(raw, frames, env.args.rate, env.args.send_limit)
	t1 = time.monotonic()
	time.sleep(1.0)  # let the workers and the exception path drain
	after, sent_after = quiet_point(tel, counter)
	out = sent_after - sent_before
	port_after = tel.cmd('/ethdev/stats,0').get('/ethdev/stats', {})
	raw.close()
	counter.close()
	print('# %s: sent %d of %d frames in %.1fs (%.0f/s); %d frames left the client in all' %
	      (kind, n, len(frames), t1 - t0, n / max(t1 - t0, 1e-6), out))
	C.check(n == len(frames), '%s: the whole flood was sent within %.0fs' % (kind, env.args.send_limit))

	want = collections.Counter(verdicts[:n])
	delta = st.dict_delta(after, before)
	pdelta = st.dict_delta(port_after, port_before)
	chatter = out - n
	C.check(chatter >= 0, '%s: the client kernel\'s own frames: %d' % (kind, chatter))
	C.equal(delta.get('rx'), out, '%s: rx grew by every frame that left the client (flood %d + kernel %d)' %
		(kind, n, chatter))
	if delta.get('rx') != out:
		print('    port stats delta: %s' % ', '.join('%s=%s' % kv for kv in sorted(pdelta.items()) if kv[1]))
	exact = sorted({k for k in list(want) + list(delta) if k.startswith(('drop_', 'rcode_'))} -
		       {'drop_total'})
	mism = ['%-22s daemon %+d, oracle %+d' % (k, delta.get(k, 0), want.get(k, 0)) for k in exact
		if delta.get(k, 0) != want.get(k, 0)]
	C.check(not mism, '%s: every drop_* and rcode_* counter grew by exactly the oracle\'s count '
		'(%d counters, %d frames dropped)' % (kind, len(exact), sum(v for k, v in want.items()
									   if k.startswith('drop_'))),
		'\n'.join(mism) + '\nall deltas:\n' + st.format_stats({k: v for k, v in delta.items() if v}))
	n_ans = sum(v for k, v in want.items() if k.startswith('rcode_'))
	C.equal(delta.get('answered'), n_ans, '%s: answered grew by the oracle\'s answers' % kind)
	n_drop = sum(v for k, v in want.items() if k.startswith('drop_'))
	C.equal(delta.get('drop_total'), n_drop, '%s: drop_total grew by the oracle\'s drops' % kind)
	n_exc = sum(v for k, v in want.items() if k.startswith('exc_'))
	low = ['%s daemon %+d < oracle %+d' % (k, delta.get(k, 0), v) for k, v in want.items()
	       if k.startswith('exc_') and delta.get(k, 0) < v]
	C.check(not low, '%s: each exc_* counter grew by at least the oracle\'s count' % kind, '\n'.join(low))
	C.equal(delta.get('exc_total'), n_exc + chatter, '%s: exc_total grew by the oracle\'s exceptions (%d) and '
		'the client kernel\'s frames (%d)' % (kind, n_exc, chatter))
	ok, why = st.stats_invariant(after)
	C.check(ok, '%s: rx == answered + drop_total + exc_total (%s)' % (kind, why), st.format_stats(after))
	st.check_counter_names(tel, kind)
	tel.close()
	C.check(d.alive(), '%s: dpdnsd still running after the flood' % kind, d.tail())
	answers_still_match(env, topo, zones)
	rc = d.stop(signal.SIGTERM)
	C.equal(rc, 0, '%s: dpdnsd exit status after SIGTERM' % kind)


def body(env):
	zones = st.system_zones()
	for kind in st.kinds(env.args):
		one_kind(env, kind, zones)


def extra(ap):
	ap.add_argument('--frames', type=int, default=100000, help='flood size (default 100000)')
	ap.add_argument('--rate', type=float, default=25000, help='frames per second (default 25000)')
	ap.add_argument('--send-limit', type=float, default=20, help='seconds the flood may take (default 20)')
	ap.add_argument('--seed', type=int, default=53, help='random seed of the flood')


if __name__ == '__main__':
	sys.exit(st.main('fastpath_flood', __doc__.split('\n')[0], body, extra,
			 needs=('dpdnsd', 'answer', 'classify')))
