#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the vidshare test initramfs. The kernel console is ttyS0; results
# and oracle requests go to the host over ttyS1, one "@@" line each:
#   @@BEGIN name / @@END name rc   a block of output (KTAP, TAP, logs)
#   @@ORACLE-MEM name phys word... the host must see these 32-bit words at
#                                  guest-physical phys; it answers "ok"/"fail"
#   @@ORACLE-SCREEN name w h [pci] the screen (of the adapter at PCI address
#                                  pci) must show the vidshare picture
#   @@ORACLE-UNPLUG name           the host must device_del the adapter and
#                                  wait until QEMU reports it gone ("ok")
#   @@ORACLE-PLUG name             the host must device_add it again
#   @@DONE
# The plan (vidshare.plan=check|hotplug|adapters|fwfb|nopat|run on the
# command line) picks the steps.

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

# fail NAME MESSAGE: a failed block.
fail() {
	say "BEGIN $1"
	echo "$2" >&3
	say "END $1 1"
}

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

# oracle_mem [-w] NAME DEV OFFSET WORD...: write WORDs at frame-buffer
# OFFSET of the adapter of class device DEV through a share held open while
# the host reads guest-physical memory and answers. The share is the view
# of the words, or with -w the whole frame buffer.
oracle_mem() {
	whole=0
	[ "$1" = -w ] && { whole=1; shift; }
	name=$1
	dev=$2
	off=$3
	shift 3
	[ -e "$dev/device" ] || { fail "$name-guest" "no vidshare device to share from"; return; }
	phys=$(printf '0x%x' $(($(bar_phys "$dev") + off)))
	view="$off $(($# * 4))"
	[ $whole = 1 ] && view="0 $(cat "$dev/fb_size")"
	cmd="vidsharectl -d /dev/$(basename "$dev") share $view"
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

# oracle_screen NAME DEV WxHxBPP: set the mode of the adapter of class device
# DEV, draw the picture through a share, keep the share while the host grabs
# the adapter's screen, then unshare.
oracle_screen() {
	name=$1
	dev=$2
	[ -e "$dev/device" ] || { fail "$name-guest" "no vidshare device to share from"; return; }
	w=${3%%x*}
	h=${3#*x}
	h=${h%%x*}
	vidsharectl -d /dev/$(basename "$dev") mode "$3" + pattern --keep + \
		wait /dev/ttyS1 + unshare > /tmp/oracle.out 2>&1 &
	pid=$!
	say "ORACLE-SCREEN $name $w $h $(basename "$(readlink -f "$dev/device")")"
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

# The adapters plan. vidshare.expect= on the command line lists, comma
# separated, what each emulated adapter must look like:
#   LABEL:VENDOR:DEVICE:CLASS:BAR:BARLEN:FBSIZE:WC:MODES:BIND
# ids and class in hex as sysfs shows them (CLASS is base and sub class),
# BAR the frame-buffer BAR, BARLEN its length, FBSIZE what INFO must report,
# WC 1 or 0, MODES dispi or none, BIND auto (vidshare's own ids) or
# override (driver_override, as for an adapter vidshare does not know).
expect=$(sed -n 's/.*vidshare\.expect=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')

# find_pci VENDOR DEVICE CLASS BAR BARLEN: the PCI function with these ids,
# this class and a BAR of this length. Matching never depends on the slot.
find_pci() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = "0x$1" ] && [ "$(cat "$d/device")" = "0x$2" ] || continue
		case $(cat "$d/class") in 0x$3??) ;; *) continue ;; esac
		res=$(sed -n "$(($4 + 1))p" "$d/resource")
		start=${res%% *}
		end=${res#* }
		end=${end%% *}
		[ $((end - start + 1)) -eq $(($5)) ] || continue
		basename "$d"
		return 0
	done
	return 1
}

# class_dev PCI: the vidshare class device of a PCI function, waiting for it.
class_dev() {
	for i in $(seq 50); do
		for c in /sys/bus/pci/devices/$1/vidshare/vidshare*; do
			[ -e "$c" ] && { echo "/sys/class/vidshare/$(basename "$c")"; return 0; }
		done
		sleep 0.1
	done
	return 1
}

# The words an adapter's oracles write: different for every adapter, so a
# share that lands on another adapter cannot go unnoticed.
words() {
	printf '0x%02x5eed%02x 0x%02xcafe%02x' "$1" "$1" "$1" "$1"
}

# entry E: the fields of one vidshare.expect entry in label, vendor, device,
# class, bar, barlen, fb, wc, modes and bind; what VIDSHARE_EXPECT must say
# of it in want; its PCI function in pci. False when there is none.
entry() {
	IFS=: read -r label vendor device class bar barlen fb wc modes bind <<-EOF
	$1
	EOF
	want="vendor=0x$vendor device=0x$device bar=$bar fb_size=$fb wc=$wc modes=$modes"
	pci=$(find_pci "$vendor" "$device" "$class" "$bar" "$barlen")
}

# The selftests' long races are about the driver, not the adapter: they
# run in the check plan, on std VGA. (The harness takes the first option
# that names a test: -T before -f.)
races="-T unshare_racing_mseal_removes_the_share_or_leaves_it_whole
	-T share_in_flight_never_marks_another_threads_mapping
	-T revoke_racing_unmaps_leaves_pat_bookkeeping_intact"

adapters() {
	n=0
	uncached_inputs=0
	for e in $expect; do
		n=$((n + 1))
		entry "$e" ||
			{ fail "$label.found" "no PCI function $vendor:$device class $class with a BAR$bar of $barlen bytes"; continue; }
		if [ "$bind" = override ]; then
			d=/sys/bus/pci/devices/$pci
			[ -e "$d/driver" ] && echo "$pci" > "$d/driver/unbind"
			echo vidshare > "$d/driver_override"
			echo "$pci" > /sys/bus/pci/drivers_probe
		fi
		dev=$(class_dev "$pci") || { fail "$label.found" "$pci has no vidshare device"; continue; }
		fixtures="-f vidshare -f nomode"
		[ "$modes" = dispi ] && fixtures="-f vidshare -f mode -f mode_set"
		run "$label.selftests" env VIDSHARE_DEV="/dev/$(basename "$dev")" VIDSHARE_EXPECT="$want" \
			vidshare_test $races $fixtures
		# The errno table's conditions for uncached adapters, once a boot.
		if [ "$wc" = 0 ] && [ $uncached_inputs = 0 ]; then
			uncached_inputs=1
			run "$label.input_tests" env VIDSHARE_DEV="/dev/$(basename "$dev")" \
				VIDSHARE_PCI="$pci" VIDSHARE_EXPECT="$want" vidshare_input_test
			# it binds the adapter again: another minor
			dev=$(class_dev "$pci") ||
				{ fail "$label.found" "$pci has no vidshare device"; continue; }
		fi
		# The picture first: the words then overwrite two of its pixels.
		[ "$modes" = dispi ] && oracle_screen "$label.oracle_screen" "$dev" 640x480x32
		set -- $(words $n)
		oracle_mem "$label.oracle_first_words" "$dev" 0 "$@"
		# The last word through a share of the whole frame buffer.
		oracle_mem -w "$label.oracle_last_word" "$dev" $((fb - 4)) "$2"
	done
	# Every adapter still holds its own words: no share of one adapter
	# wrote to another.
	n=0
	for e in $expect; do
		n=$((n + 1))
		entry "$e" || continue
		dev=$(class_dev "$pci") || continue
		say "ORACLE-MEM $label.oracle_still_its_own_words $(bar_phys "$dev") $(words $n)"
		read -r answer < /dev/ttyS1
	done
	# Unbind with live shares and bind again, adapter by adapter.
	for e in $expect; do
		entry "$e" || continue
		dev=$(class_dev "$pci") || continue
		run "$label.revoke" env VIDSHARE_DEV="/dev/$(basename "$dev")" VIDSHARE_PCI="$pci" \
			VIDSHARE_EXPECT="$want" vidshare_test $races -f revoke
	done
	# An adapter bound through driver_override: bind it through ids=
	# instead, then give it back to the kernel's own driver, if there is
	# one (virtio-pci for virtio-vga), which must take it and work.
	for e in $expect; do
		entry "$e" && [ "$bind" = override ] || continue
		d=/sys/bus/pci/devices/$pci
		echo > "$d/driver_override"
		rmmod vidshare
		insmod /lib/modules/vidshare.ko ids="$vendor:$device"
		run "$label.bound_through_ids" sh -c "
			readlink $d/driver | grep -q /vidshare\$ &&
			ls $d/vidshare/ && env VIDSHARE_DEV=/dev/\$(ls $d/vidshare/) vidsharectl info"
		rmmod vidshare
		echo "$pci" > /sys/bus/pci/drivers_probe 2> /dev/null
		# The kernel's driver, when it is built in (it is not loadable
		# here): virtio-pci on Debian's 6.12.
		if [ -e /sys/bus/pci/drivers/virtio-pci ] && [ "$vendor" = 1af4 ]; then
			run "$label.given_back_to_its_driver" sh -c "
				readlink $d/driver | grep -q /virtio-pci\$ &&
				ls $d/ | grep -q '^virtio[0-9]'"
		fi
		insmod /lib/modules/vidshare.ko
	done
}

# FUSE for vidshare_holdout_test: built in, or a module of the kernel's
# own that the initramfs carries (Debian's 6.1).
fuse() {
	[ -e /dev/fuse ] || { [ -e /lib/modules/fuse.ko ] && insmod /lib/modules/fuse.ko; }
}

# Fault injection for vidshare_fault_test, where the kernel has it: fail
# sleeping allocations and order-0 pages too, and quietly (every injected
# fault would print a stack trace). fail-nth picks which allocation fails.
fault_injection() {
	for f in failslab fail_page_alloc; do
		d=/sys/kernel/debug/$f
		[ -d $d ] || continue
		echo N > $d/ignore-gfp-wait
		echo 0 > $d/verbose
		echo N > $d/task-filter
	done
	d=/sys/kernel/debug/fail_page_alloc
	[ -d $d ] && { echo 0 > $d/min-order; echo N > $d/ignore-gfp-highmem; }
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

# The firmware-framebuffer plan: the boot loader set a VESA mode (vga= on
# the command line), so vesafb holds the std VGA's BAR0. vidshare must
# refuse it with a clear message, and take it over with takeover=1.
fwfb() {
	run fwfb_vesafb_holds_the_bar sh -c 'grep -i -B1 -A1 vesafb /proc/iomem'
	insmod /lib/modules/vidshare.ko
	run fwfb_refused_with_a_message sh -c '
		! ls -d /sys/class/vidshare/vidshare* 2>/dev/null &&
		dmesg | grep "probably a firmware framebuffer.*takeover=1"'
	rmmod vidshare
	insmod /lib/modules/vidshare.ko takeover=1
	run fwfb_taken_over sh -c '
		! grep -i vesafb /proc/iomem && vidsharectl info &&
		dmesg | grep "taking it over from the firmware framebuffer"'
	oracle_mem fwfb_oracle_after_takeover "$(adapter)" 0 0x7a4e0be1 0x0f1a5ec0
}

if [ "$plan" != fwfb ]; then
	run insmod insmod /lib/modules/vidshare.ko dyndbg=+p
	run info vidsharectl info
fi
case "$plan" in
check)
	# Its suites run at load; unload it so the selftests can unload vidshare.
	# A kernel without KUnit (a distribution's) has no vidshare_kunit.ko.
	if [ -e /lib/modules/vidshare_kunit.ko ]; then
		run kunit insmod /lib/modules/vidshare_kunit.ko
		run rmmod_kunit rmmod vidshare_kunit
	fi
	# std VGA has a mode interface: the nomode fixture is for the adapters plan.
	run selftests vidshare_test -F nomode
	run input_tests vidshare_input_test
	fuse
	run holdout vidshare_holdout_test
	fault_injection
	run faults vidshare_fault_test
	stress
	dev=$(adapter)
	oracle_mem oracle_mem_first_words "$dev" 0 0x11223344 0x55667788
	oracle_mem oracle_mem_unaligned_view "$dev" 1193046 0xcafef00d 0x0badc0de
	fb_size=$(cat "$dev/fb_size")
	oracle_mem -w oracle_mem_last_word "$dev" $((fb_size - 4)) 0xfeedface
	oracle_screen oracle_screen_pattern "$dev" 800x600x32
	run rmmod rmmod vidshare
	run reload insmod /lib/modules/vidshare.ko
	[ -e /sys/kernel/debug/kmemleak ] && run kmemleak leaks
	;;
hotplug)
	stress_hotplug
	run rmmod rmmod vidshare
	[ -e /sys/kernel/debug/kmemleak ] && run kmemleak leaks
	;;
fwfb)
	fwfb
	run rmmod rmmod vidshare
	;;
nopat)
	# Booted with nopat: write-combining comes from an MTRR. The tests
	# about memory types, sharing and revocation.
	run selftests vidshare_test $races \
		-T sigkill_during_share_and_unshare_leaves_no_share_behind \
		-F nomode -F limits -F module
	run mtrr cat /proc/mtrr
	dev=$(adapter)
	oracle_mem oracle_mem_first_words "$dev" 0 0x5ca1ab1e 0x0ddba110
	oracle_screen oracle_screen_pattern "$dev" 640x480x32
	run rmmod rmmod vidshare
	[ -e /sys/kernel/debug/kmemleak ] && run kmemleak leaks
	;;
adapters)
	adapters
	run rmmod rmmod vidshare
	[ -e /sys/kernel/debug/kmemleak ] && run kmemleak leaks
	;;
run)
	oracle_screen screen "$(adapter)" 1024x768x32
	run rmmod rmmod vidshare
	;;
esac
run dmesg dmesg
say DONE
sync
poweroff -f
