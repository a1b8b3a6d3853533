#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the benchmark zone and its query mix.

Zone bench.test. with N names:
  hI    A (every name) and AAAA (every other name)
  cI    CNAME hI          (one name in 20)
  dI    NS ns.dI + glue   (one name in 20: delegations)
The query file lists one query per line: "NAME TYPE EDNS" with the mix the
answer-engine issue asks for: 70% A/AAAA hits, 15% NXDOMAIN, 5% CNAME,
5% referral, 5% NODATA; half with EDNS.  Deterministic (fixed seed).
--only KIND writes queries of that kind of the mix only.
--edns 0|1|2 gives every query no EDNS, EDNS, or EDNS with DO (default: half with EDNS).
"""
import argparse
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--names', type=int, default=1_000_000)
    ap.add_argument('--queries', type=int, default=1_000_000)
    ap.add_argument('--zone', required=True)
    ap.add_argument('--query-file', required=True)
    ap.add_argument('--only', choices=['hit', 'nxdomain', 'cname', 'referral', 'nodata'],
                    help='queries of one kind of the mix only (to see what each costs)')
    ap.add_argument('--edns', type=int, choices=[0, 1, 2],
                    help='EDNS column of every query: 0 none, 1 EDNS, 2 EDNS with DO')
    a = ap.parse_args()
    n = a.names
    with open(a.zone, 'w') as z:
        z.write('$ORIGIN bench.test.\n$TTL 3600\n')
        z.write('@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n')
        z.write('@ NS ns1\n@ NS ns2\nns1 A 192.0.2.1\nns2 A 192.0.2.2\n')
        for i in range(n):
            z.write(f'h{i} A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}\n')
            if i % 2 == 0:
                z.write(f'h{i} AAAA 2001:db8::{i >> 16 & 0xffff:x}:{i & 0xffff:x}\n')
            if i % 20 == 0:
                z.write(f'c{i} CNAME h{i}\n')
            if i % 20 == 10:
                z.write(f'd{i} NS ns.d{i}\nns.d{i} A 198.18.{i >> 8 & 255}.{i & 255}\n')
    rnd = random.Random(1)
    with open(a.query_file, 'w') as q:
        for k in range(a.queries):
            edns = k % 2 if a.edns is None else a.edns
            r = rnd.random()
            if a.only:
                r = {'hit': 0.0, 'nxdomain': 0.70, 'cname': 0.85, 'referral': 0.90,
                     'nodata': 0.95}[a.only]
            if r < 0.70:
                i = rnd.randrange(n)
                if rnd.random() < 0.5 or i % 2:
                    q.write(f'h{i}.bench.test. A {edns}\n')
                else:
                    q.write(f'h{i}.bench.test. AAAA {edns}\n')
            elif r < 0.85:
                q.write(f'x{rnd.randrange(1 << 30)}.bench.test. A {edns}\n')
            elif r < 0.90:
                i = rnd.randrange(n // 20) * 20
                q.write(f'c{i}.bench.test. A {edns}\n')
            elif r < 0.95:
                i = rnd.randrange(n // 20) * 20 + 10
                q.write(f'www.d{i}.bench.test. A {edns}\n')
            else:
                q.write(f'h{rnd.randrange(n)}.bench.test. MX {edns}\n')


if __name__ == '__main__':
    main()
