// The cipher lists a tls block gets when it names none. (`tlsgate ciphers`
// lists what `cipher` and `ciphersuites` can choose from, which is more.)
#pragma once

namespace tlsgate {

// TLS 1.2: forward secrecy and AEAD only. CBC suites (LUCKY13, and
// testssl.sh's "cipherlist AVERAGE") and static RSA key exchange are out;
// a peer that knows only those needs `cipher:` set explicitly.
inline constexpr const char* kDefaultCipherList = "ECDHE+AESGCM:ECDHE+CHACHA20";
// With `dhparams`, the finite-field DHE suites of the same kinds follow.
inline constexpr const char* kDefaultDheCipherList =
    "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20";

// TLS 1.3, AES-128-GCM first: as safe as AES-256 here and measurably
// cheaper per handshake and per byte. A server picks by its own order.
inline constexpr const char* kDefaultCiphersuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

}  // namespace tlsgate
