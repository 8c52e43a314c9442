#include "tls/client_cert_policy.h"

#include <algorithm>
#include <cctype>

namespace tlsgate {
namespace {

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool containsAny(const std::vector<std::string>& list, const std::vector<std::string>& values) {
  return std::any_of(values.begin(), values.end(),
                     [&list](const std::string& value) { return contains(list, value); });
}

std::string lowerCase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// `rule` is lower-case; "*.example.com" covers exactly one label.
bool dnsRuleMatches(const std::string& rule, const std::string& name) {
  if (!rule.starts_with("*.")) {
    return rule == name;
  }
  const std::size_t dot = name.find('.');
  return dot != std::string::npos && dot > 0 && name.compare(dot, std::string::npos, rule, 1) == 0;
}

}  // namespace

bool ClientCertPolicy::matchesDns(const std::string& written) const {
  const std::string name = lowerCase(written);
  return std::any_of(allow_.san_dns.begin(), allow_.san_dns.end(),
                     [&name](const std::string& rule) { return dnsRuleMatches(rule, name); });
}

bool ClientCertPolicy::admits(const PeerIdentity& identity) const {
  if (allow_.empty()) {
    return true;
  }
  if (!identity.common_name.empty() && contains(allow_.subject_cn, identity.common_name)) {
    return true;
  }
  if (std::any_of(identity.dns.begin(), identity.dns.end(),
                  [this](const std::string& name) { return matchesDns(name); })) {
    return true;
  }
  return containsAny(allow_.san_uri, identity.uris) || containsAny(allow_.san_ip, identity.ips) ||
         contains(allow_.sha256, identity.sha256);
}

std::string ClientCertPolicy::refusal(const PeerIdentity& identity) {
  return "client certificate " + (identity.subject.empty() ? "(no subject)" : identity.subject) +
         " (sha256 " + identity.sha256 +
         ") matched none of the client_certs.allow rules (subject_cn, san_dns, san_uri, san_ip, "
         "sha256)";
}

}  // namespace tlsgate
