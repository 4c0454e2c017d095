#!/bin/bash
# Build the libFuzzer harnesses with clang (ASan + UBSan) in build-fuzz/ and run each for a
# fixed time (FUZZ_SECONDS, default 30) on a copy of its seed corpus. A crash leaves its
# input in build-fuzz/findings/<name>/; copy it into tests/fuzz/regress/<name>/ once fixed.
# Usage: tests/fuzz/run.sh [SECONDS] [harness...]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${FUZZ_BUILD:-$SRC/build-fuzz}
SECONDS_EACH=${1:-${FUZZ_SECONDS:-30}}
shift || true
CC=${CC:-clang} cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAPA_FUZZ=ON \
    -DCMAKE_C_COMPILER="${CC:-clang}" >/dev/null
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
    for f in "$SRC"/tests/fuzz/fuzz_*.c; do
        h=$(basename "$f" .c); harnesses+=("${h#fuzz_}")
    done
fi
cmake --build "$BUILD" -j"$(nproc)" --target $(printf 'fuzz_%s ' "${harnesses[@]}") >/dev/null
status=0
for h in "${harnesses[@]}"; do
    corpus=$BUILD/corpus/$h findings=$BUILD/findings/$h
    mkdir -p "$corpus" "$findings"
    cp -n "$SRC"/tests/fuzz/corpus_"$h"/* "$corpus"/ 2>/dev/null || true
    dict=()
    [ -f "$SRC/tests/fuzz/$h.dict" ] && dict=(-dict="$SRC/tests/fuzz/$h.dict")
    echo "fuzz: $h for ${SECONDS_EACH}s"
    if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$BUILD/tests/fuzz/fuzz_$h" "${dict[@]}" -max_total_time="$SECONDS_EACH" \
        -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$findings/" "$corpus" >"$BUILD/fuzz_$h.log" 2>&1; then
        echo "fuzz: $h FOUND A CRASH:"; ls "$findings"; tail -40 "$BUILD/fuzz_$h.log"
        status=1
    else
        grep -E '^stat::number_of_executed_units|^stat::peak_rss' "$BUILD/fuzz_$h.log" |
            sed "s/^/fuzz: $h: /"
    fi
done
exit $status
