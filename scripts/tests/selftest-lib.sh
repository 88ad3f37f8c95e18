# SPDX-License-Identifier: GPL-2.0
# Shared by tests/host-selftest, tests/nmi-storm and bench: build the
# lguest kselftest the standard way (make -C tools/testing/selftests
# TARGETS=lguest install) against TARGET's exported headers and pack the
# installed tests, busybox for run_kselftest.sh, scripts/tests/selftest-init
# as init and lg.ko when the host is a module, into an initramfs.
# Sourced after lib.sh.
#
# selftest_prepare TARGET sets:
#   st_build    TARGET's build directory
#   st_out      where the selftest and its logs go
#   st_install  the installed kselftests (run_kselftest.sh, lguest/)
#   st_initrd   the initramfs
#   st_module   "--module /lg.ko" for a modular host, else empty

selftest_prepare()
{
	local target=$1 tree busybox extra=()

	tree=$(kernel_tree)
	need_host "$target"
	st_build=$build
	[ -d "$tree/tools/testing/selftests/lguest" ] || die "the series has no lguest selftest"

	st_out=$(work_dir selftest)/$target
	mkdir -p "$st_out"
	run_logged "$st_out/headers.log" make -s -C "$tree" O="$st_build" ARCH="$(target_arch "$target")" headers ||
		die "make headers failed: see $st_out/headers.log"
	st_install=$st_out/kselftest
	rm -rf "$st_install"
	run_logged "$st_out/make.log" make -C "$tree/tools/testing/selftests" TARGETS=lguest \
		O="$st_build" INSTALL_PATH="$st_install" install ||
		die "building the selftest failed: see $st_out/make.log"
	if grep -E 'warning:|Warning:' "$st_out/make.log"; then
		die "the selftest does not build warning-free"
	fi
	[ -x "$st_install/lguest/lguest_test" ] || die "make install left no lguest_test"
	build_static "$st_out/selftest-init" "$LGUEST_REPO/scripts/tests/selftest-init.c"
	host_module "$st_build"
	st_module=$module_arg
	extra=("${module_files[@]}")
	busybox=$("$LGUEST_REPO/scripts/get-busybox" --print) || die "no busybox for run_kselftest.sh"
	while read -r f; do
		extra+=(--add "$st_install/$f:/kselftest/$f")
	done < <(cd "$st_install" && find . -type f -printf '%P\n' | sort)
	st_initrd=$("$LGUEST_REPO/scripts/mkinitramfs" --out "$st_out/initramfs.cpio.gz" \
		--add "$st_out/selftest-init:/selftest-init" --add "$busybox:/bin/busybox" \
		"${extra[@]}")
}

# The names of the hostile cases, from the selftest's own table.
selftest_hostile_names()
{
	awk '/hostile_tests\[HOSTILE_MAX\] = \{/ { t = 1; next }
	     t && /^};/ { exit }
	     t && /\[HOSTILE_/ { want = 1 }
	     t && want && match($0, /"[^"]*"/) {
		print substr($0, RSTART + 1, RLENGTH - 2); want = 0 }' \
		"$(kernel_tree)/tools/testing/selftests/lguest/lguest_test.c"
}
