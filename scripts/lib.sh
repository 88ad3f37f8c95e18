# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the lguest workshop scripts.  Sourced, never run.
#
# Everything that is downloaded or built lives under $LGUEST_CACHE
# (default ~/.cache/lguest), never inside the repository, and every
# script must work when that directory is empty.

LGUEST_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LGUEST_CACHE=${LGUEST_CACHE:-$HOME/.cache/lguest}
# Which Linux release the series is written against.  Any 7.3.y will do.
LGUEST_KVER_MAJOR=${LGUEST_KVER_MAJOR:-7.3}

SELF=$(basename "$0")

die()
{
	echo "$SELF: error: $*" >&2
	exit 1
}

note()
{
	echo "$SELF: $*" >&2
}

# run_logged LOGFILE CMD...: run CMD with its output in LOGFILE; on failure
# show the tail of the log so the reason is visible in CI output.
run_logged()
{
	local log=$1
	shift
	if ! "$@" >"$log" 2>&1; then
		echo "---- last lines of $log ----" >&2
		tail -n 40 "$log" >&2
		return 1
	fi
}

need_cmd()
{
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			die "'$c' is not installed (run scripts/setup-host as root)"
	done
}

# The pristine, unpacked kernel tree fetched by scripts/fetch-kernel.
pristine_tree()
{
	local t=$LGUEST_CACHE/src/pristine
	[ -f "$t/Makefile" ] || die "no pristine kernel in $t (run scripts/fetch-kernel)"
	echo "$t"
}

kernel_version_of()
{
	make -s -C "$1" kernelversion 2>/dev/null
}

# The quilt series of this repository, one patch per line, comments dropped.
series_patches()
{
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$LGUEST_REPO/series"
}

mkdir -p "$LGUEST_CACHE"
