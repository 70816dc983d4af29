#!/usr/bin/env bash
# The Debian packages the tests run against the servers (curl, openssl s_client, wrk, redis-server, sshd for the
# distributed-load suite): installs those missing, when this is Debian and we are root. Anywhere else it says what is
# missing, and the tests that need it are skipped with that reason. Never fails the run: a test that needs a missing
# tool says so itself.
set -uo pipefail
packages=()
for pair in curl:curl openssl:openssl wrk:wrk redis-server:redis-server sshd:openssh-server ncat:ncat nginx:nginx-light; do
  tool=${pair%%:*} package=${pair#*:}
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || packages+=("$package")
done
[ ${#packages[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install-test-packages: apt-get install ${packages[*]}"
  DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -q "${packages[@]}" >/dev/null 2>&1 \
    || echo "install-test-packages: apt-get install failed; the tests that need ${packages[*]} will be skipped" >&2
else
  echo "install-test-packages: not installed (not root, or no apt-get): ${packages[*]}; the tests that need them will be skipped" >&2
fi
exit 0
