#!/usr/bin/env bash
# Collector parameters are read strictly (base/parse.h): a sign, a space, an
# empty value, a missing or extra threshold, or a parameter to a collector
# that takes none is a usage error (exit 2, the reason on stderr, nothing on
# stdout); the documented spellings run.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh

rejected() { # rejected SPEC WORDS: exit 2, empty stdout, WORDS on stderr
    local spec=$1 words=$2 out err rc
    out=$(heaplab test --gc "$spec" --suite cycles --case self_list --alloc malloc 2>/tmp/hl12.$$)
    rc=$?
    err=$(cat /tmp/hl12.$$)
    rm -f /tmp/hl12.$$
    check "--gc '$spec' rejected: exit $rc, stdout '${out:0:40}'" \
        test "$rc" = 2 -a -z "$out"
    check "--gc '$spec' says why" grep -q -- "$words" <<<"$err"
}
accepted() {
    local spec=$1 out
    out=$(heaplab test --gc "$spec" --suite cycles --case self_list --alloc malloc 2>&1)
    check "--gc '$spec' runs" grep -q "^ok 1 - cycles/self_list \[malloc $spec\]" <<<"$out"
}

rejected 'stw=+5' "cannot create collector 'stw=+5'"
rejected 'stw= 5' "not ' 5'"
rejected 'stw=5 ' "not '5 '"
rejected 'stw=' "cannot create collector 'stw='"
rejected 'stw=-1' "count of digits"
rejected 'stw=0x10' "count of digits"
rejected 'stw=99999999999999999999' "count of digits"
rejected 'generational=+1,+2,+3' "T0,T1,T2"
rejected 'generational=1,2' "T0,T1,T2"
rejected 'generational=1,2,3,4' "T0,T1,T2"
rejected 'generational=1,,3' "T0,T1,T2"
rejected 'generational=3.14' "T0,T1,T2"
rejected 'generational=' "T0,T1,T2"
rejected 'none=1' "takes no parameter"
rejected 'none=stress' "takes no parameter"
rejected 'none=' "takes no parameter"
rejected 'nosuch' "unknown collector 'nosuch'"
rejected 'stw=stress=1' "count of digits"

accepted stw=0
accepted stw=700
accepted stw=stress
accepted generational=3.13
accepted generational=0,0,0
accepted generational=700,10,10
accepted generational=stress
tap_done
