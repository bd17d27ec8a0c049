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
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    // Only our own flags, not Abseil's (--flagfile, --help, ...).
    if (absl::StrContains(flag->Filename(), "absl/")) continue;
    if (flag->IsSpecifiedOnCommandLine()) continue;
    std::string flag_name(name);
    const char* value = std::getenv(EnvNameForFlag(flag_name).c_str());
    if (value == nullptr && flag_name == "database_url") {
      value = std::getenv("DATABASE_URL");
    }
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      std::fprintf(stderr, "invalid value for %s: %s\n",
                   EnvNameForFlag(flag_name).c_str(), error.c_str());
      std::exit(2);
    }
  }
  return positional;
}

}  // namespace analytics
