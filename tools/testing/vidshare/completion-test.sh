#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# completion-test.sh COMPLETION: what vidsharectl's bash completion
# offers, on a made-up sysfs (two display adapters and a network card) and
# /dev. One line a case; non-zero if any offers something else.
set -u
comp=${1:?usage: completion-test.sh tools/vidshare/vidsharectl.bash-completion}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for d in 0000:00:02.0=0x030000 0000:00:03.0=0x020000 0000:01:00.0=0x038000; do
	mkdir -p "$tmp/sys/bus/pci/devices/${d%=*}"
	echo "${d#*=}" > "$tmp/sys/bus/pci/devices/${d%=*}/class"
done
mkdir -p "$tmp/dev"
touch "$tmp/dev/vidshare0" "$tmp/dev/vidshare1" "$tmp/dev/null"
# shellcheck source=/dev/null
source "$comp" || exit 1
_VIDSHARECTL_SYS=$tmp/sys
_VIDSHARECTL_DEV=$tmp/dev
COMP_WORDBREAKS=${COMP_WORDBREAKS:-$' \t\n"\'><=;|&(:'}
failed=0

# t LINE WORD...: at the end of LINE, the completion offers exactly WORDs
# (as bash replaces the word after the last colon: the part after it).
t() {
	local line=$1 got want
	shift
	COMP_LINE=$line COMP_POINT=${#line}
	_vidsharectl
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	if [[ $got == "$want" ]]; then
		echo "ok: '$line' -> $got"
	else
		echo "FAIL: '$line' -> '$got', want '$want'"
		failed=1
	fi
}

t "vidsharectl cl" claim
t "vidsharectl re" release read
t "vidsharectl " list claim release info mode share unshare fill pattern read write wait sleep
t "vidsharectl --js" --json
t "vidsharectl -" -d --device -s --slot -r --read-only --json -h --help --version
t "vidsharectl claim " 0000:00:02.0 0000:01:00.0
t "vidsharectl claim 0000:01" 01:00.0
t "vidsharectl claim --f" --force
t "vidsharectl release 0000:00:0" 02.0
t "vidsharectl release --f"
t "vidsharectl -s " 0000:00:02.0 0000:01:00.0
t "vidsharectl -s 9"
t "vidsharectl -d $tmp/dev/vid" "$tmp/dev/vidshare0" "$tmp/dev/vidshare1"
t "vidsharectl -s 0000:00:02.0 sh" share
t "vidsharectl -s 0000:00:02.0 share 0 4096 --re" --readonly
t "vidsharectl share 0 4096 --fixed "
t "vidsharectl mode 1024x768x32 + pat" pattern
t "vidsharectl mode 1024x768x32 + pattern --" --keep
exit $failed
