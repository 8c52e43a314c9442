#include "x509/certificate_names.h"

#include <arpa/inet.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "util/text.h"
#include "x509/openssl_ptr.h"

namespace tlsgate {
namespace {

std::string asn1Text(const ASN1_STRING* text) {
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
          static_cast<std::size_t>(ASN1_STRING_length(text))};
}

std::string ipText(const ASN1_OCTET_STRING* address) {
  const int length = ASN1_STRING_length(address);
  const int family = length == 4 ? AF_INET : length == 16 ? AF_INET6 : 0;
  char text[INET6_ADDRSTRLEN] = {};
  if (family == 0 ||
      inet_ntop(family, ASN1_STRING_get0_data(address), text, sizeof text) == nullptr) {
    return {};
  }
  return text;
}

std::string commonName(X509* cert) {
  X509_NAME* subject = X509_get_subject_name(cert);
  int index = -1;
  int last = -1;
  while ((index = X509_NAME_get_index_by_NID(subject, NID_commonName, index)) >= 0) {
    last = index;
  }
  if (last < 0) {
    return {};
  }
  return asn1Text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, last)));
}

void addAltName(const GENERAL_NAME* name, CertificateNames& out) {
  switch (name->type) {
    case GEN_DNS:
      out.dns.push_back(asn1Text(name->d.dNSName));
      return;
    case GEN_URI:
      out.uris.push_back(asn1Text(name->d.uniformResourceIdentifier));
      return;
    case GEN_IPADD:
      if (std::string ip = ipText(name->d.iPAddress); !ip.empty()) {
        out.ips.push_back(std::move(ip));
      }
      return;
    default:
      return;
  }
}

}  // namespace

CertificateNames certificateNames(X509* cert) {
  CertificateNames out;
  out.common_name = commonName(cert);
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) {
    return out;
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    addAltName(sk_GENERAL_NAME_value(names.get(), i), out);
  }
  return out;
}

std::vector<std::string> serverNames(X509* cert) {
  CertificateNames names = certificateNames(cert);
  std::vector<std::string> out;
  if (names.dns.empty() && !names.common_name.empty()) {
    names.dns.push_back(names.common_name);
  }
  for (const std::string& name : names.dns) {
    out.push_back(lowerCase(name));
  }
  return out;
}

}  // namespace tlsgate
