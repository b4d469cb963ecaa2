#!/usr/bin/env bash
# The differential fuzzer's own machinery; the fuzz suite itself runs on
# every stack in 10-conformance.t.  A wrong answer and a crash must each be
# reported with a minimal program and a rerun line that fails the same way,
# the same on every run; without child processes the whole program is shown.
# HEAPLAB_FUZZ_SELFTEST makes the model wrong ("model": one more object
# expected from every collection that finds any) or the stack crash
# ("crash": in every weakref callback).
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh
stack=(--case small_programs --alloc freelist_pool --gc generational)

# fuzz_failure SELFTEST [ENV...]: the stderr of a run that must fail
fuzz_failure() {
    local selftest=$1
    shift
    env HEAPLAB_FUZZ_SELFTEST="$selftest" "$@" $HEAPLAB_RUN "$HEAPLAB_BIN" test --suite fuzz \
        "${stack[@]}" 2>&1 >/dev/null
}
# The fuzzer's report: its own lines, without a sanitizer's, nor the rerun.
report() { grep '^# ' <<<"$1" | grep -v '^# rerun'; }
minimal_size() { sed -n 's/^# the minimal program (\([0-9]*\) operations):$/\1/p' <<<"$1"; }

for selftest in model crash; do
    out=$(fuzz_failure $selftest)
    rc=$?
    check "selftest=$selftest: the case fails" test "$rc" = 1
    n=$(minimal_size "$out")
    check "selftest=$selftest: a minimal program of ${n:-no} operations (at most 5)" \
        test -n "$n" -a "${n:-99}" -le 5
    case $selftest in
    model) check "selftest=model: it ends with a collection that finds too little" \
        grep -q '^# which fails: after `gc.collect([0-2])`: it returned [0-9]*; the model says' \
        <<<"$out" ;;
    crash) check "selftest=crash: it makes a weakref with a callback and says it crashed" \
        grep -qz 'weakref.ref(x[0-9]*, callback).*# which fails: crashed' <<<"$out" ;;
    esac
    rerun=$(sed -n 's/^# rerun: heaplab test //p' <<<"$out")
    read -r -a rerun_args <<<"$rerun"
    again=$(HEAPLAB_FUZZ_SELFTEST=$selftest HEAPLAB_FUZZ_SEEDS=1 heaplab test \
        "${rerun_args[@]}" 2>&1 >/dev/null)
    check "selftest=$selftest: the rerun line (${rerun:-none}) fails the same way" \
        test -n "$rerun" -a "$(report "$again")" = "$(report "$out")"
done

# Under NAME=stress (automatic collection at every container allocation)
# the loose checks still catch a finalizer run twice.
stack=(--case small_programs --alloc freelist_pool --gc generational=stress)
out=$(fuzz_failure twice)
rc=$?
check "stress: a __del__ counted twice fails the case" test "$rc" = 1
check "stress: and says so" grep -q '__del__ ran 2 times' <<<"$out"
stack=(--case small_programs --alloc freelist_pool --gc stw=stress)
out=$(HEAPLAB_FUZZ_SEEDS=100 $HEAPLAB_RUN "$HEAPLAB_BIN" test --suite fuzz "${stack[@]}" 2>&1)
check "stress: 100 programs pass the loose checks on stw=stress" test "$?" = 0
stack=(--case small_programs --alloc freelist_pool --gc generational)

out=$(fuzz_failure model HEAPLAB_FUZZ_FORK=0)
rc=$?
check "in process: the case fails and shows the whole program" \
    grep -q '^# the program ([0-9]* operations):$' <<<"$out"
check "in process: exit status 1" test "$rc" = 1

tap_done
