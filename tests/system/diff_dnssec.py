#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Differential test of the dpdns answer engine on DNSSEC-signed zones, against Knot DNS and NSD.

The zones are signed at test time with BIND's dnssec-keygen/dnssec-signzone (ECDSA P-256, a KSK and a ZSK),
from one unsigned template (tests/system/zones/dnssec.template) under four origins:

  nsec.test.     NSEC
  n3.test.       NSEC3, 0 iterations, no salt
  n3salt.test.   NSEC3, 10 iterations, salt aabbccdd
  n3oo.test.     NSEC3, 0 iterations, no salt, opt-out (the unsigned delegations get no NSEC3)

The template has wildcards (A/TXT and CNAME), an empty non-terminal, a signed delegation (DS), unsigned
delegations (one under an empty non-terminal), a CNAME chain, a dead CNAME, a DNAME and SRV/MX targets.

The query corpus and the comparison are diff_answers.py's (every owner, the names around it, without EDNS,
with EDNS and with DO; sections compared as sets), with the DNSSEC types added to the query types: RRSIG,
NSEC, NSEC3, DNSKEY, NSEC3PARAM (DS is there already).  A response passes when it equals Knot's or NSD's.

Then a few answers of the engine are validated with delv against the zones' KSKs as trust anchors (the
answers come from dpdns-answer through a small UDP relay on 127.0.0.1 that this script runs; delv does the
chain of trust from the zone apex, +root=<zone>): a positive answer, a CNAME chain, a wildcard answer,
NXDOMAIN, NODATA, empty non-terminal NODATA, wildcard NODATA, a signed DS and the proof of no DS at an
unsigned delegation (opt-out in n3oo.test.), each for every zone (--no-validate skips this).  delv must report "fully validated" / "negative response, fully validated".

Exit status: 0 when all passes, 1 on differences or a failed validation, 2 on setup errors, 77 when a tool
is missing (dnssec-signzone, knotd, nsd, the answer tool).
"""

import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import diff_answers  # noqa: E402

TEMPLATE = os.path.join(HERE, 'zones', 'dnssec.template')
VARIANTS = (
	('nsec.test.', []),
	('n3.test.', ['-3', '-', '-H', '0']),
	('n3salt.test.', ['-3', 'aabbccdd', '-H', '10']),
	('n3oo.test.', ['-3', '-', '-H', '0', '-A']),
)
DNSSEC_QTYPES = ['RRSIG', 'NSEC', 'NSEC3', 'DNSKEY', 'NSEC3PARAM']


def log(msg):
	sys.stderr.write(msg + '\n')
	sys.stderr.flush()


def run(argv, **kw):
	return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, check=True, **kw)


def sign_zones(tmp):
	"""Signs the template under every origin; returns [(origin, signed file, KSK DNSKEY text)]."""
	with open(TEMPLATE) as f:
		body = f.read()
	out = []
	for origin, opts in VARIANTS:
		kdir = os.path.join(tmp, 'keys-' + origin)
		os.makedirs(kdir)
		unsigned = os.path.join(tmp, origin + 'unsigned')
		with open(unsigned, 'w') as f:
			f.write('$ORIGIN %s\n' % origin + body)
		ksk = run(['dnssec-keygen', '-q', '-K', kdir, '-a', 'ECDSAP256SHA256', '-f', 'KSK', origin])
		run(['dnssec-keygen', '-q', '-K', kdir, '-a', 'ECDSAP256SHA256', origin])
		signed = os.path.join(tmp, origin + 'zone')
		run(['dnssec-signzone', '-q', '-S', '-K', kdir, '-d', kdir, '-o', origin, '-f', signed] + opts + [unsigned])
		with open(os.path.join(kdir, ksk.stdout.decode().strip() + '.key')) as f:
			key = [ln for ln in f if not ln.startswith(';') and 'DNSKEY' in ln][0].split()
		# owner [ttl] IN DNSKEY flags proto alg key...
		i = key.index('DNSKEY')
		out.append((origin, signed, (key[i + 1], key[i + 2], key[i + 3], ''.join(key[i + 4:]))))
	return out


class Relay:
	"""Answers UDP queries on 127.0.0.1 with dpdns-answer (one run of the tool per query)."""

	def __init__(self, tool, zones):
		self.argv = [tool] + sum((['-z', '%s=%s' % (o, p)] for o, p, _ in zones), [])
		self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		self.sock.bind(('127.0.0.1', 0))
		self.sock.settimeout(0.2)
		self.port = self.sock.getsockname()[1]
		self.stop = False
		self.thread = threading.Thread(target=self.loop, daemon=True)
		self.thread.start()

	def loop(self):
		while not self.stop:
			try:
				q, peer = self.sock.recvfrom(65535)
			except socket.timeout:
				continue
			except OSError:
				return
			try:
				p = subprocess.run(self.argv, input=struct.pack('>H', len(q)) + q, stdout=subprocess.PIPE,
						   stderr=subprocess.DEVNULL, timeout=10)
			except subprocess.TimeoutExpired:
				continue
			out = p.stdout
			if len(out) >= 2:
				n = struct.unpack('>H', out[:2])[0]
				if n and len(out) >= 2 + n:
					self.sock.sendto(out[2:2 + n], peer)

	def close(self):
		self.stop = True
		self.thread.join(timeout=2)
		self.sock.close()


def validate(tool, zones, tmp):
	"""delv checks of engine answers against each zone's KSK.  Returns the number of failures."""
	delv = shutil.which('delv')
	if not delv:
		log('diff_dnssec: delv not installed: validation skipped')
		return 0
	relay = Relay(tool, zones)
	failures = 0
	try:
		for origin, _, (flags, proto, alg, key) in zones:
			anchor = os.path.join(tmp, 'anchor-' + origin)
			with open(anchor, 'w') as f:
				f.write('trust-anchors {\n  "%s" static-key %s %s %s "%s";\n};\n' % (origin, flags, proto,
												   alg, key))
			cases = (('www.' + origin, 'A', 'fully validated'),
				 ('alias1.' + origin, 'A', 'fully validated'),
				 # Under opt-out the NSEC3 covering the next closer name has the opt-out flag, so
				 # a validator may not rule out an unsigned delegation there: the wildcard answer
				 # is insecure (RFC 5155 §9.2), knotd's identical answer validates the same way.
				 ('anything.wild.' + origin, 'A', 'unsigned answer' if origin == 'n3oo.test.' else
				  'fully validated'),
				 ('nx-name.' + origin, 'A', 'negative response, fully validated'),
				 ('www.' + origin, 'MX', 'negative response, fully validated'),
				 ('b.ent.' + origin, 'A', 'negative response, fully validated'),
				 ('no.wild.' + origin, 'MX', 'negative response, fully validated'),
				 ('sub.' + origin, 'DS', 'fully validated'),
				 ('insec.' + origin, 'DS', 'negative response, fully validated'))
			for name, qtype, want in cases:
				argv = [delv, '-a', anchor, '+root=' + origin, '-p', str(relay.port), '@127.0.0.1', name,
					qtype]
				try:
					p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
					text = p.stdout.decode(errors='replace')
				except subprocess.TimeoutExpired:
					text = 'timeout'
				ok = ('; ' + want + '\n') in text
				log('delv %-28s %-4s %s' % (name, qtype, 'ok' if ok else 'FAILED'))
				if not ok:
					failures += 1
					log(text)
	finally:
		relay.close()
	return failures


NO_VALIDATE = False


def main(argv):
	global NO_VALIDATE
	if '--no-validate' in argv:
		NO_VALIDATE = True
		argv = [a for a in argv if a != '--no-validate']
	for tool in ('dnssec-keygen', 'dnssec-signzone'):
		if not shutil.which(tool):
			log('diff_dnssec: %s missing (apt-get install bind9-dnsutils): skipped' % tool)
			print('0 passed, 0 failed (skipped: %s missing)' % tool)
			return 77
	tmp = tempfile.mkdtemp(prefix='dpdns-dnssec-')
	try:
		zones = sign_zones(tmp)
		diff_answers.QTYPES = diff_answers.QTYPES + DNSSEC_QTYPES
		args = list(argv)
		for origin, path, _ in zones:
			args += ['-z', '%s=%s' % (origin, path)]
		rc = diff_answers.main(args)
		tool = None
		for i, a in enumerate(argv):
			if a == '--answer-tool' and i + 1 < len(argv):
				tool = argv[i + 1]
			elif a.startswith('--answer-tool='):
				tool = a.split('=', 1)[1]
		if rc in (0, 1) and tool and not NO_VALIDATE and '--peers-only' not in argv and '--list' not in argv:
			bad = validate(tool, zones, tmp)
			print('delv validation: %d failed' % bad)
			if bad:
				rc = 1
		return rc
	except subprocess.CalledProcessError as e:
		log('diff_dnssec: signing failed: %s\n%s' % (' '.join(e.cmd), e.stderr.decode(errors='replace')))
		return 2
	finally:
		shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
	sys.exit(main(sys.argv[1:]))
