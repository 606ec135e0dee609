#!/bin/sh
# mysql-ha-prober node kit: the forced command of the prober's SSH key. In root's authorized_keys:
#   restrict,command="/usr/local/lib/mysql-ha-prober/ssh-node-check.sh" ssh-ed25519 AAAA... mysql-ha-prober
# with node-check.sh (shared/node-check/node-check.sh) installed beside it, both root-owned, 0755.
# Whatever the client asks, this runs only the node check installed here, with the parameters the SSH
# runner sends (NC_PARAMS, base64; the script checks every value against its pattern). The copy of the
# script the runner sends on standard input is read and dropped, never run: a stolen key can run the
# node check and nothing else.
fatal() {
  printf '{"v":1,"script":"ssh-node-check","fatal":"%s"}\n' "$1"
  exit 2
}
case "${SSH_ORIGINAL_COMMAND:-}" in
  "NC_PARAMS="*" bash -c "*) ;;
  *) fatal "this key runs the node check only" ;;
esac
blob=${SSH_ORIGINAL_COMMAND#NC_PARAMS=}
blob=${blob%% *}
case "$blob" in
  "" | *[!A-Za-z0-9+/=]*) fatal "NC_PARAMS is not base64" ;;
esac
[ ${#blob} -le 16384 ] || fatal "NC_PARAMS is too long"
cat > /dev/null
NC_PARAMS="$blob" exec bash "$(dirname "$0")/node-check.sh" < /dev/null
