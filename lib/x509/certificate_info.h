// Loading certificates from disk and describing them with the field names of
// TclTLS `tls::status`, for `tlsgate cert-info`, logs and pin matching.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "x509/openssl_ptr.h"

namespace tlsgate {

// Reads every certificate in a PEM file (a chain, possibly mixed with other
// PEM blocks such as the private key), or the single certificate of a DER
// file. Throws ConfigError naming the file and the reason.
std::vector<X509Ptr> loadCertificates(const std::string& path);

// The same for the bytes of such a file; `name` stands for the file in
// errors. Throws ConfigError.
std::vector<X509Ptr> parseCertificates(const std::string& name, const std::string& contents);

// The fields of one certificate. The C++ members are snake_case; the comment
// gives the tls::status name that formatCertificateInfo() prints.
struct CertificateInfo {
  std::string subject;               // subject: RFC 2253 order, "CN=a,O=b,C=c", UTF-8 kept
  std::string issuer;                // issuer: same form as subject
  std::string serial_number;         // serialNumber: uppercase hex
  std::string not_before;            // notBefore: "Nov 23 18:00:00 2026 GMT"
  std::string not_after;             // notAfter: same form
  int version = 0;                   // version: 1, 2 or 3 (as people count)
  std::string signature_algorithm;   // signatureAlgorithm: "sha256WithRSAEncryption"
  std::string public_key_algorithm;  // publicKeyAlgorithm: "rsaEncryption"
  int bits = 0;                      // bits: key size
  std::vector<std::string> subject_alt_names;  // subjectAltName: "DNS:x", "IP Address:1.2.3.4",
                                               // control characters as \XX
  std::string sha1_hash;                       // sha1_hash: uppercase hex, no colons
  std::string sha256_hash;                     // sha256_hash: uppercase hex, no colons
  bool self_signed = false;  // self_signed: issuer == subject and own key verifies
};

CertificateInfo describeCertificate(X509* cert);

// "name value" lines, names padded to one column, using the tls::status names.
std::string formatCertificateInfo(const CertificateInfo& info);

// Every certificate of the file, formatted and separated by a blank line.
// Throws ConfigError like loadCertificates().
std::string formatCertificateFile(const std::string& path);

// What formatCertificateFile() prints, for the bytes of such a file; `name`
// stands for the file in errors. Throws ConfigError.
std::string formatCertificates(const std::string& name, const std::string& contents);

// SHA-256 of the DER encoding, uppercase hex without colons.
std::string sha256Fingerprint(X509* cert);

// The subject in the same one-line form as CertificateInfo::subject.
std::string subjectOneLine(X509* cert);
std::string issuerOneLine(X509* cert);
// notBefore and notAfter as CertificateInfo writes them.
std::string notBeforeText(X509* cert);
std::string notAfterText(X509* cert);
// notAfter in seconds since the epoch; 0 when it cannot be read.
int64_t notAfterUnix(X509* cert);

}  // namespace tlsgate
