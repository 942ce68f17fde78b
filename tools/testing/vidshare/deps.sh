#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what building and testing vidshare needs, when it is missing.
set -euo pipefail
pkgs=(build-essential bc bison flex libelf-dev libssl-dev dwarves xz-utils cpio
      kmod perl python3 python3-pil python3-sphinx sparse clang lld llvm busybox-static
      qemu-system-x86 debootstrap linux-source-6.12
      dpkg-dev debhelper dh-dkms fakeroot lintian python3-docutils groff-base
      gnuplot-nox)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
else
	echo "all dependencies are installed"
fi
