#!/usr/bin/env bash
# Run a command against a throwaway SoftHSM2 token.
#
#   pkcs11/scripts/with-softhsm.sh cargo test -p kms-share-pkcs11
#
# Creates a temporary token directory and a SoftHSM2 config pointing at it
# (SOFTHSM2_CONF), initializes one token with a random PIN, exports
# KMS_SHARE_PKCS11_MODULE, KMS_SHARE_PKCS11_TOKEN, KMS_SHARE_PKCS11_PIN and
# KMS_SHARE_PKCS11_REQUIRE=1 (so the tests fail rather than skip), runs the command,
# and removes everything afterwards. The random PIN of this disposable token is passed
# to softhsm2-util as an argument (it has no other way to take one); a real token's
# PIN never goes on a command line.
set -euo pipefail

module="${KMS_SHARE_SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}"
label="${KMS_SHARE_SOFTHSM_LABEL:-kms-share-test}"
if [[ ! -f "$module" ]] || ! command -v softhsm2-util >/dev/null; then
  echo "with-softhsm: SoftHSM2 is not installed (apt-get install -y softhsm2)" >&2
  exit 2
fi
if [[ $# -eq 0 ]]; then
  echo "usage: $0 command [args...]" >&2
  exit 2
fi

dir="$(mktemp -d "${TMPDIR:-/tmp}/kms-share-softhsm.XXXXXX")"
trap 'rm -rf "$dir"' EXIT
# SoftHSM2 wants the token directory to exist before --init-token.
mkdir -p "$dir/tokens"
cat >"$dir/softhsm2.conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
export SOFTHSM2_CONF="$dir/softhsm2.conf"

random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
pin="$(random_hex 8)"
so_pin="$(random_hex 8)"
# --free takes the first free slot; the token then moves to a new slot id, so the
# backend finds it by label, never by slot number.
softhsm2-util --init-token --free --label "$label" --pin "$pin" --so-pin "$so_pin" >/dev/null

export KMS_SHARE_PKCS11_MODULE="$module"
export KMS_SHARE_PKCS11_TOKEN="$label"
export KMS_SHARE_PKCS11_PIN="$pin"
export KMS_SHARE_PKCS11_REQUIRE=1
echo "with-softhsm: token \`$label\` in $dir (SoftHSM2 $(softhsm2-util --version))" >&2
"$@"
