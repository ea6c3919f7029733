#!/bin/sh
# deploy/install-deps.sh: installs the Debian 12 packages kefu needs to
# build, test, fuzz (clang: `make fuzz`) and benchmark (`make deps`,
# `make run`, .ci/run); libfaketime steps the wall clock under a site in
# test_sla_clockstep.
#
# Checks each package with dpkg-query and installs only the missing ones,
# running `apt-get update` only when something must be installed. As root
# it installs them; as anyone else it prints the apt-get command to run
# and exits 1. Exits 0 when everything is (now) installed.

set -eu

PACKAGES="build-essential pkg-config libzmq3-dev libczmq-dev libprotobuf-c-dev
protobuf-c-compiler liblmdb-dev libjansson-dev zlib1g-dev libcmocka-dev
valgrind redis-server redis-tools jq procps make libcurl4-openssl-dev
libmicrohttpd-dev libsodium-dev clang libfaketime"

missing=
for p in $PACKAGES; do
    # "install ok installed" is the one state where the package is usable;
    # half-installed or removed-with-config states count as missing.
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing="$missing $p"
done
missing=${missing# }

if [ -z "$missing" ]; then
    echo "install-deps: all $(echo "$PACKAGES" | wc -w) packages are installed"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: $missing" >&2
    echo "install-deps: run as root:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends $missing" >&2
    exit 1
fi

echo "install-deps: installing $missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086 # the list is meant to split into words
apt-get install -y --no-install-recommends $missing
echo "install-deps: done"
