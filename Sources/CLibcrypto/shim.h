/* Debian's OpenSSL libcrypto (libssl-dev): SHA-256 of the inputs a case reads. */
#include <openssl/evp.h>
