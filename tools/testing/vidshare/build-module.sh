#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh KBUILD OUTDIR [MAKE-ARGS...]: build vidshare.ko, and
# vidshare_kunit.ko when the kernel has CONFIG_KUNIT, with W=1 against the
# kernel build directory KBUILD (e.g. /lib/modules/RELEASE/build, or a
# kernel.sh build), into OUTDIR.
#
# Out-of-tree kbuild writes its objects next to the sources, so the sources
# (Kbuild, drivers/vidshare, include/uapi, and dkms.conf, which holds the
# version) are copied to OUTDIR/src first and built there: builds for
# several kernels can run from one tree, at the same time, and leave the
# tree alone. MAKE-ARGS go to make, e.g. LLVM=1 (added
# by itself for a kernel built by clang unless MAKE-ARGS set LLVM or CC).
# A build directory with a .vidshare-chroot file (Debian unstable's and
# experimental's headers, a kernel built from unstable's source) is built in
# the chroot that file names, with the compiler of that kernel: see
# unstable.sh.
#
# Output: OUTDIR/vidshare.ko, OUTDIR/vidshare_kunit.ko (only with KUnit),
# OUTDIR/build.log (the whole make output). The exit code is non-zero when
# the build fails or prints a warning (or an error), which the log then
# shows; the last lines say which.
set -euo pipefail

if (($# < 2)); then
	echo "usage: build-module.sh KBUILD OUTDIR [MAKE-ARGS...]" >&2
	exit 2
fi
kbuild=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
shift 2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
jobs=${JOBS:-$(nproc)}
log=$out/build.log

src=$out/src
rm -rf "$src" "$out"/*.ko
mkdir -p "$src/drivers/vidshare" "$src/include/uapi/linux"
cp "$top/Kbuild" "$top/dkms.conf" "$src/"
cp "$top/drivers/vidshare/Kbuild" "$top"/drivers/vidshare/*.[ch] "$src/drivers/vidshare/"
rm -f "$src"/drivers/vidshare/*.mod.c
cp "$top"/include/uapi/linux/*.h "$src/include/uapi/linux/"

# The kernel's config decides whether there is a KUnit module to build.
kunit=n
grep -qE '^CONFIG_KUNIT=[ym]' "$kbuild/include/config/auto.conf" && kunit=y

# A kernel built by clang takes modules built by clang (kbuild warns that
# the compiler differs otherwise).
if grep -q '^CONFIG_CC_IS_CLANG=y' "$kbuild/include/config/auto.conf" &&
   ! printf '%s\n' "$@" | grep -qE '^(LLVM|CC)='; then
	set -- LLVM=1 "$@"
fi

in=()
if [[ -e $kbuild/.vidshare-chroot ]]; then
	chroot=$(cat "$kbuild/.vidshare-chroot")
	in=("$here/unstable.sh" "$(dirname "$chroot")" run "$chroot" --bind "$out" --)
	# The compiler that built the kernel, by the name it was called
	# (x86_64-linux-gnu-gcc-16), unless MAKE-ARGS choose one.
	if ! printf '%s\n' "$@" | grep -qE '^(LLVM|CC)='; then
		cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\?\([^ ]*\) .*/\1/p' "$kbuild/include/config/auto.conf")
		[[ -z $cc ]] || set -- CC="$cc" "$@"
	fi
fi
rc=0
"${in[@]}" make -C "$kbuild" M="$src" W=1 -j"$jobs" "$@" modules > "$log" 2>&1 || rc=$?
fail=""
if ((rc)); then
	fail="make exited $rc"
elif grep -qiE 'warning:|error:' "$log"; then
	fail="$(grep -ciE 'warning:|error:' "$log") warnings or errors"
fi
for ko in vidshare $([[ $kunit == y ]] && echo vidshare_kunit); do
	if [[ -e $src/drivers/vidshare/$ko.ko ]]; then
		cp "$src/drivers/vidshare/$ko.ko" "$out/"
	elif [[ -z $fail ]]; then
		fail="no $ko.ko"
	fi
done
# Debian's headers set CC=gcc-12 in .kernelvariables, which overrides what
# LLVM=1 chooses: make sure that a clang build was built by clang.
cc=$(readelf -p .comment "$out/vidshare.ko" 2>/dev/null | grep -oE '(GCC|clang version)' | head -1) || true
if [[ -z $fail && " $* " == *" LLVM="* && $cc != "clang version" ]]; then
	fail="LLVM was set, but ${cc:-an unknown compiler} built the module (the kernel's kbuild sets CC)"
fi
if [[ -n $fail ]]; then
	{
		echo "build-module.sh: FAILED against $kbuild: $fail"
		grep -iE 'warning:|error:' "$log" | head -20 || true
	} | tee -a "$log" >&2
	exit 1
fi
echo "build-module.sh: built $(cd "$out" && echo *.ko) against $kbuild with ${cc%% *} (kunit=$kunit)" | tee -a "$log" >&2
