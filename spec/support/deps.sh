#!/bin/sh
# Install the Debian packages a task needs, when missing (apt-get update first).
#   sh spec/support/deps.sh demo   # build + run the quick-start demo
#   sh spec/support/deps.sh test   # everything `make test` uses
set -u
BUILD_PKGS="gcc make libc6-dev pkg-config ca-certificates lua5.4 liblua5.4-dev libcurl4-openssl-dev libssl-dev \
zlib1g-dev libbrotli-dev libzstd-dev lua-cjson lua-expat lua-socket"
TEST_PKGS="$BUILD_PKGS lua5.1 liblua5.1-0-dev luajit libluajit-5.1-dev lua-busted luarocks \
nginx-light tinyproxy-bin openssl brotli zstd lua-zlib procps curl"
case "${1:-test}" in
demo) want=$BUILD_PKGS ;;
test) want=$TEST_PKGS ;;
*) echo "usage: deps.sh demo|test" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null || exit 1
# policy-rc.d keeps Debian's nginx package from starting a system nginx on port 80
if [ ! -e /usr/sbin/policy-rc.d ] && [ "$(id -u)" = 0 ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null || exit 1
