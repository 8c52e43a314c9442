#!/usr/bin/env bash
# Installs the Debian 12 packages tlsgate needs, and only the missing ones.
#
#   scripts/install-deps.sh            build and test dependencies (default)
#   scripts/install-deps.sh --runtime  only what the tlsgate binary needs to run
#   scripts/install-deps.sh --bench    also the peers the benchmarks compare against
#
# It prints nothing when everything is already installed, so it is cheap to
# run before every build. apt-get's output goes to a log that is shown only
# when something fails.
set -euo pipefail

usage() {
  sed -n '2,10s/^# \{0,1\}//p' "$0"
}

build_pkgs=(
  build-essential cmake ninja-build pkg-config
  libuv1-dev libssl-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libcli11-dev nlohmann-json3-dev libsystemd-dev libcpp-httplib-dev
  googletest libgtest-dev libgmock-dev
)
# Peers the integration tests talk to; stunnel4 and hitch also run with the
# files that `tlsgate import` converts, to prove the results equivalent. The servers among them (Exim, PostgreSQL,
# Dovecot, haproxy, tinyproxy) are started privately by the tests on their own
# ports and directories; the system instances their packages set up are not
# started here and never used (see "policy-rc.d" below).
test_pkgs=(openssl ca-certificates curl python3 tcl tcl-tls prometheus
           exim4-daemon-light swaks libnet-ssleay-perl postgresql dovecot-imapd dovecot-pop3d
           haproxy tinyproxy microsocks python3-cryptography testssl.sh
           stunnel4 hitch)
# The fuzz targets (clang's libFuzzer) and the tree's format and lint checks.
check_pkgs=(clang libclang-rt-14-dev clang-format clang-tidy)
# Shared libraries the binary links against, plus the openssl CLI for
# inspecting certificates and ca-certificates for the system trust store.
runtime_pkgs=(libuv1 libssl3 libyaml-cpp0.7 libspdlog1.10 libfmt9 libsystemd0 libcpp-httplib0.11
              openssl ca-certificates)
bench_pkgs=(stunnel4 hitch haproxy nginx wrk libbenchmark-dev)

runtime=0
bench=0
for arg in "$@"; do
  case "$arg" in
    --runtime) runtime=1 ;;
    --bench) bench=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

if ((runtime)); then
  wanted=("${runtime_pkgs[@]}")
else
  wanted=("${build_pkgs[@]}" "${test_pkgs[@]}" "${check_pkgs[@]}")
fi
if ((bench)); then
  wanted+=("${bench_pkgs[@]}")
fi

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps.sh: needs a Debian 12 system (dpkg-query and apt-get); install these by hand: ${wanted[*]}" >&2
  exit 1
fi

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

as_root=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps.sh: missing packages (${missing[*]}); run as root or install sudo" >&2
    exit 1
  fi
  as_root=(sudo)
fi

echo "install-deps.sh: installing ${missing[*]}" >&2

log=$(mktemp "${TMPDIR:-/tmp}/tlsgate-install-deps.XXXXXX")
# Debian's maintainer scripts start a system daemon for each server package
# (Exim on port 25, Dovecot on 143 and 110, PostgreSQL on 5432, tinyproxy on
# 8888). The tests need none of them, so while apt-get runs a policy-rc.d that
# denies every start is put in place, unless one already exists (containers
# usually have one).
policy=/usr/sbin/policy-rc.d
own_policy=0
cleanup() {
  rm -f "$log"
  if ((own_policy)); then
    "${as_root[@]}" rm -f "$policy"
  fi
}
trap cleanup EXIT
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\n# installed by tlsgate scripts/install-deps.sh while it runs apt-get\nexit 101\n' |
    "${as_root[@]}" tee "$policy" >/dev/null
  "${as_root[@]}" chmod 755 "$policy"
  own_policy=1
fi

apt() {
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o=Dpkg::Use-Pty=0 "$@" >>"$log" 2>&1
}

if ! apt update || ! apt install -y --no-install-recommends "${missing[@]}"; then
  cat "$log" >&2
  echo "install-deps.sh: apt-get failed; the output is above" >&2
  exit 1
fi
