#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the seed corpora for the fuzz targets in tests/fuzz/corpus/<target>/.

Deterministic and standard-library only.  Run it from anywhere after changing
it, and commit its output:

    python3 tests/fuzz/make_seeds.py

Every file it writes is named seed-*; a rerun deletes the old seed-* files of
each target first and leaves any other file (a saved finding, say) alone.

  name   raw bytes fed to dns_name_parse at every offset: plain, compressed,
         mixed case, escapes, label/name length limits, pointer loops, forward
         pointers, reserved label types, truncations.
  msg    whole DNS messages: queries and responses of many RR types built with
         name compression, EDNS with options, NOTIFY/IXFR/AXFR/TSIG shapes,
         and crafted malformed ones.
  rdata  2-octet type + uncompressed rdata for every known layout, unknown
         types, and layout violations.
"""

import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

# RR types and classes (subset of src/dns/rrtype.h).
T = dict(A=1, NS=2, MD=3, MF=4, CNAME=5, SOA=6, MB=7, MG=8, MR=9, PTR=12, HINFO=13, MINFO=14,
         MX=15, TXT=16, RP=17, AFSDB=18, RT=21, SIG=24, PX=26, AAAA=28, NXT=30, SRV=33,
         NAPTR=35, KX=36, A6=38, DNAME=39, OPT=41, DS=43, SSHFP=44, RRSIG=46, NSEC=47,
         DNSKEY=48, NSEC3=50, NSEC3PARAM=51, TLSA=52, SVCB=64, HTTPS=65, TSIG=250, IXFR=251,
         AXFR=252, ANY=255, CAA=257)
IN, CH = 1, 3
# Header flags.
QR, AA, TC, RD, RA, AD, CD = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080, 0x0020, 0x0010
OP_NOTIFY = 4 << 11
NXDOMAIN, FORMERR, REFUSED = 3, 1, 5
# EDNS options.
NSID, EXPIRE, COOKIE, KEEPALIVE, PADDING, EDE = 3, 9, 10, 11, 12, 15


def u8(v):
    return struct.pack("!B", v)


def u16(v):
    return struct.pack("!H", v)


def u32(v):
    return struct.pack("!I", v)


def wire(name):
    """Uncompressed wire form of a presentation name (no escapes; '.' = root)."""
    out = b""
    for label in [x for x in name.rstrip(".").split(".") if x]:
        b = label.encode("latin-1")
        out += u8(len(b)) + b
    return out + b"\0"


def raw_labels(*labels):
    """Wire name from raw label byte strings (any octets, any length <= 63)."""
    return b"".join(u8(len(x)) + x for x in labels) + b"\0"


def cstr(s):
    b = s if isinstance(s, bytes) else s.encode()
    return u8(len(b)) + b


class Msg:
    """A DNS message builder with RFC 1035 name compression (case-insensitive)."""

    def __init__(self, id_=0x1234, flags=0):
        self.id, self.flags = id_, flags
        self.body = bytearray()
        self.counts = [0, 0, 0, 0]
        self.table = {}  # lowercased suffix -> offset

    def off(self):
        return 12 + len(self.body)

    def name(self, name, compress=True):
        labels = [x for x in name.rstrip(".").split(".") if x]
        out = bytearray()
        for i in range(len(labels)):
            key = ".".join(labels[i:]).lower()
            if compress and key in self.table:
                out += u16(0xC000 | self.table[key])
                return bytes(out)
            pos = self.off() + len(out)
            if compress and pos < 0x4000:
                self.table[key] = pos
            b = labels[i].encode("latin-1")
            out += u8(len(b)) + b
        return bytes(out + b"\0")

    def question(self, name, qtype, qclass=IN):
        self.body += self.name(name)
        self.body += u16(qtype) + u16(qclass)
        self.counts[0] += 1
        return self

    def rr(self, section, owner, rtype, rdata_parts, ttl=3600, rclass=IN):
        """rdata_parts: list of bytes, or ('name', text[, compress]) to compress."""
        self.body += self.name(owner) if isinstance(owner, str) else owner
        self.body += u16(rtype) + u16(rclass) + u32(ttl)
        len_at = len(self.body)
        self.body += b"\0\0"
        start = len(self.body)
        for p in rdata_parts:
            if isinstance(p, tuple):
                self.body += self.name(p[1], p[2] if len(p) > 2 else True)
            else:
                self.body += p
        struct.pack_into("!H", self.body, len_at, len(self.body) - start)
        self.counts[section] += 1
        return self

    def an(self, *a, **k):
        return self.rr(1, *a, **k)

    def ns(self, *a, **k):
        return self.rr(2, *a, **k)

    def ar(self, *a, **k):
        return self.rr(3, *a, **k)

    def opt(self, options=b"", payload=1232, ext_rcode=0, version=0, flags=0, owner=b"\0"):
        self.body += owner + u16(T["OPT"]) + u16(payload)
        self.body += u8(ext_rcode) + u8(version) + u16(flags)
        self.body += u16(len(options)) + options
        self.counts[3] += 1
        return self

    def raw(self, data):
        self.body += data
        return self

    def bytes(self, counts=None):
        c = counts or self.counts
        return struct.pack("!6H", self.id, self.flags, *c) + bytes(self.body)


def opt(code, data=b""):
    return u16(code) + u16(len(data)) + data


def soa(mname="ns1.example.com", rname="hostmaster.example.com", serial=2024010101):
    return [("name", mname), ("name", rname), struct.pack("!5I", serial, 7200, 3600,
                                                           1209600, 300)]


def soa_plain(mname="ns1.example.com.", rname="hostmaster.example.com.", serial=1):
    return wire(mname) + wire(rname) + struct.pack("!5I", serial, 7200, 3600, 1209600, 300)


COOKIE_C = bytes(range(1, 9))
COOKIE_S = bytes(range(0x10, 0x20))
KEY = bytes((i * 37 + 11) & 0xFF for i in range(68))
SIG = bytes((i * 53 + 7) & 0xFF for i in range(64))
DIGEST = bytes((i * 29 + 3) & 0xFF for i in range(32))
BITMAP_A_NS_SOA = bytes([0, 6, 0x62, 0x01, 0x80, 0x08, 0x00, 0x03])  # A NS SOA MX TXT AAAA


def rrsig_fixed(covered, labels=2):
    return struct.pack("!HBBIIIH", covered, 13, labels, 3600, 1735689600, 1733097600, 12345)


def svcb_params():
    alpn = b"\x02h2\x02h3"
    return u16(1) + u16(len(alpn)) + alpn + u16(3) + u16(2) + u16(443) + \
        u16(4) + u16(4) + bytes([192, 0, 2, 1])


# ---------------------------------------------------------------------------
# msg corpus

def msg_seeds():
    s = {}
    q = Msg(0xBEEF, RD).question("www.example.com", T["A"])
    s["query-a"] = q.bytes()
    s["query-a-edns-cookie"] = Msg(1, 0).question("www.example.com", T["A"]).opt(
        opt(COOKIE, COOKIE_C), flags=0x8000).bytes()
    s["query-soa-edns-nsid-expire"] = Msg(2, 0).question("example.com", T["SOA"]).opt(
        opt(NSID) + opt(EXPIRE)).bytes()
    s["query-aaaa-upper"] = Msg(3, RD).question("WWW.Example.COM", T["AAAA"]).bytes()
    s["query-any-ch-version-bind"] = Msg(4, 0).question("version.bind", T["TXT"], CH).bytes()
    s["query-axfr"] = Msg(5, 0).question("example.com", T["AXFR"]).bytes()
    s["query-ixfr"] = Msg(6, 0).question("example.com", T["IXFR"]).ns(
        "example.com", T["SOA"], soa(serial=41)).bytes()

    m = Msg(1, QR | AA | RD).question("www.example.com", T["A"])
    m.an("www.example.com", T["A"], [bytes([192, 0, 2, 1])])
    m.an("www.example.com", T["A"], [bytes([192, 0, 2, 2])])
    m.ns("example.com", T["NS"], [("name", "ns1.example.com")])
    m.ns("example.com", T["NS"], [("name", "ns2.example.net")])
    m.ar("ns1.example.com", T["A"], [bytes([192, 0, 2, 53])])
    m.ar("ns1.example.com", T["AAAA"], [bytes.fromhex("20010db8000000000000000000000053")])
    m.opt(opt(COOKIE, COOKIE_C + COOKIE_S) + opt(NSID, b"fp0"), flags=0x8000)
    s["resp-a-ns-glue-edns"] = m.bytes()

    m = Msg(2, QR | AA).question("Www.EXAMPLE.com", T["A"])
    m.an("www.example.com", T["CNAME"], [("name", "web.Example.COM")])
    m.an("web.example.com", T["CNAME"], [("name", "cdn.example.net")])
    m.an("cdn.example.net", T["A"], [bytes([198, 51, 100, 7])])
    s["resp-cname-chain-mixed-case"] = m.bytes()

    m = Msg(3, QR | AA | NXDOMAIN).question("nope.example.com", T["A"])
    m.ns("example.com", T["SOA"], soa(), ttl=300)
    m.opt(opt(EDE, u16(0) + b"no such name"))
    s["resp-nxdomain-soa-ede"] = m.bytes()

    m = Msg(4, QR | AA).question("example.com", T["MX"])
    m.an("example.com", T["MX"], [u16(10), ("name", "mail.example.com")])
    m.an("example.com", T["MX"], [u16(20), ("name", "mx.other.example")])
    m.ar("mail.example.com", T["A"], [bytes([192, 0, 2, 25])])
    s["resp-mx-additional"] = m.bytes()

    m = Msg(5, QR | AA).question("example.com", T["TXT"])
    m.an("example.com", T["TXT"], [cstr("v=spf1 -all")])
    m.an("example.com", T["TXT"], [cstr("a") + cstr("") + cstr("quoted \"text\" ;x") +
                                   cstr(bytes(range(0, 40)))])
    s["resp-txt-multi"] = m.bytes()

    m = Msg(6, QR | AA).question("_sip._udp.example.com", T["SRV"])
    m.an("_sip._udp.example.com", T["SRV"], [u16(10) + u16(5) + u16(5060),
                                             ("name", "sip.example.com", False)])
    m.an("example.com", T["NAPTR"], [u16(100) + u16(10), cstr("S"), cstr("SIP+D2U"), cstr(""),
                                     ("name", "_sip._udp.example.com", False)])
    s["resp-srv-naptr"] = m.bytes()

    m = Msg(7, QR | AA | AD).question("example.com", T["DNSKEY"])
    m.an("example.com", T["DNSKEY"], [u16(257) + u8(3) + u8(13) + KEY])
    m.an("example.com", T["DNSKEY"], [u16(256) + u8(3) + u8(13) + KEY[::-1]])
    m.an("example.com", T["RRSIG"], [rrsig_fixed(T["DNSKEY"]), ("name", "example.com", False),
                                     SIG])
    m.opt(flags=0x8000)
    s["resp-dnskey-rrsig-do"] = m.bytes()

    m = Msg(8, QR | AA).question("example.com", T["DS"])
    m.an("example.com", T["DS"], [u16(12345) + u8(13) + u8(2) + DIGEST])
    m.an("a.example.com", T["NSEC"], [("name", "b.example.com", False), BITMAP_A_NS_SOA])
    m.an("kfb1.example.com", T["NSEC3"], [u8(1) + u8(0) + u16(10), cstr(b"\xab\xcd"),
                                          cstr(DIGEST[:20]), BITMAP_A_NS_SOA])
    m.an("example.com", T["NSEC3PARAM"], [u8(1) + u8(0) + u16(0), cstr(b"")])
    s["resp-ds-nsec-nsec3"] = m.bytes()

    m = Msg(9, QR | AA).question("example.com", T["ANY"])
    m.an("example.com", T["SSHFP"], [u8(4) + u8(2) + DIGEST])
    m.an("_443._tcp.example.com", T["TLSA"], [u8(3) + u8(1) + u8(1) + DIGEST])
    m.an("example.com", T["CAA"], [u8(0) + cstr("issue") + b"ca.example.net"])
    m.an("example.com", T["HTTPS"], [u16(1), ("name", ".", False), svcb_params()])
    m.an("_svc.example.com", T["SVCB"], [u16(0), ("name", "svc.example.net", False)])
    m.an("example.com", T["HINFO"], [cstr("PDP-11"), cstr("UNIX")])
    m.an("example.com", 65280, [b"\x01\x02\x03opaque"])
    m.an("example.com", 65281, [])
    s["resp-any-mixed-types"] = m.bytes()

    m = Msg(10, QR | AA).question("example.com", T["ANY"])
    m.an("example.com", T["RP"], [("name", "admin.example.com"), ("name", "txt.example.com")])
    m.an("example.com", T["AFSDB"], [u16(1), ("name", "afs.example.com")])
    m.an("example.com", T["PX"], [u16(10), ("name", "map.example.com"),
                                  ("name", "x400.example.com")])
    m.an("old.example.com", T["DNAME"], [("name", "new.example.com")])
    m.an("example.com", T["MINFO"], [("name", "req.example.com"), ("name", "err.example.com")])
    m.an("1.2.0.192.in-addr.arpa", T["PTR"], [("name", "host.example.com")])
    m.an("example.com", T["KX"], [u16(5), ("name", "kx.example.com", False)])
    s["resp-decompress-types"] = m.bytes()

    m = Msg(11, OP_NOTIFY | AA).question("example.com", T["SOA"])
    m.an("example.com", T["SOA"], soa(serial=2024010102))
    s["notify-soa"] = m.bytes()

    m = Msg(12, QR | AA).question("example.com", T["AXFR"])
    m.an("example.com", T["SOA"], soa())
    m.an("example.com", T["NS"], [("name", "ns1.example.com")])
    m.an("ns1.example.com", T["A"], [bytes([192, 0, 2, 53])])
    m.an("*.wild.example.com", T["TXT"], [cstr("wildcard")])
    m.an("example.com", T["SOA"], soa())
    s["resp-axfr"] = m.bytes()

    m = Msg(13, QR | AA).question("example.com", T["IXFR"])
    m.an("example.com", T["SOA"], soa(serial=43))
    m.an("example.com", T["SOA"], soa(serial=42))
    m.an("old.example.com", T["A"], [bytes([192, 0, 2, 9])])
    m.an("example.com", T["SOA"], soa(serial=43))
    m.an("new.example.com", T["A"], [bytes([192, 0, 2, 10])])
    m.an("example.com", T["SOA"], soa(serial=43))
    s["resp-ixfr"] = m.bytes()

    m = Msg(14, 0).question("example.com", T["SOA"])
    tsig = wire("hmac-sha256.") + struct.pack("!HIH", 0, 1700000000, 300) + u16(32) + \
        DIGEST + u16(14) + u16(0) + u16(0)
    m.ar("key.example.", T["TSIG"], [tsig], ttl=0, rclass=255)
    s["query-tsig"] = m.bytes()

    # EDNS variants.
    base = lambda: Msg(20, 0).question("example.com", T["SOA"])  # noqa: E731
    s["edns-all-options"] = base().opt(
        opt(NSID, b"id") + opt(EXPIRE, u32(86400)) + opt(COOKIE, COOKIE_C + COOKIE_S) +
        opt(KEEPALIVE, u16(300)) + opt(PADDING, bytes(12)) + opt(EDE, u16(18)) +
        opt(0xFDE9, b"local")).bytes()
    s["edns-cookie-7"] = base().opt(opt(COOKIE, COOKIE_C[:7])).bytes()
    s["edns-cookie-41"] = base().opt(opt(COOKIE, bytes(41))).bytes()
    s["edns-dup-cookie"] = base().opt(opt(COOKIE, COOKIE_C) + opt(COOKIE, COOKIE_C)).bytes()
    s["edns-expire-3"] = base().opt(opt(EXPIRE, b"\0\0\1")).bytes()
    s["edns-option-overrun"] = base().opt(u16(NSID) + u16(10) + b"abc").bytes()
    s["edns-option-half-header"] = base().opt(b"\x00\x03\x00").bytes()
    s["edns-version1"] = base().opt(version=1, flags=0x8000 | 0x1234).bytes()
    s["edns-ext-rcode"] = Msg(21, QR | 0).question("example.com", T["A"]).opt(
        ext_rcode=1).bytes()
    s["edns-two-opt"] = base().opt().opt().bytes()
    s["edns-owner-not-root"] = base().opt(owner=wire("x.")).bytes()
    s["edns-owner-pointer"] = base().opt(owner=u16(0xC000 | 12 + 12)).bytes()
    s["edns-payload-0"] = base().opt(payload=0).bytes()

    # Malformed or edge shapes.
    s["hdr-only"] = Msg(30, 0).bytes()
    s["hdr-short"] = Msg(30, 0).bytes()[:11]
    s["qdcount-too-big"] = Msg(31, 0).question("example.com", T["A"]).bytes([3, 0, 0, 0])
    full = s["resp-a-ns-glue-edns"]
    s["resp-truncated-mid-rr"] = full[: len(full) - 30]
    s["resp-truncated-rdlen"] = full[:41]
    s["trailing-garbage"] = s["query-a"] + b"\xde\xad\xbe\xef"
    s["tc-bit"] = Msg(32, QR | TC).question("example.com", T["TXT"]).bytes()
    s["formerr-no-question"] = Msg(33, QR | FORMERR).bytes()
    # Question name that is a pointer to itself, a forward pointer, a loop.
    s["ptr-self"] = Msg(34, 0).raw(u16(0xC00C) + u16(1) + u16(1)).bytes([1, 0, 0, 0])
    s["ptr-forward"] = Msg(35, 0).raw(u16(0xC012) + u16(1) + u16(1) + wire("a.")).bytes(
        [1, 0, 0, 0])
    s["ptr-loop-pair"] = Msg(36, 0).raw(b"\x01a" + u16(0xC010) + b"\x01b" + u16(0xC00C) +
                                        u16(1) + u16(1)).bytes([1, 0, 0, 0])
    s["ptr-into-header"] = Msg(37, 0).raw(u16(0xC002) + u16(1) + u16(1)).bytes([1, 0, 0, 0])
    s["ptr-out-of-bounds"] = Msg(38, 0).raw(u16(0xFFFF) + u16(1) + u16(1)).bytes([1, 0, 0, 0])
    s["ptr-truncated"] = Msg(39, 0).raw(b"\x03www\xc0").bytes([1, 0, 0, 0])
    s["label-reserved-0x40"] = Msg(40, 0).raw(b"\x41" + b"a" * 1 + b"\0" + u16(1) + u16(1)) \
        .bytes([1, 0, 0, 0])
    s["label-reserved-0x80"] = Msg(41, 0).raw(b"\x81a\0" + u16(1) + u16(1)).bytes([1, 0, 0, 0])
    s["label-63"] = Msg(42, 0).question("a" * 63 + ".example", T["A"]).bytes()
    s["label-64"] = Msg(43, 0).raw(raw_labels(b"a" * 64) + u16(1) + u16(1)).bytes([1, 0, 0, 0])
    n255 = raw_labels(*([b"x" * 63] * 3 + [b"y" * 61]))
    n256 = raw_labels(*([b"x" * 63] * 3 + [b"y" * 62]))
    assert len(n255) == 255 and len(n256) == 256
    s["name-255"] = Msg(44, 0).raw(n255 + u16(1) + u16(1)).bytes([1, 0, 0, 0])
    s["name-256"] = Msg(45, 0).raw(n256 + u16(1) + u16(1)).bytes([1, 0, 0, 0])
    # 255 and 256 octets only once the pointer is followed.
    for total in (255, 256):
        ylen = total - 193 - 1
        m = Msg(46, QR).raw(raw_labels(*([b"x" * 63] * 3)) + u16(1) + u16(1))
        m.raw(u8(ylen) + b"y" * ylen + u16(0xC00C) + u16(1) + u16(1))
        s["name-compressed-%d" % total] = m.bytes([2, 0, 0, 0])
    # rdata: compressed name in a field that must not be compressed (NSEC next).
    m = Msg(47, QR | AA).question("a.example.com", T["NSEC"])
    m.an("a.example.com", T["NSEC"], [("name", "b.example.com"), BITMAP_A_NS_SOA])
    s["nsec-compressed-next"] = m.bytes()
    m = Msg(48, QR | AA).question("example.com", T["A"])
    m.raw(u16(0xC00C) + u16(T["A"]) + u16(IN) + u32(60) + u16(200) + bytes(4))
    s["rdlen-overrun"] = m.bytes([1, 1, 0, 0])
    m = Msg(49, QR | AA).question("example.com", T["A"])
    m.raw(u16(0xC00C) + u16(T["A"]) + u16(IN) + u32(60) + u16(5) + bytes(5))
    s["a-rdlen-5"] = m.bytes([1, 1, 0, 0])
    m = Msg(50, QR | AA).question("example.com", T["NS"])
    m.raw(u16(0xC00C) + u16(T["NS"]) + u16(IN) + u32(60) + u16(6) + b"\x03ns1\xc0")
    s["ns-rdata-name-cut"] = m.bytes([1, 1, 0, 0])
    # Pointer inside rdata pointing into the same rdata (backwards: allowed).
    m = Msg(51, QR | AA).question("example.com", T["SOA"])
    m.raw(u16(0xC00C) + u16(T["SOA"]) + u16(IN) + u32(60))
    rd = b"\x03ns1" + u16(0xC00C) + b"\x0ahostmaster" + u16(0xC00C) + bytes(20)
    m.raw(u16(len(rd)) + rd)
    s["soa-ptr-chain"] = m.bytes([1, 1, 0, 0])

    # A large message: names past offset 0x4000 cannot be compression targets.
    m = Msg(60, QR | AA).question("big.example.com", T["TXT"])
    for i in range(70):
        m.an("big.example.com", T["TXT"], [cstr(bytes([0x41 + i % 26]) * 255)])
    for i in range(6):
        m.an("h%d.far.example.com" % i, T["CNAME"], [("name", "t%d.far.example.net" % i)])
    assert len(m.bytes()) > 0x4000
    s["large-past-0x4000"] = m.bytes()
    return s


# ---------------------------------------------------------------------------
# name corpus

def name_seeds():
    s = {}
    s["root"] = b"\0"
    s["www-example-com"] = wire("www.example.com.")
    s["mixed-case"] = wire("WwW.ExAmPlE.CoM.")
    s["wildcard"] = wire("*.example.com.")
    s["escapes"] = raw_labels(b"a.b", b"back\\slash", b"sp ace", b"@$;()\"", b"\x00\x7f\xff",
                              b"tab\there")
    s["compressed"] = wire("example.com.") + b"\x03www\xc0\x00" + b"\x04mail\xc0\x05"
    s["ptr-to-ptr"] = wire("example.com.") + b"\x01a\xc0\x00" + b"\x01b\xc0\x0d" + b"\xc0\x11"
    s["ptr-self"] = b"\xc0\x00"
    s["ptr-loop"] = b"\x01a\xc0\x04\x01b\xc0\x00"
    s["ptr-forward"] = b"\xc0\x02\x01a\x00"
    s["ptr-into-own-run"] = b"\x01a\x01b\xc0\x02"
    s["ptr-truncated"] = b"\x01a\xc0"
    s["ptr-out-of-bounds"] = b"\x01a\x00\xc0\xff"
    s["label-63"] = raw_labels(b"a" * 63)
    s["label-64"] = raw_labels(b"a" * 64)
    s["reserved-0x40"] = b"\x40" + b"a" * 64 + b"\0"
    s["reserved-0x80"] = b"\x80\x00"
    s["name-255"] = raw_labels(*([b"x" * 63] * 3 + [b"y" * 61]))
    s["name-256"] = raw_labels(*([b"x" * 63] * 3 + [b"y" * 62]))
    s["labels-127"] = raw_labels(*([b"a"] * 127))
    s["labels-128"] = raw_labels(*([b"a"] * 128))
    base = raw_labels(*([b"x" * 63] * 3))
    s["compressed-255"] = base + b"\x3d" + b"y" * 61 + u16(0xC000)
    s["compressed-256"] = base + b"\x3e" + b"y" * 62 + u16(0xC000)
    s["truncated-label"] = b"\x05ab"
    s["truncated-no-root"] = b"\x03www\x07example"
    s["empty"] = b""
    return s


# ---------------------------------------------------------------------------
# rdata corpus: (type, rdata)

def rdata_seeds():
    t = T
    s = {}

    def add(key, rtype, rdata):
        s[key] = u16(rtype) + rdata

    add("a", t["A"], bytes([192, 0, 2, 1]))
    add("a-short", t["A"], bytes([192, 0, 2]))
    add("a-long", t["A"], bytes([192, 0, 2, 1, 0]))
    add("aaaa", t["AAAA"], bytes.fromhex("20010db8000000000000000000000001"))
    add("ns", t["NS"], wire("NS1.Example.COM."))
    add("ns-name-255", t["NS"], raw_labels(*([b"x" * 63] * 3 + [b"y" * 61])))
    add("ns-name-256", t["NS"], raw_labels(*([b"x" * 63] * 3 + [b"y" * 62])))
    add("ns-label-64", t["NS"], raw_labels(b"a" * 64))
    add("ns-pointer", t["NS"], b"\x03ns1\xc0\x00")
    add("ns-trailing", t["NS"], wire("ns1.example.com.") + b"\0")
    add("ns-no-root", t["NS"], b"\x03ns1\x07example")
    add("cname", t["CNAME"], wire("target.example.net."))
    add("dname", t["DNAME"], wire("New.Example.NET."))
    add("ptr", t["PTR"], wire("host.example.com."))
    add("md-mf-mb", t["MB"], wire("mb.example.com."))
    add("mg", t["MG"], wire("mg.example.com."))
    add("mr", t["MR"], wire("mr.example.com."))
    add("soa", t["SOA"], soa_plain("NS1.example.com.", "Hostmaster.EXAMPLE.com."))
    add("soa-short", t["SOA"], soa_plain()[:-1])
    add("soa-root-names", t["SOA"], soa_plain(".", "."))
    add("hinfo", t["HINFO"], cstr("PDP-11") + cstr("UNIX"))
    add("hinfo-one", t["HINFO"], cstr("PDP-11"))
    add("minfo", t["MINFO"], wire("req.example.com.") + wire("err.example.com."))
    add("mx", t["MX"], u16(10) + wire("Mail.Example.com."))
    add("txt", t["TXT"], cstr("v=spf1 -all") + cstr("") + cstr(bytes(range(32))))
    add("txt-empty-string", t["TXT"], cstr(""))
    add("txt-empty-rdata", t["TXT"], b"")
    add("txt-overrun", t["TXT"], b"\x05abc")
    add("txt-255", t["TXT"], cstr(b"z" * 255))
    add("rp", t["RP"], wire("admin.example.com.") + wire("TXT.example.com."))
    add("afsdb", t["AFSDB"], u16(1) + wire("afs.example.com."))
    add("rt", t["RT"], u16(1) + wire("rt.example.com."))
    add("sig", t["SIG"], rrsig_fixed(t["A"]) + wire("example.com.") + SIG)
    add("px", t["PX"], u16(10) + wire("map.example.com.") + wire("x400.example.com."))
    add("nxt", t["NXT"], wire("b.example.com.") + b"\x40\x01")
    add("srv", t["SRV"], u16(10) + u16(5) + u16(5060) + wire("sip.example.com."))
    add("naptr", t["NAPTR"], u16(100) + u16(10) + cstr("S") + cstr("SIP+D2U") + cstr("") +
        wire("_sip._udp.example.com."))
    add("kx", t["KX"], u16(5) + wire("KX.example.com."))
    add("a6", t["A6"], bytes([0]) + bytes(16))
    add("opt", t["OPT"], opt(NSID, b"x") + opt(COOKIE, COOKIE_C))
    add("opt-empty", t["OPT"], b"")
    add("ds", t["DS"], u16(12345) + u8(13) + u8(2) + DIGEST)
    add("ds-no-digest", t["DS"], u16(12345) + u8(13) + u8(2))
    add("sshfp", t["SSHFP"], u8(4) + u8(2) + DIGEST)
    add("rrsig", t["RRSIG"], rrsig_fixed(t["SOA"]) + wire("Example.COM.") + SIG)
    add("rrsig-no-sig", t["RRSIG"], rrsig_fixed(t["SOA"]) + wire("example.com."))
    add("nsec", t["NSEC"], wire("B.example.com.") + BITMAP_A_NS_SOA)
    add("dnskey", t["DNSKEY"], u16(257) + u8(3) + u8(13) + KEY)
    add("nsec3", t["NSEC3"], u8(1) + u8(0) + u16(10) + cstr(b"\xab\xcd") + cstr(DIGEST[:20]) +
        BITMAP_A_NS_SOA)
    add("nsec3param", t["NSEC3PARAM"], u8(1) + u8(0) + u16(0) + cstr(b""))
    add("tlsa", t["TLSA"], u8(3) + u8(1) + u8(1) + DIGEST)
    add("svcb", t["SVCB"], u16(1) + wire("svc.example.net.") + svcb_params())
    add("https-alias", t["HTTPS"], u16(0) + wire("Alias.example.net."))
    add("tsig", t["TSIG"], wire("hmac-sha256.") + struct.pack("!HIH", 0, 1700000000, 300) +
        u16(32) + DIGEST + u16(14) + u16(0) + u16(0))
    add("caa", t["CAA"], u8(128) + cstr("issue") + b"ca.example.net")
    add("unknown-65280", 65280, b"\x01\x02\x03opaque")
    add("unknown-empty", 65281, b"")
    add("type-0", 0, b"\x00")
    return s


def answer_seeds():
    """Queries for fuzz_answer: first octet 0 = UDP, 1 = TCP; then the query."""
    s = {}

    def q(key, name, qtype, edns=None, flags=0x0100, qclass=IN, tcp=False, **kw):
        m = Msg(0x4242, flags).question(name, T[qtype] if isinstance(qtype, str) else qtype,
                                        qclass)
        if edns is not None:
            m.opt(payload=edns, **kw)
        s[key] = bytes([1 if tcp else 0]) + m.bytes()

    for name in ("www.example", "WwW.ExAmPlE", "alias1.example", "ext.example",
                 "dead.example", "loop1.example", "a.b.wild.example", "x.real.wild.example",
                 "q.wc.example", "ent.example", "www.sub.example", "ns.sub.example",
                 "www.dn.example", "www.dnin.example", "nothing.example", "www.child.example",
                 "child.example", "example.org", "_sip._udp.example", "mxmany.example",
                 "big.example"):
        key = name.lower().replace(".", "_")
        q(key + "-a", name, "A")
        q(key + "-mx-edns", name, "MX", edns=1232)
    q("any", "example", 255)
    q("ds-child", "child.example", "DS")
    q("big-udp", "big.example", "TXT")
    q("big-tcp", "big.example", "TXT", tcp=True)
    q("mxmany-512", "mxmany.example", "MX", edns=512)
    q("chaos", "version.bind", "TXT", qclass=3)
    q("nsid", "www.example", "A", edns=1232, options=opt(3))
    q("badvers", "www.example", "A", edns=1232, version=1)
    q("notify", "example", "SOA", flags=0x2000)
    q("axfr", "example", "AXFR")
    return s


def write(target, seeds):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed-"):
            os.unlink(os.path.join(d, f))
    for key, data in sorted(seeds.items()):
        assert len(data) <= 65535, key
        with open(os.path.join(d, "seed-" + key), "wb") as fh:
            fh.write(data)
    return len(seeds), sum(len(v) for v in seeds.values())


def main():
    total_n = total_b = 0
    for target, fn in (("name", name_seeds), ("msg", msg_seeds), ("rdata", rdata_seeds),
                       ("answer", answer_seeds)):
        n, b = write(target, fn())
        print("%-6s %3d seeds, %6d bytes" % (target, n, b))
        total_n += n
        total_b += b
    print("total  %3d seeds, %6d bytes in %s" % (total_n, total_b, CORPUS))
    if total_n >= 260 or total_b >= 200 * 1024:
        sys.exit("corpus too big: keep it under 260 files and 200 KB")


if __name__ == "__main__":
    main()
