// The one configuration loader: command-line flags (Abseil) with an
// environment fallback.
//
// Every flag `--foo_bar` may also come from `ANALYTICS_FOO_BAR`; a flag given
// on the command line wins. `--database_url` also reads `DATABASE_URL`, the
// name most tools use. Unknown ANALYTICS_* variables are ignored.
#pragma once

#include <string>
#include <vector>

namespace analytics {

// Parses argv and the environment; exits with a message on bad values.
// Returns the positional arguments (argv[0] first).
std::vector<char*> ParseFlags(int argc, char** argv, const char* usage);

// The environment variable that backs a flag, e.g. "ANALYTICS_LISTEN".
std::string EnvNameForFlag(const std::string& flag_name);

}  // namespace analytics
