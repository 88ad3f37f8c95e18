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

# usage_error MSG: a mistake on the command line.  Every script says so
# the same way: its usage on stderr, the reason, and exit status 2.
usage_error()
{
	usage >&2
	echo "$SELF: $*" >&2
	exit 2
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

# run_progress LOGFILE LABEL CMD...: run_logged, and while CMD runs say
# every minute how long it has taken and how far it got (for a kernel
# build: the files compiled so far), so that a long step is not silent.
# A build whose output the command keeps to itself (kunit.py) is counted
# by its object files in PROGRESS_OBJDIR.
run_progress()
{
	local log=$1 label=$2 pid t0 n
	shift 2
	t0=$(date +%s)
	"$@" >"$log" 2>&1 &
	pid=$!
	while ! timeout 60 tail --pid="$pid" -s 0.5 -f /dev/null 2>/dev/null; do
		n=$(grep -c '^  CC ' "$log" 2>/dev/null)
		[ "${n:-0}" = 0 ] && [ -n "${PROGRESS_OBJDIR:-}" ] &&
			n=$(find "$PROGRESS_OBJDIR" -name '*.o' 2>/dev/null | wc -l)
		[ "${n:-0}" = 0 ] && n=
		note "$label: $(( ($(date +%s) - t0) / 60 )) min so far${n:+, $n files compiled}"
	done
	if ! wait "$pid"; then
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

# The kernel tree with the series applied that builds and tests use:
# LGUEST_TREE if set (any 7.3.y tree with the series, such as a
# developer's own), else the quilt copy scripts/apply makes.
kernel_tree()
{
	local t=${LGUEST_TREE:-$LGUEST_CACHE/src/patched}

	(cd "$t" 2>/dev/null && pwd) || echo "$t"
}

# tree_id [TREE]: empty for the quilt copy, else a name of TREE's own
# (its directory's name and a hash of its path).
tree_id()
{
	local tree=${1:-$(kernel_tree)}

	[ "$tree" = "$LGUEST_CACHE/src/patched" ] ||
		echo "$(basename "$tree")-$(echo "$tree" | md5sum | cut -c1-8)"
}

# build_dir TARGET [TREE]: where scripts/build puts TARGET built from TREE
# (default: kernel_tree).  The quilt copy's builds live in build/TARGET,
# any other tree's in a directory of its own.
build_dir()
{
	local id

	id=$(tree_id "${2:-}")
	echo "$LGUEST_CACHE/build/${id:+$id/}$1"
}

# work_dir NAME: the cache directory NAME (selftest, launcher, ...) for
# kernel_tree, so that runs against two trees at once never share the
# binaries they build.
work_dir()
{
	local id

	id=$(tree_id)
	echo "$LGUEST_CACHE/${id:+trees/$id/}$1"
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

# use_tree DIR: build and test DIR, a Linux $LGUEST_KVER_MAJOR.y tree of
# your own, instead of the workshop's copy (exports LGUEST_TREE).  The
# series is applied there first if it is not yet (git am in a git tree,
# patch otherwise); nothing is fetched.
use_tree()
{
	local dir v p

	dir=$(cd "$1" 2>/dev/null && pwd) || die "--tree $1: no such directory"
	[ -f "$dir/Makefile" ] && [ -d "$dir/arch/x86" ] || die "--tree $dir: not a kernel tree"
	v=$(make -s -C "$dir" kernelversion 2>/dev/null) || v=unknown
	case $v in
	"$LGUEST_KVER_MAJOR" | "$LGUEST_KVER_MAJOR".*) ;;
	*) die "--tree $dir: Linux $v; the series is for $LGUEST_KVER_MAJOR.y" ;;
	esac
	if [ ! -f "$dir/drivers/lguest/Kconfig" ]; then
		note "applying the series to $dir (Linux $v)"
		if git -C "$dir" rev-parse --git-dir >/dev/null 2>&1; then
			series_patches | sed "s|^|$LGUEST_REPO/patches/|" |
				xargs git -C "$dir" -c user.name="${GIT_COMMITTER_NAME:-lguest workshop}" \
					-c user.email="${GIT_COMMITTER_EMAIL:-lguest@workshop.invalid}" \
					am --quiet ||
				die "git am of the series failed in $dir (git -C $dir am --abort undoes it)"
		else
			for p in $(series_patches); do
				patch -s -p1 -N -d "$dir" <"$LGUEST_REPO/patches/$p" ||
					die "$p does not apply to $dir"
			done
		fi
	fi
	export LGUEST_TREE=$dir
}

# Find the URI of the plain Debian archive (the entry serving the
# release's own suite, not -security) in deb822 or one-line sources.
debian_archive_uri()
{
	local codename uri
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || return 1
	uri=$(awk -v c="$codename" '
		/^URIs:/ { u = $2 }
		/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == c) found = u }
		/^$/ { u = "" }
		END { if (found) print found }' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
	if [ -z "$uri" ]; then
		uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
			2>/dev/null | awk -v c="$codename" \
			'$1 == "deb" && $3 == c { print $2; exit }' |
			sed 's/\[.*\]//')
	fi
	[ -n "$uri" ] && echo "$uri"
}

mkdir -p "$LGUEST_CACHE"
