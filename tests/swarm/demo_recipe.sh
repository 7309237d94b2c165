#!/usr/bin/env bash
# The demo recipe of the real-Swarm lane (tests/swarm/README.md), made by the tests.
#
#   demo_recipe.sh images     imports local/ccci-demo:1, :2 and :broken into the daemon at
#                             $DOCKER_HOST: a static busybox root filesystem with the app of
#                             tests/swarm/demo/image (no registry is reachable here)
#   demo_recipe.sh repo DIR   makes DIR a git repo of the recipe (tests/swarm/demo/recipe),
#                             as a Gitea repo holds it, and prints its PR heads:
#       1.0.0+1   annotated release, image :1
#       1.0.1+1   annotated release, image :1 (main)
#       pr1=SHA   refs/pull/1/head: upgrades to image :2 (a good PR)
#       pr2=SHA   refs/pull/2/head: upgrades to image :broken, which exits at once on the
#                 data an earlier version made (a fresh install of it works)
#       pr3=SHA   refs/pull/3/head: image :2, but its backup covers only one file of the
#                 volume (backupbot.backup.volumes.data.path), so a restore does not bring
#                 the app's note back
#   The PR heads are not on any branch: like Gitea, only refs/pull/N/head holds them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

images() {
  local root tar
  root=$(mktemp -d)
  trap 'rm -rf "$root"' RETURN
  mkdir -p "$root/rootfs/bin" "$root/rootfs/usr/local/bin" "$root/rootfs/data" "$root/rootfs/tmp"
  cp /bin/busybox "$root/rootfs/bin/busybox"
  local a
  for a in sh httpd wget cat echo grep mkdir mv rm ls sleep kill tar false true; do
    ln -s busybox "$root/rootfs/bin/$a"
  done
  cp -r "$here/demo/image/www" "$root/rootfs/www"
  cp "$here/demo/image/demo-start" "$here/demo/image/demo-broken" "$root/rootfs/usr/local/bin/"
  local version colour cmd
  for version in 1 2 broken; do
    case $version in
      1) colour="#2e6da4"; cmd=demo-start ;;
      2) colour="#2ea043"; cmd=demo-start ;;
      broken) colour="#e05d44"; cmd=demo-broken ;;
    esac
    sed -e "s/@VERSION@/$version/g" -e "s/@COLOUR@/$colour/" "$here/demo/image/www/index.html.in" \
      > "$root/rootfs/www/index.html"
    rm -f "$root/rootfs/www/index.html.in"
    tar="$root/ccci-demo-$version.tar"
    tar --owner=0 --group=0 -C "$root/rootfs" -cf "$tar" .
    docker import --change "CMD [\"/usr/local/bin/$cmd\"]" --change "ENV DEMO_VERSION=$version" \
      "$tar" "local/ccci-demo:$version" >/dev/null
  done
}

repo() {
  local dir=$1
  [[ ! -e "$dir" ]] || { echo "demo_recipe.sh: $dir exists" >&2; exit 1; }
  mkdir -p "$dir"
  cp -r "$here/demo/recipe/." "$dir"
  g() { git -C "$dir" -c user.name=maintainer -c user.email=maintainer@example.org "$@"; }
  compose="$dir/compose.yml"
  g init -q -b main
  g add -A && g commit -q -m "ccci-demo 1.0.0+1"
  g tag -a 1.0.0+1 -m "1.0.0+1"
  mkdir -p "$dir/release"
  echo "Faster healthcheck." > "$dir/release/1.0.1+1"
  sed -i 's/version=1.0.0+1/version=1.0.1+1/; s/retries: 5/retries: 10/' "$compose"
  g add -A && g commit -q -m "ccci-demo 1.0.1+1"
  g tag -a 1.0.1+1 -m "1.0.1+1"
  pr() {  # N MESSAGE SED-SCRIPT: a PR head on top of main, kept only as refs/pull/N/head
    g checkout -q main
    g checkout -q -b "pr-$1"
    sed -i "$3" "$compose"
    echo "$2" > "$dir/release/next"
    g add -A && g commit -q -m "$2"
    g update-ref "refs/pull/$1/head" HEAD
    g checkout -q main
    g branch -q -D "pr-$1"
    echo "pr$1=$(g rev-parse "refs/pull/$1/head")"
  }
  pr 1 "Upgrade to version 2" 's/ccci-demo:1/ccci-demo:2/; s/version=1.0.1+1/version=1.1.0+2/'
  pr 2 "Upgrade to a version that does not start" \
    's/ccci-demo:1/ccci-demo:broken/; s/version=1.0.1+1/version=1.1.0+2/'
  pr 3 "Back up only what matters" \
    's/ccci-demo:1/ccci-demo:2/; s/version=1.0.1+1/version=1.1.0+2/; s|^\( *\)- "backupbot.backup=\(.*\)|&\n\1- "backupbot.backup.volumes.data.path=created"|'
}

case "${1:-}" in
  images) images ;;
  repo) repo "${2:?usage: demo_recipe.sh repo DIR}" ;;
  *) echo "usage: demo_recipe.sh images | repo DIR" >&2; exit 2 ;;
esac
