#!/usr/bin/env bash
# Make python:<X.Y>-slim-<suite> images available to the local Docker engine.
#
#   tests/engines/base_images.sh bookworm 3.11 3.12 ...
#   VARIANT=full tests/engines/base_images.sh bookworm 3.12   # python:<X.Y>-<suite>, the big image
#   tests/engines/base_images.sh tox-runner 4.67.15 1.37.1 3.14 3.15  # prints the tag of a sid image
#                                               # with those interpreters, tox and tox-uv, for tox runs
#   tests/engines/base_images.sh distribution bookworm   # prints the tag of Debian with its own python3,
#                                               # pip and pipx, as a new user has it
#
# For each version: keep an image that is already there, else try to pull it, else build an offline
# stand-in with the same tag: a debootstrap'd minbase Debian (cached as an image) plus this machine's
# pyenv interpreter copied into /usr/local, the layout of the official slim images. A version pyenv
# does not have here (3.14, 3.15) comes from Debian sid's real packages instead (python3.X, -venv,
# -dev) in a sid root, since sid's binaries need sid's glibc; python, python3, pip and pip3 are in
# /usr/local/bin as in the official images. Stand-ins are labelled as such, trust this machine's CA
# bundle so pip, uv and poetry reach the index through a TLS-terminating proxy, and are rebuilt when
# `recipe` changes.
set -euo pipefail

docker=${DOCKER:-/usr/bin/docker}
export DOCKER_BUILDKIT=1
suite=${1:?usage: base_images.sh SUITE VERSION...}
shift
variant=${VARIANT:-slim}
# Bumped when the stand-in recipe changes: stand-ins of another recipe are rebuilt.
recipe=6
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
    ${BUILDPACK_DEPS//$'\n'/ } >/dev/null && rm -rf /var/lib/apt/lists/*
LABEL python-upgrade.standin-recipe="$recipe"
DOCKERFILE
    "$docker" build -q --network host -t "$tag" "$ctx" >/dev/null
    log "built stand-in $tag (slim stand-in + buildpack-deps packages)"
}

rootfs_image() { echo "python-upgrade-standin/debian:$1-minbase-r$recipe"; }

build_rootfs() { # build_rootfs SUITE PACKAGE...
    local target=$1 image
    image=$(rootfs_image "$1")
    shift
    have "$image" && return 0
    log "building $image with debootstrap (about 30 s)"
    local root="$work/rootfs-$target"
    debootstrap --variant=minbase "$target" "$root" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
        { tail -n 20 "$work/debootstrap.log" >&2; return 1; }
    # The registry serves a fixed snapshot of each suite: sid's Release file is past its Valid-Until.
    echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99python-upgrade-snapshot"
    cp /etc/ssl/certs/ca-certificates.crt "$work/host-ca.crt"
    chroot "$root" /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends ca-certificates netbase tzdata $* >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*"
    # The machine's bundle (it holds the egress proxy's CA where there is one).
    cp "$work/host-ca.crt" "$root/etc/ssl/certs/ca-certificates.crt"
    tar -C "$root" -c . | "$docker" import --change 'CMD ["bash"]' - "$image" >/dev/null
    rm -rf "$root"
}

# Where this machine reaches the index through a TLS-terminating proxy, its CA is in the system
# bundle (copied into the rootfs); point the clients that bring their own roots (pip, uv, poetry)
# at that bundle, as the host's environment does.
trust_env() {
    if [ -f /etc/ssl/certs/sandboxing-egress-ca.pem ]; then
        printf ' %s' PIP_CERT=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
            REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt UV_NATIVE_TLS=1
    fi
}

standin() {
    local minor=$1 tag=$2 full
    full=$(pyenv versions --bare | grep -E "^${minor//./\\.}\.[0-9]+$" | sort -V | tail -n 1) ||
        { log "no pyenv interpreter for $minor"; return 1; }
    [ -n "$full" ] || { log "no pyenv interpreter for $minor"; return 1; }
    build_rootfs "$suite" libssl3 libsqlite3-0 libreadline8 libffi8 libbz2-1.0 liblzma5 zlib1g libuuid1 \
        libncursesw6 libexpat1 libnsl2 libgdbm6
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
    # pip's scripts carry pyenv's interpreter path in their shebangs.
    sed -i "1s|^#!.*|#!/usr/local/bin/python$minor|" "$ctx/usr/local/bin/"pip*
    cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $(rootfs_image "$suite")
COPY usr/local /usr/local
RUN ldconfig && ln -sf python$minor /usr/local/bin/python && ln -sf python$minor /usr/local/bin/python3 \
    && ln -sf pip$minor /usr/local/bin/pip && ln -sf pip$minor /usr/local/bin/pip3 && python --version
ENV LANG=C.UTF-8 PYTHON_VERSION=$full$(trust_env)
LABEL org.opencontainers.image.description="offline stand-in for python:$minor-slim-$suite (pyenv $full)" \
      python-upgrade.standin-recipe="$recipe"
CMD ["python3"]
DOCKERFILE
    "$docker" build -q --network host -t "$tag" "$ctx" >/dev/null
    rm -rf "$ctx"
    log "built stand-in $tag from pyenv $full"
}

# A version pyenv lacks, from Debian sid's packages. Debian marks its interpreters EXTERNALLY-MANAGED;
# the official images are not, and their pip is a plain install in /usr/local: the same here, from the
# pip wheel Debian ships for venvs.
sid_standin() {
    local minor=$1 tag=$2 ctx="$work/sid$1"
    build_rootfs sid
    mkdir -p "$ctx"
    cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $(rootfs_image sid)
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \\
        python$minor python$minor-venv python$minor-dev >/dev/null \\
    && apt-get clean && rm -rf /var/lib/apt/lists/* /usr/lib/python$minor/EXTERNALLY-MANAGED \\
    && for name in python python3 python$minor; do ln -s /usr/bin/python$minor /usr/local/bin/\$name; done \\
    && wheel=\$(echo /usr/share/python-wheels/pip-*.whl) \\
    && python$minor "\$wheel/pip" install --quiet --no-index --no-compile --root-user-action=ignore "\$wheel" \\
    && python --version && pip --version
ENV LANG=C.UTF-8$(trust_env)
LABEL org.opencontainers.image.description="offline stand-in for python:$minor-slim-$suite (Debian sid's python$minor)" \\
      python-upgrade.standin-recipe="$recipe"
CMD ["python3"]
DOCKERFILE
    "$docker" build -q --network host -t "$tag" "$ctx" >/dev/null
    rm -rf "$ctx"
    log "built stand-in $tag from Debian sid's python$minor ($("$docker" run --rm --network host "$tag" python -V))"
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

# tox on versions this machine has no interpreter for: a sid root with Debian's python3.X (+ -venv,
# -dev) for each version and tox in its own venv; the tests run it with the project mounted. It has
# a C compiler, as GitHub's runners do: a pin without a wheel for the version compiles there.
# base_images.sh service IMAGE...: stand-ins for the backing services tests use (postgres:<tag>,
# redis:<tag>), from Debian bookworm's packages (PostgreSQL 15, Redis 7) whatever the tag asks for,
# labelled as stand-ins. The postgres one follows the official image's contract: POSTGRES_USER,
# POSTGRES_PASSWORD, POSTGRES_DB, PGPORT; pg_isready on PATH.
if [ "$suite" = service ]; then
    for image in "$@"; do
        current "$image" && continue
        "$docker" pull -q "$image" >/dev/null 2>&1 && { log "pulled $image"; continue; }
        build_rootfs bookworm
        ctx="$work/service"
        rm -rf "$ctx" && mkdir -p "$ctx"
        case ${image%%:*} in
        postgres | */postgres)
            cat >"$ctx/entrypoint.sh" <<'ENTRYPOINT'
#!/bin/sh
# The official postgres image's start-up, for a stand-in: a cluster made on the first start.
set -eu
export PGDATA=${PGDATA:-/var/lib/postgresql/data}
user=${POSTGRES_USER:-postgres}
mkdir -p "$PGDATA" /var/run/postgresql && chown postgres:postgres "$PGDATA" /var/run/postgresql
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    printf '%s
' "${POSTGRES_PASSWORD:-postgres}" >/tmp/pwfile && chown postgres /tmp/pwfile
    as_postgres initdb -U "$user" --pwfile=/tmp/pwfile -A scram-sha-256 --auth-local=trust >/dev/null
    rm -f /tmp/pwfile
    printf "listen_addresses = '*'
port = %s
" "${PGPORT:-5432}" >>"$PGDATA/postgresql.conf"
    printf 'host all all 0.0.0.0/0 scram-sha-256
host all all ::/0 scram-sha-256
' >>"$PGDATA/pg_hba.conf"
    db=${POSTGRES_DB:-$user}
    if [ "$db" != postgres ]; then
        as_postgres postgres --single -D "$PGDATA" -c "port=${PGPORT:-5432}" postgres <<SQL >/dev/null
CREATE DATABASE "$db" OWNER "$user";
SQL
    fi
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups "$@"
ENTRYPOINT
            cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $(rootfs_image bookworm)
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        postgresql-15 >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/postgresql/15/bin:\$PATH PGDATA=/var/lib/postgresql/data
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod +x /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
LABEL org.opencontainers.image.description="offline stand-in for $image: Debian bookworm's PostgreSQL 15 (python-upgrade tests)" \
      python-upgrade.standin-recipe="$recipe"
DOCKERFILE
            ;;
        redis | */redis | valkey/valkey | valkey)
            cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $(rootfs_image bookworm)
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        redis-server >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*
CMD ["redis-server", "--protected-mode", "no", "--save", ""]
LABEL org.opencontainers.image.description="offline stand-in for $image: Debian bookworm's Redis (python-upgrade tests)" \
      python-upgrade.standin-recipe="$recipe"
DOCKERFILE
            ;;
        *)
            log "no stand-in recipe for $image"
            exit 1
            ;;
        esac
        "$docker" build -q --network host -t "$image" "$ctx" >/dev/null
        log "built stand-in $image"
    done
    exit 0
fi

# A distribution as it comes, with its own python3 and pipx (which Debian marks EXTERNALLY-MANAGED):
# where a new user installs copier (tests/test_install.py). Prints the tag.
if [ "$suite" = distribution ]; then
    target=${1:?usage: base_images.sh distribution SUITE}
    tag="python-upgrade-standin/debian-python3:$target-r$recipe"
    if ! have "$tag"; then
        build_rootfs "$target"
        mkdir -p "$work/distribution"
        cat >"$work/distribution/Dockerfile" <<DOCKERFILE
FROM $(rootfs_image "$target")
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        python3 python3-pip pipx git >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*
ENV LANG=C.UTF-8$(trust_env)
LABEL org.opencontainers.image.description="Debian $target with its python3, pip and pipx (python-upgrade tests)" \
      python-upgrade.standin-recipe="$recipe"
DOCKERFILE
        "$docker" build -q --network host -t "$tag" "$work/distribution" >/dev/null
        log "built $tag"
    fi
    echo "$tag"
    exit 0
fi

if [ "$suite" = tox-runner ]; then
    tox_version=${1:?usage: base_images.sh tox-runner TOX_VERSION TOX_UV_VERSION VERSION...}
    tox_uv_version=${2:?usage: base_images.sh tox-runner TOX_VERSION TOX_UV_VERSION VERSION...}
    shift 2
    tag="python-upgrade-standin/tox-sid:py$(IFS=-; echo "$*")-tox$tox_version-uv$tox_uv_version-r$recipe"
    if ! have "$tag"; then
        build_rootfs sid
        packages=""
        for minor in "$@"; do packages+=" python$minor python$minor-venv python$minor-dev"; done
        mkdir -p "$work/tox"
        cat >"$work/tox/Dockerfile" <<DOCKERFILE
FROM $(rootfs_image sid)
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \\
        $packages build-essential git >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*
ENV LANG=C.UTF-8$(trust_env)
RUN python$1 -m venv /opt/tox && /opt/tox/bin/pip install --quiet tox==$tox_version tox-uv==$tox_uv_version \\
    && ln -s /opt/tox/bin/tox /usr/local/bin/tox
LABEL org.opencontainers.image.description="tox $tox_version, tox-uv $tox_uv_version with Debian sid's python$* (python-upgrade tests)" \\
      python-upgrade.standin-recipe="$recipe"
DOCKERFILE
        "$docker" build -q --network host -t "$tag" "$work/tox" >/dev/null
        log "built $tag"
    fi
    echo "$tag"
    exit 0
fi

# Read once, whole: `pyenv versions | grep -q` under pipefail fails at random (grep exits at its first
# match, pyenv is still writing and dies of SIGPIPE), and a version pyenv has was looked up in sid.
pyenv_versions=$(pyenv versions --bare 2>/dev/null || true)
for minor in "$@"; do
    if grep -qE "^${minor//./\\.}\.[0-9]+$" <<<"$pyenv_versions"; then
        provide "python:${minor}-slim-${suite}" standin "$minor"
    else
        provide "python:${minor}-slim-${suite}" sid_standin "$minor"
    fi
    if [ "$variant" = full ]; then
        provide "python:${minor}-${suite}" full_standin "$minor"
    fi
done
