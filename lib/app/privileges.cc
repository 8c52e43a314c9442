#include "app/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "util/config_error.h"

namespace tlsgate {
namespace {

std::string errnoText() {
  return std::generic_category().message(errno);
}

}  // namespace

void dropPrivileges(const GlobalConfig& global) {
  if (global.user.empty() && global.group.empty()) {
    return;
  }
  gid_t gid = getgid();
  uid_t uid = getuid();
  if (!global.group.empty()) {
    const group* g = getgrnam(global.group.c_str());  // NOLINT(concurrency-mt-unsafe)
    if (g == nullptr) {
      throw ConfigError("global.group: no such group: " + global.group);
    }
    gid = g->gr_gid;
  }
  if (!global.user.empty()) {
    const passwd* p = getpwnam(global.user.c_str());  // NOLINT(concurrency-mt-unsafe)
    if (p == nullptr) {
      throw ConfigError("global.user: no such user: " + global.user);
    }
    uid = p->pw_uid;
    if (global.group.empty()) {
      gid = p->pw_gid;
    }
  }
  if (setgroups(0, nullptr) != 0 && errno != EPERM) {
    throw ConfigError("cannot drop supplementary groups: " + errnoText());
  }
  if (setgid(gid) != 0 || setuid(uid) != 0) {
    throw ConfigError("cannot switch to user/group: " + errnoText());
  }
}

}  // namespace tlsgate
