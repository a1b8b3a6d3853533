#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seeds for tests/fuzz/fuzz_pkt.c: 4 control octets (flags, extra capacity,
IPv4 ID) then an Ethernet frame.  flags bit 0: the harness recomputes the
checksums; bit 1: no MAC configured; bits 2-7: response length selector."""
import os
import struct
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'pkt')
OUR_MAC = bytes([2, 0, 0, 0, 0, 0x53])
CLI_MAC = bytes([2, 0, 0, 0, 0, 1])
OUR4 = bytes([198, 18, 0, 53])
CLI4 = bytes([198, 19, 0, 1])
OUR6 = bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [0x53])
CLI6 = bytes([0x20, 0x01, 0x0d, 0xb8, 0, 1] + [0] * 9 + [1])


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def name(dotted):
    out = b''
    for label in dotted.split('.'):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def query(qname='www.example', qtype=1, flags=0x0100, edns=False, qid=0x1234):
    arcount = 1 if edns else 0
    m = struct.pack('!6H', qid, flags, 1, 0, 0, arcount) + name(qname) + struct.pack('!2H', qtype, 1)
    if edns:
        m += b'\0' + struct.pack('!HHIH', 41, 1232, 0, 0)
    return m


def udp(src, dst, sport, dport, payload, csum_mode='ok'):
    ulen = 8 + len(payload)
    h = struct.pack('!4H', sport, dport, ulen, 0)
    if len(src) == 4:
        ph = src + dst + struct.pack('!BBH', 0, 17, ulen)
    else:
        ph = src + dst + struct.pack('!IxxxB', ulen, 17)
    c = (~csum(ph + h + payload)) & 0xffff or 0xffff
    if csum_mode == 'zero':
        c = 0
    elif csum_mode == 'bad':
        c ^= 0x0101
    return struct.pack('!4H', sport, dport, ulen, c) + payload


def ip4(src, dst, payload, proto=17, frag=0x4000, opts=b'', ttl=64, bad=False):
    hl = 20 + len(opts)
    h = struct.pack('!BBHHHBBH4s4s', 0x40 | hl // 4, 0, hl + len(payload), 0x1111, frag, ttl,
                    proto, 0, src, dst) + opts
    c = (~csum(h)) & 0xffff
    if bad:
        c ^= 1
    return h[:10] + struct.pack('!H', c) + h[12:] + payload


def ip6(src, dst, payload, nh=17, hops=64):
    return struct.pack('!IHBB16s16s', 0x60000000, len(payload), nh, hops, src, dst) + payload


def eth(payload, etype, dst=OUR_MAC, src=CLI_MAC, tags=()):
    h = dst + src
    for tpid, tci in tags:
        h += struct.pack('!HH', tpid, tci)
    return h + struct.pack('!H', etype) + payload


def seed(fname, frame, flags=0, extra=0, ip_id=0x0102):
    with open(os.path.join(OUT, 'seed-' + fname), 'wb') as f:
        f.write(bytes([flags, extra]) + struct.pack('!H', ip_id) + frame)


os.makedirs(OUT, exist_ok=True)
for f in os.listdir(OUT):
    if f.startswith('seed-'):
        os.unlink(os.path.join(OUT, f))

V = [(0x8100, 0x2064)]
q = query()
seed('v4-query', eth(ip4(CLI4, OUR4, udp(CLI4, OUR4, 40000, 53, q)), 0x0800), flags=5 << 2)
seed('v4-vlan-query', eth(ip4(CLI4, OUR4, udp(CLI4, OUR4, 40001, 53, q)), 0x0800, tags=V),
     flags=60 << 2, extra=7)
seed('v6-query', eth(ip6(CLI6, OUR6, udp(CLI6, OUR6, 40002, 53, query('example', 6, edns=True))),
                     0x86dd), flags=33 << 2)
seed('v6-vlan-query', eth(ip6(CLI6, OUR6, udp(CLI6, OUR6, 40003, 53, q)), 0x86dd, tags=V),
     flags=1 << 2)
short = struct.pack('!6H', 7, 0, 0, 0, 0, 0)
seed('v4-padded', eth(ip4(CLI4, OUR4, udp(CLI4, OUR4, 40004, 53, short)), 0x0800) + b'\xa5' * 6,
     flags=(2 << 2) | 2)
seed('v4-from-53', eth(ip4(CLI4, OUR4, udp(CLI4, OUR4, 53, 53, q)), 0x0800), flags=7 << 2)
seed('v6-from-53', eth(ip6(CLI6, OUR6, udp(CLI6, OUR6, 53, 53, q)), 0x86dd, tags=V), flags=40 << 2)
seed('v4-no-udp-csum', eth(ip4(CLI4, OUR4, udp(CLI4, OUR4, 40005, 53, q, 'zero')), 0x0800))
seed('v4-bad-csums-fixed', eth(ip4(CLI4, OUR4, udp(CLI4, OUR4, 40006, 53, q, 'bad'), bad=True),
                               0x0800), flags=1 | (11 << 2))
seed('v6-bad-csum-fixed', eth(ip6(CLI6, OUR6, udp(CLI6, OUR6, 40007, 53, q, 'bad')), 0x86dd),
     flags=1 | (17 << 2))
seed('v4-notify', eth(ip4(CLI4, OUR4, udp(CLI4, OUR4, 40008, 53,
                                          query('example', 6, flags=0x2400))), 0x0800))
seed('v4-response', eth(ip4(CLI4, OUR4, udp(CLI4, OUR4, 53, 53, query(flags=0x8400))), 0x0800))
seed('v4-fragment', eth(ip4(CLI4, OUR4, udp(CLI4, OUR4, 40009, 53, q), frag=0x2000), 0x0800))
seed('v4-options', eth(ip4(CLI4, OUR4, udp(CLI4, OUR4, 40010, 53, q), opts=b'\x01' * 4), 0x0800))
seed('v4-tcp-syn', eth(ip4(CLI4, OUR4, struct.pack('!HHIIBBHHH', 40011, 53, 1, 0, 0x50, 0x02,
                                                   64240, 0, 0), proto=6), 0x0800))
arp = struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, 1, CLI_MAC, CLI4, b'\0' * 6, OUR4)
seed('arp-request', eth(arp, 0x0806, dst=b'\xff' * 6))
ns = bytes([135, 0, 0, 0, 0, 0, 0, 0]) + OUR6 + bytes([1, 1]) + CLI_MAC
snm = bytes([0xff, 0x02] + [0] * 9 + [1, 0xff, 0, 0, 0x53])
seed('v6-ndp-ns', eth(ip6(CLI6, snm, ns, nh=58, hops=255), 0x86dd,
                      dst=bytes([0x33, 0x33, 0xff, 0, 0, 0x53])))
hbh = bytes([17, 0, 1, 4, 0, 0, 0, 0]) + udp(CLI6, OUR6, 40012, 53, q)
seed('v6-hop-by-hop', eth(ip6(CLI6, OUR6, hbh, nh=0), 0x86dd))
seed('qinq', eth(ip4(CLI4, OUR4, udp(CLI4, OUR4, 40013, 53, q)), 0x0800,
                 tags=[(0x88a8, 10), (0x8100, 20)]))
seed('v4-other-port', eth(ip4(CLI4, OUR4, udp(CLI4, OUR4, 40014, 5353, q)), 0x0800))
seed('v4-truncated', eth(ip4(CLI4, OUR4, udp(CLI4, OUR4, 40015, 53, q)), 0x0800)[:50], flags=1)
seed('v6-martian-src', eth(ip6(bytes(15) + b'\1', OUR6, udp(bytes(15) + b'\1', OUR6, 40016, 53, q)),
                           0x86dd), flags=1)
seed('v4-from-53-empty-reply', eth(ip4(CLI4, OUR4, udp(CLI4, OUR4, 53, 53, q)), 0x0800), flags=0,
     extra=3)
seed('v6-no-udp-csum', eth(ip6(CLI6, OUR6, udp(CLI6, OUR6, 40017, 53, q, 'zero')), 0x86dd))
seed('v4-dns-short', eth(ip4(CLI4, OUR4, udp(CLI4, OUR4, 40018, 53, short[:11])), 0x0800), flags=1)
