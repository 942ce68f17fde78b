#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# unstable.sh CACHE COMMAND...: Debian unstable and experimental for the
# test matrix, without touching the host's apt configuration.
#
#   apt-get|apt-cache ARGS...   apt with a private state in CACHE/apt: its
#                               own sources list (unstable and experimental
#                               from the Debian mirror the host's own apt
#                               sources name), lists, cache and an empty
#                               dpkg status. Lists older than a day are
#                               fetched again first.
#   newest SUITE                "RELEASE VERSION" of the newest amd64 kernel
#                               of SUITE (unstable or experimental): the one
#                               its linux-headers-amd64 depends on; nothing
#                               if SUITE has none.
#   needs RELEASE VERSION       the packages (not linux-*) that the kernel's
#                               headers and kbuild tools depend on, one a
#                               line: the compiler the headers name
#                               (gcc-N-for-host), the libraries of kbuild.
#   source                      "PACKAGE VERSION" of unstable's newest
#                               kernel source (linux-source-X.Y).
#   compiler                    the C compiler the newest unstable kernel's
#                               headers name (x86_64-linux-gnu-gcc-N).
#   chroot                      print the directory of an unstable build
#                               chroot (debootstrap, minbase) with the tools
#                               a kernel build needs and what the newest
#                               kernels of unstable and experimental need,
#                               making it when it is not in the cache. It is
#                               kept as CACHE/chroot-HASH, HASH of its recipe
#                               (how it is made, the packages); a new recipe
#                               replaces the old chroot.
#   run CHROOT [--bind DIR]... -- CMD...
#                               run CMD in CHROOT, in a mount namespace of
#                               its own with /proc, and CACHE and each DIR
#                               mounted at the same path as on the host, so
#                               that the same paths work inside and out.
#
# Messages go to stderr. Everything needs root (debootstrap, chroot, mount).
set -euo pipefail

if (($# < 2)); then
	echo "usage: unstable.sh CACHE apt-get|apt-cache|newest|needs|source|compiler|chroot|run ..." >&2
	exit 2
fi
mkdir -p "$1"
cache=$(cd "$1" && pwd)
cmd=$2
shift 2
apt_dir=$cache/apt
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# The mirror of the host's Debian release, as its apt sources name it.
mirror() {
	local codename
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Identifier: Packages' |
		awk -v r="$codename" '$2 == r { print $1; exit }'
}

apt_opts=(
	-o "Dir::State=$apt_dir/state" -o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::State::status=$apt_dir/status" -o "Dir::Cache=$apt_dir/cache"
	-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=$apt_dir/empty"
	-o "Dir::Etc::Preferences=$apt_dir/empty/preferences"
	-o "Dir::Etc::PreferencesParts=$apt_dir/empty" -o "APT::Architectures=amd64"
	-o "APT::Sandbox::User=root" -o "Debug::NoLocking=1" -o "Acquire::Languages=none"
)

private_apt() {
	local tool=$1 uri
	shift
	mkdir -p "$apt_dir"/{state,lists/partial,cache/archives/partial,empty}
	: > "$apt_dir/status"
	exec 7> "$apt_dir/.lock"
	flock 7
	if [[ ! -s $apt_dir/sources.list ]]; then
		uri=$(mirror)
		[[ -n $uri ]] || { echo "unstable.sh: the host's apt sources name no Debian mirror" >&2; exit 1; }
		{
			echo "deb [arch=amd64 signed-by=$keyring] $uri unstable main"
			echo "deb [arch=amd64 signed-by=$keyring] $uri experimental main"
		} > "$apt_dir/sources.list"
	fi
	# A day-old list may name kernels the archive no longer has.
	if [[ -z $(find "$apt_dir/lists" -maxdepth 1 -name '*_InRelease' -mmin -1440) ]]; then
		echo "unstable.sh: fetching the lists of unstable and experimental" >&2
		apt-get "${apt_opts[@]}" -q update >&2
	fi
	# Readers share the lock; an update waits for them.
	flock -s 7
	"$tool" "${apt_opts[@]}" "$@"
}

newest() {
	local ver rel
	ver=$(private_apt apt-cache madison linux-headers-amd64 |
	      awk -F' *[|] *' -v s=" $1/main " '$3 ~ s { print $2; exit }')
	[[ -n $ver ]] || return 0
	rel=$(private_apt apt-cache show "linux-headers-amd64=$ver" |
	      sed -n 's/^Depends:.*linux-headers-\([0-9][^ ,]*\) .*/\1/p' | head -1)
	[[ -n $rel ]] && echo "$rel $ver"
}

# depends PACKAGE=VERSION: its dependencies, the first of each alternative.
depends() {
	private_apt apt-cache show "$1" | sed -n 's/^Depends: //p' | head -1 | tr ',' '\n' |
		sed 's/|.*//; s/(.*//; s/:any//; s/ //g' | grep .
}

source_pkg() {
	local ver pkg
	ver=$(private_apt apt-cache madison linux-source |
	      awk -F' *[|] *' '$3 ~ / unstable\/main / { print $2; exit }')
	[[ -n $ver ]] || return 0
	pkg=$(private_apt apt-cache show "linux-source=$ver" |
	      sed -n 's/^Depends:.*\(linux-source-[0-9][^ ,]*\) .*/\1/p' | head -1)
	[[ -n $pkg ]] && echo "$pkg $ver"
}

compiler() {
	local gcc
	# shellcheck disable=SC2046
	gcc=$(needs $(newest unstable) | sed -n 's/^\(gcc-[0-9]*\)-for-host$/\1/p')
	[[ -n $gcc ]] || { echo "unstable.sh: unstable's headers name no gcc-N-for-host" >&2; exit 1; }
	echo "x86_64-linux-gnu-$gcc"
}

needs() {
	local rel=$1 ver=$2 d
	for d in $(depends "linux-headers-$rel=$ver"); do
		case $d in
		linux-kbuild-*) depends "$d=$ver" | grep -v '^linux-' ;;
		linux-*) ;;
		*) echo "$d" ;;
		esac
	done | sort -u
}

# How the chroot is made: a change here must change this line, which with
# the packages is what names the chroot.
recipe="debootstrap --variant=minbase --arch=amd64"

# What a kernel or module build needs besides the compiler.
base_pkgs=(make gcc libc6-dev libelf-dev libssl-dev bc bison flex cpio xz-utils perl python3
	   pahole kmod)

make_chroot() {
	local pkgs hash dir uri tmp old suite kernels=()
	for suite in unstable experimental; do
		read -r -a k <<< "$(newest $suite)"
		((${#k[@]})) && kernels+=("$(needs "${k[@]}")")
	done
	pkgs=$(printf '%s\n' "${base_pkgs[@]}" "${kernels[@]}" | sort -u | tr '\n' ' ')
	hash=$(echo "$recipe unstable $pkgs" | sha256sum | cut -c1-16)
	dir=$cache/chroot-$hash
	# Users of a chroot hold the lock shared: one is replaced when none is.
	exec 6> "$cache/.lock-chroot"
	flock -s 6
	[[ -e $dir/.vidshare-done ]] || flock 6
	if [[ ! -e $dir/.vidshare-done ]]; then
		uri=$(sed -n '1s/.*\] \([^ ]*\) .*/\1/p' "$apt_dir/sources.list" 2>/dev/null) || true
		[[ -n $uri ]] || uri=$(mirror)
		echo "unstable.sh: making an unstable build chroot with $pkgs" >&2
		tmp=$dir.tmp
		rm -rf "$tmp"
		$recipe --keyring="$keyring" \
			--include="$(tr ' ' ',' <<< "${pkgs% }")" unstable "$tmp" "$uri" > "$cache/chroot.log" 2>&1 ||
			{ tail -20 "$cache/chroot.log" >&2; exit 1; }
		rm -rf "$dir"
		mv "$tmp" "$dir"
		touch "$dir/.vidshare-done"
		for old in "$cache"/chroot-????????????????; do
			[[ $old == "$dir" ]] || rm -rf "$old"
		done
	fi
	echo "$dir"
}

run_chroot() {
	local root binds=("$cache") d
	root=$(cd "$1" && pwd)
	shift
	exec 6> "$cache/.lock-chroot"
	flock -s 6
	while (($#)) && [[ $1 != -- ]]; do
		[[ $1 == --bind ]] || { echo "unstable.sh: run CHROOT [--bind DIR]... -- CMD" >&2; exit 2; }
		binds+=("$(cd "$2" && pwd)")
		shift 2
	done
	shift
	# The mounts live as long as the namespace: nothing is left mounted.
	# shellcheck disable=SC2016
	unshare -m -- bash -euc '
		root=$1 n=$2
		shift 2
		mount --make-rprivate /
		mount -t proc proc "$root/proc"
		for ((i = 0; i < n; i++)); do
			mkdir -p "$root$1"
			mount --bind "$1" "$root$1"
			shift
		done
		exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
	' unstable.sh "$root" "${#binds[@]}" "${binds[@]}" "$@"
}

case $cmd in
apt-get | apt-cache) private_apt "$cmd" "$@" ;;
newest) newest "$@" ;;
needs) needs "$@" ;;
source) source_pkg ;;
compiler) compiler ;;
chroot) make_chroot ;;
run) run_chroot "$@" ;;
*)
	echo "unstable.sh: unknown command '$cmd'" >&2
	exit 2
	;;
esac
