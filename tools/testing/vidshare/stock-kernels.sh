#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# stock-kernels.sh CACHE [LABEL...]: fetch Debian's stock kernels that
# vidshare supports from apt, unpack them under CACHE/stock/RELEASE when
# they are not there yet, and print one line per kernel:
#
#   LABEL VMLINUZ KBUILD CONFIG RELEASE
#
# e.g. "6.1 CACHE/stock/6.1.0-56-amd64/boot/vmlinuz-6.1.0-56-amd64
# CACHE/stock/6.1.0-56-amd64/usr/src/linux-headers-6.1.0-56-amd64
# CACHE/stock/6.1.0-56-amd64/boot/config-6.1.0-56-amd64 6.1.0-56-amd64".
# The labels are 6.1 (the newest 6.1 in apt) and 6.12 (the one whose
# package version is that of linux-source-6.12, so that it matches the
# debug test kernel's source); without arguments, both. Each kernel is
# linux-image-RELEASE-unsigned with linux-headers-RELEASE and the packages
# those headers need to build modules (their -common headers and kbuild).
#
# Nothing is installed: the packages are downloaded with apt-get download
# and unpacked with dpkg-deb. Installing them would replace the signed
# image of the same release (they conflict), and the boot loader's hooks
# would make the new kernel the default. Messages go to stderr; the exit
# code is non-zero if a kernel cannot be had.
set -euo pipefail

if (($# < 1)); then
	echo "usage: stock-kernels.sh CACHE [6.1|6.12...]" >&2
	exit 2
fi
mkdir -p "$1/stock"
store=$(cd "$1/stock" && pwd)
shift
labels=("$@")
all=0
((${#labels[@]})) || { labels=(6.1 6.12); all=1; }
for l in "${labels[@]}"; do
	[[ $l == 6.1 || $l == 6.12 ]] || { echo "stock-kernels.sh: unknown kernel '$l' (6.1 or 6.12)" >&2; exit 2; }
done

# Set rels[] to the release of each label from apt's lists ("" for a label
# with none). Few apt-cache calls: each takes a second.
resolve() {
	local images headers names rel version versions
	images=$(apt-cache pkgnames linux-image-6.1) || true
	headers=$(apt-cache pkgnames linux-headers-6.1) || true
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
			version=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
				version=$(apt-cache policy linux-source-6.12 | sed -n 's/^ *Candidate: //p')
			names=$(grep -E '^linux-(image|headers)-6\.12\.[0-9]+\+deb[0-9]+-amd64(-unsigned)?$' \
				<<< "$images"$'\n'"$headers" | sort -u) || true
			# "PACKAGE VERSION" for every version offered.
			versions=$(apt-cache madison $names 2>/dev/null |
				   awk -F' [|] ' '{ gsub(/ /, "", $1); gsub(/ /, "", $2); print $1, $2 }') || true
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

# unpack RELEASE: download the kernel's packages and unpack them into
# $store/RELEASE, a root of its own.
unpack() {
	local rel=$1 root=$store/$1 tmp deps
	tmp=$(mktemp -d "$store/.download.XXXXXX")
	(
		cd "$tmp"
		apt-get download -q -o APT::Sandbox::User=root "linux-image-$rel-unsigned" "linux-headers-$rel" >&2
		# What the headers need to build a module: their -common part and
		# the kbuild tools (the compiler comes with build-essential).
		deps=$(dpkg-deb -f linux-headers-"$rel"_*.deb Depends |
		       grep -oE 'linux-(headers-[^ ,]*-common|kbuild-[^ ,]*)' | sort -u)
		apt-get download -q -o APT::Sandbox::User=root $deps >&2
	)
	rm -rf "$root"
	mkdir -p "$root"
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$root"
	done
	# The headers' Makefile includes the -common one by its absolute path.
	sed -i "s|^include /usr/src/|include $root/usr/src/|" "$root/usr/src/linux-headers-$rel/Makefile"
	rm -rf "$tmp"
	touch "$root/.vidshare-unpacked"
}

# Two callers at once: the second waits, then finds everything unpacked.
exec 9> "$store/.lock"
flock 9

resolve
for r in "${rels[@]}"; do
	[[ -n $r ]] && continue
	echo "stock-kernels.sh: updating apt's lists" >&2
	apt-get update -q -o DPkg::Lock::Timeout=600 >&2
	resolve
	break
done
for i in "${!labels[@]}"; do
	rel=${rels[$i]}
	[[ -n $rel ]] || { echo "stock-kernels.sh: apt has no Debian ${labels[$i]} kernel" >&2; exit 1; }
	if [[ ! -e $store/$rel/.vidshare-unpacked ]]; then
		echo "stock-kernels.sh: downloading and unpacking $rel" >&2
		unpack "$rel"
	fi
done
# With both kernels asked for, releases that apt no longer offers are stale.
for old in "$store"/*; do
	[[ $all == 1 && -d $old ]] || continue
	keep=0
	for rel in "${rels[@]}"; do
		[[ $old == "$store/$rel" ]] && keep=1
	done
	((keep)) || rm -rf "$old"
done

for i in "${!labels[@]}"; do
	rel=${rels[$i]}
	root=$store/$rel
	for f in "$root/boot/vmlinuz-$rel" "$root/boot/config-$rel" \
		 "$root/usr/src/linux-headers-$rel/Makefile"; do
		[[ -r $f ]] || { echo "stock-kernels.sh: $f is missing" >&2; exit 1; }
	done
	echo "${labels[$i]} $root/boot/vmlinuz-$rel $root/usr/src/linux-headers-$rel" \
	     "$root/boot/config-$rel $rel"
done
