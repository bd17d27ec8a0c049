// Flag parsing with ANALYTICS_* environment fallback.
#include "common/config/flags.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace analytics {

std::string EnvNameForFlag(const std::string& flag_name) {
  return absl::StrCat("ANALYTICS_", absl::AsciiStrToUpper(flag_name));
}

std::vector<char*> ParseFlags(int argc, char** argv, const char* usage) {
  absl::SetProgramUsageMessage(usage);
  // Environment values go first as --flag=value, so an explicit command-line
  // flag (parsed later) wins.
  static std::vector<std::string> env_args;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    // Only our own flags, not Abseil's (--flagfile, --help, ...).
    if (absl::StrContains(flag->Filename(), "absl/")) continue;
    std::string flag_name(name);
    const char* value = std::getenv(EnvNameForFlag(flag_name).c_str());
    if (value == nullptr && flag_name == "database_url") {
      value = std::getenv("DATABASE_URL");
    }
    if (value != nullptr)
      env_args.push_back(absl::StrCat("--", flag_name, "=", value));
  }
  static std::vector<char*> args;
  args.push_back(argv[0]);
  for (auto& a : env_args) args.push_back(a.data());
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  return absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
}

}  // namespace analytics
