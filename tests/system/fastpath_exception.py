#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""fastpath_exception: what dpdnsd does not answer itself reaches the server namespace's kernel through the
exception TAP, and the kernel's replies go back out of the DPDK port.

For each data port kind (net_af_packet, net_tap): the TAP `dpdns0` exists with the port's MAC and the
configured addresses; from the client namespace (neighbour table flushed first) `ping` and `ping -6`
get every reply and no duplicate (the server kernel does not also see the frames the PMD reads); the
client's neighbour table then holds the port's MAC for 198.18.0.2 (ARP) and 2001:db8:ffff::2 (NDP);
DNS over TCP to port 53 (through the kernel to dpdnsd's slow path) gets the same bytes the engine answers
over TCP, for a small answer and for one that is truncated over UDP; a TCP connection to port 5300 is
refused by the kernel (RST); a UDP datagram to port 5353 and a DNS NOTIFY (opcode 4) to port 53 get ICMP
port unreachable from the kernel.  Counters: exc_port and exc_opcode grew by exactly the datagrams sent,
exc_l4_proto by at least the TCP segments sent and the echo requests, kernel_rx by at least the replies, everything
handed to the exception ring was written to the TAP (or counted as refused), and
rx == answered + drop_total + exc_total.  SIGTERM: exit 0 and dpdns0 is gone.
"""

import json
import os
import re
import shutil
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import systest as st  # noqa: E402
import diff_answers as da  # noqa: E402

C = st.CHECKS
PINGS = 3


def handed_total(stats):
	"""Exception frames the service loop has dealt with: written to the TAP or counted as lost."""
	return stats.get('kernel_tx', 0) + stats.get('kernel_tx_drop', 0) + stats.get('exc_ring_full', 0)


def settled(tel, timeout=3.0):
	"""The counters once no exception frame is between the worker and the TAP (the worker counts a
	frame when it queues it, the service loop when it writes it): read again until every frame
	counted so far is handed (at most `timeout` seconds), so that a delta between two readings
	holds whole frames."""
	end = time.monotonic() + timeout
	stats = tel.stats()
	while handed_total(stats) != stats.get('exc_total') and time.monotonic() < end:
		time.sleep(0.05)
		stats = tel.stats()
	return stats


def addrs_of(ns, ifname):
	p = st.run(['ip', '-n', ns, '-j', 'addr', 'show', 'dev', ifname])
	info = json.loads(p.stdout)[0]
	return {'%s/%d' % (a['local'], a['prefixlen']) for a in info.get('addr_info', []) if a.get('scope') == 'global'}


def ping(topo, addr):
	argv = ['ping', '-n', '-c', str(PINGS), '-i', '0.2', '-W', '2', addr]
	if ':' in addr:
		argv.insert(1, '-6')
	return st.run(argv, ns=topo.cli, timeout=20, check=False)


def tcp_connect(topo, family, addr, port):
	"""'refused', 'connected' or 'timeout' for a TCP connection to addr port."""
	with st.in_netns(topo.cli):
		s = socket.socket(family, socket.SOCK_STREAM)
	s.settimeout(4)
	try:
		s.connect((addr, port))
		return 'connected'
	except ConnectionRefusedError:
		return 'refused'
	except socket.timeout:
		return 'timeout'
	except OSError as e:
		return 'error %s' % e
	finally:
		s.close()


def udp_icmp(topo, family, addr, port, payload):
	"""Sends one datagram on a connected socket; 'refused' when ICMP port unreachable came back."""
	with st.in_netns(topo.cli):
		s = socket.socket(family, socket.SOCK_DGRAM)
	s.settimeout(3)
	try:
		s.connect((addr, port))
		s.send(payload)
		data = s.recv(2048)
		return 'answered (%d octets)' % len(data)
	except ConnectionRefusedError:
		return 'refused'
	except socket.timeout:
		return 'timeout'
	finally:
		s.close()


def notify(qid):
	"""A NOTIFY for example.com SOA (opcode 4, AA set)."""
	return st.dns_query(qid, 'example.com', 6, flags=0x0400, opcode=4)


def one_kind(env, kind, zones):
	topo = env.topology(kind)
	d = env.daemon(topo, zones)
	d.start()
	print('# %s: dpdnsd ready; server namespace %s, isolation: %s' % (kind, topo.srv, topo.isolation or '-'))
	mac = topo.server_mac()
	if kind == 'af_packet':
		C.equal(mac, st.link_mac(topo.srv, st.VETH_SRV), '%s: dpdns0 carries the port\'s MAC (veth-srv\'s)' % kind)
	C.equal(addrs_of(topo.srv, st.EXC_IF), {'%s/%d' % (st.SRV4, st.PLEN4), '%s/%d' % (st.SRV6, st.PLEN6)},
		'%s: dpdns0 has the configured addresses' % kind)
	tel = d.telemetry()
	st.run(['ip', '-n', topo.cli, 'neigh', 'flush', 'dev', topo.cli_if], check=False)
	before = settled(tel)

	for addr in (st.SRV4, st.SRV6):
		p = ping(topo, addr)
		m = re.search(r'(\d+) packets transmitted, (\d+) received', p.stdout)
		got = int(m.group(2)) if m else -1
		dup = 'DUP!' in p.stdout or 'duplicates' in p.stdout
		C.check(got == PINGS and not dup and p.returncode == 0,
			'%s: ping %s: %d of %d replies, no duplicate' % (kind, addr, got, PINGS), p.stdout + p.stderr)
	neigh = st.neighbours(topo.cli, topo.cli_if)
	for addr, proto in ((st.SRV4, 'ARP'), (st.SRV6, 'NDP')):
		ll, state = neigh.get(addr, (None, []))
		C.check(ll == mac and 'FAILED' not in state and 'INCOMPLETE' not in state,
			'%s: %s resolved %s to the port\'s MAC %s' % (kind, proto, addr, mac), 'neighbours: %r' % neigh)

	tcp_queries = [st.dns_query(0x5443, 'example.com', 6),                  # SOA: small
		       st.dns_query(0x5444, 'bigtxt.diff.test', 16)]            # TC=1 over UDP
	tcp_want = st.engine_answers(env.answer_tool, zones, tcp_queries, tcp=True)
	udp_want = st.engine_answers(env.answer_tool, zones, tcp_queries[1:])[0]
	C.check(udp_want is not None and udp_want[2] & 0x02, 'the engine truncates bigtxt.diff.test TXT over UDP '
		'(so the TCP answer is the full one)')
	tcp_segments = 0
	for fam, addr in ((socket.AF_INET, st.SRV4), (socket.AF_INET6, st.SRV6)):
		for q, want in zip(tcp_queries, tcp_want):
			got, err = st.tcp_dns(topo, fam, addr, q)
			tcp_segments += 3  # at least SYN, the ACK and the query segment
			C.check(err is None and got == want, '%s: DNS over TCP to [%s]:53 (%s, %d octets): the engine\'s '
				'answer, byte for byte' % (kind, addr, da.describe_query(q).split(' q=')[-1],
							   len(want or b'')),
				'error %s\ngot  %s\nwant %s' % (err, da.describe(got), da.describe(want)))
		r = tcp_connect(topo, fam, addr, 5300)
		tcp_segments += 1
		C.equal(r, 'refused', '%s: TCP to [%s]:5300 reaches the kernel, which refuses it' % (kind, addr))
		r = udp_icmp(topo, fam, addr, 5353, b'not dns')
		C.equal(r, 'refused', '%s: UDP to [%s]:5353: ICMP port unreachable from the kernel' % (kind, addr))
		r = udp_icmp(topo, fam, addr, 53, notify(0x4e4f if fam == socket.AF_INET else 0x4e36))
		C.equal(r, 'refused', '%s: NOTIFY to [%s]:53 goes to the kernel (ICMP port unreachable)' % (kind, addr))

	time.sleep(0.5)  # let the exception ring and the TAP drain
	after = settled(tel)
	delta = st.dict_delta(after, before)
	print('# %s counter deltas: %s' % (kind, ', '.join('%s=%d' % (k, v) for k, v in sorted(delta.items()) if v)))
	C.equal(delta.get('exc_port'), 2, '%s: exc_port grew by the 2 datagrams to port 5353' % kind)
	C.equal(delta.get('exc_opcode'), 2, '%s: exc_opcode grew by the 2 NOTIFYs' % kind)
	C.check(delta.get('exc_l4_proto', 0) >= tcp_segments + 2 * PINGS,
		'%s: exc_l4_proto grew by at least the TCP segments and echo requests (%d >= %d)' %
		(kind, delta.get('exc_l4_proto', 0), tcp_segments + 2 * PINGS))
	C.check(delta.get('exc_l2_group', 0) + delta.get('exc_ethertype', 0) >= 2,
		'%s: ARP and NDP solicitations went to the kernel (exc_l2_group + exc_ethertype = %d)' %
		(kind, delta.get('exc_l2_group', 0) + delta.get('exc_ethertype', 0)))
	want_rx = 2 * PINGS + 2 * 2 * 2 + 2 + 2 + 2 + 2  # echo replies, SYN-ACK+answer per TCP query, RSTs,
	# ICMP for 5353 and for NOTIFY, ARP reply + NA
	C.check(delta.get('kernel_rx', 0) >= want_rx, '%s: kernel_rx grew by at least the kernel\'s replies (%d >= %d)'
		% (kind, delta.get('kernel_rx', 0), want_rx))
	handed = handed_total(delta)
	C.equal(handed, delta.get('exc_total'), '%s: every exception frame written to the TAP or counted as lost '
		'(kernel_tx + kernel_tx_drop + exc_ring_full == exc_total)' % kind)
	C.equal(delta.get('answered', 0), 0, '%s: nothing here was answered by the fastpath' % kind)
	ok, why = st.stats_invariant(after)
	C.check(ok, '%s: rx == answered + drop_total + exc_total (%s)' % (kind, why), st.format_stats(after))
	tel.close()

	rc = d.stop(signal.SIGTERM)
	C.equal(rc, 0, '%s: dpdnsd exit status after SIGTERM' % kind)
	C.check(not st.link_exists(topo.srv, st.EXC_IF), '%s: dpdns0 is gone after the stop' % kind)


def body(env):
	if not shutil.which('ping'):
		raise st.Skip('ping not found (apt-get install iputils-ping)')
	zones = st.system_zones()
	for kind in st.kinds(env.args):
		one_kind(env, kind, zones)


if __name__ == '__main__':
	sys.exit(st.main('fastpath_exception', __doc__.split('\n')[0], body, needs=('dpdnsd', 'answer')))
