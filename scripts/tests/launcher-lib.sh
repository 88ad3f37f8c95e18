# SPDX-License-Identifier: GPL-2.0
# Helpers for the Launcher tests (tests/launcher-*).  Sourced after
# ../lib.sh, never run.
#
# The Launcher's source is tools/lguest of the kernel tree (default the
# quilt result, $LGUEST_CACHE/src/patched, or --tree DIR / $LGUEST_TREE);
# while the series does not have it yet, the repository's mirror
# tools-lguest/ is used instead.  It is always built out of place, under
# $LGUEST_CACHE/launcher, against the tree's exported i386 headers.

launcher_tree=$(kernel_tree)
launcher_work=$(work_dir launcher)

# --tree DIR of a test: DIR is the kernel tree for everything (lib.sh's
# use_tree: the series applied there if need be), the Launcher included.
launcher_use_tree()
{
	use_tree "$1"
	launcher_tree=$LGUEST_TREE
	launcher_work=$(work_dir launcher)
}

# launcher_prepare: set launcher_src (a tools/lguest to build from, with
# tools/scripts next to it) and launcher_hdr (-isystem flags).
launcher_prepare()
{
	local src
	[ -f "$launcher_tree/Makefile" ] ||
		die "no kernel tree at $launcher_tree (run scripts/apply, or --tree DIR)"
	mkdir -p "$launcher_work"
	if [ -f "$launcher_tree/tools/lguest/Makefile" ]; then
		src=$launcher_tree/tools/lguest
	elif [ -f "$LGUEST_REPO/tools-lguest/Makefile" ]; then
		src=$LGUEST_REPO/tools-lguest
	else
		die "no Launcher: neither $launcher_tree/tools/lguest nor tools-lguest/"
	fi
	# A private copy, so builds never write into either source.
	rm -rf "$launcher_work/src"
	mkdir -p "$launcher_work/src/tools"
	cp -r "$launcher_tree/tools/scripts" "$launcher_work/src/tools/scripts"
	cp -r "$src" "$launcher_work/src/tools/lguest"
	rm -f "$launcher_work/src/tools/lguest/.mirror-of"
	launcher_src=$launcher_work/src/tools/lguest
	note "Launcher source: $src"

	run_logged "$launcher_work/headers.log" \
		make -s -C "$launcher_tree" O="$launcher_work/hdr" ARCH=i386 headers ||
		die "make headers failed: see $launcher_work/headers.log"
	[ -f "$launcher_work/hdr/usr/include/linux/lguest_launcher.h" ] ||
		die "$launcher_tree has no linux/lguest_launcher.h"
	launcher_hdr="-isystem $launcher_work/hdr/usr/include"
}

# launcher_build [--64]: a static 32-bit lguest at $launcher_work/bin/lguest
# (--64: a 64-bit one in bin64/), which must build without a warning.
launcher_build()
{
	local m32=-m32 bin=$launcher_work/bin

	[ "${1:-}" = --64 ] && m32= bin=$launcher_work/bin64
	mkdir -p "$bin"
	run_logged "$launcher_work/make.log" make -C "$launcher_src" static=1 M32="$m32" \
		OUTPUT="$bin/" KHDR_INCLUDES="$launcher_hdr" ||
		die "building the Launcher failed: see $launcher_work/make.log"
	if grep -E 'warning:' "$launcher_work/make.log"; then
		die "the Launcher does not build warning-free"
	fi
	launcher_bin=$bin/lguest
}

# need_guest_kernel [OPTION...]: the guest kernel of a Launcher test,
# --guest VMLINUX or else TARGET's own ($build/vmlinux), with each
# CONFIG_OPTION built in.  Sets guest.
need_guest_kernel()
{
	guest=${guest:-$build/vmlinux}
	[ -f "$guest" ] || die "no guest kernel $guest"
	[ $# = 0 ] || need_config -y "$(dirname "$guest")/.config" "the guest kernel $guest" "$@"
}

# build_bad_kernel OUT [CFLAGS...]: scripts/tests/bad-kernel.S as the
# Launcher loads a kernel, a static i386 ELF linked at 16 MiB with its
# entry note in the next page (-DNO_ENTRY_NOTE: without the note).
build_bad_kernel()
{
	local out=$1
	shift
	gcc -m32 -nostdlib -static -no-pie -Wl,-n -Wl,-Ttext=0x1000000 \
		-Wl,--section-start=.note.lguest=0x1001000 -Wl,--build-id=none "$@" \
		-o "$out" "$LGUEST_REPO/scripts/tests/bad-kernel.S" || die "cannot build bad-kernel"
}
