#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""secondary_staged: a large zone transferred by AXFR is served in two stages.

knotd is the primary (TSIG hmac-sha256, as in secondary_peers) of example.com with 25,000 more records
than secondary_peers' zone: over the size (20,000 records) above which dpdnsd serves a full build first from
its name index (answered by the reference resolver) and publishes the version with prepared answers once
they are made (doc/answers.md "Two stages").
  1. AXFR at start: the log says "serial 1 by AXFR ... (index; answers being prepared)", then
     "serial 1: answers prepared in N ms"; a load of queries runs from before the transfer to after the
     second stage: every response for a name of the zone is right (NOERROR with its TXT), none is lost.
  2. After the second stage: secondary_peers' corpus (~2,000 queries) is answered byte for byte as the
     answer engine answers it over the zone file, and as knotd answers the ordinary ones; zone-status
     says preparing false.
  3. A change + NOTIFY: the IXFR is applied incrementally ("(incremental)"), which needs the version with
     prepared answers as its base: the second stage is what is served.
  4. Restart with the zone persisted: served at once (a zone file load builds whole), and the corpus still
     matches.

Skips (77) without knotd, without root, or when DPDK cannot start here.
"""

import json
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import systest as st  # noqa: E402
import primaries as pr  # noqa: E402
import secondary_peers as sp  # noqa: E402
import diff_answers as da  # noqa: E402

C = st.CHECKS
ORIGIN = sp.ORIGIN
ZRX = sp.ZRX
NBIG = 25000


def zone_text(serial):
	lines = sp.core_lines(serial)
	lines += ['big%d\tTXT\t"big record %d"' % (i, i) for i in range(NBIG)]
	return '\n'.join(lines) + '\n'


class Load(threading.Thread):
	"""Asks for bigN TXT (N cycling over a sample) every 2 ms until stopped or `limit` seconds have passed;
	counts answers that are right (NOERROR with "big record N"), SERVFAIL (no data yet), wrong, and lost."""

	def __init__(self, topo, limit):
		super().__init__(daemon=True)
		self.cli = st.UdpClient(topo, socket.AF_INET)
		self.limit = limit
		self.stop_ev = threading.Event()
		self.right = self.servfail = self.lost = 0
		self.wrong = []
		self.start()

	def run(self):
		# Plain send/recv (as secondary_peers.AnswerWatch): exchange() waits for stragglers.
		end = time.monotonic() + self.limit
		sock = self.cli.sock
		k = 0
		try:
			while time.monotonic() < end and not self.stop_ev.is_set():
				n = (k * 7919) % NBIG
				k += 1
				qid = 0x2000 + k % 0x4000
				self.cli._send(st.dns_query(qid, 'big%d.example.com' % n, 16))
				data = None
				t_end = time.monotonic() + 0.5
				while data is None and time.monotonic() < t_end:
					r, _, _ = select.select([sock], [], [], max(0.0, t_end - time.monotonic()))
					if not r:
						break
					try:
						got = sock.recv(65535)
					except (BlockingIOError, ConnectionRefusedError):
						continue
					if got[:2] == struct.pack('!H', qid):
						data = got
				if data is None:
					self.lost += 1
				else:
					r = da.Response(data)
					txt = [t[5] for t in r.text[0] if t[1] == 16]
					if r.rcode == 2:
						self.servfail += 1
					elif r.rcode == 0 and any('big record %d"' % n in t for t in txt):
						self.right += 1
					elif len(self.wrong) < 10:
						self.wrong.append('big%d: %s' % (n, da.describe(data)))
				time.sleep(0.002)
		finally:
			self.cli.close()

	def finish(self):
		self.stop_ev.set()
		self.join(5)


def status(d):
	p = subprocess.run([st.dpdnsctl_path(d.exe), '-s', d.control_socket, '--json', 'zone-status', ORIGIN],
			   capture_output=True, text=True, timeout=10)
	try:
		return json.loads(p.stdout)[0]
	except (ValueError, IndexError):
		return {'error': p.stdout + p.stderr}


def body(env):
	miss = pr.missing_binaries('knot')
	if miss:
		raise st.Skip('knotd not installed: %s' % ', '.join(miss))
	topo = env.topology('af_packet')
	corpus = sp.Corpus(env.workdir)
	prim = pr.Primary('knot', topo, env.workdir, ORIGIN, zone_text(1))
	env.cleanups.append(prim.kill)
	prim.start(1)
	rundir = os.path.join(env.workdir, 'rundir')

	# 1. The AXFR, served in two stages, under a load of queries.
	d = sp.daemon_for(env, topo, 'knot', pr.SECRET, rundir, 'staged')
	d.start()
	load = Load(topo, 60)
	line, how, nrec, _addr = sp.xfr_line(d, 0, None, 1, 30)
	C.check(line is not None and how == 'AXFR', 'AXFR of serial 1 at start', line or d.tail(20))
	if line is None:
		raise st.CheckFailed('no transfer')
	print('# %s' % line.split(' ', 2)[-1])
	C.check('(index; answers being prepared)' in line, 'the first stage is served: the log line says '
		'"(index; answers being prepared)"', line)
	i = d.wait_for(r'%s: serial 1: answers prepared in [0-9.]+ ms' % ZRX, 60, fatal=False)
	C.check(i is not None, 'the second stage follows: "serial 1: answers prepared in N ms"', d.tail(20))
	if i is not None:
		print('# %s' % d.lines[i].split(' ', 2)[-1])
	time.sleep(0.5)
	load.finish()
	print('# load: %d right, %d SERVFAIL (before the first stage), %d lost, %d wrong' % (
		load.right, load.servfail, load.lost, len(load.wrong)))
	C.check(not load.wrong, 'every answer under load is right, before, between and after the stages',
		'\n'.join(load.wrong))
	C.check(load.lost == 0, 'no query lost under load (%d)' % load.lost)
	C.check(load.right > 0, 'answers under load after the transfer (%d)' % load.right)

	# 2. The version with prepared answers: the corpus, and zone-status.
	sp.check_served(env, topo, prim, corpus, 'v1', zone_text(1))
	z = status(d)
	C.check(z.get('preparing') is False and z.get('serial') == 1 and z.get('refreshing') is False,
		'zone-status: serial 1, preparing false, refreshing false', z)

	# 3. A change: its IXFR derives from the served version, which must have prepared answers.
	since = d.log_count()
	t_change = time.time()
	prim.reload(zone_text(2), 2)
	line, how, nrec, _addr = sp.xfr_line(d, since, 1, 2, 20)
	C.check(line is not None and how == 'IXFR' and '(incremental)' in line,
		'serial 1 -> 2 by IXFR, applied incrementally to the prepared version', line or d.tail(20))
	sp.check_served(env, topo, prim, corpus, 'v2', zone_text(2))

	# 4. Restart from the persisted copy, the primary stopped.
	deadline = time.monotonic() + 20
	while time.monotonic() < deadline and not any(
			f.endswith('timers') and os.path.getmtime(os.path.join(rundir, f)) >= t_change
			for f in os.listdir(rundir)):
		time.sleep(0.2)
	d.stop()
	prim.stop()
	d2 = sp.daemon_for(env, topo, 'knot', pr.SECRET, rundir, 'staged-restart')
	d2.start()
	i = d2.wait_for(r'%s: serial 2 from .*persisted' % ZRX, 30, fatal=False)
	C.check(i is not None, 'restart: the persisted serial 2 is served', d2.tail(20))
	rc, txt = sp.txt_served(topo, 'big24999.example.com')
	C.check(rc == 0 and any('big record 24999' in t for t in txt), 'restart: big24999 answers', (rc, txt))
	d2.stop()


if __name__ == '__main__':
	sys.exit(st.main('secondary_staged', __doc__.split('\n')[0], body, needs=('dpdnsd', 'answer')))
