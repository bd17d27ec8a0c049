// The analyticsctl subcommands: each builds its call from the command line
// (requests.h), makes one RPC and prints the answer. Answers go to stdout,
// diagnostics to stderr, so `--output=env` can be redirected to a file.
#pragma once

#include "absl/status/status.h"
#include "analyticsctl/src/args.h"

namespace analytics::cli {

inline constexpr int kExitOk = 0;
// An RPC failed, `send` had no event accepted, or `rollups verify` found
// rows that differ.
inline constexpr int kExitFailure = 1;
// The command line is wrong; nothing was sent.
inline constexpr int kExitUsage = 2;

// Each returns the process exit status.
int RunSiteCreate(const ParsedArgs& args);
int RunSiteGet(const ParsedArgs& args);
int RunSiteList(const ParsedArgs& args);
int RunSiteRotateWriteKey(const ParsedArgs& args);
int RunSiteRotateReadKey(const ParsedArgs& args);
int RunSiteUpdate(const ParsedArgs& args);
int RunSiteDisable(const ParsedArgs& args);
int RunSiteEnable(const ParsedArgs& args);
int RunSiteDelete(const ParsedArgs& args);
int RunSend(const ParsedArgs& args);
int RunOverview(const ParsedArgs& args);
int RunTimeseries(const ParsedArgs& args);
int RunBreakdown(const ParsedArgs& args);
int RunProperties(const ParsedArgs& args);
int RunDashboard(const ParsedArgs& args);
int RunEvents(const ParsedArgs& args);
int RunSessions(const ParsedArgs& args);
int RunVisitors(const ParsedArgs& args);
int RunFailedList(const ParsedArgs& args);
int RunFailedRetry(const ParsedArgs& args);
int RunBacklog(const ParsedArgs& args);
// Exit status 1 also when rows differ, so scripts can check the rollups.
int RunRollupsVerify(const ParsedArgs& args);
int RunRollupsRebuild(const ParsedArgs& args);

// Prints "error: <message>" and a pointer to the usage; returns kExitUsage.
int UsageError(const absl::Status& status);

}  // namespace analytics::cli
