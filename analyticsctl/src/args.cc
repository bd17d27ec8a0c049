// Command-line splitting for analyticsctl.
#include "analyticsctl/src/args.h"

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace analytics::cli {
namespace {

// Switches. `--all` (failed retry) and `--compare` (overview) must not
// swallow the word after them.
bool IsValueless(std::string_view name) {
  return name == "help" || name == "all" || name == "compare" || name == "yes";
}

}  // namespace

bool ParsedArgs::Has(std::string_view name) const {
  return std::any_of(flags.begin(), flags.end(),
                     [&](const Flag& f) { return f.name == name; });
}

std::optional<std::string> ParsedArgs::Get(std::string_view name) const {
  std::optional<std::string> value;
  for (const Flag& f : flags) {
    if (f.name == name) value = f.value;
  }
  return value;
}

std::vector<std::string> ParsedArgs::GetAll(std::string_view name) const {
  std::vector<std::string> values;
  for (const Flag& f : flags) {
    if (f.name == name) values.push_back(f.value);
  }
  return values;
}

std::string NormalizeFlagName(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args) {
  ParsedArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h") {
      out.flags.push_back({"help", "", arg});
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      if (arg.size() > 1 && arg[0] == '-') {
        return absl::InvalidArgumentError(absl::StrCat(
            "unknown option '", arg, "': flags are written --name=value"));
      }
      out.words.push_back(arg);
      continue;
    }
    const size_t eq = arg.find('=');
    Flag flag;
    flag.spelling = arg.substr(0, eq);
    flag.name = NormalizeFlagName(std::string_view(flag.spelling).substr(2));
    if (flag.name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", arg.substr(0, 10), "...' has no flag name"));
    }
    if (IsValueless(flag.name)) {
      if (eq != std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat(flag.spelling, " takes no value"));
      }
    } else if (eq != std::string::npos) {
      flag.value = arg.substr(eq + 1);
    } else if (i + 1 < args.size() && !absl::StartsWith(args[i + 1], "--")) {
      flag.value = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          flag.spelling, " needs a value (", flag.spelling, "=<value>)"));
    }
    out.flags.push_back(std::move(flag));
  }
  return out;
}

absl::Status CheckFlags(const ParsedArgs& args, std::string_view command,
                        const std::set<std::string>& allowed,
                        const std::set<std::string>& repeatable) {
  std::map<std::string, int> seen;
  for (const Flag& f : args.flags) {
    if (!allowed.contains(f.name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown flag ", f.spelling, " for '", std::string(command), "'"));
    }
    if (++seen[f.name] > 1 && !repeatable.contains(f.name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(f.spelling, " is given more than once"));
    }
  }
  return absl::OkStatus();
}

}  // namespace analytics::cli
