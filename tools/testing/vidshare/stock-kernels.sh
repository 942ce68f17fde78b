#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# stock-kernels.sh [LABEL...]: install Debian's stock kernels that vidshare
# supports, when they are missing, and print one line per kernel:
#
#   LABEL VMLINUZ KBUILD RELEASE
#
# e.g. "6.1 /boot/vmlinuz-6.1.0-56-amd64 /lib/modules/6.1.0-56-amd64/build
# 6.1.0-56-amd64". The labels are 6.1 (the newest 6.1 in apt) and 6.12 (the
# one whose package version is that of linux-source-6.12, so that it matches
# the debug test kernel's source); without arguments, both. Each kernel is
# linux-image-RELEASE-unsigned with linux-headers-RELEASE. Messages go to
# stderr; the exit code is non-zero if a kernel cannot be had.
#
# No initramfs is generated for them (INITRD=No, which Debian's kernel hooks
# honour): the tests boot them with their own.
set -euo pipefail

labels=("$@")
((${#labels[@]})) || labels=(6.1 6.12)
for l in "${labels[@]}"; do
	[[ $l == 6.1 || $l == 6.12 ]] || { echo "stock-kernels.sh: unknown kernel '$l' (6.1 or 6.12)" >&2; exit 2; }
done

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# Set rels[] to the release of each label, from what apt knows and what is
# installed ("" for a label with none). Few apt-cache calls: each takes a
# second.
resolve() {
	local images headers names rel version versions
	images=$(apt-cache pkgnames linux-image-6.1; dpkg-query -W -f='${Package}\n' 'linux-image-6.1*' 2>/dev/null) || true
	headers=$(apt-cache pkgnames linux-headers-6.1; dpkg-query -W -f='${Package}\n' 'linux-headers-6.1*' 2>/dev/null) || true
	rels=()
	for l in "${labels[@]}"; do
		rel=
		case $l in
		6.1)
			# The newest ABI that has both packages.
			for rel in $(sed -n 's/^linux-image-\(6\.1\.0-[0-9]*-amd64\)-unsigned$/\1/p' <<< "$images" |
				     sort -urV); do
				grep -qx "linux-headers-$rel" <<< "$headers" && break
				rel=
			done
			;;
		6.12)
			# The ABI whose packages have linux-source-6.12's version.
			if installed linux-source-6.12; then
				version=$(dpkg-query -W -f='${Version}' linux-source-6.12)
			else
				version=$(apt-cache policy linux-source-6.12 | sed -n 's/^ *Candidate: //p')
			fi
			# "PACKAGE VERSION" for every version installed or offered.
			names=$(grep -E '^linux-(image|headers)-6\.12\.[0-9]+\+deb[0-9]+-amd64(-unsigned)?$' \
				<<< "$images"$'\n'"$headers" | sort -u) || true
			versions=$( { dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Version}\n' $names |
				      sed -n 's/^ii  *//p'
				      apt-cache madison $names | awk -F' [|] ' '{ print $1, $2 }'
				    } 2>/dev/null | sed 's/^ *//') || true
			for rel in $(sed -n 's/^linux-image-\(6\.12\.[0-9]*+deb[0-9]*-amd64\)-unsigned .*/\1/p' <<< "$versions" |
				     sort -urV); do
				grep -qx "linux-image-$rel-unsigned $version" <<< "$versions" &&
					grep -qx "linux-headers-$rel $version" <<< "$versions" && break
				rel=
			done
			;;
		esac
		rels+=("$rel")
	done
}

missing() {
	local rel
	for rel in "${rels[@]}"; do
		[[ -n $rel ]] || return 0
		installed "linux-image-$rel-unsigned" && installed "linux-headers-$rel" || return 0
	done
	return 1
}

# Two callers at once: the second waits, then finds everything installed.
lock=/var/lock
[[ -d $lock ]] || lock=/tmp
exec 9> "$lock/vidshare-stock-kernels.lock"
flock 9

resolve
if missing; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2
	resolve
	pkgs=()
	for i in "${!labels[@]}"; do
		rel=${rels[$i]}
		[[ -n $rel ]] || { echo "stock-kernels.sh: apt has no Debian ${labels[$i]} kernel" >&2; exit 1; }
		installed "linux-image-$rel-unsigned" || pkgs+=("linux-image-$rel-unsigned")
		installed "linux-headers-$rel" || pkgs+=("linux-headers-$rel")
	done
	if ((${#pkgs[@]})); then
		echo "installing: ${pkgs[*]}" >&2
		# INITRD=No: the kernel hooks of initramfs-tools skip the initramfs
		# and linux-update-symlinks skips /initrd.img.
		INITRD=No apt-get install -y -q --no-install-recommends \
			-o DPkg::Lock::Timeout=600 "${pkgs[@]}" >&2
	fi
fi

for i in "${!labels[@]}"; do
	rel=${rels[$i]}
	vmlinuz=/boot/vmlinuz-$rel
	kbuild=/lib/modules/$rel/build
	if [[ ! -r $vmlinuz || ! -e $kbuild/Makefile ]]; then
		echo "stock-kernels.sh: $vmlinuz or $kbuild is missing" >&2
		exit 1
	fi
	echo "${labels[$i]} $vmlinuz $kbuild $rel"
done
