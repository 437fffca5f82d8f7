# PKCS#11 backend (pkcs11/, kms-share-pkcs11): `make test-pkcs11` runs its tests against
# a throwaway SoftHSM2 token; `make bench-pkcs11` measures it against the software backend.
#
# SoftHSM2 is installed from Debian only when its module is missing (apt-get update once
# first). pkcs11/scripts/with-softhsm.sh makes a temporary token directory and a
# SOFTHSM2_CONF for it, initializes a token with a random PIN, exports
# KMS_SHARE_PKCS11_MODULE/_TOKEN/_PIN and KMS_SHARE_PKCS11_REQUIRE=1 (a skipped token
# test is then a failure), runs the command and removes the directory.

SOFTHSM_MODULE := /usr/lib/softhsm/libsofthsm2.so
WITH_SOFTHSM   := pkcs11/scripts/with-softhsm.sh

EXTRA_TESTS += test-pkcs11

# Included before the top Makefile's own rules: keep the first rule here from becoming
# the default goal (restored at the end of the file).
PKCS11_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

.PHONY: softhsm test-pkcs11 bench-pkcs11

softhsm:
	@if [ ! -f $(SOFTHSM_MODULE) ] || ! command -v softhsm2-util >/dev/null; then \
	    echo "softhsm: installing softhsm2"; \
	    SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends softhsm2 >/dev/null; \
	fi

# One test at a time: the tests share one token, and under heavy load SoftHSM2 once
# failed a C_GenerateKey with CKR_GENERAL_ERROR while other tests wrote to the same token.
test-pkcs11: softhsm
	KMS_SHARE_SOFTHSM_MODULE=$(SOFTHSM_MODULE) $(WITH_SOFTHSM) $(CARGO) test -p kms-share-pkcs11 --quiet -- --test-threads=1

bench-pkcs11: softhsm
	KMS_SHARE_SOFTHSM_MODULE=$(SOFTHSM_MODULE) $(WITH_SOFTHSM) $(CARGO) run --release --quiet -p kms-share-pkcs11 --example bench

.DEFAULT_GOAL := $(PKCS11_SAVED_DEFAULT_GOAL)
