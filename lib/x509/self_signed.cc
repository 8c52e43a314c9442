#include "x509/self_signed.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "util/config_error.h"
#include "util/errno_text.h"
#include "x509/openssl_error.h"
#include "x509/openssl_ptr.h"

namespace tlsgate {
namespace {

constexpr mode_t kKeyFileMode = 0600;
constexpr mode_t kCertFileMode = 0644;
constexpr long kClockSkewSeconds = 3600;
constexpr int kValidityDays = 365;

// Private key PEM text, wiped from memory when it goes away.
struct SecretText {
  std::string text;
  SecretText() = default;
  SecretText(const SecretText&) = delete;
  SecretText& operator=(const SecretText&) = delete;
  SecretText(SecretText&&) = delete;
  SecretText& operator=(SecretText&&) = delete;
  ~SecretText() { OPENSSL_cleanse(text.data(), text.size()); }
};

[[noreturn]] void throwOpensslError(const std::string& step) {
  const std::string reason = opensslReason(ERR_peek_last_error());
  ERR_clear_error();
  throw ConfigError("cannot generate a self-signed certificate: " + step + ": " + reason);
}

bool fileExists(const std::string& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) == 0) {
    return true;
  }
  if (errno == ENOENT) {
    return false;
  }
  throw ConfigError("cannot check " + path + ": " + errnoText(errno));
}

EvpPkeyPtr generateP256Key() {
  EvpPkeyCtxPtr context(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!context || EVP_PKEY_keygen_init(context.get()) != 1 ||
      EVP_PKEY_CTX_set_group_name(context.get(), "P-256") != 1) {
    throwOpensslError("P-256 key setup");
  }
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_generate(context.get(), &key) != 1) {
    throwOpensslError("P-256 key generation");
  }
  return EvpPkeyPtr(key);
}

void setRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    throwOpensslError("random serial number");
  }
  // RFC 5280 serials are positive: clear the sign bit. Setting the next bit
  // keeps the serial non-zero and always 16 bytes long.
  bytes[0] = (bytes[0] & 0x7f) | 0x40;
  BignumPtr number(BN_bin2bn(bytes, sizeof bytes, nullptr));
  if (!number || BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(cert)) == nullptr) {
    throwOpensslError("serial number");
  }
}

std::string commonName(const std::vector<std::string>& dns_names,
                       const std::vector<std::string>& ip_addresses) {
  if (!dns_names.empty()) {
    return dns_names.front();
  }
  if (!ip_addresses.empty()) {
    return ip_addresses.front();
  }
  return "tlsgate";
}

void setSubjectAndIssuer(X509* cert, const std::string& common_name) {
  X509_NAME* name = X509_get_subject_name(cert);
  const auto* text = reinterpret_cast<const unsigned char*>(common_name.c_str());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, text, -1, -1, 0) != 1) {
    throwOpensslError("subject CN \"" + common_name + "\"");
  }
  if (X509_set_issuer_name(cert, name) != 1) {
    throwOpensslError("issuer name");
  }
}

// Takes ownership of value.
void appendGeneralName(GENERAL_NAMES* names, int type, ASN1_STRING* value) {
  GENERAL_NAME* name = GENERAL_NAME_new();
  if (name == nullptr || sk_GENERAL_NAME_push(names, name) <= 0) {
    GENERAL_NAME_free(name);
    ASN1_STRING_free(value);
    throwOpensslError("subjectAltName");
  }
  GENERAL_NAME_set0_value(name, type, value);
}

void addSubjectAltNames(X509* cert, const std::vector<std::string>& dns_names,
                        const std::vector<std::string>& ip_addresses) {
  if (dns_names.empty() && ip_addresses.empty()) {
    return;
  }
  // Built entry by entry rather than from a "DNS:a,IP:b" string, so a name
  // cannot smuggle in extra entries through a comma.
  GeneralNamesPtr names(GENERAL_NAMES_new());
  for (const std::string& dns_name : dns_names) {
    ASN1_IA5STRING* value = ASN1_IA5STRING_new();
    if (value == nullptr ||
        ASN1_STRING_set(value, dns_name.data(), static_cast<int>(dns_name.size())) != 1) {
      ASN1_IA5STRING_free(value);
      throwOpensslError("subjectAltName DNS:" + dns_name);
    }
    appendGeneralName(names.get(), GEN_DNS, value);
  }
  for (const std::string& address : ip_addresses) {
    ASN1_OCTET_STRING* value = a2i_IPADDRESS(address.c_str());
    if (value == nullptr) {
      ERR_clear_error();
      throw ConfigError("cannot generate a self-signed certificate: \"" + address +
                        "\" is not an IPv4 or IPv6 address");
    }
    appendGeneralName(names.get(), GEN_IPADD, value);
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    throwOpensslError("subjectAltName");
  }
}

void addExtension(X509* cert, X509V3_CTX* context, int nid, const char* value) {
  X509ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, context, nid, value));
  if (!extension || X509_add_ext(cert, extension.get(), -1) != 1) {
    throwOpensslError(std::string(OBJ_nid2sn(nid)) + " extension");
  }
}

void addServerExtensions(X509* cert) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  addExtension(cert, &context, NID_basic_constraints, "critical,CA:FALSE");
  addExtension(cert, &context, NID_key_usage, "critical,digitalSignature");
  addExtension(cert, &context, NID_ext_key_usage, "serverAuth");
  addExtension(cert, &context, NID_subject_key_identifier, "hash");
}

X509Ptr buildCertificate(EVP_PKEY* key, const std::vector<std::string>& dns_names,
                         const std::vector<std::string>& ip_addresses) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    throwOpensslError("certificate");
  }
  setRandomSerial(cert.get());
  // Starting an hour back lets peers with a slightly slow clock accept it.
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kClockSkewSeconds) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), kValidityDays, -kClockSkewSeconds,
                       nullptr) == nullptr) {
    throwOpensslError("validity period");
  }
  setSubjectAndIssuer(cert.get(), commonName(dns_names, ip_addresses));
  if (X509_set_pubkey(cert.get(), key) != 1) {
    throwOpensslError("public key");
  }
  addSubjectAltNames(cert.get(), dns_names, ip_addresses);
  addServerExtensions(cert.get());
  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0) {
    throwOpensslError("signature");
  }
  return cert;
}

template <typename Write>
void appendPem(std::string& out, const std::string& what, Write write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) {
    throwOpensslError("PEM encoding of the " + what);
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  out.append(data, static_cast<size_t>(size));
  // The memory BIO holds a copy of the key text; wipe it before freeing.
  OPENSSL_cleanse(data, static_cast<size_t>(size));
}

void appendKeyPem(std::string& out, EVP_PKEY* key) {
  appendPem(out, "private key", [&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
}

void appendCertPem(std::string& out, X509* cert) {
  appendPem(out, "certificate", [&](BIO* bio) { return PEM_write_bio_X509(bio, cert); });
}

void createParentDirectories(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) {
    return;
  }
  std::error_code error;
  std::filesystem::create_directories(parent, error);
  if (error) {
    throw ConfigError("cannot create directory " + parent.string() + " for " + path + ": " +
                      error.message());
  }
}

bool writeAll(int fd, const std::string& contents) {
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t count = ::write(fd, contents.data() + written, contents.size() - written);
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count < 0) {
      return false;
    }
    written += static_cast<size_t>(count);
  }
  return true;
}

// O_EXCL with the final mode: the file is never readable by others, not even
// for a moment, and a file that appeared meanwhile is never overwritten.
void writeNewFile(const std::string& path, const std::string& contents, mode_t mode) {
  createParentDirectories(path);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    throw ConfigError("cannot create " + path + ": " + errnoText(errno));
  }
  bool ok = writeAll(fd, contents);
  int saved_errno = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    saved_errno = errno;
  }
  if (!ok) {
    ::unlink(path.c_str());
    throw ConfigError("cannot write " + path + ": " + errnoText(saved_errno));
  }
}

void writeSeparateFiles(const std::string& cert_path, const std::string& key_path,
                        const std::string& key_pem, const std::string& cert_pem) {
  writeNewFile(key_path, key_pem, kKeyFileMode);
  try {
    writeNewFile(cert_path, cert_pem, kCertFileMode);
  } catch (const ConfigError&) {
    // A lone key would make the next start fail with "only one exists";
    // removing it lets that start generate a fresh pair.
    ::unlink(key_path.c_str());
    throw;
  }
}

void requireBothOrNeither(const std::string& cert_path, bool have_cert, const std::string& key_path,
                          bool have_key) {
  if (have_cert == have_key) {
    return;
  }
  const std::string& present = have_cert ? cert_path : key_path;
  const std::string& missing = have_cert ? key_path : cert_path;
  throw ConfigError(present + " exists but " + missing +
                    " does not: a self-signed certificate is generated only when both are "
                    "missing, so supply " +
                    missing + " or remove " + present);
}

}  // namespace

bool ensureSelfSigned(const std::string& cert_path, const std::string& key_path,
                      const std::vector<std::string>& dns_names,
                      const std::vector<std::string>& ip_addresses) {
  if (cert_path.empty()) {
    throw ConfigError("cannot generate a self-signed certificate: no certificate path given");
  }
  const bool one_file = key_path.empty() || key_path == cert_path;
  const bool have_cert = fileExists(cert_path);
  const bool have_key = one_file ? have_cert : fileExists(key_path);
  if (have_cert && have_key) {
    return false;
  }
  requireBothOrNeither(cert_path, have_cert, key_path, have_key);

  EvpPkeyPtr key = generateP256Key();
  X509Ptr cert = buildCertificate(key.get(), dns_names, ip_addresses);
  SecretText key_pem;
  appendKeyPem(key_pem.text, key.get());
  std::string cert_pem;
  appendCertPem(cert_pem, cert.get());

  if (one_file) {
    SecretText combined;
    // Reserved up front so that no reallocation leaves an unwiped copy.
    combined.text.reserve(key_pem.text.size() + cert_pem.size());
    combined.text.append(key_pem.text).append(cert_pem);
    writeNewFile(cert_path, combined.text, kKeyFileMode);
    return true;
  }
  writeSeparateFiles(cert_path, key_path, key_pem.text, cert_pem);
  return true;
}

}  // namespace tlsgate
