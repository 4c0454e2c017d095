#!/bin/bash
# Out of memory: fail the N-th allocation (capa_alloc_fail_at, which also covers libxml2)
# for every N of a whole session - form parsing, opening the store, opening, changing,
# reading, listing and verifying cases. Each N gives an error or a success, never a crash;
# in the sanitizer build LeakSanitizer fails the test on any leak.
. "$(dirname "$0")/../faults/lib.sh"
"$STRESS" oom "$WORK/var" || fail "oom"
check_store "$WORK/var" >/dev/null
