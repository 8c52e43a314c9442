#!/usr/bin/env bash
# Builds the tlsgate container image with podman and checks that it runs as
# docker/README.md says: non-root, TLS served, HEALTHCHECK answering, and on
# SIGTERM a drain of open connections, then exit code 0.
#
#   scripts/container-test.sh              build tlsgate:ci, then test it
#   scripts/container-test.sh --binary B   build only the runtime stage, around
#                                          the tlsgate binary B, then test it
#   scripts/container-test.sh --no-build   test the tlsgate:ci image already built
#   scripts/container-test.sh --base-only  only make the debian:12 base images
#
# Needs root (podman, debootstrap) on Debian 12. Installs podman, runc and
# debootstrap when missing. The image build runs the whole test suite in its
# build stage, so it takes several minutes; the rest takes seconds. CI
# passes --binary build/daemon/tlsgate: it has just built that binary with
# the build stage's own commands and runs the test suite itself, so doing
# both again inside the image would only double the time.
#
# No registry is needed: when podman has no debian:12 or debian:12-slim
# image, they are made locally with debootstrap from the apt mirror this
# host uses, and kept in podman's storage for later runs (podman rmi
# debian:12 debian:12-slim to remake them). The build stage's layers stay
# there too, as build cache (about 1 GB each); podman image prune removes
# them.
#
# Environment:
#   TLSGATE_IMAGE   image name to build and test (default tlsgate:ci)
#   TLSGATE_MIRROR  Debian mirror for debootstrap (default: from /etc/apt)
# shellcheck disable=SC2317  # steps and cleanup are called indirectly
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

image=${TLSGATE_IMAGE:-tlsgate:ci}
build=1
base_only=0
binary=
while (($#)); do
  case "$1" in
    --no-build) build=0 ;;
    --base-only) base_only=1 ;;
    --binary)
      binary=${2:?container-test.sh: --binary needs the path of a tlsgate binary}
      shift
      [[ -x "$binary" ]] || { echo "container-test.sh: $binary is not an executable" >&2; exit 2; }
      binary=$(realpath "$binary")
      ;;
    -h | --help) sed -n '2,28s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "container-test.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

if ((EUID != 0)); then
  echo "container-test.sh: run as root (podman build and debootstrap need it)" >&2
  exit 1
fi

# Steps run in subshells (so that `set -e` stops a step at its first failing
# command); what later steps need is kept in files under $work.
work=$(mktemp -d /var/tmp/tlsgate-container-test.XXXXXX)
rootfs="$work/rootfs"
container="tlsgate-ct-$$"
cleanup() {
  podman rm -f -t 0 "$container" >/dev/null 2>&1 || true
  if [[ -s "$work/backend.pid" ]]; then
    kill "$(cat "$work/backend.pid")" 2>/dev/null || true
  fi
  # A failed debootstrap can leave /proc and /sys mounted in the chroot.
  awk -v root="$rootfs/" 'index($2, root) == 1 { print $2 }' /proc/mounts | sort -r |
    xargs -r umount -l 2>/dev/null || true
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

# --- reporting ---------------------------------------------------------------

failures=0
summary=()
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# step NAME FUNCTION: runs FUNCTION, prints PASS/FAIL with the time taken.
# A function that prints "SKIP: reason" as its last line and returns 77 is
# reported as skipped, not failed.
step() {
  local name=$1 fn=$2 t0 rc out
  t0=$(now)
  echo "--- $name"
  set +e
  (set -e; "$fn") 2>&1 | tee "$work/step.out"
  rc=${PIPESTATUS[0]}
  set -e
  local took
  took=$(elapsed "$t0")
  if ((rc == 0)); then
    echo "PASS: $name ($took)"
    summary+=("PASS  $took  $name")
  elif ((rc == 77)); then
    out=$(grep '^SKIP:' "$work/step.out" | tail -1 || true)
    echo "SKIP: $name ($took) ${out#SKIP: }"
    summary+=("SKIP  $took  $name")
  else
    echo "FAIL: $name ($took)"
    summary+=("FAIL  $took  $name")
    failures=$((failures + 1))
  fi
  return "$rc"
}

finish() {
  echo
  echo "=== summary (total $(elapsed "$t_start"))"
  printf '  %s\n' "${summary[@]}"
  if ((failures)); then
    echo "FAIL: $failures step(s) failed"
    exit 1
  fi
  echo "PASS: every step passed or was skipped"
  exit 0
}
t_start=$(now)

# --- steps -------------------------------------------------------------------

install_tools() {
  local wanted=(podman runc debootstrap curl python3 ca-certificates) missing=() pkg status
  for pkg in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    echo "already installed: ${wanted[*]}"
    return 0
  fi
  echo "installing ${missing[*]}"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get -qq -o=Dpkg::Use-Pty=0 update &&
    DEBIAN_FRONTEND=noninteractive apt-get -qq -o=Dpkg::Use-Pty=0 install -y --no-install-recommends \
      "${missing[@]}"; } >"$work/apt.log" 2>&1; then
    cat "$work/apt.log"
    return 1
  fi
}

# The first URIs of this host's apt sources for SUITE_SUFFIX ("" for the main
# archive, "-security"), deb822 or one-line format.
host_mirror() {
  local suffix=$1
  local pattern="bookworm${suffix}( |$)"
  {
    awk -v pat="$pattern" '
      /^[[:space:]]*$/ { if (uri && suites ~ pat) { print uri; exit } uri = ""; suites = ""; next }
      /^URIs:/ { uri = $2 }
      /^Suites:/ { suites = $0 " " }
      END { if (uri && suites ~ pat) print uri }' /etc/apt/sources.list.d/*.sources 2>/dev/null
    awk -v pat="$pattern" '$1 == "deb" && ($3 " ") ~ pat { print $2 }' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
  } | head -1
}

# debian:12 and debian:12-slim, as the Dockerfile's FROM lines name them. A
# registry pull cannot work on a machine that reaches only the apt archive,
# so none is tried: both come from one debootstrap --variant=minbase
# bookworm. That is the same minimal package set for both (the real
# debian:12 has a few more packages, none of which the build needs: it
# installs everything through scripts/install-deps.sh); the slim one also
# drops documentation, man pages and locales, and tells dpkg to skip them in
# later installs, as the published slim image does. With --binary only
# the runtime stage is built, and only debian:12-slim is made.
base_images() {
  local wanted=(debian:12 debian:12-slim) missing=() img
  [[ -n "$binary" ]] && wanted=(debian:12-slim)
  for img in "${wanted[@]}"; do
    podman image exists "$img" || missing+=("$img")
  done
  if ((${#missing[@]} == 0)); then
    echo "cached: ${wanted[*]}"
    return 0
  fi
  local mirror security
  mirror=${TLSGATE_MIRROR:-$(host_mirror "")}
  mirror=${mirror:-http://deb.debian.org/debian}
  security=$(host_mirror -security)
  security=${security:-http://deb.debian.org/debian-security}
  echo "debootstrap --variant=minbase bookworm from $mirror (log: $work/debootstrap.log)"
  if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -30 "$work/debootstrap.log"
    return 1
  fi

  # What a container base image has and a debootstrap chroot lacks, or
  # should not carry: the apt sources of the published image, no host
  # resolv.conf or hostname (podman provides them), no apt lists or caches.
  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
EOF
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/log/*.log \
    "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old
  : >"$rootfs/etc/resolv.conf"
  : >"$rootfs/etc/hostname"
  : >"$rootfs/etc/machine-id"
  local changes=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    --change 'CMD ["bash"]')

  if [[ " ${missing[*]} " == *" debian:12 "* ]]; then
    tar -C "$rootfs" --numeric-owner -c . | podman import -q "${changes[@]}" - debian:12 >/dev/null
    echo "imported debian:12 ($(du -sh --apparent-size "$rootfs" | cut -f1))"
  fi
  if ! podman image exists debian:12-slim; then
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# Keep images small: no documentation, man pages or translations.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    find "$rootfs/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
    find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/groff/* "$rootfs"/usr/share/info/* \
      "$rootfs"/usr/share/lintian/* "$rootfs"/usr/share/linda/*
    find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
    tar -C "$rootfs" --numeric-owner -c . | podman import -q "${changes[@]}" - debian:12-slim >/dev/null
    echo "imported debian:12-slim ($(du -sh --apparent-size "$rootfs" | cut -f1))"
  fi
  rm -rf --one-file-system "$rootfs"
}

build_image() {
  # --isolation=chroot: RUN steps without a nested container runtime.
  # --network=host: the build stage reaches the apt mirror and binds the
  #   test suite's loopback ports.
  # --format docker: HEALTHCHECK is part of the Docker image format only;
  #   in an OCI image podman drops it.
  # --pull=never: the base images are the local ones made above.
  # --ulimit nofile: a chroot build gets 1024 open files, fewer than the
  #   test suite's 500 concurrent connections need at both ends (docker
  #   build gives far more). Within this host's hard limit.
  # --binary: the Dockerfile's last stage, word for word but for the one
  #   line that copies the binary out of the build stage, which takes it
  #   from a build context holding the given binary instead.
  local build_nofile dockerfile=docker/Dockerfile context=()
  build_nofile=$(( $(ulimit -Hn) < 8192 ? $(ulimit -Hn) : 8192 ))
  if [[ -n "$binary" ]]; then
    local copy='COPY --from=build /src/build/daemon/tlsgate /usr/bin/tlsgate'
    if [[ $(grep -cxF "$copy" docker/Dockerfile) != 1 ]]; then
      echo "docker/Dockerfile has no line '$copy'; --binary cannot stand in for the build stage"
      return 1
    fi
    mkdir -p "$work/prebuilt"
    cp "$binary" "$work/prebuilt/tlsgate"
    dockerfile="$work/Containerfile.runtime"
    awk -v copy="$copy" '
      /^FROM / { stage = "" }
      { stage = stage $0 "\n" }
      END { printf "%s", stage }' docker/Dockerfile |
      sed "s|^$copy\$|COPY --from=prebuilt tlsgate /usr/bin/tlsgate|" >"$dockerfile"
    context=(--build-context "prebuilt=$work/prebuilt")
    echo "runtime stage only, around $binary"
  fi
  echo "podman build (log: $work/build.log)"
  if ! podman build --isolation=chroot --network=host --format docker --pull=never \
    --ulimit "nofile=$build_nofile:$build_nofile" "${context[@]}" \
    -f "$dockerfile" -t "$image" . >"$work/build.log" 2>&1; then
    tail -60 "$work/build.log"
    cp "$work/build.log" /var/tmp/tlsgate-container-build.log
    echo "full log: /var/tmp/tlsgate-container-build.log"
    return 1
  fi
  grep -E '(tests passed|tests failed)' "$work/build.log" | tail -1 || true
  podman image inspect --format '{{.Id}} {{.Size}} bytes' "$image"
}

image_metadata() {
  podman image inspect "$image" >"$work/inspect.json"
  python3 - "$work/inspect.json" <<'EOF'
import json, sys
img = json.load(open(sys.argv[1]))[0]
cfg = img.get("Config") or {}
# podman puts a Docker-format image's HEALTHCHECK at the top level.
hc = img.get("Healthcheck") or img.get("HealthCheck") or cfg.get("Healthcheck") or {}
test = hc.get("Test") or []
user = cfg.get("User", "")
secs = lambda ns: f"{(ns or 0) / 1e9:g}s"
print(f"User: {user!r}")
print(f"HEALTHCHECK: {test} interval={secs(hc.get('Interval'))} timeout={secs(hc.get('Timeout'))} "
      f"start-period={secs(hc.get('StartPeriod'))} retries={hc.get('Retries')}")
ok = True
if user in ("", "root", "0") or user.startswith(("root:", "0:")):
    print("image runs as root"); ok = False
if "tlsgate" not in " ".join(test) or "health" not in test:
    print("no HEALTHCHECK running `tlsgate health`"); ok = False
sys.exit(0 if ok else 1)
EOF
}

# Three free loopback ports: TLS listener, backend, admin.
pick_ports() {
  python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))'
}

# Podman settings for hosts like this one:
#   --runtime runc: podman's default runtime here, crun 1.8, refuses this
#     host's hybrid cgroup v1/v2 layout ("cgroups in hybrid mode not
#     supported");
#   --ulimit: rootful podman gives containers 1048576 open files and
#     processes by default, and without CAP_SYS_RESOURCE the runtime cannot
#     raise a limit above the host's hard limit ("error setting rlimit").
#     Open files: the hard limit, at most 65536. Processes (counted per uid
#     across the host, so per container here): 4096, far more than tlsgate's
#     threads and below the limit podman itself runs with;
#   --network=host: 127.0.0.1 is shared with the backend and the checks.
nofile=$(ulimit -Hn)
[[ "$nofile" == unlimited || "$nofile" -gt 65536 ]] && nofile=65536
run_opts=(--runtime runc --network=host --ulimit "nofile=$nofile:$nofile" --ulimit nproc=4096:4096)

# The image's HEALTHCHECK as podman run options, with the periodic timer
# turned off: podman schedules health checks through systemd, which a build
# host may not have (it logs errors then). podman 4.3 honours
# --health-interval=disable only together with --health-cmd, so the
# image's command, timeout and retries are passed explicitly; the check
# itself then runs on demand with `podman healthcheck run`.
health_opts() {
  podman image inspect "$image" | python3 -c '
import json, sys
img = json.load(sys.stdin)[0]
hc = img.get("Healthcheck") or img.get("HealthCheck") or (img.get("Config") or {}).get("Healthcheck") or {}
test = hc.get("Test") or []
if test[:1] == ["CMD"]:
    print("--health-cmd=" + json.dumps(test[1:]))
elif test[:1] == ["CMD-SHELL"]:
    print("--health-cmd=" + test[1])
else:
    sys.exit(0)
print("--health-interval=disable")
timeout, retries = hc.get("Timeout"), hc.get("Retries")
if timeout:
    print(f"--health-timeout={timeout // 10**9}s")
if retries:
    print(f"--health-retries={retries}")'
}

# write_config [ADMIN_BLOCK]
write_config() {
  local admin_block=${1:-}
  cat >"$work/tlsgate.yaml" <<EOF
# Written by scripts/container-test.sh.
global:
  workers: 1
  log: { level: info, format: text, file: stderr }
  timeouts: { drain: 5s }
${admin_block}
listeners:
  - name: ct
    accept:
      address: 127.0.0.1:$tls_port
      tls:
        certificates:
          - cert: /var/lib/tlsgate/tls.pem
            key: /var/lib/tlsgate/tls.key
            self_signed: true
    connect:
      address: 127.0.0.1:$backend_port
EOF
  chmod 0644 "$work/tlsgate.yaml"
}

start_backend() {
  mkdir -p "$work/www"
  echo "$marker" >"$work/www/marker.txt"
  python3 -m http.server "$backend_port" --bind 127.0.0.1 --directory "$work/www" \
    >"$work/backend.log" 2>&1 &
  echo $! >"$work/backend.pid"
  for _ in $(seq 50); do
    if curl -sf --max-time 1 "http://127.0.0.1:$backend_port/marker.txt" >/dev/null; then
      echo "backend on 127.0.0.1:$backend_port"
      return 0
    fi
    sleep 0.1
  done
  cat "$work/backend.log"
  return 1
}

config_check() {
  local out
  write_config "  admin: { listen: 127.0.0.1:$admin_port }"
  if out=$(podman run --rm "${run_opts[@]}" --no-healthcheck -v "$work/tlsgate.yaml:/etc/tlsgate/tlsgate.yaml:ro" \
    "$image" check -c /etc/tlsgate/tlsgate.yaml 2>&1); then
    echo "$out"
    return 0
  fi
  echo "$out"
  if grep -q "not implemented yet" <<<"$out"; then
    # Before the admin endpoint exists, test everything else without it.
    echo "this build has no admin endpoint: testing without it"
    write_config
    podman run --rm "${run_opts[@]}" --no-healthcheck -v "$work/tlsgate.yaml:/etc/tlsgate/tlsgate.yaml:ro" \
      "$image" check -c /etc/tlsgate/tlsgate.yaml
    return $?
  fi
  return 1
}

start_container() {
  local hopts
  hopts=$(health_opts)
  mapfile -t hopts <<<"$hopts"
  echo "health check options: ${hopts[*]}"
  podman run -d --name "$container" "${run_opts[@]}" "${hopts[@]}" \
    -v "$work/tlsgate.yaml:/etc/tlsgate/tlsgate.yaml:ro" "$image" >/dev/null
  for _ in $(seq 100); do
    if [[ "$(podman inspect --format '{{.State.Running}}' "$container")" != true ]]; then
      echo "container exited:"
      podman logs "$container"
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$tls_port") 2>/dev/null; then
      podman logs "$container" 2>&1 | tail -5
      return 0
    fi
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$tls_port after 10s"
  podman logs "$container"
  return 1
}

check_uid() {
  local pid uids exec_uid
  # The daemon itself, seen from the host: real, effective, saved and
  # file-system uid of the container's main process.
  pid=$(podman inspect --format '{{.State.Pid}}' "$container")
  uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
  exec_uid=$(podman exec "$container" id -u)
  echo "main process $pid uids: $uids; podman exec id -u: $exec_uid"
  podman top "$container" user pid args
  [[ -n "$uids" && ! " $uids " =~ " 0 " && "$exec_uid" != 0 ]]
}

check_tls() {
  local body
  body=$(curl -sSk --max-time 5 "https://127.0.0.1:$tls_port/marker.txt")
  echo "got: $body"
  [[ "$body" == "$marker" ]]
  echo | openssl s_client -connect "127.0.0.1:$tls_port" -brief 2>&1 | grep -E 'Protocol version|Ciphersuite' || true
}

check_health() {
  local out rc=0
  out=$(podman healthcheck run "$container" 2>&1) || rc=$?
  echo "podman healthcheck run: ${out:-healthy} (exit $rc)"
  if ((rc == 0)); then
    return 0
  fi
  podman exec "$container" tlsgate health || true
  if ! podman exec "$container" tlsgate --help 2>&1 | grep -qE '^[[:space:]]+health\b'; then
    echo "SKIP: this build of tlsgate has no 'health' command yet"
    return 77
  fi
  return 1
}

stop_container() {
  local t0 code alive client pid
  # A client holds a TLS connection open (through to the backend) for 3
  # seconds while the container is stopped: tlsgate must stop accepting
  # but keep running until that connection ends, then exit 0. podman stop
  # sends the image's STOPSIGNAL (SIGTERM); 30s is well above this config's
  # 5s drain, so an exit code of 137 would mean podman had to kill it.
  # (-quiet alone would also ignore the end of its input and never close.)
  (sleep 3) | openssl s_client -quiet -no_ign_eof -connect "127.0.0.1:$tls_port" >/dev/null 2>&1 &
  client=$!
  for _ in $(seq 50); do
    [[ -n "$(ss -Htn state established "( sport = :$tls_port )")" ]] && break
    sleep 0.1
  done
  echo "connections open: $(ss -Htn state established "( sport = :$tls_port )" | wc -l)"
  pid=$(podman inspect --format '{{.State.Pid}}' "$container")
  t0=$(now)
  podman stop --time 30 "$container" >/dev/null 2>"$work/stop.err" &
  sleep 1
  alive=no
  kill -0 "$pid" 2>/dev/null && alive=yes
  echo "1s after SIGTERM, with the connection open, tlsgate (pid $pid) still runs: $alive"
  if ! timeout 40 podman wait "$container" >/dev/null; then
    echo "still running 40s after SIGTERM"
    return 1
  fi
  wait "$client" || true
  code=$(podman inspect --format '{{.State.ExitCode}}' "$container")
  echo "exit code $code after $(elapsed "$t0")"
  podman logs "$container" 2>&1 | tail -3
  [[ "$alive" == yes && "$code" == 0 ]] || { cat "$work/stop.err"; return 1; }
}

# --- main --------------------------------------------------------------------

step "install podman, runc, debootstrap" install_tools || finish
step "base images" base_images || finish
((base_only)) && finish
if ((build)); then
  step "podman build $image" build_image || finish
elif ! podman image exists "$image"; then
  echo "FAIL: --no-build, but there is no image $image"
  exit 1
fi
step "image metadata (non-root USER, HEALTHCHECK)" image_metadata || true

read -r tls_port backend_port admin_port < <(pick_ports)
marker="tlsgate container test $$ $RANDOM"
step "backend http.server" start_backend || finish
step "tlsgate check of the test config, in the image" config_check || finish
step "start container" start_container || finish
step "runs as non-root" check_uid || true
step "TLS through the container" check_tls || true
step "podman healthcheck run" check_health || true
step "SIGTERM: drains an open connection, exit code 0" stop_container || true
finish
