// Files and `openssl` command runs for the x509 tests.
// The certificates are made at run time, so nothing expires in the tree.
#pragma once

#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/temp_dir.h"

namespace tlsgate::x509_test {

inline void writeFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

inline bool fileExists(const std::string& path) {
  return std::filesystem::exists(path);
}

inline mode_t fileMode(const std::string& path) {
  struct stat status {};
  if (stat(path.c_str(), &status) != 0) {
    return 0;
  }
  return status.st_mode & 07777;
}

// Runs `openssl ARGS` and returns what it printed; a failing run fails the
// test, since every later comparison would be meaningless.
inline std::string openssl(const std::string& args) {
  std::string command = "openssl " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << command;
    return {};
  }
  std::string output;
  char buffer[4096];
  size_t count = 0;
  while ((count = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    output.append(buffer, count);
  }
  int status = pclose(pipe);
  EXPECT_EQ(status, 0) << command << "\n" << output;
  return output;
}

// The value after "name=" in one line of `openssl x509 -noout -NAME` output.
inline std::string afterEquals(const std::string& line) {
  std::string value = line.substr(line.find('=') + 1);
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) {
    value.pop_back();
  }
  return value;
}

inline std::string withoutColons(std::string text) {
  std::erase(text, ':');
  return text;
}

}  // namespace tlsgate::x509_test
