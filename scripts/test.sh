#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The whole test run, as CI does it (.ci/run).  Run as root from any directory:
#   1. scripts/deps.sh (installs only what is missing);
#   2. build/       plain build, -Dwerror=true, meson test;
#   3. build-asan/  -Db_sanitize=address,undefined, -Dwerror=true, meson test;
#   4. build-fuzz/  clang + libFuzzer (if clang is present): each fuzz target
#                   runs for a bounded time on a temporary copy of its corpus.
# Existing build directories are reused (reconfigured).  Every step runs even
# when an earlier one failed; the last line is the aggregate
#   N passed, N failed
# counting meson test results of both builds (from meson-logs/testlog.json;
# a test whose output holds a sanitizer report counts as failed),
# fuzz runs, and any step that failed outright (configure, build).  Exits
# non-zero when anything failed.
#
# Environment knobs:
#   DPDNS_BUILD_PREFIX  build directory prefix (default "build": build,
#                       build-asan, build-fuzz)
#   FUZZ_TIME           seconds of fuzzing per target (default 20)
#   FUZZ_RUNS           cap on executions per target (default 1000000)
#   SKIP_DEPS=1         do not run scripts/deps.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PREFIX=${DPDNS_BUILD_PREFIX:-build}
FUZZ_TIME=${FUZZ_TIME:-20}
FUZZ_RUNS=${FUZZ_RUNS:-1000000}

# Sanitizer reports are failures: stop at the first one, with a stack.
asan_opts=halt_on_error=1:abort_on_error=1:print_stacktrace=1:detect_leaks=1
asan_opts+=:check_initialization_order=1:strict_string_checks=1
ubsan_opts=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}$asan_opts"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}$ubsan_opts"

passed=0
failed=0
skipped=0
failures=()
start_all=$SECONDS

section() { printf '\n==== %s ====\n' "$*"; }
note_pass() { passed=$((passed + 1)); }
note_fail() { failed=$((failed + 1)); failures+=("$1"); printf 'test.sh: FAILED: %s\n' "$1" >&2; }

finish()
{
	section "summary ($((SECONDS - start_all)) s)"
	local f
	for f in "${failures[@]+"${failures[@]}"}"; do
		printf '  failed: %s\n' "$f"
	done
	((skipped == 0)) || printf '%d skipped\n' "$skipped"
	printf '%d passed, %d failed\n' "$passed" "$failed"
	((failed == 0))
}

# setup DIR [meson options...]: configure DIR, or reconfigure it if it exists.
setup()
{
	local dir=$1
	shift
	if [[ -f $dir/meson-private/coredata.dat ]]; then
		meson setup --reconfigure "$dir" "$@" && return 0
		echo "test.sh: reconfigure of $dir failed, wiping it" >&2
		meson setup --wipe "$dir" "$@"
	else
		meson setup "$dir" "$@"
	fi
}

# Adds a build's meson test results (meson-logs/testlog.json) to the totals.
count_meson()
{
	local log=$1/meson-logs/testlog.json counts p f s
	[[ -f $log ]] || { echo "0 0 0"; return; }
	counts=$(python3 - "$log" <<'EOF'
import json
import sys

ok = ("OK", "EXPECTEDFAIL")
skip = ("SKIP",)
p = f = s = 0
with open(sys.argv[1]) as fh:
    for line in fh:
        line = line.strip()
        if not line:
            continue
        entry = json.loads(line)
        r = entry.get("result")
        # Criterion ignores how its test workers exit, so a LeakSanitizer
        # report at exit (or any sanitizer report a test survived) would
        # pass unseen: a report in the test's output fails it.
        out = (entry.get("stdout") or "") + (entry.get("stderr") or "")
        if r in ok and any(m in out for m in ("ERROR: LeakSanitizer", "ERROR: AddressSanitizer",
                                               "runtime error:")):
            r = "SANITIZER"
        if r in ok:
            p += 1
        elif r in skip:
            s += 1
        else:  # FAIL, UNEXPECTEDPASS, TIMEOUT, ERROR, INTERRUPT, SANITIZER, ...
            f += 1
            print("%s: %s" % (r, entry.get("name")), file=sys.stderr)
print(p, f, s)
EOF
	)
	echo "$counts"
}

# build_and_test NAME DIR [meson options...]
build_and_test()
{
	local name=$1 dir=$2 t0=$SECONDS rc p f s
	shift 2
	section "$name: configure $dir"
	if ! setup "$dir" "$@"; then
		note_fail "$name: meson setup"
		return 0
	fi
	section "$name: build"
	if ! meson compile -C "$dir"; then
		note_fail "$name: build"
		return 0
	fi
	section "$name: meson test"
	rm -f "$dir/meson-logs/testlog.json"
	rc=0
	meson test -C "$dir" --print-errorlogs "${TEST_ARGS[@]}" || rc=$?
	read -r p f s < <(count_meson "$dir")
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	((f == 0)) || failures+=("$name: $f meson test(s), see $dir/meson-logs/testlog.txt")
	if ((p + f + s == 0)); then
		note_fail "$name: meson test ran no test (exit $rc)"
	elif ((rc != 0 && f == 0)); then
		note_fail "$name: meson test exited $rc"
	fi
	echo "test.sh: $name: $p passed, $f failed, $s skipped in $((SECONDS - t0)) s"
}

# Runs every libFuzzer target for a bounded time on a scratch copy of its corpus.
fuzz_all()
{
	local dir=$PREFIX-fuzz t0=$SECONDS targets=() t src
	section "fuzz: configure $dir (clang, libFuzzer)"
	if ! CC=clang setup "$dir" -Dfuzzing=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link; then
		note_fail "fuzz: meson setup"
		return 0
	fi
	for src in tests/fuzz/fuzz_*.c; do
		t=$(basename "$src" .c)
		targets+=("$t")
	done
	section "fuzz: build ${targets[*]}"
	if ! meson compile -C "$dir" "${targets[@]}"; then
		note_fail "fuzz: build"
		return 0
	fi
	local absdir=$dir scratch artifacts rc
	[[ $absdir == /* ]] || absdir=$ROOT/$dir
	artifacts=$absdir/fuzz-artifacts
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/dpdns-fuzz.XXXXXX")
	for t in "${targets[@]}"; do
		section "fuzz: $t (${FUZZ_TIME} s or ${FUZZ_RUNS} runs)"
		local corpus=tests/fuzz/corpus/${t#fuzz_} work=$scratch/$t
		mkdir -p "$work/corpus"
		# Never let libFuzzer write into the repository's corpus.
		[[ -d $corpus ]] && cp -R "$corpus/." "$work/corpus/"
		rc=0
		(cd "$work" && timeout --kill-after=10 $((FUZZ_TIME * 3 + 60)) \
			"$absdir/tests/fuzz/$t" -max_total_time="$FUZZ_TIME" \
			-runs="$FUZZ_RUNS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1) || rc=$?
		grep -E '^(Done|#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' \
			"$work/log" || true
		if ((rc == 0)); then
			note_pass
			echo "test.sh: fuzz $t ok"
		else
			tail -n 60 "$work/log"
			mkdir -p "$artifacts/$t"
			cp "$work/log" "$artifacts/$t/fuzz.log"
			find "$work" -maxdepth 1 -type f \
				\( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) \
				-exec cp {} "$artifacts/$t/" \;
			note_fail "fuzz $t: exit $rc, artefacts in $dir/fuzz-artifacts/$t/"
		fi
	done
	rm -rf "$scratch"
	echo "test.sh: fuzz done in $((SECONDS - t0)) s"
}

if [[ ${SKIP_DEPS:-0} != 1 ]]; then
	section "deps"
	if ! bash "$ROOT/scripts/deps.sh"; then
		note_fail "scripts/deps.sh"
		finish
		exit 1
	fi
fi

TEST_ARGS=()
build_and_test plain "$PREFIX" -Dwerror=true

# Sanitizers slow the tests down: give them more time.
TEST_ARGS=(--timeout-multiplier 3)
build_and_test asan "$PREFIX-asan" -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true

if command -v clang >/dev/null 2>&1; then
	fuzz_all
else
	section "fuzz"
	echo "test.sh: clang not found, libFuzzer runs skipped"
	skipped=$((skipped + 1))
fi

finish
