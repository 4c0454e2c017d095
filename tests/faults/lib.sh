# lib.sh - shared set-up for the fault tests (tests/e2e/fault_*.sh). Sourced, not run.
# CTest passes CAPA (the CLI), CAPA_SRC and CAPA_BUILD; outside CTest they default to ./build.
set -euo pipefail
CAPA_SRC=${CAPA_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CAPA_BUILD=${CAPA_BUILD:-$CAPA_SRC/build}
STRESS=$CAPA_BUILD/tests/faults/capa-stress
IOFAIL=$CAPA_BUILD/tests/faults/libiofail.so
[ -x "$STRESS" ] || { echo "fault: $STRESS not built" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/capa-fault-XXXXXX")
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "${MOUNTED:-}" ]; then umount "$MOUNTED" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# The whole-store checks every fault test ends with: the driver's own check of the logs,
# `capa verify` when the CLI is built, and LMDB's own tools walking every page.
check_store() {
    local dir=$1; shift
    "$STRESS" check "$dir" "$@" || fail "check of $dir"
    if [ -n "${CAPA:-}" ] && [ -x "$CAPA" ]; then
        "$CAPA" --db "$dir" verify >/dev/null || fail "capa verify on $dir"
    fi
    mdb_stat -efa "$dir" >/dev/null || fail "mdb_stat on $dir"
    mdb_dump -a "$dir" >/dev/null || fail "mdb_dump -a on $dir (some page unreadable)"
}
