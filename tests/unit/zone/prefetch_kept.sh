#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The answer engine's prefetches must survive compilation.  GCC's pure/const
# analysis does not count __builtin_prefetch as an effect: a helper whose only
# effect is a prefetch is found "pure" or "const", and every call to it, whose
# result nobody uses, is deleted.  That happened to the burst's hot-block
# prefetch (prefetch_hot, prefetch_block) from the start until session 7: the
# release binary had no such instruction.  prefetch_line in answer.c adds an
# effect the analysis respects.  This test compiles answer.c as the build does
# and fails if the analysis finds any prefetch_* function pure or const.
#
# Usage: prefetch_kept.sh CC SRCDIR   (GCC only; the test is not defined for
# other compilers)
set -eu
cc=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for opt in -O2 -O3; do
	"$cc" -std=gnu11 "$opt" -D_GNU_SOURCE -I"$src/src" -c "$src/src/zone/answer.c" \
		-o "$tmp/answer.o" -fdump-tree-local-pure-const1 -dumpdir "$tmp/"
	dump=$(ls "$tmp"/*local-pure-const1)
	# The dump must be the one this test reads: it names the functions it analysed.
	grep -q 'Function prefetch_hot' "$dump" || {
		echo "prefetch_kept: no analysis of prefetch_hot in $dump (renamed?)" >&2
		exit 1
	}
	if grep -E 'found to be (looping )?(pure|const): prefetch_' "$dump"; then
		echo "prefetch_kept: $opt: a prefetch helper is pure/const, its calls are deleted" >&2
		exit 1
	fi
	rm -f "$tmp"/*
done
echo "prefetch_kept: no prefetch helper is pure or const at -O2 or -O3"
