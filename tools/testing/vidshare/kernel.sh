#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kernel.sh CACHE JOBS: build the vidshare test kernel (tinyconfig +
# kernel.config from Debian's linux-source-6.12) once per source version and
# config, and print its build directory. Messages go to stderr.
set -euo pipefail
cache=$1
jobs=$2
here=$(cd "$(dirname "$0")" && pwd)
tarball=$(ls /usr/src/linux-source-6.12.tar.xz)
version=$(dpkg-query -W -f='${Version}' linux-source-6.12)
hash=$( { echo "$version"; cat "$here/kernel.config" "$0"; } | sha256sum | cut -c1-16)
src=$cache/linux-source-6.12-$version
build=$cache/kernel-$hash
mkdir -p "$cache"
exec 9> "$cache/.lock"
flock 9
if [[ -e $build/.vidshare-done ]]; then
	echo "cached test kernel $build" >&2
	echo "$build"
	exit 0
fi
if [[ ! -e $src/.vidshare-unpacked ]]; then
	echo "unpacking $tarball" >&2
	rm -rf "$src"
	mkdir -p "$src"
	tar xf "$tarball" -C "$src" --strip-components=1
	touch "$src/.vidshare-unpacked"
fi
rm -rf "$build"
mkdir -p "$build"
{
	make -C "$src" O="$build" tinyconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "$here/kernel.config"
	make -C "$src" O="$build" olddefconfig
	# Every option of the fragment must have survived olddefconfig.
	missing=0
	while read -r line; do
		case $line in
		CONFIG_*=n) ! grep -q "^${line%=n}=" "$build/.config" || { echo "kernel.config: $line did not stick"; missing=1; } ;;
		CONFIG_*) grep -qx "$line" "$build/.config" || { echo "kernel.config: $line did not stick"; missing=1; } ;;
		esac
	done < "$here/kernel.config"
	[[ $missing == 0 ]]
	echo "building the test kernel with $jobs jobs (a few minutes)"
	make -C "$src" O="$build" -j"$jobs" bzImage modules
} >&2
echo "$src" > "$build/.vidshare-src"
touch "$build/.vidshare-done"
# Builds for other configs or sources are stale now.
for old in "$cache"/kernel-* "$cache"/linux-source-6.12-*; do
	[[ $old == "$build" || $old == "$src" ]] || rm -rf "$old"
done
echo "$build"
