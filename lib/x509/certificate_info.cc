#include "x509/certificate_info.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <memory>
#include <system_error>
#include <utility>

#include "util/config_error.h"
#include "util/errno_text.h"
#include "util/file_contents.h"
#include "x509/openssl_error.h"

namespace tlsgate {
namespace {

// Reads the whole file, so that PEM and DER parsing can both look at the same
// bytes without reopening it.
std::string readFile(const std::string& path) {
  FileContents file = readWholeFile(path);
  if (!file.ok()) {
    throw ConfigError(std::string(file.opened ? "cannot read" : "cannot open") +
                      " certificate file " + path + ": " + errnoText(file.error));
  }
  return std::move(file.bytes);
}

// Never prompts on the terminal: certificates are not encrypted, and other
// PEM blocks in the file are skipped unread.
int refusePassword(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) {
  return 0;
}

bool isEndOfPem(unsigned long error) {
  return error == 0 ||
         (ERR_GET_LIB(error) == ERR_LIB_PEM && ERR_GET_REASON(error) == PEM_R_NO_START_LINE);
}

std::vector<X509Ptr> parsePem(const std::string& path, const std::string& contents) {
  BioPtr bio(BIO_new_mem_buf(contents.data(), static_cast<int>(contents.size())));
  std::vector<X509Ptr> certs;
  ERR_clear_error();
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, refusePassword, nullptr)) {
    certs.emplace_back(cert);
  }
  // A block that starts like a certificate but does not decode is an error,
  // not the end of the chain: silently dropping it would serve a short chain.
  if (!isEndOfPem(ERR_peek_last_error())) {
    std::string reason = opensslReason(ERR_peek_last_error());
    ERR_clear_error();
    throw ConfigError(path + ": certificate " + std::to_string(certs.size() + 1) +
                      " is malformed: " + reason);
  }
  ERR_clear_error();
  return certs;
}

X509Ptr parseDer(const std::string& contents) {
  const auto* data = reinterpret_cast<const unsigned char*>(contents.data());
  X509Ptr cert(d2i_X509(nullptr, &data, static_cast<long>(contents.size())));
  ERR_clear_error();
  return cert;
}

std::string bioToString(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  if (size <= 0) {
    return {};
  }
  return std::string(data, static_cast<size_t>(size));
}

template <typename Print>
std::string printToString(Print print) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  print(bio.get());
  return bioToString(bio.get());
}

std::string toUpperHex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string hex;
  hex.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    hex.push_back(kDigits[data[i] >> 4]);
    hex.push_back(kDigits[data[i] & 0x0f]);
  }
  return hex;
}

std::string digestHex(X509* cert, const EVP_MD* md) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (X509_digest(cert, md, digest, &size) != 1) {
    ERR_clear_error();
    return {};
  }
  return toUpperHex(digest, size);
}

std::string nameOneLine(const X509_NAME* name) {
  // RFC 2253 order and escaping, but UTF-8 is printed as is instead of as
  // \XX escapes, so that non-ASCII names stay readable in logs.
  constexpr unsigned long kFlags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
  return printToString([&](BIO* bio) { X509_NAME_print_ex(bio, name, 0, kFlags); });
}

std::string timeString(const ASN1_TIME* time) {
  return printToString([&](BIO* bio) { ASN1_TIME_print(bio, time); });
}

// The long name OpenSSL knows ("rsaEncryption"), or the dotted OID.
std::string objectName(const ASN1_OBJECT* object) {
  if (object == nullptr) {
    return {};
  }
  char buffer[128];
  int length = OBJ_obj2txt(buffer, sizeof buffer, object, 0);
  if (length <= 0) {
    return {};
  }
  return std::string(buffer, std::min(static_cast<size_t>(length), sizeof buffer - 1));
}

std::string serialNumber(X509* cert) {
  // i2a_ASN1_INTEGER gives whole bytes in uppercase hex, as `openssl x509
  // -serial` and TclTLS print it.
  return printToString([&](BIO* bio) { i2a_ASN1_INTEGER(bio, X509_get0_serialNumber(cert)); });
}

std::string signatureAlgorithm(X509* cert) {
  const X509_ALGOR* algorithm = nullptr;
  X509_get0_signature(nullptr, &algorithm, cert);
  const ASN1_OBJECT* object = nullptr;
  X509_ALGOR_get0(&object, nullptr, nullptr, algorithm);
  return objectName(object);
}

std::string publicKeyAlgorithm(X509* cert) {
  ASN1_OBJECT* object = nullptr;
  if (X509_PUBKEY_get0_param(&object, nullptr, nullptr, nullptr, X509_get_X509_PUBKEY(cert)) != 1) {
    return {};
  }
  return objectName(object);
}

// Control characters as \XX, the escape RFC 2253 uses for the subject: a
// name is the certificate owner's text, and a line break in it would forge
// lines of `tlsgate cert-info` output or of a log.
std::string escapeControls(const std::string& text) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      out += '\\';
      out += kDigits[byte >> 4];
      out += kDigits[byte & 0x0F];
      continue;
    }
    out += c;
  }
  return out;
}

std::vector<std::string> subjectAltNames(X509* cert) {
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  std::vector<std::string> result;
  if (!names) {
    return result;
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    result.push_back(
        escapeControls(printToString([&](BIO* bio) { GENERAL_NAME_print(bio, name); })));
  }
  return result;
}

bool isSelfSigned(X509* cert) {
  if (X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) != 0) {
    return false;
  }
  // Equal names are not enough: a CA may issue a certificate whose subject
  // repeats its own, so the signature must verify with the certificate's key.
  EVP_PKEY* key = X509_get0_pubkey(cert);
  bool verified = key != nullptr && X509_verify(cert, key) == 1;
  ERR_clear_error();
  return verified;
}

void appendLine(std::string& out, const std::string& name, const std::string& value, size_t width) {
  out += name;
  out.append(width + 1 - name.size(), ' ');
  out += value;
  out += '\n';
}

std::string joinNames(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) {
    if (!joined.empty()) {
      joined += ", ";
    }
    joined += name;
  }
  return joined;
}

}  // namespace

std::vector<X509Ptr> loadCertificates(const std::string& path) {
  return parseCertificates(path, readFile(path));
}

std::vector<X509Ptr> parseCertificates(const std::string& name, const std::string& contents) {
  std::vector<X509Ptr> certs = parsePem(name, contents);
  if (!certs.empty()) {
    return certs;
  }
  if (X509Ptr cert = parseDer(contents)) {
    certs.push_back(std::move(cert));
    return certs;
  }
  throw ConfigError(name + " holds no PEM or DER certificate");
}

CertificateInfo describeCertificate(X509* cert) {
  CertificateInfo info;
  info.subject = subjectOneLine(cert);
  info.issuer = nameOneLine(X509_get_issuer_name(cert));
  info.serial_number = serialNumber(cert);
  info.not_before = timeString(X509_get0_notBefore(cert));
  info.not_after = timeString(X509_get0_notAfter(cert));
  info.version = static_cast<int>(X509_get_version(cert)) + 1;
  info.signature_algorithm = signatureAlgorithm(cert);
  info.public_key_algorithm = publicKeyAlgorithm(cert);
  const EVP_PKEY* key = X509_get0_pubkey(cert);
  info.bits = key != nullptr ? EVP_PKEY_get_bits(key) : 0;
  info.subject_alt_names = subjectAltNames(cert);
  info.sha1_hash = digestHex(cert, EVP_sha1());
  info.sha256_hash = digestHex(cert, EVP_sha256());
  info.self_signed = isSelfSigned(cert);
  ERR_clear_error();
  return info;
}

std::string formatCertificateInfo(const CertificateInfo& info) {
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"subject", info.subject},
      {"issuer", info.issuer},
      {"serialNumber", info.serial_number},
      {"notBefore", info.not_before},
      {"notAfter", info.not_after},
      {"version", std::to_string(info.version)},
      {"signatureAlgorithm", info.signature_algorithm},
      {"publicKeyAlgorithm", info.public_key_algorithm},
      {"bits", std::to_string(info.bits)},
      {"subjectAltName", joinNames(info.subject_alt_names)},
      {"sha1_hash", info.sha1_hash},
      {"sha256_hash", info.sha256_hash},
      {"self_signed", info.self_signed ? "true" : "false"},
  };
  size_t width = 0;
  for (const auto& field : fields) {
    width = std::max(width, field.first.size());
  }
  std::string out;
  for (const auto& [name, value] : fields) {
    appendLine(out, name, value, width);
  }
  return out;
}

std::string formatCertificateFile(const std::string& path) {
  return formatCertificates(path, readFile(path));
}

std::string formatCertificates(const std::string& name, const std::string& contents) {
  std::string out;
  for (const X509Ptr& cert : parseCertificates(name, contents)) {
    if (!out.empty()) {
      out += '\n';
    }
    out += formatCertificateInfo(describeCertificate(cert.get()));
  }
  return out;
}

std::string sha256Fingerprint(X509* cert) {
  return digestHex(cert, EVP_sha256());
}

std::string issuerOneLine(X509* cert) {
  return nameOneLine(X509_get_issuer_name(cert));
}

std::string notBeforeText(X509* cert) {
  return timeString(X509_get0_notBefore(cert));
}

std::string notAfterText(X509* cert) {
  return timeString(X509_get0_notAfter(cert));
}

int64_t notAfterUnix(X509* cert) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) {
    return 0;
  }
  return static_cast<int64_t>(timegm(&tm));
}

std::string subjectOneLine(X509* cert) {
  return nameOneLine(X509_get_subject_name(cert));
}

}  // namespace tlsgate
