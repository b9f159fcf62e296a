#!/usr/bin/env bash
# Make python:<X.Y>-slim-<suite> images available to the local Docker engine.
#
#   tests/engines/base_images.sh bookworm 3.11 3.12 ...
#
# For each version: keep an image that is already there, else try to pull it, else build an offline
# stand-in with the same tag: a debootstrap'd minbase Debian (cached as an image) plus this machine's
# pyenv interpreter copied into /usr/local, the layout of the official slim images. The stand-in
# trusts this machine's CA bundle so pip can reach the package index through a TLS-terminating proxy.
set -euo pipefail

docker=${DOCKER:-/usr/bin/docker}
export DOCKER_BUILDKIT=1
suite=${1:?usage: base_images.sh SUITE VERSION...}
shift
rootfs_image="python-upgrade-standin/debian:${suite}-minbase"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

log() { printf '[base-images] %s\n' "$*" >&2; }

have() { "$docker" image inspect "$1" >/dev/null 2>&1; }

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
    tar -C "$src" --exclude "./lib/python$minor/test" --exclude "./lib/python$minor/site-packages/*" \
        --exclude '__pycache__' -c . | tar -C "$ctx/usr/local" -x
    cp -a "$src/lib/python$minor/site-packages/pip" "$src/lib/python$minor/site-packages/"pip-*.dist-info \
        "$ctx/usr/local/lib/python$minor/site-packages/"
    if [ -f /etc/ssl/certs/sandboxing-egress-ca.pem ]; then
        cat /etc/ssl/certs/sandboxing-egress-ca.pem >>"$ctx/usr/local/lib/python$minor/site-packages/pip/_vendor/certifi/cacert.pem"
    fi
    # pip's scripts carry pyenv's interpreter path in their shebangs.
    sed -i "1s|^#!.*|#!/usr/local/bin/python$minor|" "$ctx/usr/local/bin/"pip*
    cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $rootfs_image
COPY usr/local /usr/local
RUN ldconfig && ln -sf python$minor /usr/local/bin/python && ln -sf python$minor /usr/local/bin/python3 \
    && ln -sf pip$minor /usr/local/bin/pip && ln -sf pip$minor /usr/local/bin/pip3 && python --version
ENV LANG=C.UTF-8 PYTHON_VERSION=$full
LABEL org.opencontainers.image.description="offline stand-in for python:$minor-slim-$suite (pyenv $full)"
CMD ["python3"]
DOCKERFILE
    "$docker" build -q --network host -t "$tag" "$ctx" >/dev/null
    rm -rf "$ctx"
    log "built stand-in $tag from pyenv $full"
}

for minor in "$@"; do
    tag="python:${minor}-slim-${suite}"
    if have "$tag"; then
        log "$tag present"
    elif timeout 20 "$docker" pull -q "$tag" >/dev/null 2>&1; then
        log "$tag pulled"
    else
        standin "$minor" "$tag"
    fi
done
