# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers shared by gomem's scripts: where the project and its cache live,
# installing Debian packages, and locating the two kernels.
#
# The cache ($GOMEM_CACHE, default ~/.cache/gomem) is outside the checkout
# so that a fresh clone reuses the test kernel.  Every entry in it is keyed
# by what it was made from, so a stale entry is never used: the 6.12 source
# by its Debian package version, a test kernel by that version and the
# hash of its config fragments.

GOMEM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GOMEM_CACHE=${GOMEM_CACHE:-$HOME/.cache/gomem}
GOMEM_FRAGMENT=$GOMEM_ROOT/scripts/test-kernel.config
GOMEM_FRAGMENT_RT=$GOMEM_ROOT/scripts/test-kernel-rt.config
export GOMEM_ROOT GOMEM_CACHE

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

# need_pkgs PKG...: install the missing Debian packages when root,
# otherwise print the exact command and stop.
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null |
			grep -qx installed || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local cmd="apt-get install -y --no-install-recommends ${missing[*]}"
	[ "$(id -u)" -eq 0 ] ||
		die "missing packages; run: sudo $cmd"
	echo "${0##*/}: installing ${missing[*]}" >&2
	local apt=(apt-get -o DPkg::Lock::Timeout=600 -q)
	"${apt[@]}" install -y --no-install-recommends "${missing[@]}" >&2 ||
		{ "${apt[@]}" update >&2 &&
		  "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >&2; } ||
		die "could not install ${missing[*]}; try: $cmd"
}

# pkg_version PKG: the installed version, made safe for a path.
pkg_version() {
	dpkg-query -W -f='${Version}' "$1" | tr -c 'A-Za-z0-9.\n-' '_'
}

# stock_release [rt]: the uname -r of Debian's stock kernel, or of its
# PREEMPT_RT flavour, as pulled in by the linux-headers-amd64 (or
# linux-headers-rt-amd64) metapackage.
stock_release() {
	local flavour=amd64
	[ "${1:-}" != rt ] || flavour=rt-amd64
	need_pkgs "linux-image-$flavour" "linux-headers-$flavour"
	dpkg-query -W -f='${Depends}' "linux-headers-$flavour" |
		sed -n 's/^linux-headers-\([^ ,]*\).*/\1/p'
}

# ksrc: the unpacked linux-source-6.12 tree; unpacks it on first use.
ksrc() {
	need_pkgs linux-source-6.12 xz-utils
	local dir
	dir=$GOMEM_CACHE/src-$(pkg_version linux-source-6.12)
	if [ ! -f "$dir/.unpacked" ]; then
		echo "${0##*/}: unpacking linux-source-6.12 into $dir" >&2
		rm -rf "$dir" && mkdir -p "$dir" &&
			tar -C "$dir" -xf /usr/src/linux-source-6.12.tar.xz &&
			touch "$dir/.unpacked" || die "cannot unpack the 6.12 source"
	fi
	echo "$dir/linux-source-6.12"
}
