#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""daemon_lifecycle: dpdnsd's configuration check, start, reload, counters log and stop.

  * `dpdnsd --check -c FILE`: a good configuration exits 0; an unknown key, a value of the wrong type, a zone
    naming an unknown remote, bad remote and interface addresses and a zone file with an error each exit 1
    with FILE:LINE of the problem on stderr.
  * A zone file with an error: dpdnsd refuses to start (non-zero exit, never "ready") and says FILE:LINE.
  * Running: SIGHUP with a broken zone file logs the error (FILE:LINE) and keeps serving the old version;
    SIGHUP once the file is fixed logs "dpdnsd: reloaded" and serves the new version; SIGUSR1 logs the
    counters and the daemon keeps running.
  * Logs: a file target next to stderr gets the zone and control lines and only warnings of the server
    category; after the file is moved away, SIGHUP reopens it: later lines go to the new file.
  * SIGTERM and SIGINT: exit 0 within 10 s, and the exception TAP is gone.
"""

import os
import signal
import subprocess
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import systest as st  # noqa: E402

C = st.CHECKS
ORIGIN = 'life.test.'


def zone_text(serial, broken_line=None):
	lines = [
		'$ORIGIN life.test.',                                           # 1
		'$TTL 300',                                                     # 2
		'@\tIN SOA ns.life.test. admin.life.test. %d 3600 600 86400 60' % serial,  # 3
		'\tIN NS ns.life.test.',                                        # 4
		'ns\tIN A 198.18.0.2',                                          # 5
		'www\tIN A 192.0.2.%d' % (serial % 250 + 1),                    # 6
		'txt\tIN TXT "serial %d"' % serial,                             # 7
	]
	if broken_line:
		lines.insert(broken_line - 1, 'bad\tIN A 300.1.2.3')          # not an IPv4 address
	return '\n'.join(lines) + '\n'


def write(path, text):
	tmp = path + '.tmp'
	with open(tmp, 'w') as f:
		f.write(text)
	os.replace(tmp, path)


def insert_line(text, after_prefix, new_line):
	"""Inserts new_line after the first line starting with after_prefix; returns (text, its line number)."""
	lines = text.split('\n')
	for i, line in enumerate(lines):
		if line.startswith(after_prefix):
			lines.insert(i + 1, new_line)
			return '\n'.join(lines), i + 2
	raise st.SetupError('no line starting with %r' % after_prefix)


def replace_line(text, prefix, new_line):
	lines = text.split('\n')
	for i, line in enumerate(lines):
		if line.startswith(prefix):
			lines[i] = new_line
			return '\n'.join(lines), i + 1
	raise st.SetupError('no line starting with %r' % prefix)


def serial_served(topo, family):
	cli = st.UdpClient(topo, family)
	try:
		r = cli.exchange(st.dns_query(0x1234, 'life.test', 6), timeout=2)
	finally:
		cli.close()
	if r is None or len(r) < 12:
		return None
	import diff_answers as da
	try:
		resp = da.Response(r)
	except da.ParseError:
		return None
	for _o, rrtype, _c, _t, _rd, txt in resp.text[0]:
		if rrtype == 6:
			return int(txt.split()[2])
	return None


def check_configs(env, zfile, badzone):
	d = env.daemon(st.Topology('unused', 'af_packet'), [(ORIGIN, zfile)], name='check')
	good = d.config_text()
	path = os.path.join(env.workdir, 'good.yaml')
	write(path, good)
	p = st.check_cli(env.dpdnsd, ['--check', '-c', path])
	C.check(p.returncode == 0, '--check on a good configuration: exit 0', 'exit %d\n%s' % (p.returncode, p.stderr))

	text, line = insert_line(good, 'server:', '  colour: blue')
	path = os.path.join(env.workdir, 'unknown-key.yaml')
	write(path, text)
	p = st.check_cli(env.dpdnsd, ['--check', '-c', path])
	C.check(p.returncode == 1 and '%s:%d' % (path, line) in p.stderr and 'colour' in p.stderr,
		'--check with an unknown key: exit 1, "%s:%d" and the key on stderr' % (os.path.basename(path), line),
		'exit %d\n%s' % (p.returncode, p.stderr))

	text, line = replace_line(good, '  idle-sleep-us:', '  idle-sleep-us: lots')
	path = os.path.join(env.workdir, 'wrong-type.yaml')
	write(path, text)
	p = st.check_cli(env.dpdnsd, ['--check', '-c', path])
	C.check(p.returncode == 1 and '%s:%d' % (path, line) in p.stderr,
		'--check with a value of the wrong type: exit 1, "%s:%d" on stderr' % (os.path.basename(path), line),
		'exit %d\n%s' % (p.returncode, p.stderr))

	# A zone naming a remote that does not exist (tests/unit/conf checks the message; this, dpdnsd's exit).
	sec = st.Daemon(env.dpdnsd, st.Topology('unused', 'af_packet'), env.workdir,
			[(ORIGIN, zfile), {'domain': 'sec.life.test.', 'primary': ['nobody']}],
			remotes=[{'id': 'somebody', 'address': ['198.18.0.1@53']}]).config_text()
	text, line = sec, sec.split('\n').index("    primary: [\"nobody\"]") + 1
	path = os.path.join(env.workdir, 'dangling-remote.yaml')
	write(path, text)
	p = st.check_cli(env.dpdnsd, ['--check', '-c', path])
	C.check(p.returncode == 1 and '%s:%d' % (path, line) in p.stderr and 'nobody' in p.stderr,
		'--check with a zone naming an unknown remote: exit 1, "%s:%d" and the name on stderr' %
		(os.path.basename(path), line), 'exit %d\n%s' % (p.returncode, p.stderr))
	ok = sec.replace('"somebody"', '"nobody"')
	for what, old, new in (
		('a remote address that is not one', '198.18.0.1@53', '198.18.0.300@53'),
		('a remote address with a bad port', '198.18.0.1@53', '198.18.0.1@99999'),
	):
		text = ok.replace(old, new)
		line = text.split('\n').index('    address: ["%s"]' % new) + 1
		path = os.path.join(env.workdir, 'bad-address.yaml')
		write(path, text)
		p = st.check_cli(env.dpdnsd, ['--check', '-c', path])
		C.check(p.returncode == 1 and '%s:%d' % (path, line) in p.stderr,
			'--check with %s: exit 1, "%s:%d" on stderr' % (what, os.path.basename(path), line),
			'exit %d\n%s' % (p.returncode, p.stderr))
	text, line = replace_line(good, '      address:', '      address: ["198.18.0.2/33", "2001:db8::2/64"]')
	path = os.path.join(env.workdir, 'bad-iface-address.yaml')
	write(path, text)
	p = st.check_cli(env.dpdnsd, ['--check', '-c', path])
	C.check(p.returncode == 1 and '%s:%d' % (path, line) in p.stderr,
		'--check with a bad interface prefix: exit 1, "%s:%d" on stderr' % (os.path.basename(path), line),
		'exit %d\n%s' % (p.returncode, p.stderr))

	path = os.path.join(env.workdir, 'bad-zone.yaml')
	write(path, good.replace(zfile, badzone[0]))
	p = st.check_cli(env.dpdnsd, ['--check', '-c', path])
	C.check(p.returncode == 1 and '%s:%d' % badzone in p.stderr,
		'--check with a broken zone file: exit 1, "%s:%d" on stderr' % (os.path.basename(badzone[0]), badzone[1]),
		'exit %d\n%s' % (p.returncode, p.stderr))


def body(env):
	zfile = os.path.join(env.workdir, 'life.test.zone')
	write(zfile, zone_text(1))
	badzone = os.path.join(env.workdir, 'broken.zone')
	write(badzone, zone_text(1, broken_line=6))
	check_configs(env, zfile, (badzone, 6))

	topo = env.topology('af_packet')

	# A zone with an error: no start.
	d = env.daemon(topo, [(ORIGIN, badzone)], name='badzone')
	d.start(expect_ready=False)
	rc = d.wait_exit(30)
	C.check(rc is not None and rc != 0 and d.wait_for(r'dpdnsd: ready', 0, fatal=False) is None and
		d.wait_for(r'%s:6' % badzone, 0, fatal=False) is not None,
		'a broken zone file: dpdnsd refuses to start (exit %s) and says "%s:6"' % (rc, os.path.basename(badzone)),
		d.tail(20))
	if rc is None:
		d.kill()

	# Running: reload with a broken file, then a good one; SIGUSR1; SIGTERM.
	flog = os.path.join(env.workdir, 'run-file.log')
	d = env.daemon(topo, [(ORIGIN, zfile)], name='run',
		       extra_yaml='log:\n  - target: stderr\n    any: info\n'
		       '  - target: %s\n    zone: info\n    control: info\n    server: warning\n' % flog)
	d.start()
	with open(flog) as f:
		text = f.read()
	C.check('info dpdnsd: zone %s: serial 1 from' % ORIGIN in text and 'info dpdnsd: control socket' in text,
		'log file target: zone and control lines at info', text[-600:])
	C.check('dpdnsd: ready' not in text and 'dpdnsd: ready' in '\n'.join(d.lines),
		'log file target: no server line at info ("ready" only on stderr)', text[-600:])
	for fam in (socket.AF_INET, socket.AF_INET6):
		C.equal(serial_served(topo, fam), 1, 'serial served at start (%s)' % ('IPv4' if fam == socket.AF_INET else 'IPv6'))
	since = d.log_count()
	write(zfile, zone_text(2, broken_line=6))
	d.send_signal(signal.SIGHUP)
	i = d.wait_for(r'%s:6' % zfile, 10, since=since, fatal=False)
	C.check(i is not None, 'SIGHUP with a broken zone file: the error is logged with "%s:6"' %
		os.path.basename(zfile), d.tail(20))
	time.sleep(0.3)
	C.check(d.wait_for(r'dpdnsd: reloaded', 0, since=since, fatal=False) is None,
		'no "dpdnsd: reloaded" for the broken file', d.tail(20))
	C.check(d.alive(), 'dpdnsd still running after the failed reload', d.tail(20))
	for fam in (socket.AF_INET, socket.AF_INET6):
		C.equal(serial_served(topo, fam), 1, 'the old version is still served (%s)' %
			('IPv4' if fam == socket.AF_INET else 'IPv6'))
	since = d.log_count()
	write(zfile, zone_text(3))
	os.rename(flog, flog + '.1')
	d.send_signal(signal.SIGHUP)
	C.check(d.wait_for(r'dpdnsd: reloaded', 10, since=since, fatal=False) is not None,
		'SIGHUP with the fixed file: "dpdnsd: reloaded"', d.tail(20))
	# The line goes to stderr and to the file one after the other: give the file a moment.
	deadline = time.monotonic() + 3
	new = ''
	while time.monotonic() < deadline:
		new = open(flog).read() if os.path.exists(flog) else ''
		if 'reloaded' in new:
			break
		time.sleep(0.05)
	with open(flog + '.1') as f:
		old = f.read()
	C.check('reloaded' in new and 'reloaded' not in old and 'life.test.zone:6' in old,
		'SIGHUP reopened the moved log file: the reload line is in the new file, the earlier ones in the old',
		'new: %r' % new[-300:])
	for fam in (socket.AF_INET, socket.AF_INET6):
		C.equal(serial_served(topo, fam), 3, 'the new version is served (%s)' %
			('IPv4' if fam == socket.AF_INET else 'IPv6'))

	# The slow path (and libuv's pool it starts) runs on the CPUs dpdnsd was started with, not
	# pinned to the main lcore's CPU as the EAL pins the main thread.
	started_on = sorted(os.sched_getaffinity(0))
	slow = None
	for tid in os.listdir('/proc/%d/task' % d.proc.pid):
		try:
			with open('/proc/%d/task/%s/comm' % (d.proc.pid, tid)) as f:
				if f.read().strip() == 'dpdns-slow':
					slow = sorted(os.sched_getaffinity(int(tid)))
		except OSError:
			pass
	C.check(slow == started_on, 'the slow-path thread runs on the CPUs dpdnsd started with (%s)' %
		started_on, 'dpdns-slow affinity: %s' % slow)

	since = d.log_count()
	d.send_signal(signal.SIGUSR1)
	i = d.wait_for(r'\brx\b\D{0,3}\d+', 5, since=since, fatal=False)
	C.check(i is not None, 'SIGUSR1 logs the counters', d.tail(10))
	if i is not None:
		print('# SIGUSR1: %s' % d.lines[i][:300])
	C.check(d.alive(), 'dpdnsd still running after SIGUSR1')

	# The control socket (default <rundir>/dpdnsd.sock): a known zone, and a bad request.
	ctl = os.path.join(os.path.dirname(env.dpdnsd), '..', '..', 'tools', 'dpdnsctl')
	sock = os.path.join(d.rundir, 'dpdnsd.sock')
	p = subprocess.run([ctl, '-s', sock, 'zone-status', ORIGIN], capture_output=True, text=True,
			   timeout=10)
	C.check(p.returncode == 0 and 'serial: 3' in p.stdout,
		'dpdnsctl zone-status %s: exit 0, serial 3' % ORIGIN, p.stdout + p.stderr)
	p = subprocess.run([ctl, '-s', sock, 'zone-status', 'nosuch.test'], capture_output=True,
			   text=True, timeout=10)
	C.check(p.returncode == 1 and 'no such zone: nosuch.test' in p.stdout + p.stderr,
		'dpdnsctl zone-status of an unknown zone: exit 1, "no such zone"',
		'exit %d: %s' % (p.returncode, p.stdout + p.stderr))
	p = subprocess.run([ctl, '-s', sock, 'zone-refresh', ORIGIN], capture_output=True, text=True,
			   timeout=10)
	C.check(p.returncode == 1 and 'not a secondary zone' in p.stdout + p.stderr,
		'dpdnsctl zone-refresh of a static zone: exit 1', p.stdout + p.stderr)

	t0 = time.monotonic()
	rc = d.stop(signal.SIGTERM, timeout=10)
	C.check(rc == 0, 'SIGTERM: exit 0 (%s) in %.1fs' % (rc, time.monotonic() - t0), d.tail(20))
	C.check(not st.link_exists(topo.srv, st.EXC_IF), 'SIGTERM: the TAP %s is gone' % st.EXC_IF)

	d = env.daemon(topo, [(ORIGIN, zfile)], name='sigint')
	d.start()
	t0 = time.monotonic()
	rc = d.stop(signal.SIGINT, timeout=10)
	C.check(rc == 0, 'SIGINT: exit 0 (%s) in %.1fs' % (rc, time.monotonic() - t0), d.tail(20))
	C.check(not st.link_exists(topo.srv, st.EXC_IF), 'SIGINT: the TAP %s is gone' % st.EXC_IF)


if __name__ == '__main__':
	sys.exit(st.main('daemon_lifecycle', __doc__.split('\n')[0], body))
