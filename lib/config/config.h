// The parsed configuration: plain, immutable structs with no behaviour.
//
// ConfigLoader (config_loader.h) builds a Config from YAML. Everything else
// reads it. Values that point at files keep the YAML position they came from,
// so errors found later (a missing certificate, a bad key) still name
// file:line:col.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/source_mark.h"

namespace tlsgate {

using Duration = std::chrono::milliseconds;

// A config value together with where it was written.
template <typename T>
struct Located {
  T value{};
  SourceMark mark;
};

using LocatedPath = Located<std::string>;

// An endpoint: host and port (IPv4, [IPv6] or a name), or a unix socket path.
struct Address {
  std::string host;  // as written, without brackets; empty for unix
  uint16_t port = 0;
  std::string unix_path;  // set for "unix:/path"
  SourceMark mark;

  bool isUnix() const { return !unix_path.empty(); }
};

// Where a private-key password comes from (TclTLS -password). Exactly one is set.
struct PasswordSource {
  std::optional<LocatedPath> file;
  std::optional<Located<std::string>> env;
};

struct CertificateConfig {
  LocatedPath cert;  // PEM chain or DER                       (-certfile / -cert)
  LocatedPath key;   // empty: the key is in the cert file      (-keyfile / -key)
  std::optional<PasswordSource> password;  //                   (-password)
  // When cert and key do not exist, generate a self-signed certificate there
  // at startup (for first runs and development only).
  bool self_signed = false;
};

enum class TlsProtocol { tls1_0, tls1_1, tls1_2, tls1_3 };

enum class ClientCertMode { none, request, require };

// Which verified client certificates are admitted (TclTLS -validatecommand,
// TWAPI -verifier). A certificate that matches any one rule is admitted; with
// no rules, every verified certificate is.
struct ClientCertAllow {
  std::vector<std::string> subject_cn;  // exact, case-sensitive
  std::vector<std::string> san_dns;     // lower-case; "*.example.com" covers one label
  std::vector<std::string> san_uri;     // exact, e.g. spiffe://example.org/billing
  std::vector<std::string> san_ip;      // canonical text form ("10.0.0.1", "2001:db8::1")
  std::vector<std::string> sha256;      // certificate SHA-256, upper-case hex without colons

  bool empty() const {
    return subject_cn.empty() && san_dns.empty() && san_uri.empty() && san_ip.empty() &&
           sha256.empty();
  }
};

struct ClientCertConfig {
  ClientCertMode mode = ClientCertMode::none;  // (-request / -require)
  LocatedPath cafile;                          // empty: use the tls block's cafile/cadir/castore
  LocatedPath cadir;
  std::string castore;
  int verify_depth = 4;
  LocatedPath crl;  // PEM or DER CRLs checked for the client's certificate; empty: none
  ClientCertAllow allow;
};

// Accept side: what to do when the client asks for a server name (SNI) that
// none of the certificates serves. A client that sends no SNI always gets
// the default certificate.
struct SniConfig {
  bool reject_unknown = false;  // true: unrecognized_name alert; false: the default certificate
};

// Accept-side session resumption (TLS 1.2 session IDs and tickets, TLS 1.3
// tickets).
struct ServerSessionConfig {
  bool tickets = true;      // false: no stateless tickets; resumption uses the server cache only
  LocatedPath ticket_keys;  // one base64 80-byte key per line; empty: a random key per process
  uint64_t cache_size = 20000;  // sessions in the server-side cache; 0 turns the cache off
  Duration timeout = std::chrono::seconds(300);  // session and ticket lifetime
};

// Connect-side session resumption.
struct ClientSessionConfig {
  bool resume = true;  // offer the last session from this backend to the next connection
};

// A tls: block, after tls_defaults have been merged in, comes in the type of
// its side: ServerTlsConfig for accept.tls, ClientTlsConfig for connect.tls.
// Both derive from TlsPolicyConfig, the keys the two sides share, rather than
// holding it as a member: the shared keys are keys of the same block, so
// `tls.cafile` reads as the YAML is written, and each config is the policy
// that TlsContext (tls_context.h) applies to either side. A key of the other
// side has no field to go in; the loader names it in its error.
struct TlsPolicyConfig {
  SourceMark mark;  // where the tls: block starts

  // Trust anchors for verifying the peer. All empty on the connect side means
  // the system trust store.
  LocatedPath cafile;   // (-cafile)
  LocatedPath cadir;    // (-cadir)
  std::string castore;  // an OpenSSL store URI  (-castore)

  std::vector<TlsProtocol> protocols{TlsProtocol::tls1_2, TlsProtocol::tls1_3};
  std::string cipher;        // TLS <= 1.2 cipher list; empty: OpenSSL's default  (-cipher)
  std::string ciphersuites;  // TLS 1.3; empty: OpenSSL's default                 (-ciphersuites)
  std::string groups;        // empty: OpenSSL's default
  int security_level = 2;    //                                                   (-security_level)
  std::vector<std::string> alpn;  // accept: server preference; connect: offer order  (-alpn)
  LocatedPath keylog;             // NSS key log file; empty: off (SSLKEYLOGFILE also turns it on)
};

// accept.tls: tlsgate is the TLS server.
struct ServerTlsConfig : TlsPolicyConfig {
  // The first certificate is the default.
  std::vector<CertificateConfig> certificates;
  SniConfig sni;
  ClientCertConfig client_certs;
  LocatedPath dhparams;     // PEM DH parameters for DHE cipher suites; empty: no DHE   (-dhparams)
  LocatedPath ocsp_staple;  // DER OCSP response for the first certificate; empty: none
  ServerSessionConfig session;
};

// connect.tls: tlsgate is the TLS client of a backend.
struct ClientTlsConfig : TlsPolicyConfig {
  // An optional client certificate (cert/key/password keys).
  std::optional<CertificateConfig> client_certificate;
  std::string servername;  // empty: the host of the connect address   (-servername)
  bool verify = true;      //                                            (-require)
  std::string peer_name;   // empty: servername                          (-peersubject)
  // SHA-256 of the backend's leaf certificate (upper-case hex, no colons),
  // as `tlsgate cert-info` prints it; empty: no pinning. Checked after the
  // chain and name.
  std::vector<std::string> pin_sha256;
  ClientSessionConfig session;
};

// Protocols whose plaintext preamble upgrades to TLS (TWAPI starttls,
// TclTLS tls::import). The accept side offers smtp, imap and pop3.
enum class StarttlsProtocol { none, smtp, imap, pop3, ftp, postgres };

// accept.starttls: tlsgate answers the plaintext preamble itself and offers
// the upgrade. Written `starttls: smtp` or `starttls: { protocol: smtp,
// require: false, hostname: mx.example.com }`.
struct AcceptStarttls {
  StarttlsProtocol protocol = StarttlsProtocol::none;
  // true: a command other than the preamble's own before the upgrade gets
  // the protocol's "TLS first" error; false: the client may stay plaintext.
  bool require = true;
  std::string hostname;  // in the greeting and EHLO reply; empty: the host's name
};

// accept.unix_socket: how a unix: accept socket is created.
struct UnixSocketOptions {
  std::optional<uint32_t> mode;  // e.g. 0660; unset: 0666 minus the umask
  std::string owner;             // user name or uid; empty: unchanged
  std::string group;             // group name or gid; empty: unchanged
  SourceMark mark;  // where unix_socket: starts, for errors when the names are looked up
};

struct AcceptConfig {
  Address address;
  bool proxy_protocol = false;  // expect a PROXY v1 or v2 header before anything else
  AcceptStarttls starttls;
  UnixSocketOptions unix_socket;
  std::optional<ServerTlsConfig> tls;
};

enum class ProxyProtocolVersion { none, v1, v2 };

// connect.proxy_protocol: `v1`, `v2`, `none`, or `{ version: v2,
// client_cert: true }`.
struct ProxyProtocolOut {
  ProxyProtocolVersion version = ProxyProtocolVersion::none;
  bool client_cert = false;  // v2 only: the client's DER certificate in a TLV of its own
};

enum class Balance { round_robin, failover };

// connect.via: reach the backend through an upstream proxy (TWAPI
// -socketcmd). `{ http_connect: HOST:PORT, auth_file: PATH }` or
// `{ socks5: HOST:PORT, auth_file: PATH }`.
struct ViaConfig {
  enum class Kind { none, http_connect, socks5 };
  Kind kind = Kind::none;
  Address proxy;
  LocatedPath auth_file;  // first line "user:password"; empty: no authentication
};

struct ConnectConfig {
  // One or more backends (`address: HOST:PORT` or a list). Names are
  // resolved when each connection connects.
  std::vector<Address> addresses;
  Balance balance = Balance::round_robin;
  // How long a backend that refused or timed out is skipped.
  Duration fail_timeout = std::chrono::seconds(10);
  ProxyProtocolOut proxy_protocol;
  StarttlsProtocol starttls = StarttlsProtocol::none;
  ViaConfig via;
  std::optional<ClientTlsConfig> tls;
  SourceMark mark;  // where the connect: block starts

  // The first address; every connect side has at least one.
  const Address& address() const { return addresses.front(); }
};

// routes[].match: every key given must match. sni entries are exact names,
// "*.example.com" (one label) or "*" (any name the client sends); alpn
// entries are protocol names.
struct RouteMatch {
  std::vector<std::string> sni;   // lower-case; any one matches
  std::vector<std::string> alpn;  // any one matches
};

struct RouteConfig {
  RouteMatch match;
  ConnectConfig connect;
  SourceMark mark;
};

struct ListenerConfig {
  std::string name;
  SourceMark mark;
  AcceptConfig accept;
  ConnectConfig connect;
  std::vector<RouteConfig> routes;  // the first match wins; no match: `connect`
};

struct Timeouts {
  Duration handshake = std::chrono::seconds(10);
  Duration connect = std::chrono::seconds(5);
  Duration idle = std::chrono::hours(1);
  Duration close = std::chrono::seconds(30);
  Duration drain = std::chrono::seconds(30);
};

enum class LogFormat { text, json };

struct LogConfig {
  std::string level = "info";  // trace | debug | info | warn | error | critical | off
  LogFormat format = LogFormat::text;
  std::string file = "stderr";  // stderr | syslog | PATH
};

struct Limits {
  uint64_t max_connections = 100000;
  bool max_connections_set = false;  // written in the config, not the default
  SourceMark max_connections_mark;
  // A max_connections that the open-file limit cannot hold is an error
  // (true) or a warning (false). An unset max_connections is lowered to fit.
  bool strict_fd_limit = true;
  // High watermark of each direction's buffer. Reading from the source stops
  // above it and resumes below half of it.
  std::size_t buffer_size = std::size_t{64} * 1024;
  // Accept-side TLS handshakes in progress per worker (a TLS session made,
  // not yet done) above which the worker stops accepting.
  uint64_t max_handshakes = 1024;
  // How long a TLS 1.3 accept side relays before it moves to tlsgate's own
  // record layer and frees OpenSSL's per-connection state; unset ("off"):
  // never. Connections that end sooner never pay for the record layer.
  std::optional<Duration> record_layer_after = std::chrono::seconds(1);
};

// The admin HTTP endpoint (/metrics, /status, /connections, /healthz).
struct AdminConfig {
  std::optional<Address> listen;  // unset: no admin endpoint
  // A listen address that is neither loopback nor a unix socket needs both.
  bool allow_remote = false;
  LocatedPath token_file;  // bearer token, first line of the file; empty: none
};

struct GlobalConfig {
  int workers = 0;  // 0: one per CPU ("auto")
  std::string user;
  std::string group;
  LogConfig log;
  AdminConfig admin;
  bool watch = false;  // reload when a file the config names changes
  Timeouts timeouts;
  Limits limits;
};

struct Config {
  std::string path;  // the file it was loaded from
  GlobalConfig global;
  std::vector<ListenerConfig> listeners;
};

}  // namespace tlsgate
