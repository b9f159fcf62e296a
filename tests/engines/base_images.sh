#!/usr/bin/env bash
# Make python:<X.Y>-slim-<suite> images available to the local Docker engine.
#
#   tests/engines/base_images.sh bookworm 3.11 3.12 ...
#   VARIANT=full tests/engines/base_images.sh bookworm 3.12   # python:<X.Y>-<suite>, the big image
#
# For each version: keep an image that is already there, else try to pull it, else build an offline
# stand-in with the same tag: a debootstrap'd minbase Debian (cached as an image) plus this machine's
# pyenv interpreter copied into /usr/local, the layout of the official slim images. The stand-in
# trusts this machine's CA bundle so pip, uv and poetry reach the index through a TLS-terminating proxy.
set -euo pipefail

docker=${DOCKER:-/usr/bin/docker}
export DOCKER_BUILDKIT=1
suite=${1:?usage: base_images.sh SUITE VERSION...}
shift
variant=${VARIANT:-slim}
rootfs_image="python-upgrade-standin/debian:${suite}-minbase"
# Bumped when the stand-in recipe changes: stand-ins of another recipe are rebuilt.
recipe=4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

log() { printf '[base-images] %s\n' "$*" >&2; }

have() { "$docker" image inspect "$1" >/dev/null 2>&1; }

# An image that is ours but of an older recipe does not count as present.
current() {
    local labels
    have "$1" || return 1
    labels=$("$docker" image inspect -f '{{ json .Config.Labels }}' "$1")
    case $labels in
    *'offline stand-in'* | *python-upgrade.standin-recipe*) [[ $labels == *"\"python-upgrade.standin-recipe\":\"$recipe\""* ]] ;;
    *) return 0 ;;
    esac
}

# The packages of buildpack-deps:<suite> (curl, scm and main layers), which the full python:<v>-<suite>
# images are built on; the benchmark's naive layout uses that image.
BUILDPACK_DEPS="ca-certificates curl gnupg netbase wget git mercurial openssh-client subversion procps
autoconf automake bzip2 default-libmysqlclient-dev dpkg-dev file g++ gcc imagemagick libbz2-dev libc6-dev
libcurl4-openssl-dev libdb-dev libevent-dev libffi-dev libgdbm-dev libglib2.0-dev libgmp-dev libjpeg-dev
libkrb5-dev liblzma-dev libmagickcore-dev libmagickwand-dev libmaxminddb-dev libncurses5-dev
libncursesw5-dev libpng-dev libpq-dev libreadline-dev libsqlite3-dev libssl-dev libtool libwebp-dev
libxml2-dev libxslt-dev libyaml-dev make patch unzip xz-utils zlib1g-dev"

full_standin() {
    local minor=$1 tag=$2 ctx="$work/full$1"
    mkdir -p "$ctx"
    cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM python:$minor-slim-$suite
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \\
    $(echo $BUILDPACK_DEPS) >/dev/null && rm -rf /var/lib/apt/lists/*
LABEL python-upgrade.standin-recipe="$recipe"
DOCKERFILE
    "$docker" build -q --network host -t "$tag" "$ctx" >/dev/null
    log "built stand-in $tag (slim stand-in + buildpack-deps packages)"
}

build_rootfs() {
    have "$rootfs_image" && return 0
    log "building $rootfs_image with debootstrap (about 30 s)"
    local root="$work/rootfs"
    debootstrap --variant=minbase "$suite" "$root" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
        { tail -n 20 "$work/debootstrap.log" >&2; return 1; }
    cp /etc/ssl/certs/ca-certificates.crt "$work/host-ca.crt"
    chroot "$root" /bin/sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        libssl3 libsqlite3-0 libreadline8 ca-certificates netbase tzdata libffi8 libbz2-1.0 liblzma5 zlib1g \
        libuuid1 libncursesw6 libexpat1 libnsl2 libgdbm6 >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*'
    # The machine's bundle (it holds the egress proxy's CA where there is one).
    cp "$work/host-ca.crt" "$root/etc/ssl/certs/ca-certificates.crt"
    tar -C "$root" -c . | "$docker" import --change 'CMD ["bash"]' - "$rootfs_image" >/dev/null
    rm -rf "$root"
}

standin() {
    local minor=$1 tag=$2 full
    full=$(pyenv versions --bare | grep -E "^${minor//./\\.}\.[0-9]+$" | sort -V | tail -n 1) ||
        { log "no pyenv interpreter for $minor"; return 1; }
    [ -n "$full" ] || { log "no pyenv interpreter for $minor"; return 1; }
    build_rootfs
    local src ctx="$work/py$minor"
    src="$(pyenv root)/versions/$full"
    mkdir -p "$ctx/usr"
    mkdir -p "$ctx/usr/local"
    # As the official images: no test suites, no static library, no bytecode.
    tar -C "$src" --exclude "./lib/python$minor/site-packages/*" --exclude test --exclude tests \
        --exclude idle_test --exclude '__pycache__' --exclude 'libpython*.a' -c . | tar -C "$ctx/usr/local" -x
    # Only the interpreter's own scripts: tools pip installed into pyenv's bin/ stay out.
    find "$ctx/usr/local/bin" -mindepth 1 -maxdepth 1 ! -name 'python*' ! -name 'pip*' ! -name 'pydoc*' \
        ! -name 'idle*' ! -name '2to3*' -exec rm -rf {} +
    cp -a "$src/lib/python$minor/site-packages/pip" "$src/lib/python$minor/site-packages/"pip-*.dist-info \
        "$ctx/usr/local/lib/python$minor/site-packages/"
    # Where this machine reaches the index through a TLS-terminating proxy, its CA is in the system
    # bundle (copied into the rootfs); point the clients that bring their own roots (pip, uv, poetry)
    # at that bundle, as the host's environment does.
    local trust=""
    if [ -f /etc/ssl/certs/sandboxing-egress-ca.pem ]; then
        trust=" PIP_CERT=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"
        trust+=" REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt UV_NATIVE_TLS=1"
    fi
    # pip's scripts carry pyenv's interpreter path in their shebangs.
    sed -i "1s|^#!.*|#!/usr/local/bin/python$minor|" "$ctx/usr/local/bin/"pip*
    cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $rootfs_image
COPY usr/local /usr/local
RUN ldconfig && ln -sf python$minor /usr/local/bin/python && ln -sf python$minor /usr/local/bin/python3 \
    && ln -sf pip$minor /usr/local/bin/pip && ln -sf pip$minor /usr/local/bin/pip3 && python --version
ENV LANG=C.UTF-8 PYTHON_VERSION=$full$trust
LABEL org.opencontainers.image.description="offline stand-in for python:$minor-slim-$suite (pyenv $full)" \
      python-upgrade.standin-recipe="$recipe"
CMD ["python3"]
DOCKERFILE
    "$docker" build -q --network host -t "$tag" "$ctx" >/dev/null
    rm -rf "$ctx"
    log "built stand-in $tag from pyenv $full"
}

provide() { # provide TAG BUILDER MINOR
    if current "$1"; then
        log "$1 present"
    elif ! have "$1" && timeout 20 "$docker" pull -q "$1" >/dev/null 2>&1; then
        log "$1 pulled"
    else
        "$2" "$3" "$1"
    fi
}

for minor in "$@"; do
    provide "python:${minor}-slim-${suite}" standin "$minor"
    if [ "$variant" = full ]; then
        provide "python:${minor}-${suite}" full_standin "$minor"
    fi
done
