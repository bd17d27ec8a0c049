// Command-line splitting for analyticsctl: words (the subcommand) and flags.
//
// Hand-written rather than Abseil flags because the documented spelling uses
// dashes (`--write-key`), which Abseil flag names cannot contain, and because
// each subcommand accepts its own set of flags.
//
// Thread-safe: pure functions.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace analytics::cli {

struct Flag {
  // Normalised: without the leading "--", every '-' replaced by '_'.
  std::string name;
  // Empty for valueless flags (--help, --all, --compare, --yes).
  std::string value;
  // As typed, e.g. "--write-key", for messages.
  std::string spelling;
};

// A command line split into words and flags, in the order given. Flags may
// appear before, between or after the words.
struct ParsedArgs {
  std::vector<std::string> words;  // e.g. {"site", "create"}
  std::vector<Flag> flags;

  bool Has(std::string_view name) const;
  // The last value given for `name`, if any.
  std::optional<std::string> Get(std::string_view name) const;
  // Every value given for `name`, in order.
  std::vector<std::string> GetAll(std::string_view name) const;
};

// `write-key` -> `write_key`, so both spellings name the same flag.
std::string NormalizeFlagName(std::string_view name);

// Splits the arguments after argv[0]. Flags are `--name=value` or
// `--name value`; `--help`, `-h`, `--all` and `--compare` take no value. A
// value may start with a single '-' (`--from -1h`) but not with "--".
// INVALID_ARGUMENT for a flag without a value or an unknown single-dash option.
// Never echoes values, which may be keys.
absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args);

// INVALID_ARGUMENT naming the first flag that `command` does not accept, or
// that is given more than once without being in `repeatable`.
absl::Status CheckFlags(const ParsedArgs& args, std::string_view command,
                        const std::set<std::string>& allowed,
                        const std::set<std::string>& repeatable = {});

}  // namespace analytics::cli
