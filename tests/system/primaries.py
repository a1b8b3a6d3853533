# SPDX-License-Identifier: BSD-3-Clause
"""Primaries for the secondary-zone system tests (secondary_peers.py, secondary_failure.py).

What it provides:
  * Primary: knotd, nsd or BIND named serving one zone as a primary in the client namespace of a
    systest.Topology (198.18.0.1@53 and [2001:db8:ffff::1]@53), with TSIG hmac-sha256 transfers allowed
    to the dpdnsd addresses, NOTIFY (signed) sent to 198.18.0.2@53, and IXFR from zone file differences
    (knotd `zonefile-load: difference` with its journal, nsd `store-ixfr`/`create-ixfr`, named
    `ixfr-from-differences`), or, with ixfr=False, without any (knotd: no journal content, nsd: no IXFR
    data, named: `provide-ixfr no` for the secondary).  Start, reload (the zone file rewritten), restart,
    stop; every wait bounded.
  * send_notify(): a NOTIFY (RFC 1996) from any address of the client namespace, over UDP or TCP, TSIG-signed
    with a given secret or unsigned, and the response's rcode and TSIG record (tsig_of()).
  * FakePrimary: a scripted primary (Python threads) on UDP and TCP that answers the SOA query and serves an
    AXFR, or misbehaves: closes or hangs in the middle of a message, or answers IXFR with NOTIMP.
  * Zone text helpers: write_zone() that always moves the file's mtime forward (primaries reload by mtime).

Processes run in their own sessions and are killed (whole process group) on stop and at cleanup.
"""

import base64
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time

import systest as st
import diff_answers as da  # noqa: F401 (puts Debian's dnspython on the path when needed)

import dns.flags  # noqa: E402
import dns.message  # noqa: E402
import dns.name  # noqa: E402
import dns.opcode  # noqa: E402
import dns.rcode  # noqa: E402
import dns.rdataclass  # noqa: E402
import dns.rdatatype  # noqa: E402
import dns.rrset  # noqa: E402
import dns.tsig  # noqa: E402
import dns.tsigkeyring  # noqa: E402

KEY_NAME = 'xfr-key'
SECRET = base64.b64encode(bytes(range(1, 33))).decode()
WRONG_SECRET = base64.b64encode(bytes(range(101, 133))).decode()
ALGORITHM = 'hmac-sha256'

BINARIES = {
	'knot': ('/usr/sbin/knotd', '/usr/sbin/knotc'),
	'nsd': ('/usr/sbin/nsd', '/usr/sbin/nsd-control'),
	'bind': ('/usr/sbin/named',),
}
PEER_NAMES = {'knot': 'knotd', 'nsd': 'nsd', 'bind': 'named'}


def missing_binaries(kind):
	"""The binaries of kind that are not installed (empty: it can run)."""
	return [b for b in BINARIES[kind] if not os.access(b, os.X_OK)]


def keyring(secret=SECRET):
	return dns.tsigkeyring.from_text({KEY_NAME: secret})


def dpdnsd_key(secret=SECRET):
	return {'id': KEY_NAME, 'algorithm': ALGORITHM, 'secret': secret}


_mtimes = {}


def write_zone(path, text):
	"""Writes text to path (temp + rename) with an mtime past the previous one: knotd, nsd and named
	decide whether to reload by the file's modification time, which has a one-second grain for some."""
	tmp = path + '.tmp'
	with open(tmp, 'w') as f:
		f.write(text)
	os.replace(tmp, path)
	mt = max(time.time(), _mtimes.get(path, 0) + 1.5)
	os.utime(path, (mt, mt))
	_mtimes[path] = mt


# ---------------------------------------------------------------------------------------------------------
# DNS helpers

def soa_query(qid, origin):
	return st.dns_query(qid, origin, 6)


def rcode_of(wire):
	return wire[3] & 0xf if wire and len(wire) >= 4 else None


def is_notify_response(wire):
	"""QR set and opcode NOTIFY."""
	return wire is not None and len(wire) >= 12 and wire[2] & 0x80 and (wire[2] >> 3) & 0xf == 4


def soa_serial_of(wire):
	"""The serial of the first SOA in the answer section, or None."""
	try:
		r = da.Response(wire)
	except da.ParseError:
		return None
	for _o, rrtype, _c, _t, _rd, txt in r.text[0]:
		if rrtype == 6:
			return int(txt.split()[2])
	return None


def tsig_of(wire):
	"""The TSIG record of a message (the last additional record): dict with 'error', 'mac_len', 'time', or
	None when there is none or the message does not parse."""
	try:
		qd, an, ns, ar = struct.unpack('!HHHH', wire[4:12])
		off = 12
		for _ in range(qd):
			off = da.read_name(wire, off)[1] + 4
		last = None
		for _ in range(an + ns + ar):
			off = da.read_name(wire, off)[1]
			rrtype, _cls, _ttl, rdlen = struct.unpack('!HHIH', wire[off:off + 10])
			last = (rrtype, off + 10, rdlen)
			off += 10 + rdlen
		if not last or last[0] != 250 or ar == 0:
			return None
		p = last[1]
		p = da.read_name(wire, p)[1]  # algorithm
		hi, lo, _fudge, maclen = struct.unpack('!HIHH', wire[p:p + 10])
		p += 10 + maclen
		_orig, error, _olen = struct.unpack('!HHH', wire[p:p + 6])
		return {'error': error, 'mac_len': maclen, 'time': (hi << 32) | lo}
	except (da.ParseError, struct.error, IndexError):
		return None


def answer_rrset(owner, rtype, serial):
	"""An RRset for a NOTIFY's answer section: an SOA of that serial, or a TXT whose rdata has the
	serial where an SOA's would be (20 octets from the end), so that only its type tells it apart."""
	if rtype == 'SOA':
		rdata = 'ns.%s hostmaster.%s %d 3600 600 86400 300' % (owner, owner, serial)
	else:
		rdata = '"abc%s%s"' % (''.join('\\%03d' % b for b in struct.pack('!I', serial)), 'x' * 16)
	return dns.rrset.from_text(owner, 3600, 'IN', rtype, rdata)


def notify_message(origin, secret=SECRET, qid=None, serial=None, answer=None):
	"""A NOTIFY for origin (SOA question, AA set), TSIG-signed with secret (None: unsigned), with an
	SOA of that serial in its answer section when serial is given (RFC 1996 §3.7, as primaries send),
	or the RRset answer (answer_rrset) there instead.
	Returns the dnspython message (its .mac is the request MAC) and its wire form."""
	m = dns.message.make_query(origin, 'SOA')
	m.flags = dns.flags.AA  # (the opcode lives in the flags word: set it after)
	m.set_opcode(dns.opcode.NOTIFY)
	if answer is not None:
		m.answer = [answer]
	elif serial is not None:
		m.answer = [answer_rrset(origin, 'SOA', serial)]
	if qid is not None:
		m.id = qid
	if secret is not None:
		m.use_tsig(keyring(secret), keyname=KEY_NAME, algorithm=dns.tsig.HMAC_SHA256)
	return m, m.to_wire()


def ixfr_current(q, serial):
	"""Whether IXFR request q names a serial (its authority SOA) not behind serial (RFC 1982)."""
	for rrset in q.authority:
		if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
			theirs = rrset[0].serial
			return theirs == serial or 0 < ((theirs - serial) & 0xffffffff) < 0x80000000
	return False


def send_notify(topo, src, origin, secret=SECRET, tcp=False, dst=st.SRV4, timeout=1.0, tries=3, serial=None,
		answer=None):
	"""Sends a NOTIFY for origin from address src of the client namespace to dst:53, over UDP (the same
	message again after `timeout` s without a response, `tries` times at most, as primaries do) or TCP;
	serial: the SOA serial it announces (None: no SOA in it); answer: another RRset there instead.
	Returns (response wire or None, request message); a UDP response with another id is ignored.  A
	response that needed more than one try is reported on stdout ("# ...")."""
	fam = socket.AF_INET6 if ':' in src else socket.AF_INET
	msg, wire = notify_message(origin, secret, serial=serial, answer=answer)
	with st.in_netns(topo.cli):
		s = socket.socket(fam, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
	s.settimeout(timeout * tries)
	try:
		s.bind((src, 0))
		if tcp:
			s.connect((dst, 53))
			s.sendall(struct.pack('!H', len(wire)) + wire)
			buf = b''
			end = time.monotonic() + timeout * tries
			def have():
				return len(buf) >= 2 and len(buf) >= 2 + struct.unpack('!H', buf[:2])[0]
			while not have() and time.monotonic() < end:
				chunk = s.recv(65536)
				if not chunk:
					break
				buf += chunk
			if not have():
				return None, msg
			return buf[2:2 + struct.unpack('!H', buf[:2])[0]], msg
		for n in range(1, tries + 1):
			s.sendto(wire, (dst, 53))
			end = time.monotonic() + timeout
			while time.monotonic() < end:
				r, _, _ = select.select([s], [], [], max(0.0, end - time.monotonic()))
				if not r:
					break
				data, _ = s.recvfrom(65535)
				if len(data) >= 2 and data[:2] == wire[:2]:
					if n > 1:
						print('# NOTIFY %s -> %s for %s answered after %d tries' %
						      (src, dst, origin, n))
					return data, msg
		return None, msg
	except (socket.timeout, ConnectionRefusedError, OSError):
		return None, msg
	finally:
		s.close()


def verify_response(wire, request, secret=SECRET):
	"""True when the response's TSIG verifies with secret against request's MAC."""
	try:
		m = dns.message.from_wire(wire, keyring=keyring(secret), request_mac=request.mac)
	except Exception:  # any dnspython TSIG or parse error: does not verify
		return False
	return m.had_tsig


def udp_query(topo, src, dst, wire, timeout=1.0, tries=2):
	"""One query from src (client namespace) to dst:53; the response with the same id, or None."""
	fam = socket.AF_INET6 if ':' in dst else socket.AF_INET
	with st.in_netns(topo.cli):
		s = socket.socket(fam, socket.SOCK_DGRAM)
	try:
		s.bind((src, 0))
		for _ in range(tries):
			s.sendto(wire, (dst, 53))
			end = time.monotonic() + timeout
			while time.monotonic() < end:
				r, _, _ = select.select([s], [], [], max(0.0, end - time.monotonic()))
				if not r:
					break
				try:
					data = s.recv(65535)
				except ConnectionRefusedError:
					break
				if data[:2] == wire[:2]:
					return data
		return None
	finally:
		s.close()


# ---------------------------------------------------------------------------------------------------------
# Real primaries

class Primary:
	"""knotd, nsd or named as the primary of one zone, in topo's client namespace."""

	def __init__(self, kind, topo, workdir, origin, zone_text, secret=SECRET, ixfr=True, name=None):
		assert kind in BINARIES
		self.kind = kind
		self.topo = topo
		self.origin = origin.rstrip('.') + '.'
		self.dir = os.path.join(workdir, name or 'primary-%s' % kind)
		os.makedirs(self.dir, exist_ok=True)
		self.zone_path = os.path.join(self.dir, '%szone' % self.origin)
		self.logpath = os.path.join(self.dir, 'peer.log')
		self.secret = secret
		self.ixfr = ixfr
		self.proc = None
		self.logf = None
		write_zone(self.zone_path, zone_text)

	# -- configuration

	def _config(self):
		d = self.dir
		if self.kind == 'knot':
			path = os.path.join(d, 'knot.conf')
			text = '\n'.join([
				'server:',
				'  rundir: "%s"' % d,
				'  listen: [%s@53, %s@53]' % (st.CLI4, st.CLI6),
				'  tcp-workers: 1',
				'  udp-workers: 1',
				'  background-workers: 1',
				'database:',
				'  storage: "%s/db"' % d,
				'key:',
				'  - id: %s' % KEY_NAME,
				'    algorithm: %s' % ALGORITHM,
				'    secret: %s' % self.secret,
				'remote:',
				'  - id: sec',
				'    address: %s@53' % st.SRV4,
				'    key: %s' % KEY_NAME,
				'acl:',
				'  - id: xfr',
				'    address: [%s, %s]' % (st.SRV4, st.SRV6),
				'    key: %s' % KEY_NAME,
				'    action: transfer',
				'template:',
				'  - id: default',
				'    storage: "%s"' % d,
				'    zonefile-sync: -1',
				# IXFR from the differences between zone file versions, kept in the journal.  Without:
				# no journal content, so every IXFR is answered with the whole zone (AXFR-style).
				'    zonefile-load: %s' % ('difference' if self.ixfr else 'whole'),
				'    journal-content: %s' % ('changes' if self.ixfr else 'none'),
				'zone:',
				'  - domain: %s' % self.origin,
				'    file: "%s"' % self.zone_path,
				'    notify: sec',
				'    acl: xfr',
				'log:',
				'  - target: stderr',
				'    any: info',
				''])
			argv = ['/usr/sbin/knotd', '-c', path, '-s', os.path.join(d, 'knot.sock')]
		elif self.kind == 'nsd':
			path = os.path.join(d, 'nsd.conf')
			ixfr = 'yes' if self.ixfr else 'no'
			text = '\n'.join([
				'server:',
				'  ip-address: %s@53' % st.CLI4,
				'  ip-address: %s@53' % st.CLI6,
				'  username: ""',
				'  chroot: ""',
				'  zonesdir: "%s"' % d,
				'  pidfile: "%s/nsd.pid"' % d,
				'  xfrdfile: "%s/xfrd.state"' % d,
				'  zonelistfile: "%s/zone.list"' % d,
				'  xfrdir: "%s"' % d,
				'  database: ""',
				'  server-count: 1',
				'  verbosity: 2',
				# Debian's NSD limits 200 responses/s per source: the corpus would be rate limited.
				'  rrl-ratelimit: 0',
				'  rrl-whitelist-ratelimit: 0',
				'remote-control:',
				'  control-enable: yes',
				'  control-interface: "%s/nsd.sock"' % d,
				'key:',
				'  name: %s' % KEY_NAME,
				'  algorithm: %s' % ALGORITHM,
				'  secret: "%s"' % self.secret,
				'zone:',
				'  name: %s' % self.origin,
				'  zonefile: "%s"' % self.zone_path,
				'  provide-xfr: %s %s' % (st.SRV4, KEY_NAME),
				'  provide-xfr: %s %s' % (st.SRV6, KEY_NAME),
				'  notify: %s %s' % (st.SRV4, KEY_NAME),
				# IXFR data made from the differences between zone file versions (NSD 4.6).
				'  store-ixfr: %s' % ixfr,
				'  create-ixfr: %s' % ixfr,
				''])
			argv = ['/usr/sbin/nsd', '-d', '-c', path]
		else:
			path = os.path.join(d, 'named.conf')
			lines = [
				'options {',
				'  directory "%s";' % d,
				'  pid-file "%s/named.pid";' % d,
				'  session-keyfile "%s/session.key";' % d,
				'  managed-keys-directory "%s";' % d,
				'  listen-on port 53 { %s; };' % st.CLI4,
				'  listen-on-v6 port 53 { %s; };' % st.CLI6,
				'  recursion no;',
				'  dnssec-validation no;',
				'  notify explicit;',
				'  notify-delay 0;',
				'  max-ixfr-ratio unlimited;',
				'};',
				'controls { };',
				'key "%s" { algorithm %s; secret "%s"; };' % (KEY_NAME, ALGORITHM, self.secret),
			]
			if not self.ixfr:
				# Every IXFR from the secondary is answered with the whole zone (AXFR-style).
				lines += ['server %s { provide-ixfr no; };' % st.SRV4,
					  'server %s { provide-ixfr no; };' % st.SRV6]
			lines += [
				'zone "%s" {' % self.origin,
				'  type primary;',
				'  file "%s";' % self.zone_path,
				'  ixfr-from-differences %s;' % ('yes' if self.ixfr else 'no'),
				'  allow-transfer { key %s; };' % KEY_NAME,
				'  also-notify { %s key %s; };' % (st.SRV4, KEY_NAME),
				'};',
				'']
			text = '\n'.join(lines)
			argv = ['/usr/sbin/named', '-g', '-n', '1', '-c', path]
		with open(path, 'w') as f:
			f.write(text)
		return argv

	def forget_history(self):
		"""Removes what the primary knows of earlier versions (journal, IXFR data) while it is stopped."""
		assert not self.alive()
		d = self.dir
		if self.kind == 'knot':
			shutil.rmtree(os.path.join(d, 'db'), ignore_errors=True)
		for f in os.listdir(d):
			if f.startswith(os.path.basename(self.zone_path)) and f != os.path.basename(self.zone_path):
				os.unlink(os.path.join(d, f))  # named's .jnl, nsd's .ixfr* files
			elif self.kind == 'nsd' and f in ('xfrd.state', 'zone.list'):
				os.unlink(os.path.join(d, f))

	# -- processes

	def start(self, serial, timeout=20):
		"""Starts the primary and waits until it serves the zone with serial (SetupError otherwise)."""
		if self.kind == 'knot':
			os.makedirs(os.path.join(self.dir, 'db'), exist_ok=True)  # knotd does not create it
		argv = ['ip', 'netns', 'exec', self.topo.cli] + self._config()
		self.logf = open(self.logpath, 'ab')
		self.logf.write(('--- start %s\n' % ' '.join(argv)).encode())
		self.logf.flush()
		self.proc = subprocess.Popen(argv, stdout=self.logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
					     start_new_session=True)
		self.wait_serial(serial, timeout)

	def alive(self):
		return self.proc is not None and self.proc.poll() is None

	def serial(self, family=socket.AF_INET):
		dst = st.CLI4 if family == socket.AF_INET else st.CLI6
		r = udp_query(self.topo, dst, dst, soa_query(0x5e71, self.origin), timeout=0.5, tries=1)
		if r is None or rcode_of(r) != 0:
			return None
		return soa_serial_of(r)

	def wait_serial(self, serial, timeout=20):
		end = time.monotonic() + timeout
		got = None
		while time.monotonic() < end:
			if not self.alive():
				raise st.SetupError('%s exited with status %s:\n%s' % (
					PEER_NAMES[self.kind], self.proc.poll(), self.tail()))
			got = self.serial()
			if got == serial and (self.kind != 'bind' or self.serial(socket.AF_INET6) == serial):
				return
			time.sleep(0.05)
		raise st.SetupError('%s does not serve %s serial %s within %ss (serves %s):\n%s' % (
			PEER_NAMES[self.kind], self.origin, serial, timeout, got, self.tail()))

	def reload(self, text, serial, timeout=15):
		"""Rewrites the zone file, tells the primary to reload it, waits until it serves serial.
		The primary then sends its NOTIFY to the secondary by itself."""
		write_zone(self.zone_path, text)
		if self.kind == 'knot':
			st.run(['/usr/sbin/knotc', '-s', os.path.join(self.dir, 'knot.sock'), 'zone-reload',
				self.origin])
		elif self.kind == 'nsd':
			st.run(['/usr/sbin/nsd-control', '-c', os.path.join(self.dir, 'nsd.conf'), 'reload',
				self.origin])
		else:
			os.kill(self.proc.pid, signal.SIGHUP)  # named -g: the process itself (ip netns exec execs)
		self.wait_serial(serial, timeout)

	def stop(self, timeout=10):
		if self.proc is None:
			return
		if self.proc.poll() is None:
			try:
				os.killpg(self.proc.pid, signal.SIGTERM)
			except ProcessLookupError:
				pass
			try:
				self.proc.wait(timeout=timeout)
			except subprocess.TimeoutExpired:
				pass
		self.kill()

	def kill(self):
		if self.proc is None:
			return
		try:
			os.killpg(self.proc.pid, signal.SIGKILL)
		except (ProcessLookupError, PermissionError):
			pass
		try:
			self.proc.wait(timeout=5)
		except subprocess.TimeoutExpired:
			pass
		self.proc = None
		if self.logf:
			self.logf.close()
			self.logf = None

	def tail(self, n=25):
		try:
			with open(self.logpath, 'rb') as f:
				lines = f.read().decode(errors='replace').rstrip('\n').split('\n')
			return '\n'.join(lines[-n:])
		except OSError:
			return ''

	def log_text(self):
		try:
			with open(self.logpath, 'rb') as f:
				return f.read().decode(errors='replace')
		except OSError:
			return ''


# ---------------------------------------------------------------------------------------------------------
# A scripted primary

class FakePrimary:
	"""A primary for one zone on addr@53 (client namespace), TSIG-signed with SECRET, in two threads.

	zone(serial): list of dnspython RRsets of the zone at that serial, SOA first.  Modes (set_mode):
	  'good'   SOA answered; AXFR and IXFR answered with the whole zone in one signed message;
	  'close'  IXFR and AXFR: the length prefix and the first half of that message, then the connection is
		   closed;
	  'hang'   IXFR answered NOTIMP (signed); AXFR: the first half of the message, then nothing (the
		   connection stays open until the client closes it, at most 30 s);
	  'slow'   IXFR answered NOTIMP (signed); AXFR: SLOW_RRSETS RRsets per message, each message signed
		   (RFC 8945 §5.3.1, one running MAC), SLOW_DELAY s between messages.
	events: (monotonic time, 'soa' | 'ixfr' | 'axfr' | other qtype, serial served)."""

	SLOW_RRSETS = 20
	SLOW_DELAY = 0.35

	def __init__(self, topo, addr, origin, zone):
		self.topo = topo
		self.addr = addr
		self.origin = dns.name.from_text(origin)
		self.zone = zone
		self.mode = 'good'
		self.serial = 1
		self.events = []
		self.lock = threading.Lock()
		self.stop_ev = threading.Event()
		self.kr = keyring()
		fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
		with st.in_netns(topo.cli):
			self.udp = socket.socket(fam, socket.SOCK_DGRAM)
			self.tcp = socket.socket(fam, socket.SOCK_STREAM)
		self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		self.udp.bind((addr, 53))
		self.tcp.bind((addr, 53))
		self.tcp.listen(8)
		self.threads = [threading.Thread(target=self._udp_loop, daemon=True),
				threading.Thread(target=self._tcp_loop, daemon=True)]
		for t in self.threads:
			t.start()

	def set_mode(self, mode, serial):
		with self.lock:
			self.mode = mode
			self.serial = serial

	def _event(self, what):
		with self.lock:
			self.events.append((time.monotonic(), what, self.serial))

	def events_since(self, t0, what=None):
		with self.lock:
			return [e for e in self.events if e[0] >= t0 and (what is None or e[1] == what)]

	def _parse(self, data):
		try:
			return dns.message.from_wire(data, keyring=self.kr)
		except Exception:  # not a message for us (or not signed with our key): ignored
			return None

	def _udp_loop(self):
		while not self.stop_ev.is_set():
			r, _, _ = select.select([self.udp], [], [], 0.2)
			if not r:
				continue
			try:
				data, peer = self.udp.recvfrom(65535)
			except OSError:
				continue
			q = self._parse(data)
			if q is None or not q.question:
				continue
			qt = q.question[0].rdtype
			self._event('soa' if qt == dns.rdatatype.SOA else dns.rdatatype.to_text(qt).lower())
			resp = dns.message.make_response(q)
			resp.flags |= dns.flags.AA
			if qt == dns.rdatatype.SOA and q.question[0].name == self.origin:
				with self.lock:
					serial = self.serial
				resp.answer = [self.zone(serial)[0]]
			else:
				resp.set_rcode(dns.rcode.REFUSED)
			try:
				self.udp.sendto(resp.to_wire(), peer)
			except OSError:
				pass

	def _tcp_loop(self):
		while not self.stop_ev.is_set():
			r, _, _ = select.select([self.tcp], [], [], 0.2)
			if not r:
				continue
			try:
				conn, _ = self.tcp.accept()
			except OSError:
				continue
			threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

	def _recv_msg(self, conn):
		buf = b''
		conn.settimeout(5)
		while len(buf) < 2 or len(buf) < 2 + struct.unpack('!H', buf[:2])[0]:
			chunk = conn.recv(65536)
			if not chunk:
				return None
			buf += chunk
		return buf[2:2 + struct.unpack('!H', buf[:2])[0]]

	def _send_slow(self, conn, q, rrs):
		"""The zone (SOA last too) in signed messages of SLOW_RRSETS RRsets, SLOW_DELAY s apart."""
		rrs = rrs + [rrs[0]]
		ctx = None
		for k in range(0, len(rrs), self.SLOW_RRSETS):
			if k:
				if self.stop_ev.wait(self.SLOW_DELAY):
					return
			r = dns.message.make_response(q)
			r.flags |= dns.flags.AA
			r.answer = rrs[k:k + self.SLOW_RRSETS]
			wire = r.to_wire(max_size=65535, multi=True, tsig_ctx=ctx)
			ctx = r.tsig_ctx
			conn.sendall(struct.pack('!H', len(wire)) + wire)

	def _serve(self, conn):
		try:
			while not self.stop_ev.is_set():
				data = self._recv_msg(conn)
				if data is None:
					return
				q = self._parse(data)
				if q is None or not q.question:
					return
				qt = q.question[0].rdtype
				with self.lock:
					mode, serial = self.mode, self.serial
				self._event({dns.rdatatype.IXFR: 'ixfr', dns.rdatatype.AXFR: 'axfr',
					     dns.rdatatype.SOA: 'soa'}.get(qt, dns.rdatatype.to_text(qt).lower()))
				resp = dns.message.make_response(q)
				resp.flags |= dns.flags.AA
				if qt == dns.rdatatype.SOA:
					resp.answer = [self.zone(serial)[0]]
				elif qt in (dns.rdatatype.AXFR, dns.rdatatype.IXFR):
					if mode in ('hang', 'slow') and qt == dns.rdatatype.IXFR:
						resp.set_rcode(dns.rcode.NOTIMP)
					elif mode == 'slow':
						self._send_slow(conn, q, self.zone(serial))
						continue
					elif qt == dns.rdatatype.IXFR and ixfr_current(q, serial):
						# RFC 1995 §2: the client is current: the SOA alone.
						resp.answer = [self.zone(serial)[0]]
					else:
						rrs = self.zone(serial)
						resp.answer = rrs + [rrs[0]]
				else:
					resp.set_rcode(dns.rcode.REFUSED)
				wire = resp.to_wire(max_size=65535)
				framed = struct.pack('!H', len(wire)) + wire
				partial = mode in ('close', 'hang') and resp.rcode() == dns.rcode.NOERROR and \
					qt in (dns.rdatatype.AXFR, dns.rdatatype.IXFR)
				if not partial:
					conn.sendall(framed)
					continue
				conn.sendall(framed[:2 + len(wire) // 2])
				if mode == 'close':
					return
				# hang: nothing more; wait (bounded) for the client to give up and close.
				conn.settimeout(30)
				try:
					while conn.recv(4096):
						pass
				except (socket.timeout, OSError):
					pass
				return
		except (socket.timeout, OSError):
			return
		finally:
			conn.close()

	def close(self):
		self.stop_ev.set()
		for t in self.threads:
			t.join(timeout=2)
		self.udp.close()
		self.tcp.close()


def rrset(name, rdtype, *rdatas, ttl=300):
	return dns.rrset.from_text(name, ttl, 'IN', rdtype, *rdatas)
