#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# debian-image.sh CACHE: make the Debian 12 system the Debian lane of make
# check boots, once per recipe, and print one line
#
#   IMAGE VMLINUZ INITRD CONFIG RELEASE
#
# IMAGE is an ext4 file system image (the root, /dev/vda in the guest) made
# without loop mounts (mke2fs -d), VMLINUZ and INITRD Debian's stock 6.12
# kernel and the initramfs Debian's initramfs-tools made for it inside the
# image, CONFIG the kernel's config, RELEASE its uname -r. They live in CACHE/debian-HASH, HASH naming
# this file (the recipe); a new recipe replaces the old image.
#
# The system: debootstrap's minbase of bookworm from the Debian mirror the
# host's apt sources name, with bookworm-updates and bookworm-security from
# the mirrors the host names for them; systemd as init, udev, Debian's 6.12
# kernel (linux-image-6.12-amd64) with its headers and DKMS, so that a
# package of vidshare-dkms builds the module in the guest as on any Debian
# machine (with dbus, and openssl, which DKMS signs modules with, as on a
# standard system); a user "vidshare-user" in group video, which the tests
# use as the non-root user; kexec-tools, with which the guest boots again into the
# initramfs it made itself (QEMU boots the first time from the kernel and
# initramfs files next to the image: it has no boot loader). Only Debian's
# packages; the guest has no network. A
# systemd unit, vidshare-test.service, runs the tests the second disk
# carries (vidshare-test/guest-init.sh, the plan "debian"), then powers off.
#
# Needs root (debootstrap, chroot). Messages go to stderr.
set -euo pipefail

if (($# != 1)); then
	echo "usage: debian-image.sh CACHE" >&2
	exit 2
fi
mkdir -p "$1"
cache=$(cd "$1" && pwd)
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
user=vidshare-user

# The URI the host's apt sources name for a suite, e.g. bookworm-security.
mirror() {
	apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Identifier: Packages' |
		awk -v r="$1" '$2 == r { print $1; exit }'
}

hash=$(sha256sum "$0" | cut -c1-16)
dir=$cache/debian-$hash
exec 6> "$cache/.lock-debian"
flock 6
if [[ ! -e $dir/.vidshare-done ]]; then
	main=$(mirror bookworm)
	security=$(mirror bookworm-security)
	updates=$(mirror bookworm-updates)
	[[ -n $main && -n $security ]] ||
		{ echo "debian-image.sh: the host's apt sources name no bookworm and bookworm-security mirror" >&2; exit 1; }
	[[ -n $updates ]] || updates=$main
	tmp=$dir.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	root=$tmp/root
	log=$tmp/build.log
	echo "debian-image.sh: making a Debian 12 system (log: $log)" >&2
	start=$SECONDS
	debootstrap --variant=minbase --arch=amd64 --keyring="$keyring" \
		--include=systemd-sysv,udev,kmod bookworm "$root" "$main" > "$log" 2>&1 ||
		{ tail -20 "$log" >&2; exit 1; }
	cat > "$root/etc/apt/sources.list" <<-EOF
		deb $main bookworm main
		deb ${updates} bookworm-updates main
		deb $security bookworm-security main
	EOF
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	echo vidshare-debian > "$root/etc/hostname"
	# The kernel's postinst makes the initramfs in the image, as it would
	# on a machine; its hooks need /proc, /sys and /dev. The mounts live as
	# long as the namespace.
	# shellcheck disable=SC2016
	unshare -m -- bash -euc '
		root=$1 user=$2
		mount --make-rprivate /
		mount -t proc proc "$root/proc"
		mount -t sysfs sysfs "$root/sys"
		mount --bind /dev "$root/dev"
		in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
		in_root apt-get -q update
		in_root apt-get -q -y --no-install-recommends install \
			linux-image-6.12-amd64 linux-headers-6.12-amd64 dkms initramfs-tools \
			e2fsprogs util-linux procps kexec-tools dbus openssl zstd
		in_root apt-get clean
		in_root useradd -m -G video -s /bin/sh "$user"
		in_root passwd -d root
		# Boot fast: no timers that download or scrub. kexec-tools
		# loads (and unloads) a kernel of its own choice at shutdown:
		# the tests load theirs.
		in_root systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
			fstrim.timer dpkg-db-backup.timer kexec-load.service kexec.service
		in_root systemctl set-default multi-user.target
	' debian-image.sh "$root" "$user" >> "$log" 2>&1 ||
		{ tail -20 "$log" >&2; exit 1; }
	rm -f "$root/etc/resolv.conf"
	# The initramfs the guest makes again (the boot recipe) holds the
	# modules its machine needs, not most of them: seconds under TCG
	# instead of minutes. (The chroot cannot make one like that: it has
	# no root device of its own. The first boot's is Debian's default.)
	echo MODULES=dep > "$root/etc/initramfs-tools/conf.d/vidshare-test.conf"
	cat > "$root/etc/fstab" <<-EOF
		/dev/vda / ext4 rw,errors=remount-ro 0 1
		LABEL=vidshare-test /mnt/vidshare-test ext4 ro,nofail 0 0
	EOF
	mkdir -p "$root/mnt/vidshare-test"
	cat > "$root/etc/systemd/system/vidshare-test.service" <<-EOF
		[Unit]
		Description=vidshare tests from the second disk
		After=systemd-udev-trigger.service systemd-user-sessions.service
		RequiresMountsFor=/mnt/vidshare-test
		ConditionPathExists=/mnt/vidshare-test/guest-init.sh
		# guest-init.sh powers off when it is done; when it breaks
		# instead, the host need not wait for its time limit.
		FailureAction=poweroff-force

		# simple, not oneshot: the boot is done without waiting for the
		# tests, and a test that reboots (kexec) stops the unit cleanly,
		# not as a failure.
		[Service]
		Type=simple
		ExecStart=/bin/sh /mnt/vidshare-test/guest-init.sh
		StandardOutput=journal+console
		StandardError=journal+console

		[Install]
		WantedBy=multi-user.target
	EOF
	ln -s /etc/systemd/system/vidshare-test.service \
		"$root/etc/systemd/system/multi-user.target.wants/vidshare-test.service"
	release=$(basename "$(ls "$root"/lib/modules | sort -V | tail -1)")
	cp "$root/boot/vmlinuz-$release" "$tmp/vmlinuz"
	cp "$root/boot/initrd.img-$release" "$tmp/initrd.img"
	cp "$root/boot/config-$release" "$tmp/config"
	# Room for DKMS and the packages the tests install.
	size=$(($(du -sm "$root" | cut -f1) + 768))
	mke2fs -q -t ext4 -L vidshare-debian -d "$root" "$tmp/root.ext4" "${size}M" >> "$log" 2>&1 ||
		{ tail -20 "$log" >&2; exit 1; }
	echo "$release" > "$tmp/release"
	rm -rf "$root"
	touch "$tmp/.vidshare-done"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	for old in "$cache"/debian-????????????????; do
		[[ $old == "$dir" ]] || rm -rf "$old"
	done
	echo "debian-image.sh: made $dir in $((SECONDS - start)) s" >&2
fi
echo "$dir/root.ext4 $dir/vmlinuz $dir/initrd.img $dir/config $(cat "$dir/release")"
