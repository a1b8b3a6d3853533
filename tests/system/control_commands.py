#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""control_commands: every dpdnsctl command against a running dpdnsd, in text and JSON, and bad input.

dpdnsd serves a static zone and a secondary zone whose only primary refuses every connection (a port
nobody listens on: each refresh fails at once).  Checked:
  * status, stats, zone-status (all zones, one zone), zone-refresh, zone-retransfer, zone-show, reload and
    help: exit 0 and the expected content as text; with --json the body parses as JSON with the expected
    fields; refresh and retransfer show up as failed transfers in zone-status and in /metrics;
  * stats names exactly the counters DPDK telemetry's /dpdns/stats names (doc/control.md), the exception
    path's drops included;
  * unknown zone, unknown command, missing and extra arguments, a command that does not apply
    (zone-refresh of a static zone, zone-show of a zone without data): exit 1 with a clear message (and
    a JSON error under --json); dpdnsctl usage errors: exit 2;
  * raw bytes on the socket: a line over 4095 octets and binary garbage each get "ERR" with the reason and
    a closed connection; the daemon keeps answering;
  * the socket file is a socket with no permission for others;
  * dpdnsctl without a daemon: a missing socket and a socket nobody listens on each give exit 1 and say so.
"""

import json
import os
import socket
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import systest as st  # noqa: E402

C = st.CHECKS
STATIC, SECONDARY = 'cc-static.test.', 'cc-sec.test.'
METRICS = '127.0.0.1@9154'


def zone_text():
	return '\n'.join([
		'$ORIGIN %s' % STATIC, '$TTL 300', '@ IN SOA ns admin 42 3600 600 86400 60', '@ IN NS ns',
		'ns IN A 198.18.0.2', 'www IN A 192.0.2.80', 'www IN TXT "control test"',
	]) + '\n'


class Ctl:
	def __init__(self, exe, sock):
		self.exe = exe
		self.sock = sock

	def run(self, *args, sock=None, json_out=False, timeout=15):
		argv = [self.exe, '-s', sock or self.sock] + (['--json'] if json_out else []) + list(args)
		return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)

	def json(self, *args, what=None):
		"""--json COMMAND: (exit status, parsed body or None)."""
		p = self.run(*args, json_out=True)
		try:
			return p.returncode, json.loads(p.stdout)
		except ValueError:
			C.check(False, '%s --json: the body is JSON' % (what or ' '.join(args)), p.stdout + p.stderr)
			return p.returncode, None


def raw(sock_path, data, timeout=5):
	"""Sends data on a fresh connection, returns everything read until the server closes (or timeout)."""
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.settimeout(timeout)
	out = b''
	closed = False
	try:
		s.connect(sock_path)
		s.sendall(data)
		end = time.monotonic() + timeout
		while time.monotonic() < end:
			try:
				chunk = s.recv(65536)
			except socket.timeout:
				break
			if not chunk:
				closed = True
				break
			out += chunk
	finally:
		s.close()
	return out, closed


def check_text_commands(ctl):
	p = ctl.run('status')
	C.check(p.returncode == 0 and 'uptime:' in p.stdout and 'worker lcores: 1' in p.stdout and
		'answered:' in p.stdout, 'status: exit 0, uptime, worker lcores, answered', p.stdout + p.stderr)
	p = ctl.run('stats')
	lines = dict(line.split(': ', 1) for line in p.stdout.strip().split('\n') if ': ' in line)
	C.check(p.returncode == 0 and all(k in lines for k in ('rx', 'answered', 'rcode_noerror', 'qtype_A')) and
		all(v.isdigit() for v in lines.values()), 'stats: exit 0, "name: count" lines with rx, answered, '
		'rcode_noerror, qtype_A', p.stdout[:500] + p.stderr)
	p = ctl.run('zone-status')
	C.check(p.returncode == 0 and STATIC in p.stdout and SECONDARY in p.stdout and 'serial: 42' in p.stdout,
		'zone-status: both zones, serial 42 of the static one', p.stdout + p.stderr)
	p = ctl.run('zone-status', STATIC.rstrip('.'))
	C.check(p.returncode == 0 and STATIC in p.stdout and SECONDARY not in p.stdout and 'type: static' in p.stdout,
		'zone-status %s (no final dot): that zone only' % STATIC.rstrip('.'), p.stdout + p.stderr)
	p = ctl.run('zone-show', STATIC)
	C.check(p.returncode == 0 and '192.0.2.80' in p.stdout and 'control test' in p.stdout and 'SOA' in p.stdout,
		'zone-show %s: the records as zone text' % STATIC, p.stdout + p.stderr)
	p = ctl.run('help')
	C.check(p.returncode == 0 and all(c in p.stdout for c in ('status', 'stats', 'zone-status', 'zone-refresh',
								'zone-retransfer', 'zone-show', 'reload')),
		'help: lists every command', p.stdout + p.stderr)
	p = ctl.run('reload')
	C.check(p.returncode == 0 and p.stdout == 'reloaded: 0 zones added, 0 removed, 0 changed, 2 unchanged\n',
		'reload: exit 0 once done, "reloaded: 0 zones added, 0 removed, 0 changed, 2 unchanged"',
		p.stdout + p.stderr)


def check_stats_names(ctl, d):
	rc, j = ctl.json('stats')
	tel = d.telemetry()
	try:
		names = set(tel.stats())
	finally:
		tel.close()
	want = ('exc_ring_full', 'kernel_tx_drop', 'kernel_rx_ring_full', 'kernel_rx_tx_drop', 'drop_total')
	C.check(rc == 0 and isinstance(j, dict) and set(j) == names and all(k in names for k in want),
		'stats --json names the counters of telemetry /dpdns/stats (%d), %s among them' % (
			len(names), ', '.join(want)),
		'only in stats: %s; only in telemetry: %s' % (sorted(set(j or {}) - names), sorted(names - set(j or {}))))


def check_json_commands(ctl):
	rc, j = ctl.json('status')
	C.check(rc == 0 and isinstance(j, dict) and j.get('workers') == 1 and isinstance(j.get('uptime'), int) and
		isinstance(j.get('ports'), list) and len(j['ports']) == 1 and isinstance(j.get('answered'), int),
		'status --json: workers 1, uptime, one port, answered', j)
	rc, j = ctl.json('stats')
	C.check(rc == 0 and isinstance(j, dict) and all(isinstance(v, int) for v in j.values()) and
		'qtype_AAAA' in j and 'answered' in j, 'stats --json: an object of counters', j)
	rc, j = ctl.json('zone-status')
	C.check(rc == 0 and isinstance(j, list) and sorted(z.get('zone') for z in j) == sorted([STATIC, SECONDARY]),
		'zone-status --json: an array of both zones', j)
	rc, j = ctl.json('zone-status', SECONDARY)
	C.check(rc == 0 and isinstance(j, list) and len(j) == 1 and j[0].get('type') == 'secondary' and
		j[0].get('serial') is None and 'last_transfer' in j[0], 'zone-status %s --json: secondary, no serial yet'
		% SECONDARY, j)
	rc, j = ctl.json('zone-show', STATIC)
	C.check(rc == 0 and isinstance(j, dict) and j.get('serial') == 42 and '192.0.2.80' in j.get('text', ''),
		'zone-show --json: zone, serial, text', j)
	rc, j = ctl.json('reload')
	C.check(rc == 0 and isinstance(j, dict) and j.get('reload') == 'done' and
		j.get('message') == 'reloaded: 0 zones added, 0 removed, 0 changed, 2 unchanged\n',
		'reload --json: {"reload":"done","message":"reloaded: 0 zones added, ..."}', j)
	rc, j = ctl.json('help')
	C.check(rc == 0 and isinstance(j, dict) and len(j.get('commands', [])) >= 8, 'help --json: the commands', j)


def check_refresh(ctl, d):
	p = ctl.run('zone-refresh', SECONDARY)
	C.check(p.returncode == 0 and SECONDARY in p.stdout, 'zone-refresh %s: exit 0' % SECONDARY, p.stdout + p.stderr)
	rc, j = ctl.json('zone-retransfer', SECONDARY)
	C.check(rc == 0 and isinstance(j, dict) and j.get('zone') == SECONDARY and j.get('action') == 'axfr' and
		j.get('state') in ('started', 'queued'), 'zone-retransfer %s --json: axfr started or queued' % SECONDARY, j)
	# The primary refuses: each refresh fails at once; zone-status and /metrics say so.
	end = time.monotonic() + 15
	while True:
		rc, j = ctl.json('zone-status', SECONDARY)
		z = j[0] if isinstance(j, list) and j else {}
		if (z.get('last_result') == 'failed' and not z.get('refreshing')) or time.monotonic() > end:
			break
		time.sleep(0.3)
	C.check(z.get('last_result') == 'failed' and z.get('last_error') and z.get('failed_refreshes', 0) >= 1,
		'zone-status after refreshes against a refusing primary: failed, with the error', z)
	p = ctl.run('zone-status', SECONDARY)
	C.check(p.returncode == 0 and 'last result:' in p.stdout and 'failed refreshes:' in p.stdout,
		'zone-status %s (text): last result and failed refreshes' % SECONDARY, p.stdout)
	m = d.scrape()
	fails = m.sum('dpdns_zone_transfers_total', zone=SECONDARY, result='failed')
	C.check(fails == z.get('failed_refreshes') and fails >= 1,
		'/metrics dpdns_zone_transfers_total{result="failed"} = zone-status failed_refreshes (%s)' % fails,
		m.text[-3000:])
	C.equal(m.get('dpdns_zone_transfer_duration_seconds_count', zone=SECONDARY, kind='axfr'), 0,
		'/metrics no AXFR duration counted (none succeeded)')


def check_errors(ctl):
	for args, what, want in (
		(('zone-status', 'nosuch.test'), 'zone-status of an unknown zone', 'no such zone: nosuch.test'),
		(('zone-show', 'nosuch.test.'), 'zone-show of an unknown zone', 'no such zone'),
		(('zone-refresh', 'nosuch.test.'), 'zone-refresh of an unknown zone', 'no such zone'),
		(('zone-retransfer', 'nosuch.test.'), 'zone-retransfer of an unknown zone', 'no such zone'),
		(('zone-refresh', STATIC), 'zone-refresh of a static zone', 'not a secondary zone'),
		(('zone-retransfer', STATIC), 'zone-retransfer of a static zone', 'not a secondary zone'),
		(('zone-show', SECONDARY), 'zone-show of a zone without data', 'no data yet'),
		(('frobnicate',), 'an unknown command', "unknown command 'frobnicate'"),
		(('zone-show',), 'zone-show without its argument', 'takes 1 argument, got 0'),
		(('zone-refresh',), 'zone-refresh without its argument', 'takes 1 argument, got 0'),
		(('zone-show', STATIC, 'extra'), 'zone-show with an extra argument', 'takes 1 argument, got 2'),
		(('status', 'extra'), 'status with an argument', 'got 1'),
		(('zone-status', STATIC, SECONDARY), 'zone-status with two zones', 'got 2'),
		(('reload', 'now'), 'reload with an argument', 'got 1'),
	):
		p = ctl.run(*args)
		C.check(p.returncode == 1 and p.stderr.startswith('error: ') and want in p.stderr and not p.stdout,
			'%s: exit 1, "error: ...%s..." on stderr' % (what, want), 'exit %d, out %r, err %r' %
			(p.returncode, p.stdout, p.stderr))
		rc, j = ctl.json(*args, what=what)
		C.check(rc == 1 and isinstance(j, dict) and want in j.get('error', ''),
			'%s --json: exit 1, {"error": ...}' % what, j)
	for args, what in ((['-s', ctl.sock], 'no command'), (['-s', ctl.sock, '-t', '0', 'status'], 'a bad timeout'),
			   (['-s', ctl.sock, '--frob', 'status'], 'an unknown option'),
			   (['-s', ctl.sock, 'zone-show', 'a b'], 'an argument with a space')):
		p = subprocess.run([ctl.exe] + args, capture_output=True, text=True, timeout=10)
		C.check(p.returncode == 2 and p.stderr, 'dpdnsctl with %s: exit 2 and a message' % what,
			'exit %d: %s' % (p.returncode, p.stderr))


def check_raw(ctl, d):
	out, closed = raw(ctl.sock, b'a' * 5000 + b'\n')
	C.check(out.startswith(b'ERR ') and b'longer than 4095 octets' in out and closed,
		'an over-long line: ERR "longer than 4095 octets", connection closed', out[:200])
	out, closed = raw(ctl.sock, b'\x16\x03\x01\x00\xff\x00garbage\xfe\xfd\n')
	C.check(out.startswith(b'ERR ') and b'non-text octet 0x16 at offset 0' in out and closed,
		'binary garbage: ERR "non-text octet", connection closed', out[:200])
	out, closed = raw(ctl.sock, b'status\nstatus\x00\n')
	C.check(out.startswith(b'OK ') and b'uptime' in out and b'ERR ' in out and closed,
		'a good request then a NUL: OK for the first, then ERR and closed', out[:300])
	out, closed = raw(ctl.sock, b'\n--json\n-x status\nstatus\n', timeout=2)
	C.check(out.count(b'ERR ') == 3 and out.count(b'OK ') == 1 and not closed,
		'empty line, --json alone, an unknown option: ERR each, the connection stays for the next', out[:400])
	C.check(d.alive(), 'dpdnsd still running after the bad input', d.tail(20))
	p = ctl.run('status')
	C.check(p.returncode == 0 and 'uptime' in p.stdout, 'status still answers after the bad input', p.stderr)


def check_socket_file(sock):
	stt = os.stat(sock)
	C.check(stat.S_ISSOCK(stt.st_mode), 'the control socket is a socket')
	C.check((stt.st_mode & 0o007) == 0, 'the control socket gives others no permission (mode %o)' %
		(stt.st_mode & 0o777))


def check_no_daemon(ctl, workdir):
	missing = os.path.join(workdir, 'missing.sock')
	p = ctl.run('status', sock=missing)
	C.check(p.returncode == 1 and 'no such socket' in p.stderr, 'dpdnsctl with no socket: exit 1, "no such socket"',
		'exit %d: %s' % (p.returncode, p.stderr))
	dead = os.path.join(workdir, 'dead.sock')
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.bind(dead)  # bound, never listening: connect() is refused
	try:
		p = ctl.run('status', sock=dead)
	finally:
		s.close()
	C.check(p.returncode == 1 and 'connection refused' in p.stderr,
		'dpdnsctl with a socket nobody listens on: exit 1, "connection refused"',
		'exit %d: %s' % (p.returncode, p.stderr))


def body(env):
	ctl_exe = st.dpdnsctl_path(env.dpdnsd)
	if not os.access(ctl_exe, os.X_OK):
		raise st.Skip('dpdnsctl not built (%s)' % ctl_exe)
	zfile = os.path.join(env.workdir, STATIC + 'zone')
	with open(zfile, 'w') as f:
		f.write(zone_text())
	topo = env.topology(st.kinds(env.args)[0])
	# The primary: the client's address, a port nothing listens on (refused at once, over the exception path).
	remotes = [{'id': 'nobody', 'address': ['%s@5399' % st.CLI4]}]
	zones = [(STATIC, zfile), {'domain': SECONDARY, 'primary': ['nobody']}]
	d = env.daemon(topo, zones, name='ctl', remotes=remotes, metrics=METRICS)
	d.start()
	ctl = Ctl(ctl_exe, d.control_socket)
	check_socket_file(d.control_socket)
	check_text_commands(ctl)
	check_json_commands(ctl)
	check_stats_names(ctl, d)
	check_refresh(ctl, d)
	check_errors(ctl)
	check_raw(ctl, d)
	rc = d.stop(timeout=15)
	C.check(rc == 0, 'dpdnsd stops cleanly (exit %s)' % rc, d.tail(20))
	C.check(not os.path.exists(d.control_socket), 'the control socket is removed at exit')
	check_no_daemon(ctl, env.workdir)


if __name__ == '__main__':
	sys.exit(st.main('control_commands', __doc__.split('\n')[0], body))
