#!/usr/bin/env bash
# tests/fuzz/run.sh - `make fuzz`: builds the libFuzzer targets in build-fuzz/ (clang,
# AddressSanitizer + UndefinedBehaviorSanitizer, -fsanitize=fuzzer) and runs each one for
# FUZZ_SECONDS seconds on its corpus, one process (one core) at a time.
#
# Environment:
#   FUZZ_SECONDS  seconds per target (default 60)
#   FUZZ_TARGETS  targets to run (default "service reply utf8": tests/fuzz/fuzz-NAME.c)
#   FUZZ_WORK     where new inputs and crash artifacts go (default build-fuzz/fuzz-work);
#                 the committed corpus tests/fuzz/corpus/ is only read
#   FUZZ_ARGS     more libFuzzer flags (e.g. "-detect_leaks=0", "-max_len=65536")
# Prints, per target, libFuzzer's executions and whether it found anything; a crash input is
# left in FUZZ_WORK/artifacts-NAME/ (copy it to tests/fuzz/corpus/fuzz-NAME/crash-* to keep
# it in `make check`). Exit status 1 when any target found a problem or did not run.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=build-fuzz
SECONDS_PER=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-service reply utf8}
WORK=${FUZZ_WORK:-$PWD/$BUILD/fuzz-work}

if ! command -v clang >/dev/null; then
    echo "fuzz: clang is missing: apt-get install -y clang libclang-rt-14-dev" >&2
    exit 1
fi
if [ ! -f "$BUILD/build.ninja" ]; then
    # werror off: this build is for finding bugs at run time, not for clang's extra warnings.
    CC=clang meson setup "$BUILD" --buildtype=debugoptimized -Dwerror=false \
        -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fsanitize=fuzzer-no-link || exit 1
fi
exes=()
for t in $TARGETS; do exes+=("tests/fuzz/fuzz-$t"); done
ninja -C "$BUILD" "${exes[@]}" || exit 1

failed=0
for t in $TARGETS; do
    corpus=$WORK/fuzz-$t artifacts=$WORK/artifacts-$t log=$WORK/fuzz-$t.log
    mkdir -p "$corpus" "$artifacts"
    echo "==== fuzz-$t: $SECONDS_PER s"
    rc=0
    # shellcheck disable=SC2086
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$BUILD/tests/fuzz/fuzz-$t" -max_total_time="$SECONDS_PER" -print_final_stats=1 \
        -timeout=25 -rss_limit_mb=2048 -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} \
        "$corpus" "tests/fuzz/corpus/fuzz-$t" >"$log" 2>&1 || rc=$?
    execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
    if [ "$rc" = 0 ]; then
        echo "fuzz-$t: ${execs:-?} executions, nothing found"
    else
        failed=1
        echo "fuzz-$t: ${execs:-?} executions, FOUND A PROBLEM (exit $rc); log: $log"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: |artifact_prefix|Test unit written)' "$log" | head -8
    fi
done
exit "$failed"
