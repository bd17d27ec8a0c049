// ServiceProcess: runs one of our binaries as a child process for end-to-end
// tests, with its output in a log file the test prints on failure, and lets
// the test stop it politely (SIGTERM) or kill it for real (SIGKILL).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace analytics::testing {

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

class ServiceProcess {
 public:
  // Starts `binary` with `args`; `env` entries ("NAME=value") are added to
  // this process's environment. Does not wait for readiness.
  static absl::StatusOr<std::unique_ptr<ServiceProcess>> Spawn(
      const std::string& binary, const std::vector<std::string>& args,
      const std::vector<std::string>& env = {});
  // Kills the process if it still runs.
  ~ServiceProcess();

  // Waits until something accepts connections on 127.0.0.1:`port`;
  // UNAVAILABLE if the process exits or `timeout` passes first.
  absl::Status WaitForPort(int port, absl::Duration timeout);

  void Signal(int signal);
  // Waits for the process to end; its exit code (128 + signal when killed),
  // or DEADLINE_EXCEEDED.
  absl::StatusOr<int> Wait(absl::Duration timeout);
  bool running();
  pid_t pid() const { return pid_; }
  // The last `max_bytes` of its stdout and stderr.
  std::string LogTail(size_t max_bytes = 4000) const;

 private:
  ServiceProcess(pid_t pid, std::string log_path)
      : pid_(pid), log_path_(std::move(log_path)) {}

  pid_t pid_;
  std::string log_path_;
  bool reaped_ = false;
  int exit_code_ = 0;
};

}  // namespace analytics::testing
