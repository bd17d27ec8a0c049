#!/usr/bin/env bash
# Checks the Dockerfiles' runtime stages without a Docker engine: builds the
# same filesystem with debootstrap (Debian 12, minbase, like
# debian:bookworm-slim), installs exactly the runtime packages each
# Dockerfile names, copies in the binaries of build/bin and, as uid 65532
# (the images' USER), runs each one's --help and --migrate_only against
# DATABASE_URL when it is set. Any missing shared library, zone data or
# permission shows up here as it would in the image.
#
#   ./deploy/docker/check-runtime.sh            # needs root and Debian's mirror
#   DATABASE_URL=postgresql://... ./deploy/docker/check-runtime.sh
#
# Takes a few minutes (debootstrap downloads about 100 MB); the rootfs goes
# to a temporary directory and is removed afterwards.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
command -v debootstrap >/dev/null || apt-get install -y -q debootstrap
FS="$(mktemp -d -t analytics-rootfs.XXXXXX)"
chmod 0755 "$FS"  # an image's / is; mktemp's 0700 would lock out uid 65532
cleanup() {
  umount -R "$FS/dev" 2>/dev/null || true
  umount "$FS/proc" 2>/dev/null || true
  # Never delete through a mount that is still there (it is the host's /dev).
  if findmnt -rn -o TARGET | grep -q "^$FS/"; then
    echo "mounts left under $FS; not removing it" >&2
    return
  fi
  rm -rf "$FS" "$FS.debootstrap.log"
}
trap cleanup EXIT
debootstrap --variant=minbase bookworm "$FS" http://deb.debian.org/debian \
  >"$FS.debootstrap.log" 2>&1 || { tail -20 "$FS.debootstrap.log"; exit 1; }
mount -t proc proc "$FS/proc"
mount --rbind /dev "$FS/dev"  # with /dev/pts, which apt wants
cp /etc/resolv.conf "$FS/etc/resolv.conf"
for service in ingest-service reducer-service; do
  dockerfile="$ROOT/deploy/docker/$service.Dockerfile"
  # The runtime stage's apt-get install list: from FROM ... AS runtime on.
  packages="$(awk '/AS runtime/ {r = 1} r && /apt-get install/ {i = 1; next}
                   r && i && /rm -rf/ {exit} r && i {gsub(/\\|&&/, ""); print}' \
              "$dockerfile" | tr -s ' \n' ' ')"
  echo "== $service: $packages"
  chroot "$FS" apt-get update -q >/dev/null
  # shellcheck disable=SC2086
  chroot "$FS" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends $packages >/dev/null
  install -m 0755 "$ROOT/build/bin/$service" "$FS/usr/local/bin/$service"
  if chroot "$FS" ldd "/usr/local/bin/$service" | grep 'not found'; then
    echo "$service: missing shared libraries in the runtime stage" >&2
    exit 1
  fi
  chroot --userspec=65532:65532 "$FS" "/usr/local/bin/$service" --help \
    >/dev/null 2>&1 || [[ $? -eq 1 ]]
  echo "$service: all libraries resolve; --help runs as 65532"
  if [[ -n "${DATABASE_URL:-}" ]]; then
    chroot --userspec=65532:65532 "$FS" "/usr/local/bin/$service" \
      --database_url="$DATABASE_URL" --migrate_only
    echo "$service: --migrate_only against DATABASE_URL as 65532"
  fi
done
