#!/usr/bin/env bash
# Build the local images devenv's container tests use, without any container registry:
#
#   devenv-test/busybox:latest  FROM scratch + the host's static busybox (Debian busybox-static)
#   devenv-test/postgres:15     Debian bookworm (debootstrap minbase) + postgresql-15, with an
#                               entrypoint that behaves like the official postgres image
#   devenv-test/python:3        Debian bookworm + python3, Flask, SQLAlchemy, Alembic,
#                               Flask-Migrate, psycopg2, gunicorn, pip, psql
#
# and, with --tag-aliases (the default), the usual public names for them so compose files work
# offline: busybox:latest, postgres:15, python:3, python:3.11-slim. An alias that already names
# an image this script did not build (say a real postgres:15 pulled from Docker Hub) is left alone.
#
# Usage: tests/images/build.sh [--force] [--tag-aliases|--no-tag-aliases] [--only NAME[,NAME]]
#   --force            rebuild even if the image exists and is up to date (re-runs apt in the
#                      chroot; the cached debootstrap base is reused)
#   --only LIST        build only some of: busybox, postgres, python
#   --clean-cache      delete the cache directory first (forces a fresh debootstrap)
#
# Idempotent: an image is skipped when its tag exists and carries the label devenv-test.rev equal
# to the hash of its recipe (this script + tests/images/NAME/*); a changed recipe rebuilds it
# (re-running apt only if the functions/packages that make its root changed).
# Cache (DEVENV_IMAGE_CACHE, default ~/.cache/devenv-test-images): the debootstrap base root,
# apt's downloaded .debs and each image's finished root tarball (a rebuild after `docker rmi`
# never debootstraps or runs apt again). The imported roots also stay tagged, as
# devenv-test/rootfs-NAME:KEY, so a changed Dockerfile or entrypoint costs one `docker build`
# step. Logs of each step: $cache/logs/. Root, debootstrap and access to the Debian mirror
# (DEVENV_DEBIAN_MIRROR, default http://deb.debian.org/debian) are needed only when a root has
# to be made; busybox-static for the busybox image.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"

SUITE=bookworm
MIRROR=${DEVENV_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEVENV_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
CACHE=${DEVENV_IMAGE_CACHE:-${HOME:-/root}/.cache/devenv-test-images}
BASE_TAR="$CACHE/base-$SUITE-minbase.tar"
LOGS="$CACHE/logs"
# The legacy builder needs no buildx plugin and reads FROM images from the local store only.
export DOCKER_BUILDKIT=0

PG_PKGS=(postgresql-15 postgresql-client-15 xz-utils)
PY_PKGS=(python3 python3-flask python3-sqlalchemy python3-alembic python3-psycopg2
	python3-flask-migrate gunicorn python3-pip ca-certificates postgresql-client-15)

declare -A TAG=([busybox]=devenv-test/busybox:latest [postgres]=devenv-test/postgres:15
	[python]=devenv-test/python:3)
declare -A ALIASES=([busybox]="busybox:latest" [postgres]="postgres:15"
	[python]="python:3 python:3.11-slim")

force=0 aliases=1 clean=0 only="busybox,postgres,python"

die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }
say() { printf '%s\n' "$*"; }

while [ $# -gt 0 ]; do
	case "$1" in
		--force) force=1 ;;
		--tag-aliases) aliases=1 ;;
		--no-tag-aliases) aliases=0 ;;
		--clean-cache) clean=1 ;;
		--only) [ $# -ge 2 ] || die "--only needs a value"; only=$2; shift ;;
		--only=*) only=${1#--only=} ;;
		-h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$self"; exit 0 ;;
		*) die "unknown argument: $1 (see --help)" ;;
	esac
	shift
done
wanted=()
for n in ${only//,/ }; do
	[ -n "${TAG[$n]:-}" ] || die "--only: unknown image '$n' (busybox, postgres, python)"
	wanted+=("$n")
done

command -v docker >/dev/null || die "docker CLI not found"
docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info failed)"

if [ "$clean" = 1 ]; then
	if [ -z "$CACHE" ] || [ "$CACHE" = / ]; then die "refusing to clean cache dir '$CACHE'"; fi
	rm -rf --one-file-system "$CACHE"
fi
mkdir -p "$CACHE" "$LOGS" "$CACHE/apt-archives/partial" "$CACHE/debootstrap-debs"

# One build at a time per cache dir (two test runs starting together).
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
	say "another build.sh holds $CACHE/.lock; waiting"
	flock 9
fi

# Scratch space for roots and build contexts; everything mounted below it is unmounted on exit
# before anything is deleted.
work=$(mktemp -d "$CACHE/work.XXXXXX")
unmount_all() {
	local m
	# deepest first
	while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done < <(awk -v w="$work" 'index($2, w "/") == 1 { print $2 }' /proc/self/mounts | sort -r)
}
cleanup() {
	unmount_all
	if awk -v w="$work" 'index($2, w "/") == 1 { f = 1 } END { exit !f }' /proc/self/mounts; then
		echo "build.sh: warning: mounts left under $work; not deleting it" >&2
	else
		rm -rf --one-file-system "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run LOG DESCRIPTION CMD...: run CMD with its output appended to LOG; on failure show the tail.
run() {
	local log=$1 desc=$2; shift 2
	printf '\n### %s: %s\n' "$(date -u +%H:%M:%S)" "$*" >>"$log"
	if ! "$@" >>"$log" 2>&1; then
		echo "build.sh: error: $desc failed; last lines of $log:" >&2
		tail -n 40 "$log" | sed 's/^/    /' >&2
		exit 1
	fi
}

need_root() {
	[ "$(id -u)" = 0 ] || die "$1 needs root (debootstrap and chroot)"
	command -v debootstrap >/dev/null || die "$1 needs debootstrap (apt-get install debootstrap)"
}

rev_of() { # hash of everything an image's content depends on
	{
		cat "$self"
		find "$here/$1" -type f -print0 | sort -z | xargs -0 cat
		[ "$1" != busybox ] || cat "$(busybox_bin)"
	} | sha256sum | cut -c1-12
}

busybox_bin() {
	local b=${DEVENV_BUSYBOX:-}
	if [ -z "$b" ]; then
		for b in /bin/busybox /usr/bin/busybox ""; do [ -x "$b" ] && break; done
	fi
	if [ -z "$b" ] || [ ! -x "$b" ]; then
		die "no busybox binary; apt-get install busybox-static (or set DEVENV_BUSYBOX)"
	fi
	# A dynamically linked busybox (Debian's 'busybox' package) cannot run in a FROM scratch image.
	if ldd "$b" >/dev/null 2>&1; then
		die "$b is dynamically linked; apt-get install busybox-static (it replaces package busybox)"
	fi
	printf '%s\n' "$b"
}

root_key() { # hash of what a root tarball depends on: the functions making it and the packages
	{
		printf '%s\n' "$SUITE" "$MIRROR" "$SECURITY_MIRROR" "${PG_PKGS[*]}" "${PY_PKGS[*]}"
		declare -f make_base chroot_setup in_chroot apt_in chroot_finish "rootfs_$1"
	} | sha256sum | cut -c1-12
}

image_rev() { docker image inspect -f '{{index .Config.Labels "devenv-test.rev"}}' "$1" 2>/dev/null || true; }

# ---- debootstrap base ---------------------------------------------------------------------------

make_base() {
	if [ -s "$BASE_TAR" ]; then
		say "  base root: cached $(basename "$BASE_TAR")"
		return
	fi
	need_root "debootstrap"
	local log="$LOGS/base.log" root="$work/base" t0=$SECONDS
	: >"$log"
	say "  base root: debootstrap --variant=minbase $SUITE from $MIRROR (log: $log)"
	run "$log" "debootstrap" debootstrap --variant=minbase --cache-dir="$CACHE/debootstrap-debs" \
		"$SUITE" "$root" "$MIRROR"
	rm -rf "${root:?}"/var/cache/apt/archives/*.deb "${root:?}"/var/lib/apt/lists/*
	run "$log" "tar of the base root" tar -C "$root" --numeric-owner --exclude=./proc/* \
		--exclude=./sys/* --exclude=./dev/* -cf "$BASE_TAR.tmp" .
	mv "$BASE_TAR.tmp" "$BASE_TAR"
	rm -rf --one-file-system "$root"
	say "  base root: made in $((SECONDS - t0))s"
}

# chroot_setup ROOT: unpack the base into $work/NAME/root and make it ready for apt in a chroot.
chroot_setup() {
	local root=$1 n
	mkdir -p "$root"
	tar -C "$root" --numeric-owner -xpf "$BASE_TAR"
	mkdir -p "$root/proc" "$root/sys" "$root/dev" "$root/var/cache/apt/archives"
	mount -t proc proc "$root/proc"
	for n in null zero full random urandom tty; do
		[ -e "/dev/$n" ] || continue
		: >"$root/dev/$n"
		mount --bind "/dev/$n" "$root/dev/$n"
	done
	ln -sfn /proc/self/fd "$root/dev/fd"
	mkdir -p "$root/dev/pts" "$root/dev/shm"
	mount --bind "$CACHE/apt-archives" "$root/var/cache/apt/archives"
	cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	cat >"$root/etc/apt/sources.list" <<-EOF
		deb $MIRROR $SUITE main
		deb $MIRROR $SUITE-updates main
		deb $SECURITY_MIRROR $SUITE-security main
	EOF
	# no services started by maintainer scripts
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	# small images: no recommends, no docs/man pages/translations (as Debian's slim images)
	printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
		>"$root/etc/apt/apt.conf.d/90devenv-test"
	cat >"$root/etc/dpkg/dpkg.cfg.d/90devenv-test-slim" <<-'EOF'
		path-exclude /usr/share/doc/*
		path-include /usr/share/doc/*/copyright
		path-exclude /usr/share/man/*
		path-exclude /usr/share/info/*
		path-exclude /usr/share/groff/*
		path-exclude /usr/share/lintian/*
		path-exclude /usr/share/locale/*
		path-include /usr/share/locale/locale.alias
	EOF
}

in_chroot() { # in_chroot ROOT CMD...
	local root=$1; shift
	DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin chroot "$root" "$@"
}

apt_in() { # apt_in ROOT LOG apt-get-args...
	local root=$1 log=$2; shift 2
	run "$log" "apt-get $* (in the chroot)" in_chroot "$root" apt-get -y -q \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}

# chroot_finish ROOT TAR: unmount, strip caches and logs, tar the root for docker import.
chroot_finish() {
	local root=$1 tar=$2
	unmount_all
	rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/apt/apt.conf.d/90devenv-test"
	rm -rf "${root:?}"/var/lib/apt/lists/* "${root:?}"/var/cache/apt/*.bin \
		"${root:?}"/var/cache/apt/archives/* "${root:?}"/var/cache/debconf/*-old \
		"${root:?}"/var/lib/dpkg/*-old "${root:?}"/var/log/*.log "${root:?}"/var/log/apt/* \
		"${root:?}"/tmp/* "${root:?}"/var/tmp/* "${root:?}"/root/.cache \
		"${root:?}"/usr/share/man/* "${root:?}"/usr/share/info/*
	find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
	find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
	find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} + 2>/dev/null || true
	rm -f "$root/dev/fd"
	find "$root/dev" -mindepth 1 -delete
	: >"$root/etc/resolv.conf"
	tar -C "$root" --numeric-owner --exclude=./proc/* --exclude=./sys/* -cf "$tar.tmp" .
	mv "$tar.tmp" "$tar"
}

# rootfs_NAME ROOT LOG: install NAME's packages into the prepared chroot ROOT.
rootfs_postgres() {
	local root=$1 log=$2
	apt_in "$root" "$log" update
	apt_in "$root" "$log" dist-upgrade
	# as the official image: no "main" cluster from the package, the entrypoint makes $PGDATA
	apt_in "$root" "$log" install postgresql-common
	sed -ri 's/^#? *create_main_cluster *=.*/create_main_cluster = false/' \
		"$root/etc/postgresql-common/createcluster.conf"
	grep -q '^create_main_cluster = false' "$root/etc/postgresql-common/createcluster.conf" ||
		die "could not disable create_main_cluster in the postgres root"
	apt_in "$root" "$log" install "${PG_PKGS[@]}"
	[ -x "$root/usr/lib/postgresql/15/bin/postgres" ] || die "postgresql-15 did not install"
	rm -rf "${root:?}"/var/lib/postgresql/15 "${root:?}"/etc/postgresql/15
	# No JIT in a test image: LLVM is a third of the root (~130 MB). Without llvmjit.so postgres
	# just does not JIT (jit_provider missing is not an error).
	rm -rf "${root:?}"/usr/lib/postgresql/15/lib/llvmjit* "${root:?}"/usr/lib/postgresql/15/lib/bitcode \
		"${root:?}"/usr/lib/*-linux-gnu/libLLVM-*.so* "${root:?}"/usr/lib/*-linux-gnu/libz3.so*
	mkdir -p "$root/var/lib/postgresql/data" "$root/docker-entrypoint-initdb.d" "$root/run/postgresql"
	in_chroot "$root" chown -R postgres:postgres /var/lib/postgresql /run/postgresql
	chmod 3775 "$root/run/postgresql"
	chmod 700 "$root/var/lib/postgresql/data"
}

rootfs_python() {
	local root=$1 log=$2
	apt_in "$root" "$log" update
	apt_in "$root" "$log" dist-upgrade
	apt_in "$root" "$log" install "${PY_PKGS[@]}"
	mkdir -p "$root/usr/local/bin"
	ln -sfn /usr/bin/python3 "$root/usr/local/bin/python"
	ln -sfn /usr/bin/pip3 "$root/usr/local/bin/pip"
	# like the official python image, pip may install into the system (offline, --no-index)
	rm -f "$root"/usr/lib/python3*/EXTERNALLY-MANAGED
}

make_rootfs() { # make_rootfs NAME: sets ROOTFS_TAR to the finished root tarball
	local name=$1 tar log="$LOGS/$1.log" t0=$SECONDS
	tar="$CACHE/rootfs-$name-$(root_key "$name").tar"
	ROOTFS_TAR=$tar
	if [ -s "$tar" ] && [ "$force" = 0 ]; then
		say "  root: cached $(basename "$tar")"
	else
		need_root "the $name root"
		make_base
		: >"$log"
		say "  root: apt-get install in a chroot of the base (log: $log)"
		local root="$work/$name/root"
		chroot_setup "$root"
		"rootfs_$name" "$root" "$log"
		chroot_finish "$root" "$tar"
		rm -rf --one-file-system "$root"
		# drop roots of older recipes
		find "$CACHE" -maxdepth 1 -name "rootfs-$name-*.tar" ! -name "$(basename "$tar")" -delete
		say "  root: made in $((SECONDS - t0))s ($(du -m "$tar" | cut -f1) MB)"
	fi
}

# ---- images -------------------------------------------------------------------------------------

docker_build() { # docker_build NAME REV CONTEXT [build-args...]
	local name=$1 rev=$2 ctx=$3; shift 3
	run "$LOGS/$name.log" "docker build of ${TAG[$name]}" docker build --rm --force-rm \
		--label "devenv-test.image=$name" --label "devenv-test.rev=$rev" \
		-t "${TAG[$name]}" "$@" "$ctx"
}

build_busybox() {
	local rev=$1 ctx="$work/busybox-ctx"
	: >"$LOGS/busybox.log"
	mkdir -p "$ctx"
	cp -a "$here/busybox/." "$ctx/"
	cp "$(busybox_bin)" "$ctx/busybox"
	chmod 755 "$ctx/busybox"
	docker_build busybox "$rev" "$ctx"
}

build_from_root() { # postgres and python: import the root, then the Dockerfile on top of it
	local name=$1 rev=$2 base old
	# The imported root stays tagged (one per name): a changed Dockerfile, entrypoint or
	# `docker rmi` of the image then costs one `docker build` step, not a re-import.
	base="devenv-test/rootfs-$name:$(root_key "$name")"
	if [ "$force" = 0 ] && docker image inspect "$base" >/dev/null 2>&1; then
		say "  root image: cached $base"
	else
		make_rootfs "$name"
		run "$LOGS/$name.log" "docker import of $ROOTFS_TAR" docker import \
			--message "devenv-test $name root ($SUITE, debootstrap)" "$ROOTFS_TAR" "$base"
	fi
	docker_build "$name" "$rev" "$here/$name" --build-arg "BASE=$base"
	# root images of older recipes
	for old in $(docker images --format '{{.Repository}}:{{.Tag}}' "devenv-test/rootfs-$name"); do
		[ "$old" = "$base" ] || docker rmi "$old" >/dev/null 2>&1 || true
	done
}

smoke_test() { # a failed check fails the build; the image is removed so a rerun rebuilds it
	local name=$1 tag=${TAG[$1]} out
	case "$name" in
		busybox) out=$(docker run --rm "$tag" sh -c 'echo ok; wget --help >/dev/null 2>&1; command -v httpd nc sleep >/dev/null && echo tools') ;;
		postgres) out=$(docker run --rm --entrypoint sh "$tag" -c 'postgres --version && pg_isready --version && psql --version && pg_dump --version && initdb --version' 2>&1) ;;
		python) out=$(docker run --rm "$tag" sh -c 'python -c "import flask, sqlalchemy, alembic, psycopg2, flask_migrate" && gunicorn --version && psql --version && echo ok' 2>&1) ;;
	esac || {
		docker rmi "$tag" >/dev/null 2>&1 || true
		die "smoke test of $tag failed: $out"
	}
}

tag_alias() { # tag_alias TARGET ALIAS
	local target=$1 alias=$2 label
	if docker image inspect "$alias" >/dev/null 2>&1; then
		label=$(docker image inspect -f '{{index .Config.Labels "devenv-test.image"}}' "$alias")
		if [ -z "$label" ] || [ "$label" = '<no value>' ]; then
			say "  alias $alias: exists and is not a devenv-test image; left alone"
			return
		fi
	fi
	docker tag "$target" "$alias"
	say "  alias $alias -> $target"
}

t_all=$SECONDS
declare -A RESULT
for name in "${wanted[@]}"; do
	tag=${TAG[$name]}
	rev=$(rev_of "$name")
	have=$(image_rev "$tag")
	old_id=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
	if [ "$force" = 0 ] && [ "$have" = "$rev" ]; then
		say "$tag: cached (rev $rev)"
		RESULT[$name]=cached
	else
		if [ -z "$have" ]; then why="not present"; elif [ "$have" != "$rev" ]; then
			why="recipe changed ($have -> $rev)"; else why="--force"; fi
		say "$tag: building ($why)"
		t0=$SECONDS
		case "$name" in
			busybox) build_busybox "$rev" ;;
			*) build_from_root "$name" "$rev" ;;
		esac
		smoke_test "$name"
		say "  built in $((SECONDS - t0))s"
		RESULT[$name]=built
	fi
	if [ "$aliases" = 1 ]; then
		for a in ${ALIASES[$name]}; do tag_alias "$tag" "$a"; done
	fi
	# the image this build replaced, unless something still uses or names it
	if [ -n "$old_id" ] && [ "$old_id" != "$(docker image inspect -f '{{.Id}}' "$tag")" ]; then
		docker rmi "$old_id" >/dev/null 2>&1 || true
	fi
done

# earlier builds of ours that lost their tag while a container still used them
docker image prune -f --filter label=devenv-test.image >/dev/null 2>&1 || true

say "summary ($((SECONDS - t_all))s):"
for name in "${wanted[@]}"; do
	size=$(docker image inspect -f '{{.Size}}' "${TAG[$name]}")
	printf '  %-28s %-7s %4d MB\n' "${TAG[$name]}" "${RESULT[$name]}" "$((size / 1000000))"
done
