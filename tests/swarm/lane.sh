#!/usr/bin/env bash
# The real-Swarm lane (tests/swarm/README.md): a throwaway Docker daemon with a single-node
# swarm, for the tests labelled `swarm` and for tests/bench/runner/swarm_suite.sh.
#
#   lane.sh up STATE_DIR BIN_DIR   start it; BIN_DIR holds the built swarm_proxy and
#                                  compose_facts. Writes STATE_DIR/lane.env (below). Where
#                                  dockerd truly cannot start, writes STATE_DIR/skip with
#                                  the reason (kept until the next `up`), prints one "SKIP"
#                                  line and exits 0; the lane's tests then skip.
#   lane.sh down STATE_DIR         stop it and remove everything it made; exits 1 (naming
#                                  what) if anything is left behind.
#
# The daemon runs in network and mount namespaces of its own (unshare): its swarm ports
# (2377, 7946, which dockerd opens on every address), the docker_gwbridge link and the
# apps' host-mode ports exist only there, so nothing reaches the host's network and two
# lanes on one machine cannot collide. Everything that talks to the apps enters that
# network namespace (tests: tests/swarm/swarm_lane.h; scripts: `nsenter --net=$LANE_NETNS`)
# and reaches them on 127.0.0.1 only, through the lane's proxy (swarm_proxy). The daemon has
# its own data root, exec root, socket and pidfile and changes no iptables rule
# (--iptables=false --ip-masq=false --bridge=none).
#
# STATE_DIR/lane.env (shell syntax):
#   DOCKER_HOST   unix:// socket of the lane's daemon
#   LANE_NETNS    /proc/<dockerd pid>/ns/net    LANE_NETNS_ID  net:[inode] of it
#   LANE_BIN      put first on PATH: abra (the stand-in) and compose-facts
#   LANE_PROXY    port of the proxy on 127.0.0.1 inside the namespace
#   LANE_RUNTIME  the daemon's directory (data root, exec root, socket, logs)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:-}
state=${2:-}
[[ -n "$cmd" && -n "$state" ]] || { echo "usage: lane.sh up STATE_DIR BIN_DIR | down STATE_DIR" >&2; exit 2; }

say() { echo "swarm lane: $*" >&2; }

# Every process of the lane: those in its network namespace (dockerd, containerd, shims) and
# all their descendants (containers have namespaces of their own).
lane_pids() {
  local id=$1 p ns ppid
  local -A in_lane=()
  local -A parent=()
  for p in /proc/[0-9]*; do
    ns=$(readlink "$p/ns/net" 2>/dev/null) || continue
    p=${p#/proc/}
    [[ "$ns" == "$id" ]] && in_lane[$p]=1
    ppid=$(<"/proc/$p/stat") 2>/dev/null || continue
    ppid=${ppid##*) }  # after the command name, which may hold spaces: "S PPID ..."
    ppid=${ppid#* }
    parent[$p]=${ppid%% *}
  done
  local grew=1
  while ((grew)); do
    grew=0
    for p in "${!parent[@]}"; do
      [[ -z "${in_lane[$p]:-}" && -n "${in_lane[${parent[$p]}]:-}" ]] && { in_lane[$p]=1; grew=1; }
    done
  done
  echo "${!in_lane[@]}"
}

down() {
  local env="$state/lane.env"
  [[ -f "$env" ]] || return 0
  # shellcheck disable=SC1090
  source "$env"
  export DOCKER_HOST
  local dpid=${LANE_DOCKERD_PID:-0} left=""
  if [[ -n "${LANE_PROXY_PID:-}" && "$(readlink "/proc/$LANE_PROXY_PID/ns/net" 2>/dev/null)" == "$LANE_NETNS_ID" ]]; then
    kill "$LANE_PROXY_PID" 2>/dev/null
  fi
  if [[ "$(readlink "/proc/$dpid/ns/net" 2>/dev/null)" == "$LANE_NETNS_ID" ]]; then
    # Leaving the swarm removes every service; dockerd then stops the containers as it exits.
    timeout 30 docker swarm leave --force >/dev/null 2>&1
    kill "$dpid" 2>/dev/null
    for _ in $(seq 1 300); do [[ -d "/proc/$dpid" ]] || break; sleep 0.1; done
  fi
  local pids=""
  # Never the host's own namespace (had unshare failed, dockerd would not have started).
  [[ -n "$LANE_NETNS_ID" && "$LANE_NETNS_ID" != "$(readlink /proc/self/ns/net)" ]] &&
    pids=$(lane_pids "$LANE_NETNS_ID")
  if [[ -n "$pids" ]]; then
    say "killing what is left of the lane: $pids"
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null
    for _ in $(seq 1 50); do [[ -z "$(lane_pids "$LANE_NETNS_ID")" ]] && break; sleep 0.1; done
  fi
  [[ -n "$pids" ]] && pids=$(lane_pids "$LANE_NETNS_ID")
  [[ -z "$pids" ]] || left+=" processes $pids;"
  # The namespaces (docker_gwbridge, the swarm's ports, the daemon's mounts) went with the
  # last process in them; the data root can now be deleted.
  if [[ -n "${LANE_RUNTIME:-}" && -d "$LANE_RUNTIME" ]]; then
    rm -rf "$LANE_RUNTIME" 2>/dev/null || left+=" $LANE_RUNTIME;"
  fi
  if ip link show docker_gwbridge >/dev/null 2>&1 && [[ -n "${LANE_HOST_GWBRIDGE:-}" ]]; then
    : # the host had its own docker_gwbridge before the lane started: not ours
  elif ip link show docker_gwbridge >/dev/null 2>&1; then
    left+=" a docker_gwbridge link on the host;"
  fi
  rm -f "$env"
  if [[ -n "$left" ]]; then
    say "LEFT BEHIND:$left"
    return 1
  fi
  say "down: no daemon, container, volume, network or link left"
}

skip() {
  echo "$1" > "$state/skip"
  echo "SKIP real-swarm lane: $1"
  exit 0
}

up() {
  local bin=${3:-}
  [[ -n "$bin" ]] || { echo "usage: lane.sh up STATE_DIR BIN_DIR" >&2; exit 2; }
  mkdir -p "$state"
  state=$(cd "$state" && pwd)
  bin=$(cd "$bin" && pwd)
  down || true
  rm -f "$state/skip"
  [[ $(id -u) == 0 ]] || skip "dockerd needs root (running as $(id -un))"
  local tool
  for tool in dockerd docker unshare nsenter ip; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/setup.sh installs docker.io, iproute2)"
  done
  [[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1 ||
    skip "no static /bin/busybox to build images from (apt-get install busybox-static)"
  for tool in swarm_proxy compose_facts; do
    [[ -x "$bin/$tool" ]] || { say "$bin/$tool is not built"; exit 1; }
  done
  local rt
  rt=$(mktemp -d /tmp/ccci-swarm.XXXXXX)
  local host_gw=""
  ip link show docker_gwbridge >/dev/null 2>&1 && host_gw=1
  # setsid and no inherited descriptors: ctest waits for the setup test's pipes to close.
  setsid unshare --net --mount --propagation private sh -c \
    'ip link set lo up && exec dockerd --data-root "$1/data" --exec-root "$1/exec" \
       -H "unix://$1/docker.sock" --pidfile "$1/dockerd.pid" \
       --iptables=false --ip-masq=false --bridge=none' sh "$rt" \
    </dev/null >"$rt/dockerd.log" 2>&1 &
  export DOCKER_HOST="unix://$rt/docker.sock"
  # Not a process group leader, setsid needs no fork: $! is unshare, then sh, then dockerd.
  local dpid=$! up=""
  for _ in $(seq 1 300); do
    if [[ -s "$rt/dockerd.pid" ]] && docker info >/dev/null 2>&1; then up=1; break; fi
    kill -0 "$dpid" 2>/dev/null || break
    sleep 0.1
  done
  {
    echo "DOCKER_HOST=$DOCKER_HOST"
    echo "LANE_RUNTIME=$rt"
    echo "LANE_DOCKERD_PID=$dpid"
    echo "LANE_NETNS=/proc/$dpid/ns/net"
    echo "LANE_NETNS_ID='$(readlink "/proc/$dpid/ns/net" 2>/dev/null)'"
    echo "LANE_BIN=$state/bin"
    echo "LANE_HOST_GWBRIDGE=$host_gw"
  } > "$state/lane.env"
  if [[ -z "$up" ]]; then
    local why
    why=$(grep -v '^\s*$' "$rt/dockerd.log" | tail -n1)
    cp "$rt/dockerd.log" "$state/dockerd.log" 2>/dev/null
    down >/dev/null 2>&1
    skip "dockerd did not start: ${why:-no output}"
  fi
  if ! out=$(docker swarm init --advertise-addr 127.0.0.1 2>&1); then
    down >/dev/null 2>&1
    skip "docker swarm init failed: $(tail -n1 <<<"$out")"
  fi
  mkdir -p "$state/bin"
  ln -sf "$here/abra" "$state/bin/abra"
  ln -sf "$bin/compose_facts" "$state/bin/compose-facts"
  local proxy_port="$rt/proxy.port"
  setsid nsenter --net="/proc/$dpid/ns/net" "$bin/swarm_proxy" --port-file "$proxy_port" \
    </dev/null >"$rt/proxy.log" 2>&1 &
  echo "LANE_PROXY_PID=$!" >> "$state/lane.env"
  for _ in $(seq 1 100); do [[ -s "$proxy_port" ]] && break; sleep 0.05; done
  [[ -s "$proxy_port" ]] || { say "the proxy did not start: $(tail -n1 "$rt/proxy.log")"; down; exit 1; }
  echo "LANE_PROXY=$(cat "$proxy_port")" >> "$state/lane.env"
  if ! "$here/demo_recipe.sh" images >"$rt/images.log" 2>&1; then
    say "building the demo images failed: $(tail -n1 "$rt/images.log")"
    down
    exit 1
  fi
  say "up: dockerd $(docker version --format '{{.Server.Version}}'), swarm on 127.0.0.1, proxy :$(cat "$proxy_port")"
}

case "$cmd" in
  up) up "$@" ;;
  down) down ;;
  *) echo "usage: lane.sh up STATE_DIR BIN_DIR | down STATE_DIR" >&2; exit 2 ;;
esac
