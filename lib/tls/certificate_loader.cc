#include "tls/certificate_loader.h"

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "util/config_error.h"
#include "util/errno_text.h"
#include "util/file_contents.h"
#include "x509/certificate_info.h"
#include "x509/certificate_names.h"
#include "x509/openssl_error.h"

namespace tlsgate {
namespace {

std::string readPassword(const PasswordSource& source, const LocatedPath& key) {
  if (source.env) {
    const char* value = std::getenv(source.env->value.c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr) {
      throw ConfigError(source.env->mark, "password.env",
                        "environment variable " + source.env->value + " is not set");
    }
    return value;
  }
  if (!source.file) {
    throw ConfigError(key.mark, "password", "no password source");
  }
  FileContents file = readWholeFile(source.file->value);
  if (!file.ok()) {
    throw ConfigError(source.file->mark, "password.file",
                      "cannot read " + source.file->value + ": " + errnoText(file.error));
  }
  // The first line is the password.
  std::string line = file.bytes.substr(0, file.bytes.find('\n'));
  OPENSSL_cleanse(file.bytes.data(), file.bytes.size());
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
    line.pop_back();
  }
  return line;
}

int copyPassword(char* buffer, int size, int /*rwflag*/, void* data) {
  const auto* pass = static_cast<const std::string*>(data);
  if (pass == nullptr || pass->size() > static_cast<std::size_t>(size)) {
    return 0;
  }
  std::copy(pass->begin(), pass->end(), buffer);  // PEM takes the length, not a terminator
  return static_cast<int>(pass->size());
}

// The decoder reads a file's first PEM block only. A file that holds the
// certificate before its key (`cat cert.pem key.pem`, as stunnel's,
// hitch's and haproxy's users often write them) has its key found by PEM's
// reader, which passes over blocks of other kinds. nullptr when there is
// none, or it cannot be decrypted.
EVP_PKEY* readPemKeyAfterOtherBlocks(const std::string& path, std::string* pass) {
  FileContents file = readWholeFile(path);
  if (!file.ok() || file.bytes.find("-----BEGIN") == std::string::npos) {
    return nullptr;
  }
  BIO* bio = BIO_new_mem_buf(file.bytes.data(), static_cast<int>(file.bytes.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, copyPassword, pass);
  BIO_free(bio);
  OPENSSL_cleanse(file.bytes.data(), file.bytes.size());
  ERR_clear_error();
  return pkey;
}

EVP_PKEY* loadPrivateKey(const LocatedPath& path, const std::optional<PasswordSource>& password) {
  std::string pass = password ? readPassword(*password, path) : std::string();
  EVP_PKEY* pkey = nullptr;
  OSSL_DECODER_CTX* decoder = OSSL_DECODER_CTX_new_for_pkey(
      &pkey, nullptr, nullptr, nullptr, OSSL_KEYMGMT_SELECT_PRIVATE_KEY, nullptr, nullptr);
  if (decoder == nullptr) {
    throw ConfigError(path.mark, "key", "cannot set up a key decoder: " + takeOpensslError());
  }
  if (password) {
    OSSL_DECODER_CTX_set_passphrase(decoder, reinterpret_cast<const unsigned char*>(pass.data()),
                                    pass.size());
  }
  std::FILE* file = std::fopen(path.value.c_str(), "rb");
  if (file == nullptr) {
    int err = errno;
    OSSL_DECODER_CTX_free(decoder);
    throw ConfigError(path.mark, "key", "cannot read " + path.value + ": " + errnoText(err));
  }
  BIO* bio = BIO_new_fp(file, BIO_CLOSE);
  int ok = OSSL_DECODER_from_bio(decoder, bio);
  BIO_free(bio);
  OSSL_DECODER_CTX_free(decoder);
  if (ok != 1 || pkey == nullptr) {
    pkey = readPemKeyAfterOtherBlocks(path.value, password ? &pass : nullptr);
    ok = pkey != nullptr ? 1 : 0;
  }
  OPENSSL_cleanse(pass.data(), pass.size());
  if (ok != 1 || pkey == nullptr) {
    ERR_clear_error();
    std::string hint = password ? "wrong password, or the file holds no private key"
                                : "no private key found (if it is encrypted, set password)";
    throw ConfigError(path.mark, "key", "cannot load private key from " + path.value + ": " + hint);
  }
  return pkey;
}

// A private key that others can read is as good as published.
void warnIfKeyIsReadableByOthers(const LocatedPath& path) {
  struct stat info {};
  if (::stat(path.value.c_str(), &info) != 0 || (info.st_mode & (S_IRWXG | S_IRWXO)) == 0) {
    return;
  }
  spdlog::warn("{}: private key file {} can be read by {}; restrict it with chmod 600",
               path.mark.str(), path.value,
               (info.st_mode & S_IRWXO) != 0 ? "any user" : "its group");
}

std::string keyTypeName(const EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      return "RSA";
    case EVP_PKEY_RSA_PSS:
      return "RSA-PSS";
    case EVP_PKEY_EC:
      return "ECDSA";
    case EVP_PKEY_ED25519:
      return "Ed25519";
    case EVP_PKEY_ED448:
      return "Ed448";
    default:
      return OBJ_nid2sn(EVP_PKEY_get_base_id(key));
  }
}

// Certificates with the same names share an SSL_CTX, which holds one
// certificate per key type; a second one of a type would replace the first.
void checkOnePerKeyType(const std::vector<const LoadedCertificate*>& group) {
  for (std::size_t i = 1; i < group.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (EVP_PKEY_get_base_id(group[i]->key.get()) != EVP_PKEY_get_base_id(group[j]->key.get())) {
        continue;
      }
      throw ConfigError(
          group[i]->config->cert.mark, "cert",
          group[i]->config->cert.value + " has the same names and the same key type (" +
              keyTypeName(group[i]->key.get()) + ") as " + group[j]->config->cert.value +
              ", so it would never be served; remove one of them");
    }
  }
}

}  // namespace

LoadedCertificate loadCertificate(const CertificateConfig& certificate) {
  LoadedCertificate out;
  out.config = &certificate;
  try {
    out.chain = loadCertificates(certificate.cert.value);
  } catch (const ConfigError& e) {
    throw ConfigError(certificate.cert.mark, "cert", e.what());
  }
  const LocatedPath& key_path = certificate.key.value.empty() ? certificate.cert : certificate.key;
  out.key.reset(loadPrivateKey(key_path, certificate.password));
  warnIfKeyIsReadableByOthers(key_path);
  out.names = serverNames(out.chain.front().get());
  std::sort(out.names.begin(), out.names.end());
  out.names.erase(std::unique(out.names.begin(), out.names.end()), out.names.end());
  return out;
}

void installCertificate(SSL_CTX* ctx, const LoadedCertificate& certificate) {
  STACK_OF(X509)* extra = sk_X509_new_null();
  for (std::size_t i = 1; i < certificate.chain.size(); ++i) {
    sk_X509_push(extra, certificate.chain[i].get());
  }
  int ok = SSL_CTX_use_cert_and_key(ctx, certificate.chain.front().get(), certificate.key.get(),
                                    extra, 1);
  sk_X509_free(extra);  // the context took its own references
  if (ok != 1) {
    const CertificateConfig& config = *certificate.config;
    const std::string& key_path = config.key.value.empty() ? config.cert.value : config.key.value;
    throw ConfigError(config.cert.mark, "cert",
                      "certificate " + config.cert.value + " and key " + key_path +
                          " do not go together: " + takeOpensslError());
  }
}

std::vector<std::vector<const LoadedCertificate*>> groupByNames(
    const std::vector<LoadedCertificate>& certificates) {
  std::vector<std::vector<const LoadedCertificate*>> groups;
  for (const LoadedCertificate& certificate : certificates) {
    auto same_names = [&certificate](const std::vector<const LoadedCertificate*>& group) {
      return group.front()->names == certificate.names;
    };
    auto group = std::find_if(groups.begin(), groups.end(), same_names);
    if (group == groups.end()) {
      groups.push_back({&certificate});
    } else {
      group->push_back(&certificate);
    }
  }
  for (const auto& group : groups) {
    checkOnePerKeyType(group);
  }
  return groups;
}

}  // namespace tlsgate
