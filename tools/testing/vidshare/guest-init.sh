#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the vidshare test initramfs. The kernel console is ttyS0; results
# and oracle requests go to the host over ttyS1, one "@@" line each:
#   @@BEGIN name / @@END name rc   a block of output (KTAP, TAP, logs)
#   @@ORACLE-MEM name phys word... the host must see these 32-bit words at
#                                  guest-physical phys; it answers "ok"/"fail"
#   @@ORACLE-SCREEN name w h       the screen must show the vidshare picture
#   @@ORACLE-UNPLUG name           the host must device_del the adapter and
#                                  wait until QEMU reports it gone ("ok")
#   @@ORACLE-PLUG name             the host must device_add it again
#   @@DONE
# The plan (vidshare.plan=check|hotplug|run on the command line) picks the
# steps.

/bin/busybox mkdir -p /proc /sys /dev /tmp /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp

plan=$(sed -n 's/.*vidshare\.plan=\([a-z]*\).*/\1/p' /proc/cmdline)
# vidshare.stress=OPT,ARG,...: more options for every vidshare_stress run
stress_args=$(sed -n 's/.*vidshare\.stress=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')
stty -F /dev/ttyS1 raw -echo
exec 3>/dev/ttyS1

say() { echo "@@$*" >&3; }
log() { echo "vidshare-init: $*" > /dev/console; }

# run NAME CMD...: run a command, send its output and exit code as a block.
run() {
	name=$1
	shift
	log "running $name"
	"$@" > /tmp/out 2>&1
	rc=$?
	say "BEGIN $name"
	cat /tmp/out >&3
	say "END $name $rc"
	return $rc
}

# The adapter under test: the vidshare class device and its PCI function.
adapter() {
	for d in /sys/class/vidshare/vidshare*; do
		[ -e "$d/device" ] && { echo "$d"; return 0; }
	done
	return 1
}

bar_phys() {
	bar=$(cat "$1/fb_bar")
	sed -n "$((bar + 1))p" "$1/device/resource" | cut -d' ' -f1
}

# oracle_mem NAME OFFSET WORD...: write WORDs at frame-buffer OFFSET through a
# share held open while the host reads guest-physical memory and answers.
oracle_mem() {
	name=$1
	off=$2
	shift 2
	dev=$(adapter) || { say "BEGIN $name"; say "END $name 1"; return; }
	phys=$(printf '0x%x' $(($(bar_phys "$dev") + off)))
	size=$(($# * 4))
	cmd="vidsharectl -d /dev/$(basename "$dev") share $off $size"
	o=$off
	for w in "$@"; do
		cmd="$cmd + write $o $w"
		o=$((o + 4))
	done
	$cmd + wait /dev/ttyS1 + unshare > /tmp/oracle.out 2>&1 &
	pid=$!
	say "ORACLE-MEM $name $phys $*"
	wait $pid
	rc=$?
	say "BEGIN $name-guest"
	cat /tmp/oracle.out >&3
	say "END $name-guest $rc"
}

# oracle_screen NAME WxHxBPP: set the mode, draw the picture through a share,
# keep the share while the host grabs the screen, then unshare.
oracle_screen() {
	name=$1
	dev=$(adapter) || { say "BEGIN $name"; say "END $name 1"; return; }
	w=${2%%x*}
	h=${2#*x}
	h=${h%%x*}
	vidsharectl -d /dev/$(basename "$dev") mode "$2" + pattern --keep + \
		wait /dev/ttyS1 + unshare > /tmp/oracle.out 2>&1 &
	pid=$!
	say "ORACLE-SCREEN $name $w $h"
	wait $pid
	rc=$?
	say "BEGIN $name-guest"
	cat /tmp/oracle.out >&3
	say "END $name-guest $rc"
}

# dyndbg +p|-p: vidshare's dev_dbg() reasons for refusals on or off. The
# stress provokes hundreds of thousands of refusals, which would flood the
# log buffer and push out what the judge reads from it.
dyndbg() {
	echo "module vidshare $1" > /sys/kernel/debug/dynamic_debug/control
}

# The stress runs: fixed seeds; see Documentation/vidshare/testing.rst.
stress() {
	dyndbg -p
	run stress vidshare_stress --seed 1 --ops 100000 --max-shares 16 $stress_args
	run stress_unbind vidshare_stress --seed 2 --ops 100000 --max-shares 16 \
		--revoke --unbind 300 $stress_args
	dyndbg +p
}

# The stress across real PCI hot-unplug: the stress calls /tmp/hotplug to
# have the host unplug the adapter and plug it in again.
stress_hotplug() {
	cat > /tmp/hotplug <<-'EOF'
	#!/bin/sh
	# hotplug UNPLUG|PLUG: ask the host, wait for its answer
	echo "@@ORACLE-$1 adapter" > /dev/ttyS1
	read -r answer < /dev/ttyS1
	[ "$answer" = ok ]
	EOF
	chmod +x /tmp/hotplug
	dyndbg -p
	run stress_hotplug vidshare_stress --seed 3 --ops 20000 --max-shares 16 \
		--revoke --unbind 1000 --unplug-cmd "/tmp/hotplug UNPLUG" \
		--plug-cmd "/tmp/hotplug PLUG" $stress_args
	dyndbg +p
}

leaks() {
	echo scan > /sys/kernel/debug/kmemleak
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
}

# Leaks from boot are not ours: forget them before the tests start.
if [ -e /sys/kernel/debug/kmemleak ]; then
	echo scan > /sys/kernel/debug/kmemleak
	echo clear > /sys/kernel/debug/kmemleak
fi

run insmod insmod /lib/modules/vidshare.ko dyndbg=+p
run info vidsharectl info
case "$plan" in
check)
	run kunit insmod /lib/modules/vidshare_kunit.ko
	# Its suites ran at load; unload it so the selftests can unload vidshare.
	run rmmod_kunit rmmod vidshare_kunit
	run selftests vidshare_test
	run input_tests vidshare_input_test
	stress
	oracle_mem oracle_mem_first_words 0 0x11223344 0x55667788
	oracle_mem oracle_mem_unaligned_view 1193046 0xcafef00d 0x0badc0de
	fb_size=$(cat "$(adapter)/fb_size")
	oracle_mem oracle_mem_last_word $((fb_size - 4)) 0xfeedface
	oracle_screen oracle_screen_pattern 800x600x32
	run rmmod rmmod vidshare
	run reload insmod /lib/modules/vidshare.ko
	[ -e /sys/kernel/debug/kmemleak ] && run kmemleak leaks
	;;
hotplug)
	stress_hotplug
	run rmmod rmmod vidshare
	[ -e /sys/kernel/debug/kmemleak ] && run kmemleak leaks
	;;
run)
	oracle_screen screen 1024x768x32
	run rmmod rmmod vidshare
	;;
esac
run dmesg dmesg
say DONE
sync
poweroff -f
