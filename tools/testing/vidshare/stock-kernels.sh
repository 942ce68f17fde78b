#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# stock-kernels.sh CACHE [LABEL...]: fetch Debian's stock kernels that
# vidshare supports, unpack them under CACHE/stock/RELEASE when they are not
# there yet, and print one line per kernel:
#
#   LABEL VMLINUZ KBUILD CONFIG RELEASE
#
# e.g. "6.1 CACHE/stock/6.1.0-56-amd64/boot/vmlinuz-6.1.0-56-amd64
# CACHE/stock/6.1.0-56-amd64/usr/src/linux-headers-6.1.0-56-amd64
# CACHE/stock/6.1.0-56-amd64/boot/config-6.1.0-56-amd64 6.1.0-56-amd64".
# The labels asked for are:
#
#   6.1           the newest 6.1 in the host's apt
#   6.12          the 6.12 whose package version is that of linux-source-6.12
#                 (the debug test kernel's source), from the host's apt
#   unstable      the newest kernel of Debian unstable
#   experimental  the newest kernel of Debian experimental, when it is newer
#                 than unstable's
#
# without arguments, all four. A kernel is printed with its major.minor as
# its label (unstable's 7.2.13+deb14-amd64 as 7.2). Experimental's kernel,
# when it is not newer than unstable's, is a line "skip experimental:
# REASON" instead.
#
# Each kernel is its unsigned image (linux-image-RELEASE-unsigned, or
# linux-binary-unsigned-RELEASE as unstable names it) with linux-headers-
# RELEASE and the packages those headers need to build modules (their
# -common headers and kbuild). Unstable and experimental come through a
# private apt state (unstable.sh), never the host's; their modules build in
# the unstable chroot that unstable.sh makes, with the compiler the headers
# name: its path is in KBUILD/.vidshare-chroot. The date a kernel was
# first picked (downloaded) is in CACHE/stock/RELEASE/.vidshare-picked.
#
# Nothing is installed: the packages are downloaded with apt-get download
# and unpacked with dpkg-deb. Installing them would replace the signed
# image of the same release (they conflict), and the boot loader's hooks
# would make the new kernel the default. Messages go to stderr; the exit
# code is non-zero if a kernel cannot be had.
set -euo pipefail

if (($# < 1)); then
	echo "usage: stock-kernels.sh CACHE [6.1|6.12|unstable|experimental...]" >&2
	exit 2
fi
mkdir -p "$1/stock"
store=$(cd "$1/stock" && pwd)
shift
labels=("$@")
all=0
((${#labels[@]})) || { labels=(6.1 6.12 unstable experimental); all=1; }
for l in "${labels[@]}"; do
	case $l in
	6.1 | 6.12 | unstable | experimental) ;;
	*) echo "stock-kernels.sh: unknown kernel '$l' (6.1, 6.12, unstable or experimental)" >&2; exit 2 ;;
	esac
done
here=$(cd "$(dirname "$0")" && pwd)
cache=$(cd "$store/.." && pwd)
newest_apt() { "$here/unstable.sh" "$cache" "$@"; }

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
		unstable | experimental)
			rel=private # below
			;;
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

# unpack RELEASE [VERSION]: download the kernel's packages and unpack them
# into $store/RELEASE, a root of its own. With a VERSION, from unstable or
# experimental through the private apt state.
unpack() {
	local rel=$1 ver=${2:-} root=$store/$1 tmp deps image get
	tmp=$(mktemp -d "$store/.download.XXXXXX")
	(
		cd "$tmp"
		if [[ -n $ver ]]; then
			get() { newest_apt apt-get download -q "${@/%/=$ver}" >&2; }
			# Unstable names the unsigned image linux-binary-unsigned-*,
			# its config and System.map are in linux-base-*.
			image=$(newest_apt apt-cache pkgnames "linux-binary-unsigned-$rel" |
				grep -x "linux-binary-unsigned-$rel") || true
			[[ -n $image ]] && image="$image linux-base-$rel"
			get ${image:-linux-image-$rel-unsigned} "linux-headers-$rel"
		else
			get() { apt-get download -q -o APT::Sandbox::User=root "$@" >&2; }
			get "linux-image-$rel-unsigned" "linux-headers-$rel"
		fi
		# What the headers need to build a module: their -common part and
		# the kbuild tools (the compiler comes with build-essential, or
		# with the unstable chroot).
		deps=$(dpkg-deb -f linux-headers-"$rel"_*.deb Depends |
		       grep -oE 'linux-(headers-[^ ,]*-common|kbuild-[^ ,]*)' | sort -u)
		get $deps
	)
	rm -rf "$root"
	mkdir -p "$root"
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$root"
	done
	# The headers' Makefile names the -common headers (and, from 7.x, its
	# own directory) by their absolute paths.
	sed -i "s#^\(include \|KBUILD_OUTPUT=\)/usr/src/#\1$root/usr/src/#" \
		"$root/usr/src/linux-headers-$rel/Makefile"
	rm -rf "$tmp"
	touch "$root/.vidshare-unpacked"
}

# kernel_file ROOT RELEASE WHAT: the kernel image or config in an unpacked root,
# where Debian 12 (/boot) or unstable (/usr/lib/modules) keeps it.
kernel_file() {
	local f
	for f in "$1/boot/$3-$2" "$1/usr/lib/modules/$2/$3.unsigned" "$1/usr/lib/modules/$2/$3"; do
		[[ -e $f ]] && { echo "$f"; return; }
	done
	echo "$1/boot/$3-$2"
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
# Unstable's and experimental's newest kernels, through the private apt
# state. Experimental's is not run when it is not newer than unstable's.
vers=()
skip=()
chroot=
urel=
for i in "${!labels[@]}"; do
	vers+=("")
	skip+=("")
	case ${labels[$i]} in
	unstable | experimental)
		read -r rel ver <<< "$(newest_apt newest "${labels[$i]}")" || true
		[[ -n ${rel:-} ]] || { echo "stock-kernels.sh: Debian ${labels[$i]} has no amd64 kernel" >&2; exit 1; }
		rels[$i]=$rel
		vers[$i]=$ver
		if [[ ${labels[$i]} == unstable ]]; then
			urel=$rel uver=$ver
		elif [[ -z $urel ]]; then
			read -r urel uver <<< "$(newest_apt newest unstable)" || true
		fi
		if [[ ${labels[$i]} == experimental && -n ${uver:-} ]] &&
		   ! dpkg --compare-versions "$ver" gt "$uver"; then
			skip[$i]="its newest kernel, $rel ($ver), is not newer than unstable's $urel ($uver)"
		fi
		# One build chroot serves both suites' kernels.
		[[ -n $chroot ]] || chroot=$(newest_apt chroot)
		;;
	esac
done
for i in "${!labels[@]}"; do
	rel=${rels[$i]}
	[[ -n $rel ]] || { echo "stock-kernels.sh: apt has no Debian ${labels[$i]} kernel" >&2; exit 1; }
	[[ -z ${skip[$i]} ]] || continue
	if [[ ! -e $store/$rel/.vidshare-unpacked ]]; then
		echo "stock-kernels.sh: downloading and unpacking $rel" >&2
		unpack "$rel" "${vers[$i]}"
		date -u +%F > "$store/$rel/.vidshare-picked"
	fi
	[[ -z ${vers[$i]} ]] || echo "$chroot" > "$store/$rel/usr/src/linux-headers-$rel/.vidshare-chroot"
done
# With every kernel asked for, releases that apt no longer offers are stale.
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
	if [[ -n ${skip[$i]} ]]; then
		echo "skip ${labels[$i]}: ${skip[$i]}"
		continue
	fi
	vmlinuz=$(kernel_file "$root" "$rel" vmlinuz)
	config=$(kernel_file "$root" "$rel" config)
	for f in "$vmlinuz" "$config" "$root/usr/src/linux-headers-$rel/Makefile"; do
		[[ -r $f ]] || { echo "stock-kernels.sh: $f is missing" >&2; exit 1; }
	done
	label=${labels[$i]}
	[[ -z ${vers[$i]} ]] || label=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<< "$rel")
	echo "$label $vmlinuz $root/usr/src/linux-headers-$rel $config $rel"
done
