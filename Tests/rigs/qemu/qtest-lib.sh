# shellcheck shell=bash
# qtest-lib.sh - what the qtest rigs share; source it after defining die().
#
# check NAME GOT WANT: prints "ok   NAME" or "FAIL NAME: got GOT, want WANT" and counts
# into $passed and $failed, which the rig prints at the end as "N passed, N failed".
#
# qt COMMAND...: sends one qtest command to the QEMU running as "coproc QT" and prints
# its "OK ..." answer without the OK (asynchronous IRQ lines are skipped). A QEMU that
# died or does not answer within 10 s prints "dead", so that a crash fails a check
# instead of hanging or killing the rig (set "trap '' PIPE"); an answer FAIL or ERR is a
# broken rig: die.

passed=0 failed=0
check() {
	if [[ $2 == "$3" ]]; then
		printf 'ok   %s\n' "$1"
		passed=$((passed + 1))
	else
		printf 'FAIL %s: got %s, want %s\n' "$1" "$2" "$3"
		failed=$((failed + 1))
	fi
}

qt() {
	local line in=${QT[0]:-} out=${QT[1]:-}
	# Bash unsets QT once the coprocess has exited (and set -u would stop the rig).
	if [[ -z $in || -z $out ]] || ! { printf '%s\n' "$*" >&"$out"; } 2>/dev/null; then
		echo dead
		return 0
	fi
	while IFS= read -r -t 10 line <&"$in"; do
		case $line in
		OK*) printf '%s\n' "${line#OK}" | sed 's/^ //'; return 0 ;;
		FAIL* | ERR*) die "qtest: $* -> $line" ;;
		esac
	done
	echo dead
}
