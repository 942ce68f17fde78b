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
# The plan (vidshare_test.plan=check|hotplug|adapters|fwfb|nopat|run|debian|bench on
# the command line) picks the steps: the entries of the plans file
# (tools/testing/vidshare/plans, which the host reads too, next to this
# script) for that plan, in order.
#
# In the test initramfs this is /init, run by busybox. In the Debian guest
# (the debian plan) a systemd unit of the image runs it with Debian's
# /bin/sh from the second disk, on a system that is up already.
plans=${0%/*}/plans

if [ $$ = 1 ]; then
	/bin/busybox mkdir -p /proc /sys /dev /tmp /usr/bin /usr/sbin /sbin
	/bin/busybox --install -s
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	mount -t debugfs debugfs /sys/kernel/debug
	mount -t tmpfs tmpfs /tmp
fi

plan=$(sed -n 's/.*vidshare_test\.plan=\([a-z]*\).*/\1/p' /proc/cmdline)
# vidshare_test.stress=OPT,ARG,...: more options for every vidshare_stress run
stress_args=$(sed -n 's/.*vidshare_test\.stress=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')
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

# ask NAME REQUEST VIDSHARECTL...: run a vidsharectl command that holds its
# share until the host has answered REQUEST (vidsharectl's "wait" reads the
# answer from its standard input, ttyS1, which this shell opens: also for a
# vidsharectl that runs as a user who could not open ttyS1), then unshares; its output and exit code are block
# NAME-guest.
ask() {
	name=$1
	request=$2
	shift 2
	"$@" + wait + unshare < /dev/ttyS1 > /tmp/oracle.out 2>&1 &
	pid=$!
	say "$request"
	wait $pid
	rc=$?
	say "BEGIN $name-guest"
	cat /tmp/oracle.out >&3
	say "END $name-guest $rc"
}

# oracle_mem NAME [-w] DEV OFFSET WORD...: write WORDs at frame-buffer
# OFFSET ("last": the last word) of the adapter of class device DEV through
# a share held open while the host reads guest-physical memory and answers.
# The share is the view of the words, or with -w the whole frame buffer.
oracle_mem() {
	name=$1
	shift
	whole=0
	[ "$1" = -w ] && { whole=1; shift; }
	dev=$1
	off=$2
	shift 2
	[ -e "$dev/device" ] || { fail "$name-guest" "no vidshare device to share from"; return; }
	[ "$off" = last ] && off=$(($(cat "$dev/fb_size") - 4))
	phys=$(printf '0x%x' $(($(bar_phys "$dev") + off)))
	view="$off $(($# * 4))"
	[ $whole = 1 ] && view="0 $(cat "$dev/fb_size")"
	cmd="vidsharectl -d /dev/$(basename "$dev") share $view"
	o=$off
	for w in "$@"; do
		cmd="$cmd + write $o $w"
		o=$((o + 4))
	done
	ask "$name" "ORACLE-MEM $name $phys $*" $cmd
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
	ask "$name" "ORACLE-SCREEN $name $w $h $(basename "$(readlink -f "$dev/device")")" \
		vidsharectl -d /dev/$(basename "$dev") mode "$3" + pattern --keep
}

# oracle_screen_as NAME USER PCI WxHxBPP: oracle_screen as USER would do
# it: USER's vidsharectl selects the adapter by its PCI address.
oracle_screen_as() {
	w=${4%%x*}
	h=${4#*x}
	h=${h%%x*}
	ask "$1" "ORACLE-SCREEN $1 $w $h $3" \
		runuser -u "$2" -- vidsharectl -s "$3" mode "$4" + pattern --keep
}

# dyndbg +p|-p: vidshare's dev_dbg() reasons for refusals on or off. The
# stress provokes hundreds of thousands of refusals, which would flood the
# log buffer and push out what the judge reads from it.
dyndbg() {
	echo "module vidshare $1" > /sys/kernel/debug/dynamic_debug/control
}

# quiet CMD...: CMD without vidshare's dev_dbg() lines (the stress
# provokes hundreds of thousands of refusals).
quiet() {
	dyndbg -p
	"$@"
	rc=$?
	dyndbg +p
	return $rc
}

# The stress across real PCI hot-unplug calls /tmp/hotplug to have the host
# unplug the adapter and plug it in again.
cat > /tmp/hotplug <<-'EOF'
	#!/bin/sh
	# hotplug UNPLUG|PLUG: ask the host, wait for its answer
	echo "@@ORACLE-$1 adapter" > /dev/ttyS1
	read -r answer < /dev/ttyS1
	[ "$answer" = ok ]
	EOF
chmod +x /tmp/hotplug

# The adapters plan: vidshare_test.boot=NAME on the command line names the
# boot, whose adapters the plans file lists in its "adapters :boot NAME" line, and
# what each must look like in its "adapters :adapter LABEL" line.
boot=$(sed -n 's/.*vidshare_test\.boot=\([^ ]*\).*/\1/p' /proc/cmdline)
expect=
[ -n "$boot" ] && expect=$(sed -n "s/^adapters  *:boot  *$boot  *//p" "$plans")

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

# entry LABEL: the fields of adapter LABEL's line in the plans file in qdev,
# vendor, device, class, bar, barlen, fb, wc, modes and bind; what
# VIDSHARE_EXPECT must say of it in want; its PCI function in pci. False
# when there is none.
entry() {
	read -r _ _ label qdev vendor device class bar barlen fb wc modes bind <<-EOF
	$(grep -E "^adapters +:adapter +$1 " "$plans")
	EOF
	[ "$label" = "$1" ] || { label=$1; pci=; return 1; }
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
		oracle_mem "$label.oracle_last_word" -w "$dev" last "$2"
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
		# vidsharectl moves it from that driver to vidshare and back.
		if [ -e /sys/bus/pci/drivers/virtio-pci ] && [ "$vendor" = 1af4 ]; then
			run "$label.claimed_from_its_driver" ctl_claim_from "$pci" virtio-pci
			run "$label.released_to_its_driver" ctl_release_to "$pci" virtio-pci \
				'^virtio[0-9]'

		fi
	done
}

# The short form of make bench: vidshare_bench --check, for SHARE and for
# mmap(2), checks what the mappings are (huge entries, page-table pages,
# memory type), never how fast.
bench_structure() {
	a=$(adapter) || { echo "no vidshare adapter"; return 1; }
	for i in share mmap; do
		vidshare_bench --runs 3 --check "$i" --dev "/dev/${a##*/}" > /tmp/bench.json ||
			{ cat /tmp/bench.json; return 1; }
	done
}

# with_fuse CMD...: CMD with FUSE (for vidshare_holdout_test): built in,
# or a module of the kernel's own that the initramfs carries (Debian's 6.1).
with_fuse() {
	[ -e /dev/fuse ] || { [ -e /lib/modules/fuse.ko ] && insmod /lib/modules/fuse.ko; }
	"$@"
}

# with_fault_injection CMD...: CMD (vidshare_fault_test) with fault
# injection, where the kernel has it: fail sleeping allocations and order-0
# pages too, and quietly (every injected fault would print a stack trace).
# fail-nth picks which allocation fails.
with_fault_injection() {
	for f in failslab fail_page_alloc; do
		d=/sys/kernel/debug/$f
		[ -d $d ] || continue
		echo N > $d/ignore-gfp-wait
		echo 0 > $d/verbose
		echo N > $d/task-filter
	done
	d=/sys/kernel/debug/fail_page_alloc
	[ -d $d ] && { echo 0 > $d/min-order; echo N > $d/ignore-gfp-highmem; }
	"$@"
}

# vidsharectl's own tests: list, -s, claim, release, EACCES. Each shows
# what it runs and its output, and fails at the first thing that is wrong.

# show CMD...: print CMD, then run it.
show() {
	echo "+ $*"
	"$@"
}

# ctl OUT CMD...: run vidsharectl CMD..., its output (stdout and stderr) in
# file OUT and shown; its exit code in ctl_rc.
ctl() {
	local out=$1
	shift
	echo "+ vidsharectl $*"
	vidsharectl "$@" > "$out" 2>&1
	ctl_rc=$?
	cat "$out"
	echo "(exit $ctl_rc)"
}

# want_rc N: the last ctl exited N.
want_rc() {
	[ "$ctl_rc" = "$1" ] || { echo "FAIL: exit $ctl_rc, want $1"; return 1; }
}

# want FILE PATTERN: FILE has a line that matches the extended regex PATTERN.
want() {
	grep -Eq "$2" "$1" || { echo "FAIL: no line matches: $2"; return 1; }
}

# The PCI address of the first display adapter (class 0x03).
display_pci() {
	local dev
	for dev in /sys/bus/pci/devices/*; do
		case $(cat "$dev/class") in 0x03*) basename "$dev"; return 0 ;; esac
	done
	return 1
}

# node_of PCI: the device node of vidshare's device of PCI.
node_of() {
	local c
	for c in "/sys/bus/pci/devices/$1/vidshare/vidshare"*; do
		[ -e "$c" ] && { echo "/dev/${c##*/}"; return 0; }
	done
	echo "FAIL: vidshare has no device of $1" >&2
	return 1
}

# override_clear PCI: PCI's driver_override is cleared.
override_clear() {
	case $(cat "/sys/bus/pci/devices/$1/driver_override") in
	"(null)" | "") ;;
	*) echo "FAIL: driver_override is $(cat "/sys/bus/pci/devices/$1/driver_override")"; return 1 ;;
	esac
}

# driver_is PCI DRIVER: DRIVER ("none": no driver) holds PCI.
driver_is() {
	local drv=none
	[ -e "/sys/bus/pci/devices/$1/driver" ] &&
		drv=$(basename "$(readlink "/sys/bus/pci/devices/$1/driver")")
	[ "$drv" = "$2" ] || { echo "FAIL: $1's driver is $drv, want $2"; return 1; }
}

# std VGA, bound to vidshare at insmod: list shows it with its driver and
# device, in text and in JSON.
ctl_list() {
	local pci node
	pci=$(display_pci) && node=$(node_of "$pci") || return 1
	ctl /tmp/ctl.out list && want_rc 0 &&
		want /tmp/ctl.out "^PCI +IDS +DRIVER +NODE +MODEL$" &&
		want /tmp/ctl.out "^$pci +1234:1111 +vidshare +$node +QEMU standard VGA$" &&
		ctl /tmp/ctl.out --json list && want_rc 0 &&
		want /tmp/ctl.out "^\{\"cmd\":\"list\",\"adapters\":\[\{\"pci\":\"$pci\",\"vendor\":4660,\"device\":4369,\"class\":196608,\"boot_vga\":1,\"driver\":\"vidshare\",\"firmware\":null,\"node\":\"$node\",\"model\":\"QEMU standard VGA\"\}\]\}$"
}

# -s opens the adapter at a PCI address, long or short; info shows the
# address and the model, also through -d.
ctl_slot_info() {
	local pci node
	pci=$(display_pci) && node=$(node_of "$pci") || return 1
	ctl /tmp/ctl.out -s "$pci" info && want_rc 0 &&
		want /tmp/ctl.out "^pci: $pci$" && want /tmp/ctl.out "^model: QEMU standard VGA$" &&
		want /tmp/ctl.out "^fb_size: [1-9]" &&
		ctl /tmp/ctl.out -s "${pci#0000:}" info && want_rc 0 && want /tmp/ctl.out "^pci: $pci$" &&
		ctl /tmp/ctl.out --json -d "$node" info && want_rc 0 &&
		want /tmp/ctl.out "\"pci\":\"$pci\",\"model\":\"QEMU standard VGA\""
}

# -s of an address with no device exits 3 and says so; -s with -d, or an
# address that is none, is a usage error.
ctl_slot_errors() {
	ctl /tmp/ctl.out -s 0000:fe:1f.7 info && want_rc 3 &&
		want /tmp/ctl.out "no PCI device 0000:fe:1f.7" &&
		ctl /tmp/ctl.out -s 00:02.0 -d /dev/null info && want_rc 2 &&
		want /tmp/ctl.out "give one of them" &&
		ctl /tmp/ctl.out -s 02.0 info && want_rc 2 && want /tmp/ctl.out "not a PCI address"
}

# A non-root user: EACCES names the group the node is for and how to join
# it; in the group, the user opens it; a node for no group names the udev
# rule. The node is root:root 0660 again at the end.
ctl_eacces() {
	local pci node
	pci=$(display_pci) && node=$(node_of "$pci") || return 1
	mkdir -p /etc
	printf 'root:x:0:0:root:/:/bin/sh\nuser:x:1000:1000:user:/:/bin/sh\n' > /etc/passwd
	printf 'root:x:0:\nvideo:x:44:\nuser:x:1000:\n' > /etc/group
	show chgrp video "$node" && show chmod 0660 "$node" || return 1
	ls -l "$node"
	ctl /tmp/ctl.out -s "$pci" info && want_rc 0 || return 1
	echo "+ su user -c 'vidsharectl -s $pci info'"
	su user -c "vidsharectl -s $pci info" > /tmp/ctl.out 2>&1
	ctl_rc=$?
	cat /tmp/ctl.out
	want_rc 3 && want /tmp/ctl.out "permission denied: $node is for group video" &&
		want /tmp/ctl.out "'usermod -aG video user'" || return 1
	sed -i 's/^video:x:44:$/video:x:44:user/' /etc/group
	echo "+ (user in group video) su user -c 'vidsharectl -s $pci info'"
	su user -c "vidsharectl -s $pci info" > /tmp/ctl.out 2>&1
	ctl_rc=$?
	cat /tmp/ctl.out
	want_rc 0 && want /tmp/ctl.out "^pci: $pci$" || return 1
	show chgrp root "$node" || return 1
	su user -c "vidsharectl -s $pci info" > /tmp/ctl.out 2>&1
	ctl_rc=$?
	cat /tmp/ctl.out
	want_rc 3 && want /tmp/ctl.out "is root:root 0660, for no group: .*60-vidshare.rules"
}

# A node the group may only read (root:video 0640), the user in group
# video: opening it read-write fails with EACCES, and the message says
# the group lacks write and that -r opens it, not only that the user is
# in the group; -r opens it. Runs after ctl_eacces (its /etc/passwd and
# /etc/group, the user in group video); the node is root:root 0660 again
# at the end.
ctl_eacces_group_read_only() {
	local pci node rc
	pci=$(display_pci) && node=$(node_of "$pci") || return 1
	grep -q '^video:x:44:user$' /etc/group || { echo "FAIL: user is not in group video"; return 1; }
	show chgrp video "$node" && show chmod 0640 "$node" || return 1
	rc=1
	echo "+ su user -c 'vidsharectl -s $pci info'"
	su user -c "vidsharectl -s $pci info" > /tmp/ctl.out 2>&1
	ctl_rc=$?
	cat /tmp/ctl.out
	if want_rc 3 &&
		want /tmp/ctl.out "permission denied: $node is root:video 0640: group video may read it but not write it, so only -r" &&
		want /tmp/ctl.out "this process is in group video"; then
		echo "+ su user -c 'vidsharectl -r -s $pci info'"
		su user -c "vidsharectl -r -s $pci info" > /tmp/ctl.out 2>&1
		ctl_rc=$?
		cat /tmp/ctl.out
		want_rc 0 && want /tmp/ctl.out "^pci: $pci$" && rc=0
	fi
	show chmod 0660 "$node" && show chgrp root "$node" && return $rc
}

# Unbound through sysfs: list shows no driver, -s says who holds it (no
# one) and how to give it to vidshare.
ctl_unbound() {
	local pci node
	pci=$(display_pci) || return 1
	echo "+ echo $pci > /sys/bus/pci/drivers/vidshare/unbind"
	echo "$pci" > /sys/bus/pci/drivers/vidshare/unbind && driver_is "$pci" none &&
		ctl /tmp/ctl.out list && want_rc 0 &&
		want /tmp/ctl.out "^$pci +1234:1111 +none +- +" &&
		ctl /tmp/ctl.out -s "$pci" info && want_rc 3 &&
		want /tmp/ctl.out "vidshare does not hold $pci .*no driver holds it; 'vidsharectl claim $pci'"
}

# claim gives it to vidshare (through driver_override) and prints its
# device, which works; a second claim changes nothing.
ctl_claim() {
	local pci node
	pci=$(display_pci) || return 1
	ctl /tmp/ctl.out claim "${pci#0000:}" && want_rc 0 &&
		want /tmp/ctl.out "^pci: $pci$" && want /tmp/ctl.out "^previous_driver: none$" &&
		want /tmp/ctl.out "^driver: vidshare$" && want /tmp/ctl.out "^node: /dev/vidshare[0-9]+$" ||
		return 1
	node=$(sed -n 's/^node: //p' /tmp/ctl.out)
	[ -c "$node" ] || { echo "FAIL: no $node"; return 1; }
	driver_is "$pci" vidshare &&
		[ "$(cat "/sys/bus/pci/devices/$pci/driver_override")" = vidshare ] &&
		ctl /tmp/ctl.out -d "$node" info && want_rc 0 && want /tmp/ctl.out "^pci: $pci$" &&
		ctl /tmp/ctl.out --json claim "$pci" && want_rc 0 &&
		want /tmp/ctl.out "\"previous_driver\":\"vidshare\",\"driver\":\"vidshare\",\"node\":\"$node\""
}

# release takes it from vidshare and clears driver_override; no other
# driver here wants std VGA, so it has none (vidshare's own id table has
# it: vidshare must not keep it), and release says so and fails. A second
# release says vidshare does not hold it.
ctl_release() {
	local pci node
	pci=$(display_pci) || return 1
	ctl /tmp/ctl.out release "$pci" && want_rc 1 &&
		want /tmp/ctl.out "no driver took $pci, which has no driver now" &&
		driver_is "$pci" none && override_clear "$pci" &&
		! ls -d /sys/class/vidshare/vidshare* 2> /dev/null &&
		ctl /tmp/ctl.out release "$pci" && want_rc 1 &&
		want /tmp/ctl.out "vidshare does not hold $pci"
}

# The VGA text console shows on the boot adapter, std VGA here, which has
# no driver now: with the kernel's consoles all virtual terminals (the
# serial console hidden by a bind mount), claim refuses to take it
# (status 4) and changes nothing. Where no VGA text console is bound, it
# says so and tests nothing.
ctl_claim_refused_vga_console() {
	local pci v vgacon=
	pci=$(display_pci) || return 1
	for v in /sys/class/vtconsole/vtcon*; do
		echo "$v: $(cat "$v/name"), bind $(cat "$v/bind")"
		grep -q "VGA+" "$v/name" && [ "$(cat "$v/bind")" = 1 ] && vgacon=$v
	done
	[ -n "$vgacon" ] || { echo "no VGA text console bound here: nothing to test"; return 0; }
	echo tty0 > /tmp/console-active
	show mount --bind /tmp/console-active /sys/class/tty/console/active || return 1
	ctl /tmp/ctl.out claim "$pci"
	umount /sys/class/tty/console/active
	want_rc 4 && want /tmp/ctl.out "$pci .* shows this machine's only console \(on the VGA text console" &&
		driver_is "$pci" none && override_clear "$pci"
}

# A driver_override that names another driver (vfio-pci, which keeps an
# adapter for a virtual machine) is someone else's: claim refuses to
# replace it and changes nothing; --force replaces it and claims (in
# JSON: no previous driver is null). Then release, which finds no other
# driver for std VGA here.
ctl_claim_over_override() {
	local pci o
	pci=$(display_pci) || return 1
	o=/sys/bus/pci/devices/$pci/driver_override
	show sh -c "echo vfio-pci > $o" || return 1
	ctl /tmp/ctl.out claim "$pci"
	if ! { want_rc 1 && want /tmp/ctl.out "driver_override is \"vfio-pci\": .*--force replaces it" &&
		driver_is "$pci" none && [ "$(cat "$o")" = vfio-pci ]; }; then
		echo > "$o"
		return 1
	fi
	ctl /tmp/ctl.out --json claim --force "$pci" && want_rc 0 &&
		want /tmp/ctl.out "\"previous_driver\":null,\"driver\":\"vidshare\",\"node\":\"/dev/vidshare[0-9]+\"\}$" &&
		driver_is "$pci" vidshare && [ "$(cat "$o")" = vidshare ] &&
		ctl /tmp/ctl.out release "$pci" && want_rc 1 && driver_is "$pci" none && override_clear "$pci"
}

# An adapter vidshare does not hold is named from the PCI ids database:
# its vendor's device, not another vendor's device of the same id.
ctl_pci_ids() {
	local pci node
	pci=$(display_pci) || return 1
	mkdir -p /usr/share/misc
	printf '%s\n' '# test' '1013  Cirrus Logic' '	1111  Not this one' \
		'1234  Technical Corp.' '	1111  QEMU Virtual Video Controller' \
		'		1af4 1100  QEMU Virtual Machine' 'C 03  Display controller' \
		'	00  VGA compatible controller' > /usr/share/misc/pci.ids
	ctl /tmp/ctl.out list
	rm /usr/share/misc/pci.ids
	want_rc 0 &&
		want /tmp/ctl.out "^$pci +1234:1111 +none +- +Technical Corp. QEMU Virtual Video Controller$"
}

# Without vidshare loaded, claim says to load it and leaves the adapter
# alone.
ctl_claim_unloaded() {
	local pci node
	pci=$(display_pci) || return 1
	ctl /tmp/ctl.out claim "$pci" && want_rc 1 && want /tmp/ctl.out "modprobe vidshare" &&
		driver_is "$pci" none && override_clear "$pci"
}

# Where udev runs (/run/udev/control), claim waits for udev's entry of
# the new device (/run/udev/data/cMAJOR:MINOR, written once its rules have
# set the node's group and mode), not only for the node, which devtmpfs
# makes first; an entry older than the claim (an earlier device's with the
# same numbers, its removal not yet processed) does not count. There is no
# udev here: the test plays it, writing the entry 2 s after the device
# appeared. It ends with vidshare holding the adapter, claimed.
ctl_claim_waits_for_udev() {
	local pci major m i start end
	pci=$(display_pci) || return 1
	major=$(sed -n 's/^ *\([0-9]*\) vidshare$/\1/p' /proc/devices)
	[ -n "$major" ] || { echo "FAIL: no vidshare in /proc/devices"; return 1; }
	mkdir -p /run/udev/data && : > /run/udev/control || return 1
	for m in 0 1 2 3; do
		touch -d '2000-01-01 00:00' "/run/udev/data/c$major:$m" || return 1
	done
	rm -f /tmp/claimed /tmp/early
	(
		for i in $(seq 100); do
			ls "/sys/bus/pci/devices/$pci/vidshare/"vidshare*/dev > /dev/null 2>&1 && break
			sleep 0.1
		done
		sleep 2
		[ -e /tmp/claimed ] && : > /tmp/early
		echo "+ (udev) touch /run/udev/data/c$(cat "/sys/bus/pci/devices/$pci/vidshare/"vidshare*/dev)"
		touch "/run/udev/data/c$(cat "/sys/bus/pci/devices/$pci/vidshare/"vidshare*/dev)"
	) &
	start=$(date +%s)
	ctl /tmp/ctl.out claim "$pci"
	: > /tmp/claimed
	end=$(date +%s)
	wait
	rm -rf /run/udev
	echo "claim took $((end - start)) s"
	want_rc 0 && driver_is "$pci" vidshare || return 1
	[ ! -e /tmp/early ] || { echo "FAIL: claim did not wait for udev's entry"; return 1; }
	[ $((end - start)) -lt 8 ] || { echo "FAIL: claim did not see udev's entry"; return 1; }
}

# vidshare unloaded after claim leaves the adapter without a driver but
# with a driver_override that names vidshare: release clears it and
# gives the adapter to another driver, as if vidshare held it (none here:
# it says so and fails). It ends as it began: vidshare unloaded.
ctl_release_unloaded() {
	local pci
	pci=$(display_pci) || return 1
	show insmod /lib/modules/vidshare.ko && driver_is "$pci" vidshare &&
		show sh -c "echo $pci > /sys/bus/pci/drivers/vidshare/unbind" &&
		ctl /tmp/ctl.out claim "$pci" && want_rc 0 && show rmmod vidshare &&
		driver_is "$pci" none && show cat "/sys/bus/pci/devices/$pci/driver_override" &&
		ctl /tmp/ctl.out release "$pci" && want_rc 1 &&
		want /tmp/ctl.out "did not hold $pci, but its driver_override named vidshare: cleared it" &&
		want /tmp/ctl.out "no driver took $pci" && driver_is "$pci" none && override_clear "$pci"
}

# ctl_claim_from PCI DRIVER: DRIVER holds the adapter at PCI; list and -s
# say so; claim moves it to vidshare, whose device works.
ctl_claim_from() {
	ctl /tmp/ctl.out list && want_rc 0 && want /tmp/ctl.out "^$1 +[0-9a-f:]+ +$2 +- +" &&
		ctl /tmp/ctl.out -s "$1" info && want_rc 3 &&
		want /tmp/ctl.out "driver $2 holds it; 'vidsharectl claim $1'" &&
		ctl /tmp/ctl.out claim "$1" && want_rc 0 &&
		want /tmp/ctl.out "^previous_driver: $2$" && want /tmp/ctl.out "^driver: vidshare$" &&
		driver_is "$1" vidshare && ctl /tmp/ctl.out -s "$1" info && want_rc 0 &&
		want /tmp/ctl.out "^pci: $1$"
}

# ctl_release_to PCI DRIVER CHILD: release gives the adapter at PCI back
# to DRIVER, and says so; DRIVER made a device matching CHILD (a regex)
# in its sysfs directory.
ctl_release_to() {
	ctl /tmp/ctl.out release "$1" && want_rc 0 && want /tmp/ctl.out "^driver: $2$" &&
		driver_is "$1" "$2" && override_clear "$1" &&
		ls "/sys/bus/pci/devices/$1/" | grep -Eq "$3"
}

# virtio-vga, which virtio-pci holds, with vidshare loaded with
# ids=1af4:1050 so that vidshare's ids match it too: claim records
# virtio-pci in /run/vidshare, and release gives the adapter back to it.
# Then claim again and unload vidshare: release still clears the
# driver_override and gives the adapter back to virtio-pci. vidshare is
# loaded again (without ids) at the end. Where the boot has no virtio-vga
# or the kernel no virtio-pci (built in only on Debian's 6.12), it says
# so and tests nothing.
ctl_release_previous() {
	local rc
	if ! entry virtio-vga || [ -z "$pci" ] || [ ! -e /sys/bus/pci/drivers/virtio-pci ]; then
		echo "no virtio-vga, or no virtio-pci, here: nothing to test"
		return 0
	fi
	driver_is "$pci" virtio-pci && show rmmod vidshare &&
		show insmod /lib/modules/vidshare.ko ids=1af4:1050 && driver_is "$pci" virtio-pci &&
		ctl /tmp/ctl.out claim "$pci" && want_rc 0 &&
		want /tmp/ctl.out "^previous_driver: virtio-pci$" && show cat "/run/vidshare/$pci" &&
		[ "$(cat "/run/vidshare/$pci")" = virtio-pci ] &&
		ctl /tmp/ctl.out release "$pci" && want_rc 0 &&
		want /tmp/ctl.out "^driver: virtio-pci$" && driver_is "$pci" virtio-pci &&
		override_clear "$pci" && [ ! -e "/run/vidshare/$pci" ] &&
		ctl /tmp/ctl.out claim "$pci" && want_rc 0 && show rmmod vidshare &&
		driver_is "$pci" none && ctl /tmp/ctl.out --json release "$pci" && want_rc 0 &&
		want /tmp/ctl.out "^\{\"cmd\":\"release\",\"pci\":\"$pci\",\"driver\":\"virtio-pci\"\}$" &&
		driver_is "$pci" virtio-pci && override_clear "$pci" &&
		ls "/sys/bus/pci/devices/$pci/" | grep -q '^virtio[0-9]'
	rc=$?
	[ -e /sys/module/vidshare ] && rmmod vidshare
	show insmod /lib/modules/vidshare.ko || rc=1
	return $rc
}

# No PCI driver holds std VGA, vesafb holds its BAR0: list shows it as
# "vesafb (firmware)", in JSON as "firmware" (the driver null), for root
# and, through /proc/iomem's nesting (its addresses read as 0), for a
# user too.
ctl_list_firmware() {
	local pci
	pci=$(display_pci) || return 1
	ctl /tmp/ctl.out list && want_rc 0 &&
		want /tmp/ctl.out "^$pci +1234:1111 +vesafb \(firmware\) +- +" &&
		ctl /tmp/ctl.out --json list && want_rc 0 &&
		want /tmp/ctl.out "\"pci\":\"$pci\",.*\"driver\":null,\"firmware\":\"vesafb\",\"node\":null," ||
		return 1
	mkdir -p /etc
	printf 'root:x:0:0:root:/:/bin/sh\nuser:x:1000:1000:user:/:/bin/sh\n' > /etc/passwd
	printf 'root:x:0:\nuser:x:1000:\n' > /etc/group
	echo "+ su user -c 'vidsharectl list'"
	su user -c "vidsharectl list" > /tmp/ctl.out 2>&1
	ctl_rc=$?
	cat /tmp/ctl.out
	want_rc 0 && want /tmp/ctl.out "^$pci +1234:1111 +vesafb \(firmware\) +- +"
}

# The firmware framebuffer (vesafb) shows the console on std VGA. With
# the kernel's consoles all virtual terminals (the serial console hidden
# by a bind mount over /sys/class/tty/console/active), claim refuses to
# take it (status 4) and changes nothing; with the serial console it does
# not refuse.
fwfb_claim_refused() {
	local pci node
	pci=$(display_pci) || return 1
	echo tty0 > /tmp/console-active
	show mount --bind /tmp/console-active /sys/class/tty/console/active || return 1
	ctl /tmp/ctl.out claim "$pci"
	umount /sys/class/tty/console/active
	want_rc 4 && want /tmp/ctl.out "$pci .* shows this machine's only console .*--force" &&
		driver_is "$pci" none && override_clear "$pci" && grep -i vesafb /proc/iomem &&
		ctl /tmp/ctl.out claim "$pci" && want_rc 1 && ! grep -q "only console" /tmp/ctl.out
}

# claim --force, when vidshare refuses the adapter (vesafb holds the BAR):
# it says so and leaves the adapter as it was, without a driver or an
# override.
fwfb_claim_failed_bind() {
	local pci node
	pci=$(display_pci) || return 1
	echo tty0 > /tmp/console-active
	show mount --bind /tmp/console-active /sys/class/tty/console/active || return 1
	ctl /tmp/ctl.out claim --force "$pci"
	umount /sys/class/tty/console/active
	want_rc 1 && want /tmp/ctl.out "vidshare did not take $pci .*left it without a driver, as it was" &&
		driver_is "$pci" none && override_clear "$pci" && grep -i vesafb /proc/iomem &&
		! ls -d /sys/class/vidshare/vidshare* 2> /dev/null
}

# The same, over a driver_override that names another driver: claim
# --force replaces it, and when vidshare refuses the adapter, puts it
# back (and clears it at the end).
ctl_claim_failed_keeps_override() {
	local pci o rc=1
	pci=$(display_pci) || return 1
	o=/sys/bus/pci/devices/$pci/driver_override
	show sh -c "echo vfio-pci > $o" || return 1
	ctl /tmp/ctl.out claim --force "$pci"
	want_rc 1 && want /tmp/ctl.out "vidshare did not take $pci .*left it without a driver, as it was" &&
		driver_is "$pci" none && show cat "$o" && [ "$(cat "$o")" = vfio-pci ] && rc=0
	echo > "$o"
	return $rc
}

# The two commands vidshare's refusal names, run as it prints them: the
# adapter is vidshare's, vesafb is gone. Then back as it was for the next
# entry: vidshare without the adapter, takeover off.
fwfb_taken_over_as_said() {
	local pci cmds
	pci=$(display_pci) || return 1
	cmds=$(dmesg | sed -n "s/.*$pci: .*held by .*to take it over, \"\(.*\)\", then \"\(.*\)\"$/\1; \2/p" | tail -1)
	[ -n "$cmds" ] || { echo "no refusal of $pci names the commands"; return 1; }
	echo "+ $cmds"
	sh -c "$cmds" && ls -d "/sys/bus/pci/devices/$pci/vidshare/vidshare"* && ! grep -i vesafb /proc/iomem &&
		echo 0 > /sys/module/vidshare/parameters/takeover || return 1
	# No driver but vidshare's wants std VGA here: release fails, and
	# leaves it without one.
	ctl /tmp/ctl.out release "$pci"
	want_rc 1 && driver_is "$pci" none
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

# The results of vidshare's KUnit suites, which ran when vidshare_kunit.ko
# loaded: KTAP, one document a suite.
kunit_results() {
	found=0
	for r in /sys/kernel/debug/kunit/vidshare*/results; do
		[ -e "$r" ] || continue
		cat "$r"
		found=1
	done
	[ $found = 1 ]
}

# held_reported: each display adapter another PCI driver holds is named,
# with that driver and the command that moves it, in what vidshare logged
# when it loaded.
held_reported() {
	n=0
	for d in /sys/bus/pci/devices/*; do
		case $(cat "$d/class") in 0x03*) ;; *) continue ;; esac
		[ -e "$d/driver" ] || continue
		drv=$(basename "$(readlink "$d/driver")")
		[ "$drv" = vidshare ] && continue
		pci=${d##*/}
		dmesg | grep -F "$pci: " | grep -F "is held by $drv: \"vidsharectl claim $pci\"" ||
			{ echo "no line names $drv holding $pci"; return 1; }
		n=$((n + 1))
	done
	echo "$n adapters held by other drivers, each named"
}

# The Debian guest: std VGA with its 16 MiB BAR, and the non-root user of
# the image (debian-image.sh), in group video.
if [ "$plan" = debian ]; then
	vga=$(find_pci 1234 1111 0300 0 0x1000000)
	user=vidshare-user
	debs=${0%/*}/debs
	# for the entries' own shells (sh -c '...')
	export vga user DEBIAN_FRONTEND=noninteractive
fi

# debian_booted: udev is up, and std VGA is as a user finds it: bochs-drm
# holds it, and its DRM device is there.
debian_booted() {
	[ -n "$vga" ] || { echo "no std VGA (1234:1111, class 0300, a 16 MiB BAR0)"; return 1; }
	systemctl is-active systemd-udevd && udevadm settle &&
		readlink "/sys/bus/pci/devices/$vga/driver" | grep '/bochs-drm$' &&
		ls -l /dev/dri/card0
}

# debian_install: the packages, as a user installs them; DKMS builds the
# module for the running kernel.
debian_install() {
	(cd "$debs" && apt install -y ./vidshare-dkms_*.deb ./vidshare-tools_*.deb) &&
		dkms status vidshare | grep -F "$(uname -r)" | grep -E ': installed$' &&
		modinfo vidshare
}

# debian_node: the packaged udev rule's node.
debian_node() {
	udevadm settle
	ls -l /dev/vidshare*
	[ "$(stat -c '%U:%G %a' /dev/vidshare0)" = "root:video 660" ]
}

# debian_release: std VGA back with bochs-drm, and the console's DRM device
# with it.
debian_release() {
	vidsharectl release "$vga" && udevadm settle &&
		readlink "/sys/bus/pci/devices/$vga/driver" | grep '/bochs-drm$' &&
		ls -l /dev/dri/card0 && ! ls /dev/vidshare* 2> /dev/null
}

# debian_remove: the package gone, and the module with it.
debian_remove() {
	modprobe -r vidshare && apt remove -y vidshare-dkms &&
		! modinfo vidshare && ! grep '^vidshare ' /proc/modules &&
		! dkms status vidshare | grep .
}

# debian_recipe: the boot recipe of Documentation/vidshare/install.rst
# ("Giving an adapter to vidshare at boot"), as it says: the sample udev
# rule the package installs, with std VGA's address, and the initramfs
# made again.
debian_recipe() {
	sed -e "s/0000:00:02\.0/$vga/" -e 's/^#ACTION/ACTION/' \
		/usr/share/doc/vidshare-dkms/examples/70-vidshare-claim.rules \
		> /etc/udev/rules.d/70-vidshare-claim.rules &&
		grep "^ACTION.*$vga" /etc/udev/rules.d/70-vidshare-claim.rules &&
		update-initramfs -u &&
		lsinitramfs "/boot/initrd.img-$(uname -r)" | grep 70-vidshare-claim.rules
}

# debian_recipe_undone: the recipe taken away as install.rst says, and
# the adapter given back at once.
debian_recipe_undone() {
	rm /etc/udev/rules.d/70-vidshare-claim.rules && update-initramfs -u &&
		debian_release
}

# make bench (tools/testing/vidshare/bench): vidshare_bench on every
# interface in one boot. Its runs a cell: vidshare_bench.runs=R on the
# command line, default 21. Each bench_* block is vidshare_bench's JSON.
bench_runs=$(sed -n 's/.*vidshare_bench\.runs=\([0-9]*\).*/\1/p' /proc/cmdline)
bench_runs=${bench_runs:-21}
bench() { vidshare_bench --runs "$bench_runs" "$@"; }

# bench_pci: the std VGA (PCI 1234:1111, class 0300, a 16 MiB BAR0), found
# by its ids, never its slot.
bench_pci() { find_pci 1234 1111 0300 0 0x1000000; }

# bench_settle: wait until the boot's crypto self-tests are done (no
# cryptomgr_test kthread left): they run for about half a second of guest
# time after /init starts, and would inflate the first timings.
bench_settle() {
	i=0
	while grep -qx cryptomgr_test /proc/[0-9]*/comm 2> /dev/null; do
		i=$((i + 1))
		[ $i -lt 600 ] || { echo "cryptomgr_test threads still run after 60 s"; return 1; }
		sleep 0.1
	done
	echo "no cryptomgr_test thread left after ${i}x0.1 s"
}

# bench_env: what the host reports with the figures.
bench_env() {
	pci=$(bench_pci) || { echo "no PCI 1234:1111"; return 1; }
	echo "release: $(uname -r)"
	echo "cmdline: $(cat /proc/cmdline)"
	echo "pci: $pci"
	echo "iommu_group: $(basename "$(readlink "/sys/bus/pci/devices/$pci/iommu_group")")"
	ls "/sys/bus/pci/devices/$pci/iommu_group/devices/"
	cat /proc/fb
	bar=$(printf '%x' "$(sed -n 1p "/sys/bus/pci/devices/$pci/resource" | cut -d' ' -f1)")
	grep -A2 "^ *$bar-" /proc/iomem
	echo "max_map_count: $(cat /proc/sys/vm/max_map_count)"
}

# bench_vidshare_load: vidshare takes std VGA over from vesafb, and may
# hold the shares of the scaling table (10,000 and one a file).
bench_vidshare_load() {
	insmod /lib/modules/vidshare.ko takeover=1 || return 1
	for i in $(seq 50); do
		[ -e /dev/vidshare0 ] && break
		sleep 0.1
	done
	echo 20000 > /sys/module/vidshare/parameters/max_shares &&
		ls -l /dev/vidshare0 && ! grep -i vesa /proc/iomem
}

# bench_vfio_bind: the stock kernel's VFIO modules (the initramfs has them
# decompressed in load order, in /lib/modules/vfio/order), then vfio-pci
# takes std VGA through driver_override.
bench_vfio_bind() {
	pci=$(bench_pci) || return 1
	for m in $(cat /lib/modules/vfio/order); do
		insmod "/lib/modules/vfio/$m" || return 1
	done
	echo vfio-pci > "/sys/bus/pci/devices/$pci/driver_override" &&
		echo "$pci" > /sys/bus/pci/drivers_probe &&
		readlink "/sys/bus/pci/devices/$pci/driver" | grep '/vfio-pci$' && ls -l /dev/vfio
}

# reboot_guest: boot again, into the kernel and the initramfs in /boot (which
# the entries before may have made again), as a boot loader would: kexec,
# through systemd's kexec target, which shuts the system down first. What
# the guest wrote to its disk stays (the snapshot lives as long as QEMU).
# The unit runs this script again on the new boot, which resumes after this
# entry and reports the entry's block then.
resume_file=/var/lib/vidshare-test-resume
reboot_guest() {
	echo "$block" > $resume_file
	sync
	kexec -l "/boot/vmlinuz-$(uname -r)" --initrd="/boot/initrd.img-$(uname -r)" \
		--reuse-cmdline && systemctl kexec
	sleep 600
}
resume=
[ "$plan" = debian ] && [ -e $resume_file ] && { resume=$(cat $resume_file); rm $resume_file; }

# The plan's entries, in order: PLAN BLOCK WHEN JUDGE VERDICT COMMAND...
# in shell words (see the plans file). COMMAND is expanded when its turn comes.
while read -r p rest <&4; do
	[ "$p" = "$plan" ] || continue
	eval "set -- $rest"
	block=$1
	case $block in :*) continue ;; esac
	if [ -n "$resume" ]; then
		[ "$block" = "$resume" ] && { resume=; run "$block" echo "booted again"; }
		continue
	fi
	when=$2
	judge=$3
	shift 4
	case $when in
	-) ;;
	kunit) [ -e /lib/modules/vidshare_kunit.ko ] || continue ;;
	kmemleak) [ -e /sys/kernel/debug/kmemleak ] || continue ;;
	*) fail "$block" "no such condition: $when"; continue ;;
	esac
	case $judge in
	oracle)
		cmd=$1
		shift
		"$cmd" "$block" "$@"
		;;
	adapters) "$@" ;;
	*) run "$block" "$@" ;;
	esac
done 4< "$plans"
say DONE
sync
poweroff -f
