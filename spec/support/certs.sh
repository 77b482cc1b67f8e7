#!/bin/sh
# Generates throw-away TLS material for the tests, with openssl, into DIR:
#   ca.pem / ca.key            test CA
#   server.pem / server.key    CN=localhost, SAN DNS:localhost, IP:127.0.0.1, signed by the CA
#   client.pem / client.key    CN=azc-test-client, clientAuth, signed by the CA
#   client-combined.pem        client cert followed by its key, in one file
#   ca-other.pem / .key        an unrelated CA, for verify-failure tests
# EC P-256 keys keep this fast. Usage: sh spec/support/certs.sh DIR
set -eu

dir=${1:?usage: certs.sh DIR}
mkdir -p "$dir"
cd "$dir"

key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

ca() { # name cn
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days 3650 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -out "$1.pem"
}

leaf() { # name cn extensions
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" \
    "subjectKeyIdentifier=hash" \
    "authorityKeyIdentifier=keyid:always" \
    "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -set_serial "0x$(openssl rand -hex 8)" \
    -sha256 -days 3650 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

ca ca "azc test CA"
ca ca-other "azc other test CA"
leaf server localhost "$(printf '%s\n%s' 'extendedKeyUsage=serverAuth' \
  'subjectAltName=DNS:localhost,IP:127.0.0.1')"
leaf client azc-test-client "extendedKeyUsage=clientAuth"
cat client.pem client.key > client-combined.pem
chmod 600 ./*.key client-combined.pem
