#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kernel.sh CACHE JOBS [FLAVOUR]: build a vidshare test kernel from Debian's
# linux-source-6.12 once per source version, flavour and config, and print
# its build directory. Messages go to stderr. The flavours:
#
#   debug  (the default) tinyconfig + kernel.config, built with gcc: the
#          kernel make check boots (KASAN, lockdep, kmemleak, KUnit);
#          CACHE/kernel-HASH
#   clang  tinyconfig + kernel-clang.config, built with LLVM=1: the smallest
#          kernel that vidshare.ko and vidshare_kunit.ko build against with
#          clang (vmlinux only, it is not booted); CACHE/kernel-clang-HASH
#
# Each flavour keeps one build: a new one replaces the flavour's old one.
set -euo pipefail
cache=$1
jobs=$2
flavour=${3:-debug}
here=$(cd "$(dirname "$0")" && pwd)
case $flavour in
debug)
	fragment=$here/kernel.config
	name=kernel
	make_args=()
	targets=(bzImage modules)
	;;
clang)
	fragment=$here/kernel-clang.config
	name=kernel-clang
	make_args=(LLVM=1)
	targets=(vmlinux modules)
	for tool in clang ld.lld llvm-ar llvm-nm llvm-objcopy; do
		command -v "$tool" > /dev/null ||
			{ echo "kernel.sh: clang needs $tool (packages clang, lld, llvm)" >&2; exit 1; }
	done
	;;
*)
	echo "usage: kernel.sh CACHE JOBS [debug|clang]" >&2
	exit 2
	;;
esac
tarball=$(ls /usr/src/linux-source-6.12.tar.xz)
version=$(dpkg-query -W -f='${Version}' linux-source-6.12)
hash=$( { echo "$version"; [[ $flavour == debug ]] || echo "$flavour"; cat "$fragment" "$0"; } |
	sha256sum | cut -c1-16)
src=$cache/linux-source-6.12-$version
build=$cache/$name-$hash
mkdir -p "$cache"
# One lock per flavour, so that a cached kernel of one flavour is found
# while the other builds; the shared source tree has a lock of its own.
exec 9> "$cache/.lock$([[ $flavour == debug ]] || echo "-$flavour")"
flock 9
if [[ -e $build/.vidshare-done ]]; then
	echo "cached $flavour test kernel $build" >&2
	echo "$build"
	exit 0
fi
exec 8> "$cache/.lock-src"
flock 8
if [[ ! -e $src/.vidshare-unpacked ]]; then
	echo "unpacking $tarball" >&2
	rm -rf "$src"
	mkdir -p "$src"
	tar xf "$tarball" -C "$src" --strip-components=1
	touch "$src/.vidshare-unpacked"
fi
flock -u 8
rm -rf "$build"
mkdir -p "$build"
start=$SECONDS
{
	make -C "$src" O="$build" "${make_args[@]}" tinyconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "$fragment"
	make -C "$src" O="$build" "${make_args[@]}" olddefconfig
	# Every option of the fragment must have survived olddefconfig.
	missing=0
	while read -r line; do
		case $line in
		CONFIG_*=n) ! grep -q "^${line%=n}=" "$build/.config" || { echo "${fragment##*/}: $line did not stick"; missing=1; } ;;
		CONFIG_*) grep -qx "$line" "$build/.config" || { echo "${fragment##*/}: $line did not stick"; missing=1; } ;;
		esac
	done < "$fragment"
	[[ $missing == 0 ]]
	echo "building the $flavour test kernel with $jobs jobs (a few minutes)"
	make -C "$src" O="$build" "${make_args[@]}" -j"$jobs" "${targets[@]}"
	echo "built the $flavour test kernel in $((SECONDS - start)) seconds"
} >&2
echo "$src" > "$build/.vidshare-src"
touch "$build/.vidshare-done"
# Older builds of this flavour, and sources of other versions, are stale now.
if [[ $flavour == debug ]]; then
	olds=("$cache"/kernel-????????????????)
else
	olds=("$cache/$name"-????????????????)
fi
for old in "${olds[@]}"; do
	[[ ! -e $old || $old == "$build" ]] || rm -rf "$old"
done
flock 8
for old in "$cache"/linux-source-6.12-*; do
	[[ ! -e $old || $old == "$src" ]] || rm -rf "$old"
done
echo "$build"
