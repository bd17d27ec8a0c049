// PostgresServer: the PostgreSQL server the tests run against (the one the
// PG* environment points at) seen as operating-system processes, so a test
// can make the database misbehave under our services: freeze every server
// process (SIGSTOP) and thaw it again, or restart the server with pg_ctl
// (e.g. an immediate, crash-like shutdown followed by recovery).
//
// Only for throwaway test clusters: freezing or restarting the server hits
// every session of every test, so tests using it must run alone (ctest
// RUN_SERIAL). The test process must run as root or as the OS user owning
// the data directory; as root, pg_ctl runs as that owner (PostgreSQL refuses
// to run as root).
//
// Not thread-safe, except that Restart() may run on another thread while the
// test thread uses IsRunning() and the other static helpers.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/test_database.h"

namespace analytics::testing {

class PostgresServer {
 public:
  // Finds the server `db` lives in: its data directory (SHOW
  // data_directory), the directory's owner, and pg_ctl beside the running
  // postgres binary. FAILED_PRECONDITION when the server is not local or not
  // ours to control.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Locate(
      TestDatabase& db);
  // Thaws whatever Freeze() stopped, so a failing test cannot leave the
  // shared server frozen.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  const std::string& data_directory() const { return data_directory_; }
  // Where the server's output goes after Restart() (pg_ctl -l).
  const std::string& log_file() const { return log_file_; }

  // The running postmaster's pid, read from <data directory>/postmaster.pid.
  absl::StatusOr<pid_t> PostmasterPid() const;
  // The postmaster and all its descendants (backends, background workers).
  absl::StatusOr<std::vector<pid_t>> Processes() const;

  // Stops the postmaster, then every descendant, and waits until all of
  // them are stopped; returns how many processes it stopped. Connections
  // stay open but nothing answers.
  absl::StatusOr<int> Freeze();
  // Continues every process Freeze() stopped.
  absl::Status Thaw();

  // `pg_ctl restart -m <mode> -w` (mode: "smart", "fast" or "immediate");
  // the server keeps its options (postmaster.opts), so port and socket stay.
  // Returns once the new server accepts connections, or pg_ctl's output on
  // failure.
  absl::Status Restart(std::string_view mode, absl::Duration timeout);

  // Whether `pid` exists and has not exited (zombies count as exited).
  static bool IsRunning(pid_t pid);

 private:
  PostgresServer() = default;

  std::string data_directory_;
  std::string pg_ctl_;
  std::string log_file_;
  uid_t owner_uid_ = 0;
  gid_t owner_gid_ = 0;
  std::vector<pid_t> frozen_;
};

}  // namespace analytics::testing
