#!/bin/sh
# Build and run the libFuzzer harnesses in tests/fuzz/ (doc/FUZZING.md).
#
#   tools/fuzz.sh build [NAME...]          build each harness
#   tools/fuzz.sh run SECONDS [NAME...]    fuzz each harness for SECONDS, one
#                                          after the other
#   tools/fuzz.sh ci SECONDS [NAME...]     fuzz them all at once for SECONDS
#                                          (CI: the wall time stays SECONDS
#                                          however many harnesses there are);
#                                          fails on any finding
#   tools/fuzz.sh cover [NAME...]          line coverage of the sources a
#                                          harness names, over its corpus
#
# A harness is tests/fuzz/fuzz-NAME.c with LLVMFuzzerTestOneInput and, in its
# header comment, lines naming what it needs:
#   * fuzz-sources: src/telnet/tn.c          (compiled in with it; more
#   *               src/telnet/tnscan.c      on lines indented further)
#   * fuzz-pkgs: libtelnet                   (pkg-config packages; optional)
#   * fuzz-seeds: tests/golden/telnet:in     (seed directories, each DIR or
#                                            DIR:EXT for its *.EXT files only;
#                                            *.in files are Telnet scripts, see
#                                            tests/fuzz/mkseeds.py, others are
#                                            used as they are)
#   * fuzz-max-len: 32768                    (optional; default 32768)
# tests/fuzz/NAME.dict is used as its dictionary when it exists.  A helper
# module the harness includes from tests/fuzz/ ('#include "fuzzkit.h"', with
# tests/fuzz/fuzzkit.c beside it) is compiled in as the harness is.
#
# Everything goes to build/fuzz/: the binaries, NAME/corpus (kept between
# runs, so fuzzing picks up where it left off), NAME/log (the last run's
# output), crash files as NAME/crash-*, and history.txt, one line per run.
# Several runs may share build/fuzz at once: each builds, seeds and logs in
# places of its own and installs the results with rename.
set -eu
cd "$(dirname "$0")/.."

OUT=build/fuzz
FUZZ_CC=${FUZZ_CC:-clang}
# The code under test gets coverage instrumentation (fuzzer-no-link); the
# harness and its helpers (tests/fuzz/fuzzkit.c) only the sanitizers, so
# their checks do not slow the fuzzer down or steer it.  The link adds
# libFuzzer: -fsanitize=fuzzer,address,undefined in all.
FUZZ_BASE="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
 -fno-sanitize-recover=all -Wall -Wextra -Werror -Wmissing-prototypes"
FUZZ_SAN="-fsanitize=address,undefined"
FUZZ_COV="-fsanitize=fuzzer-no-link,address,undefined"
FUZZ_LINK="-fsanitize=fuzzer,address,undefined"
COVER_CFLAGS="-std=c11 -D_GNU_SOURCE -g -O0 -fprofile-instr-generate \
 -fcoverage-mapping"
TMP=$OUT/tmp.$$
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

usage() {
	echo "usage: $0 build|run SECONDS|ci SECONDS|cover [NAME...]" >&2
	exit 2
}

# header FILE KEY: the value of "* KEY: ..." in FILE's header comment,
# with the lines after it that are indented further (" *    more").
header() {
	awk -v key="$2" '
	    found && /^ \*   +[^ ]/ { sub(/^ \* +/, ""); printf " %s", $0; next }
	    found { exit }
	    index($0, " * " key ":") == 1 {
		sub(/^ \* [^:]*: */, ""); printf "%s", $0; found = 1 }
	    END { print "" }' "$1"
}

harnesses() {
	if [ $# -gt 0 ]; then
		for n in "$@"; do
			[ -f "tests/fuzz/fuzz-$n.c" ] ||
			    { echo "fuzz: no tests/fuzz/fuzz-$n.c" >&2; exit 2; }
			echo "$n"
		done
		return
	fi
	for f in tests/fuzz/fuzz-*.c; do
		[ -f "$f" ] || continue
		n=${f#tests/fuzz/fuzz-}
		echo "${n%.c}"
	done
}

# helpers FILE: the tests/fuzz/*.c helpers FILE includes as "X.h".
helpers() {
	sed -n 's/^#include "\([A-Za-z0-9_-]*\)\.h".*/\1/p' "$1" |
	while read -r h; do
		if [ -f "tests/fuzz/$h.c" ]; then
			echo "tests/fuzz/$h.c"
		fi
	done
}

# compile NAME HARNESS-FLAGS SOURCE-FLAGS LINK-FLAGS OUTPUT
compile() {
	src=tests/fuzz/fuzz-$1.c
	obj=$TMP/obj-$1
	pkgs=$(header "$src" fuzz-pkgs)
	pcflags="" plibs="" objs=""
	if [ -n "$pkgs" ]; then
		pcflags=$(pkg-config --cflags $pkgs)
		plibs=$(pkg-config --libs $pkgs)
	fi
	mkdir -p "$obj"
	# shellcheck disable=SC2086
	$FUZZ_CC $2 $pcflags -c -o "$obj/harness.o" "$src"
	for s in $(helpers "$src"); do
		o=$obj/$(echo "$s" | tr / _).o
		# shellcheck disable=SC2086
		$FUZZ_CC $2 $pcflags -c -o "$o" "$s"
		objs="$objs $o"
	done
	for s in $(header "$src" fuzz-sources); do
		o=$obj/$(echo "$s" | tr / _).o
		# shellcheck disable=SC2086
		$FUZZ_CC $3 $pcflags -c -o "$o" "$s"
		objs="$objs $o"
	done
	# shellcheck disable=SC2086
	$FUZZ_CC $4 -o "$obj/out" "$obj/harness.o" $objs $plibs
	mv -f "$obj/out" "$5"
	rm -rf "$obj"
}

build() {
	command -v "$FUZZ_CC" >/dev/null 2>&1 || {
		echo "fuzz: $FUZZ_CC is missing (make test-deps installs clang" \
		    "and libclang-rt-14-dev)" >&2
		exit 1
	}
	echo "fuzz: building $OUT/fuzz-$1"
	compile "$1" "$FUZZ_BASE $FUZZ_SAN" "$FUZZ_BASE $FUZZ_COV" \
	    "$FUZZ_LINK" "$OUT/fuzz-$1"
}

# seeds NAME DIR: the harness's seeds, made anew in DIR.
seeds() {
	src=tests/fuzz/fuzz-$1.c
	dir=$2
	rm -rf "$dir"
	mkdir -p "$dir" "$OUT/$1/corpus"
	scripts=""
	for spec in $(header "$src" fuzz-seeds); do
		case $spec in
		*:*) pat="${spec%%:*}/*.${spec#*:}" ;;
		*) pat="$spec/*" ;;
		esac
		for f in $pat; do
			[ -f "$f" ] || continue
			case $f in
			*.in) scripts="$scripts $f" ;;
			*) cp "$f" "$dir/" ;;
			esac
		done
	done
	if [ -n "$scripts" ]; then
		# shellcheck disable=SC2086
		/usr/bin/python3 tests/fuzz/mkseeds.py "$dir" $scripts
	fi
}

# stat LOG KEY: a "stat::KEY: N" line of -print_final_stats.
stat() {
	tr -d '\000' <"$1" | sed -n "s/^stat::$2: *//p" | tail -n 1
}

# fuzz NAME SECONDS: returns libFuzzer's status; prints a summary.
fuzz() {
	name=$1 secs=$2
	src=tests/fuzz/fuzz-$name.c
	log=$TMP/log-$name
	maxlen=$(header "$src" fuzz-max-len)
	dict=""
	[ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
	seeds "$name" "$TMP/seeds-$name"
	echo "fuzz: $name for $secs s (log: $OUT/$name/log)"
	set +e
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$OUT/fuzz-$name" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=2048 -max_len="${maxlen:-32768}" \
	    -print_final_stats=1 \
	    -artifact_prefix="$OUT/$name/" $dict \
	    "$OUT/$name/corpus" "$TMP/seeds-$name" >"$log" 2>&1
	rc=$?
	set -e
	runs=$(stat "$log" number_of_executed_units)
	rate=$(stat "$log" average_exec_per_sec)
	rss=$(stat "$log" peak_rss_mb)
	last=$(tr -d '\000' <"$log" | grep -E '^#[0-9]+' | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	if [ "$rc" = 0 ]; then
		result="no finding"
	else
		result="FINDING (status $rc)"
	fi
	line="fuzz-$name: ${secs}s, ${runs:-?} runs (${rate:-?}/s), cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}, peak RSS ${rss:-?} MB: $result"
	echo "$line"
	printf '%s %s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	    "$(git rev-parse --short HEAD 2>/dev/null || echo -)" "$line" \
	    >>"$OUT/history.txt"
	if [ "$rc" != 0 ]; then
		echo "---- $OUT/$name/log (tail)"
		tail -n 60 "$log"
		echo "----"
		sed -n 's/.*Test unit written to \([^ ]*\).*/\1/p' "$log" |
		while read -r f; do
			echo "fuzz: reproduce with: $OUT/fuzz-$name $f"
		done
	fi
	mv -f "$log" "$OUT/$name/log"
	return "$rc"
}

cover() {
	name=$1
	src=tests/fuzz/fuzz-$name.c
	for t in llvm-profdata llvm-cov; do
		command -v $t >/dev/null 2>&1 || {
			echo "fuzz: $t is missing (apt-get install llvm)" >&2
			exit 1
		}
	done
	# libFuzzer's main runs the corpus once (-runs=0).
	compile "$name" "$COVER_CFLAGS" "$COVER_CFLAGS" \
	    "$COVER_CFLAGS -fsanitize=fuzzer" "$OUT/cover-$name"
	seeds "$name" "$TMP/seeds-$name"
	LLVM_PROFILE_FILE="$TMP/cover-$name.profraw" \
	    "$OUT/cover-$name" -runs=0 "$OUT/$name/corpus" \
	    "$TMP/seeds-$name" >"$TMP/cover-$name.log" 2>&1
	llvm-profdata merge -sparse -o "$OUT/$name/cover.profdata" \
	    "$TMP/cover-$name.profraw"
	# shellcheck disable=SC2046
	llvm-cov report "$OUT/cover-$name" \
	    -instr-profile="$OUT/$name/cover.profdata" \
	    $(header "$src" fuzz-sources)
}

[ $# -ge 1 ] || usage
mode=$1
shift
mkdir -p "$TMP"
case $mode in
build)
	for n in $(harnesses "$@"); do build "$n"; done
	;;
run)
	[ $# -ge 1 ] || usage
	secs=$1
	shift
	failed=""
	for n in $(harnesses "$@"); do
		build "$n"
		fuzz "$n" "$secs" || failed="$failed $n"
	done
	if [ -n "$failed" ]; then
		echo "fuzz: findings in:$failed" >&2
		exit 1
	fi
	;;
ci)
	[ $# -ge 1 ] || usage
	secs=$1
	shift
	names=$(harnesses "$@")
	for n in $names; do build "$n"; done
	for n in $names; do
		( if fuzz "$n" "$secs" >"$TMP/out-$n" 2>&1; then
			echo 0 >"$TMP/rc-$n"
		  else
			echo 1 >"$TMP/rc-$n"
		  fi ) &
	done
	wait
	failed=""
	for n in $names; do
		cat "$TMP/out-$n"
		[ "$(cat "$TMP/rc-$n")" = 0 ] || failed="$failed $n"
	done
	if [ -n "$failed" ]; then
		echo "fuzz: findings in:$failed" >&2
		exit 1
	fi
	;;
cover)
	for n in $(harnesses "$@"); do cover "$n"; done
	;;
*)
	usage
	;;
esac
