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

# The neutral identity the series is written under: the patches' authors
# and the commits the scripts make.  scripts/prepare-send re-signs with
# the sender's own.
LGUEST_IDENT_NAME="lguest project"
LGUEST_IDENT_EMAIL=lguest@project.invalid
LGUEST_IDENT="$LGUEST_IDENT_NAME <$LGUEST_IDENT_EMAIL>"

# as_project: from here on, git commits as the project (author and
# committer), so that what the scripts commit never depends on, or
# carries, the identity of whoever runs them.
as_project()
{
	export GIT_AUTHOR_NAME=$LGUEST_IDENT_NAME GIT_AUTHOR_EMAIL=$LGUEST_IDENT_EMAIL
	export GIT_COMMITTER_NAME=$LGUEST_IDENT_NAME GIT_COMMITTER_EMAIL=$LGUEST_IDENT_EMAIL
}

# usage: a script's help is its header comment, from the synopsis on its
# fourth line to the first line that is not a comment.  Scripts with a
# usage text of their own define usage() after sourcing this file.
usage()
{
	sed -n '4,/^[^#]/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'
}

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

# take_target "$@": the first word of a test driver is the TARGET it runs
# on (a line of scripts/configs/targets); -h/--help there prints the
# usage.  Sets target; the caller shifts it off.
take_target()
{
	case ${1:-} in -h|--help) usage; exit 0 ;; esac
	[ $# -ge 1 ] || usage_error "no target given"
	case $1 in -*) usage_error "unknown option '$1'" ;; esac
	target=$1
}

# take_target_or DEFAULT "$@": as take_target, for a driver whose TARGET
# may be left out.
take_target_or()
{
	local dflt=$1

	shift
	if [ $# -eq 0 ]; then
		target=$dflt
	else
		take_target "$@"
	fi
}

# take_print_option "$@": the one option of the scripts that fetch a tool
# (get-busybox, get-sparse): --print, which sets print=1.
take_print_option()
{
	print=0
	while [ $# -gt 0 ]; do
		case $1 in
		-h|--help) usage; exit 0 ;;
		--print) print=1 ;;
		*) usage_error "unknown option '$1'" ;;
		esac
		shift
	done
}

# targets_list [WHEN]: the targets of scripts/configs/targets as "name
# when arch fragments...", comments and blank lines dropped; with WHEN
# (quick, full, debug) only the names of those built then.
targets_list()
{
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$LGUEST_REPO/scripts/configs/targets" |
		if [ -n "${1:-}" ]; then awk -v w="$1" '$2 == w { print $1 }'; else cat; fi
}

# target_arch TARGET: its ARCH= (i386, x86_64), empty if there is no such target.
target_arch()
{
	targets_list | awk -v t="$1" '$1 == t { print $3 }'
}

# need_config [-y] CONFIG WHAT OPTION...: die unless every CONFIG_OPTION
# of the .config file CONFIG is y or m (with -y: y).  WHAT names the
# kernel in the message.
need_config()
{
	local val='(y|m)' say= config what c

	[ "$1" = -y ] && { val=y say==y; shift; }
	config=$1 what=$2
	shift 2
	for c in "$@"; do
		grep -Eqx "CONFIG_$c=$val" "$config" 2>/dev/null ||
			die "$what has no CONFIG_$c$say"
	done
}

# need_host TARGET: the lguest host TARGET has been built.  Sets build
# (its build directory) and kernel (its bzImage).
need_host()
{
	build=$(build_dir "$1")
	kernel=$build/arch/x86/boot/bzImage
	[ -f "$kernel" ] || die "no kernel in $build (run scripts/build $1)"
	need_config "$build/.config" "$1" LGUEST
}

# host_module BUILD: with CONFIG_LGUEST=m in BUILD, module_files holds
# the mkinitramfs arguments that pack lg.ko as /lg.ko and module_arg the
# test inits' option that loads it; with the host built in, both empty.
host_module()
{
	module_files=() module_arg=
	grep -qx 'CONFIG_LGUEST=m' "$1/.config" || return 0
	[ -f "$1/drivers/lguest/lg.ko" ] || die "no lg.ko in $1"
	module_files=(--add "$1/drivers/lguest/lg.ko:/lg.ko")
	module_arg="--module /lg.ko"
}

# build_static OUT SOURCE [GCC ARGS...]: one of the workshop's static
# 32-bit test programs, which must build without a warning.
build_static()
{
	local out=$1 src=$2

	shift 2
	gcc -m32 -static -O2 -Wall -Wextra -Werror "$@" -o "$out" "$src" ||
		die "cannot build $(basename "$src")"
}

# expect_each PATTERN NAME...: append to the array expect one
# "--expect PATTERN" for each NAME (PATTERN's %s), for scripts/boot-test.
expect_each()
{
	local pat=$1 n

	shift
	for n in "$@"; do
		# shellcheck disable=SC2059 # the pattern is the format
		expect+=(--expect "$(printf "$pat" "$n")")
	done
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
				xargs git -C "$dir" -c user.name="${GIT_COMMITTER_NAME:-$LGUEST_IDENT_NAME}" \
					-c user.email="${GIT_COMMITTER_EMAIL:-$LGUEST_IDENT_EMAIL}" \
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

# apt_download DIR SOURCE PACKAGE... [-- APT OPTIONS]: download the .debs
# of PACKAGE... from the one-line apt SOURCE into DIR/dl, with apt lists
# and caches of DIR's own, so the machine's apt sources, preferences and
# architectures stay as they are and nothing is installed.
apt_download()
{
	local d=$1 source=$2 pkgs=() opts

	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		pkgs+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	need_cmd apt-get dpkg-deb
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/dl"
	echo "$source" >"$d/sources.list"
	opts=(-o Dir::Etc::SourceList="$d/sources.list"
	      -o Dir::Etc::SourceParts=/nonexistent
	      -o Dir::Etc::Preferences=/nonexistent
	      -o Dir::Etc::PreferencesParts=/nonexistent
	      -o Dir::State::Lists="$d/lists"
	      -o Dir::Cache="$d/cache"
	      -o APT::Sandbox::User=root "$@")
	note "downloading ${pkgs[*]} (private apt lists in $d)"
	run_logged "$d/update.log" apt-get "${opts[@]}" update ||
		die "apt-get update for the private list in $d failed"
	rm -f "$d"/dl/*.deb
	(cd "$d/dl" && run_logged "$d/download.log" apt-get "${opts[@]}" download "${pkgs[@]}") ||
		die "apt-get download ${pkgs[*]} failed"
}

mkdir -p "$LGUEST_CACHE"
