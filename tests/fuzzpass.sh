#!/usr/bin/env bash
# fuzzpass.sh FUZZTIME: runs every fuzz target of the module for FUZZTIME.
#
# A target fails the pass when the fuzzer reports a finding, with one
# exception, the Go fuzzing engine's own flakes on a loaded machine: a
# worker that stalls past the engine's fixed 10 s per input is reported as
# "fuzzing process hung or terminated unexpectedly" with a "failing input"
# (golang/go#56238), and fuzztime can expire mid-exec as "context deadline
# exceeded" (golang/go#51484). Such a report counts as a flake only if the
# input it wrote replays clean as an ordinary test in under 2 s (parsers
# take microseconds: an input that is really slow, or hangs, still fails),
# or if no input was written at all. Every flake is printed; the replayed input is removed so
# the checkout stays clean.
set -u
fuzztime=${1:-10s}
go=${GO:-go}
flakes=0
targets=0
for pkg in $($go list ./...); do
	dir=$($go list -f '{{.Dir}}' "$pkg")
	for f in $($go test -list '^Fuzz' "$pkg" | grep '^Fuzz'); do
		targets=$((targets + 1))
		echo "fuzz $pkg $f"
		out=$(mktemp)
		$go test -run '^$' -fuzz "^$f\$" -fuzztime "$fuzztime" "$pkg" 2>&1 | tee "$out"
		rc=${PIPESTATUS[0]}
		if [ "$rc" -eq 0 ]; then
			rm -f "$out"
			continue
		fi
		written=$(sed -n 's/.*Failing input written to \(testdata\/fuzz\/[^ ]*\).*/\1/p' "$out" | head -1)
		if grep -q -E 'fuzzing process hung or terminated unexpectedly|context deadline exceeded' "$out"; then
			if [ -z "$written" ]; then
				echo "fuzzpass: $f: the fuzz engine stopped without a finding (golang/go#51484); counted as a flake"
				flakes=$((flakes + 1))
				rm -f "$out"
				continue
			fi
			id=$(basename "$written")
			echo "fuzzpass: $f: the engine reported a hung worker; replaying $written as a test"
			replay=$(cd "$dir" && $go test -count=1 -timeout 2m -v -run "^$f/$id\$" . 2>&1)
			echo "$replay"
			took=$(echo "$replay" | sed -n "s/.*--- PASS: $f\/$id (\([0-9.]*\)s).*/\1/p")
			if [ -n "$took" ] && awk -v t="$took" 'BEGIN { exit !(t < 2) }'; then
				echo "fuzzpass: $f: input $id replays clean in ${took}s: an engine flake (golang/go#56238), not a finding"
				rm -f "$dir/$written"
				rmdir "$dir/testdata/fuzz/$f" "$dir/testdata/fuzz" "$dir/testdata" 2>/dev/null
				flakes=$((flakes + 1))
				rm -f "$out"
				continue
			fi
		fi
		echo "fuzzpass: $f FAILED${written:+ (input kept in $dir/$written)}"
		rm -f "$out"
		exit 1
	done
done
echo "fuzzpass: $targets targets for $fuzztime each, $flakes engine flakes"
