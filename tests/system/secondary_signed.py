#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""secondary_signed: a DNSSEC-signed secondary zone and its IXFR, which is built whole.

knotd is the primary (TSIG hmac-sha256, as in secondary_peers) of example.com signed with BIND's
dnssec-signzone (ECDSA P-256, a KSK and a ZSK): secondary_peers' core records, without the bulk ones, so
that a change's IXFR (every RRSIG is new: ECDSA signatures differ each time) stays under the 1,000
records dpdnsd applies on its slow-path loop.  A change to a signed zone cannot be applied incrementally
to the served snapshot (its DNSSEC answers are built whole), so the loop hands the applied version to the
thread pool to be built afresh: the path this test covers.
  1. AXFR at start; secondary_peers' corpus (every owner x 12 types x no EDNS / EDNS / EDNS+DO, names that
     do not exist, ...) is answered byte for byte as the answer engine answers it over the signed zone
     file, and as knotd answers the ordinary queries.
  2. The zone changed and signed again, serial 2: NOTIFY -> "serial 1 -> 2 by IXFR" built "(afresh)";
     the corpus matches version 2, DO answers (RRSIGs, NSEC proofs) included; the changed name's A
     record with DO carries an RRSIG of version 2's signing.

Skips (77) without knotd or dnssec-signzone, without root, or when DPDK cannot start here.
"""

import os
import shutil
import socket
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import systest as st  # noqa: E402
import primaries as pr  # noqa: E402
import secondary_peers as sp  # noqa: E402
import diff_answers as da  # noqa: E402

C = st.CHECKS
ORIGIN = sp.ORIGIN


class Signer:
	"""Signs secondary_peers' core records at a serial with one pair of keys made once."""

	def __init__(self, workdir):
		self.dir = os.path.join(workdir, 'signing')
		self.kdir = os.path.join(self.dir, 'keys')
		os.makedirs(self.kdir)
		for extra in (['-f', 'KSK'], []):
			subprocess.run(['dnssec-keygen', '-q', '-K', self.kdir, '-a', 'ECDSAP256SHA256'] + extra + [ORIGIN],
				       check=True, capture_output=True, timeout=60)

	def text(self, serial):
		unsigned = os.path.join(self.dir, 'v%d.unsigned' % serial)
		signed = os.path.join(self.dir, 'v%d.signed' % serial)
		with open(unsigned, 'w') as f:
			f.write('\n'.join(sp.core_lines(serial)) + '\n')
		subprocess.run(['dnssec-signzone', '-q', '-S', '-K', self.kdir, '-d', self.kdir, '-o', ORIGIN,
				'-f', signed, unsigned], check=True, capture_output=True, timeout=60)
		with open(signed) as f:
			return f.read()


def rrsig_of(topo, name, rtype):
	"""The RRSIG rdata (text) covering rtype in the DO answer for name from dpdnsd, or None."""
	cli = st.UdpClient(topo, socket.AF_INET)
	wire = st.dns_query(0x5151, name, rtype, edns=1232)
	wire = wire[:-11] + b'\0' + struct.pack('!HHIH', 41, 1232, 0x8000, 0)  # the OPT with DO set
	res = cli.exchange_many([wire], timeout=1.0, tries=3)
	cli.close()
	wire = res.responses[0]
	if wire is None:
		return None
	sigs = [t for t in da.Response(wire).text[0] if t[1] == 46]
	return sigs[0][5] if sigs else None


def body(env):
	miss = pr.missing_binaries('knot') + [t for t in ('dnssec-keygen', 'dnssec-signzone') if not shutil.which(t)]
	if miss:
		raise st.Skip('not installed: %s' % ', '.join(miss))
	topo = env.topology('af_packet')
	signer = Signer(env.workdir)
	v1, v2 = signer.text(1), signer.text(2)
	corpus = sp.Corpus(env.workdir)
	prim = pr.Primary('knot', topo, env.workdir, ORIGIN, v1)
	env.cleanups.append(prim.kill)
	prim.start(1)
	rundir = os.path.join(env.workdir, 'rundir')

	# 1. The signed zone by AXFR.
	d = sp.daemon_for(env, topo, 'knot', pr.SECRET, rundir, 'signed')
	d.start()
	line, how, nrec, _addr = sp.xfr_line(d, 0, None, 1, 30)
	C.check(line is not None and how == 'AXFR', 'AXFR of the signed serial 1 at start', line or d.tail(20))
	if line is None:
		raise st.CheckFailed('no transfer')
	print('# %s' % line.split(' ', 2)[-1])
	sp.check_served(env, topo, prim, corpus, 'signed-v1', v1)
	sig1 = rrsig_of(topo, 'www.example.com', 1)
	C.check(sig1 is not None, 'www A with DO: signed', sig1)

	# 2. The change, signed again: a small IXFR, applied on the loop, built afresh in the pool.
	since = d.log_count()
	prim.reload(v2, 2)
	line, how, nrec, _addr = sp.xfr_line(d, since, 1, 2, 20)
	C.check(line is not None and how == 'IXFR' and nrec is not None and nrec <= 1000,
		'serial 1 -> 2 by IXFR, at most 1,000 records (applied on the slow-path loop)', line or d.tail(20))
	C.check(line is not None and '(afresh)' in line,
		'the signed version is built afresh (in the thread pool), not derived incrementally', line)
	if line is not None:
		print('# %s' % line.split(' ', 2)[-1])
	sp.check_served(env, topo, prim, corpus, 'signed-v2', v2)
	sig2 = rrsig_of(topo, 'www.example.com', 1)
	C.check(sig2 is not None and sig2 != sig1, 'www A with DO: version 2\'s signature', (sig1, sig2))
	C.check(d.alive(), 'dpdnsd still running', d.tail(10))
	rc = d.stop()
	C.equal(rc, 0, 'dpdnsd exits 0 on SIGTERM')


if __name__ == '__main__':
	sys.exit(st.main('secondary_signed', __doc__.split('\n')[0], body, needs=('dpdnsd', 'answer')))
