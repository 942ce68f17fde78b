#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kernel.sh CACHE JOBS [FLAVOUR]: build a vidshare test kernel from Debian's
# kernel source once per source version, flavour and config, and print its
# build directory. Messages go to stderr. The flavours:
#
#   debug   (the default) linux-source-6.12 of the host's apt, tinyconfig +
#           kernel.config, built with gcc: the kernel make check boots
#           (KASAN, lockdep, kmemleak, KUnit); CACHE/kernel-HASH
#   clang   linux-source-6.12, tinyconfig + kernel-clang.config, built with
#           LLVM=1: the smallest kernel that vidshare.ko and vidshare_kunit.ko
#           build against with clang (vmlinux only, it is not booted);
#           CACHE/kernel-clang-HASH
#   newest  the debug kernel from Debian unstable's newest linux-source-X.Y
#           (fetched through unstable.sh's private apt state), built in the
#           unstable chroot with the compiler unstable's kernel headers name;
#           CACHE/kernel-newest-HASH. Its build directory has a
#           .vidshare-chroot file for build-module.sh.
#
# Each flavour keeps one build: a new one replaces the flavour's old one.
# The kernel build's own output goes to BUILD/build.log; stderr shows one
# progress line instead (updated in place on a terminal, a line every 30
# seconds otherwise), and the end of the log when the build fails.
set -euo pipefail
cache=$1
jobs=$2
flavour=${3:-debug}
here=$(cd "$(dirname "$0")" && pwd)
case $flavour in
debug)
	fragment=$here/kernel.config
	name=kernel
	objects=1300
	make_args=()
	targets=(bzImage modules)
	;;
clang)
	fragment=$here/kernel-clang.config
	name=kernel-clang
	objects=650
	make_args=(LLVM=1)
	targets=(vmlinux modules)
	for tool in clang ld.lld llvm-ar llvm-nm llvm-objcopy; do
		command -v "$tool" > /dev/null ||
			{ echo "kernel.sh: clang needs $tool (packages clang, lld, llvm)" >&2; exit 1; }
	done
	;;
newest)
	fragment=$here/kernel.config
	override=$here/kernel-newest.config
	name=kernel-newest
	objects=1350
	targets=(bzImage modules)
	;;
*)
	echo "usage: kernel.sh CACHE JOBS [debug|clang|newest]" >&2
	exit 2
	;;
esac
mkdir -p "$cache"
in=()
if [[ $flavour == newest ]]; then
	read -r package version <<< "$("$here/unstable.sh" "$cache" source)" || true
	[[ -n ${version:-} ]] || { echo "kernel.sh: Debian unstable has no linux-source" >&2; exit 1; }
	cc=$("$here/unstable.sh" "$cache" compiler)
	make_args=(CC="$cc")
	srcs=linux-source-unstable
	in=("$here/unstable.sh" "$cache" run "$("$here/unstable.sh" "$cache" chroot)" --)
else
	package=linux-source-6.12
	tarball=$(ls /usr/src/$package.tar.xz)
	version=$(dpkg-query -W -f='${Version}' $package)
	srcs=$package
fi
hash=$( { echo "$version"; [[ $flavour == debug ]] || echo "$flavour ${make_args[*]}";
	 cat "$fragment" ${override:+"$override"} "$0"; } |
	sha256sum | cut -c1-16)
src=$cache/$srcs-$version
build=$cache/$name-$hash
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
	rm -rf "$src"
	mkdir -p "$src"
	if [[ $flavour == newest ]]; then
		echo "downloading and unpacking $package $version from Debian unstable" >&2
		tmp=$(mktemp -d "$cache/.download.XXXXXX")
		(cd "$tmp" && "$here/unstable.sh" "$cache" apt-get download -q "$package=$version" >&2)
		dpkg-deb --fsys-tarfile "$tmp"/"$package"_*.deb | tar xO "./usr/src/$package.tar.xz" |
			tar xJ -C "$src" --strip-components=1
		rm -rf "$tmp"
	else
		echo "unpacking $tarball" >&2
		tar xf "$tarball" -C "$src" --strip-components=1
	fi
	touch "$src/.vidshare-unpacked"
fi
flock -u 8
rm -rf "$build"
mkdir -p "$build"
start=$SECONDS
log=$build/build.log
pid=
# However it ends, the build stops with it; when it failed (was not
# interrupted), the end of its log is shown.
trap 'rc=$?; [[ -z $pid ]] || kill "$pid" 2> /dev/null || true
	if ((rc && rc != 130 && rc != 143)); then
		echo "kernel.sh: the $flavour test kernel failed to build; the end of $log:" >&2
		tail -25 "$log" >&2
	fi' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
echo "configuring the $flavour test kernel (log: $log)" >&2
"${in[@]}" make -C "$src" O="$build" "${make_args[@]}" tinyconfig > "$log" 2>&1
# The fragment with the flavour's overrides: the last line naming an
# option wins, in its first line's place.
cat "$fragment" ${override:+"$override"} | awk '
	/^CONFIG_/ { o = $0; sub(/=.*/, "", o); if (!(o in v)) k[n++] = o; v[o] = $0; next }
	END { for (i = 0; i < n; i++) print v[k[i]] }' > "$build/.vidshare-fragment"
"${in[@]}" "$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" \
	"$build/.vidshare-fragment" >> "$log" 2>&1
"${in[@]}" make -C "$src" O="$build" "${make_args[@]}" olddefconfig >> "$log" 2>&1
# Every option of the fragment must have survived olddefconfig.
while read -r line; do
	case $line in
	CONFIG_*=n) ! grep -q "^${line%=n}=" "$build/.config" || echo "${fragment##*/}: $line did not stick" ;;
	CONFIG_*) grep -qx "$line" "$build/.config" || echo "${fragment##*/}: $line did not stick" ;;
	esac
done < "$build/.vidshare-fragment" > "$build/.vidshare-missing"
if [[ -s $build/.vidshare-missing ]]; then
	tee -a "$log" < "$build/.vidshare-missing" >&2
	exit 1
fi

# The progress: objects compiled (kbuild's CC and AS lines) of about as many
# as the flavour's last build had, or an estimate before the first one.
for old in "$cache/$name"-????????????????/.vidshare-objects; do
	if [[ -s $old ]] && (($(cat "$old") > 0)); then
		objects=$(cat "$old")
	fi
done
progress() {
	local n t=$((SECONDS - start)) pct
	n=$(grep -cE '^  (CC|AS) ' "$log") || true
	pct=$((n * 100 / objects))
	((pct < 100)) || pct=99
	printf 'kernel %s: %d/~%d objects (%d%%), %dm%02ds' "$flavour" "$n" "$objects" "$pct" \
		$((t / 60)) $((t % 60))
}
echo "building the $flavour test kernel with $jobs jobs (a few minutes)" >&2
"${in[@]}" make -C "$src" O="$build" "${make_args[@]}" -j"$jobs" "${targets[@]}" >> "$log" 2>&1 &
pid=$!
shown=$SECONDS
while kill -0 "$pid" 2> /dev/null; do
	sleep 1
	if [[ -t 2 ]]; then
		printf '\r%s\033[K' "$(progress)" >&2
	elif ((SECONDS - shown >= 30)); then
		echo "$(progress)" >&2
		shown=$SECONDS
	fi
done
[[ ! -t 2 ]] || printf '\r\033[K' >&2
rc=0
wait "$pid" || rc=$?
pid=
((rc == 0)) || exit "$rc"
grep -cE '^  (CC|AS) ' "$log" > "$build/.vidshare-objects" || true
echo "built the $flavour test kernel in $((SECONDS - start)) seconds ($(cat "$build/.vidshare-objects") objects)" >&2
echo "$src" > "$build/.vidshare-src"
[[ $flavour != newest ]] || echo "${in[3]}" > "$build/.vidshare-chroot"
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
for old in "$cache/$srcs"-*; do
	[[ ! -e $old || $old == "$src" ]] || rm -rf "$old"
done
echo "$build"
