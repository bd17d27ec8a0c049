// The test server's processes through /proc, signals and pg_ctl.
#include "tests/support/postgres_server.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"

extern char** environ;

namespace analytics::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Parent pid and state letter from /proc/<pid>/stat; false when the process
// is gone. The command name is in parentheses and may contain anything, so
// the fields after it are found from the last ')'.
bool ReadStat(pid_t pid, pid_t* parent, char* state) {
  const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  const size_t end = stat.rfind(')');
  if (end == std::string::npos || end + 4 > stat.size()) return false;
  std::istringstream fields(stat.substr(end + 2));
  long ppid = 0;
  fields >> *state >> ppid;
  if (!fields) return false;
  *parent = static_cast<pid_t>(ppid);
  return true;
}

bool IsStoppedOrGone(pid_t pid) {
  pid_t parent = 0;
  char state = 0;
  if (!ReadStat(pid, &parent, &state)) return true;
  return state == 'T' || state == 't' || state == 'Z' || state == 'X';
}

absl::Status WaitUntilStopped(const std::vector<pid_t>& pids,
                              absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (pid_t pid : pids) {
    while (!IsStoppedOrGone(pid)) {
      if (absl::Now() > deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("process ", pid, " did not stop"));
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
  }
  return absl::OkStatus();
}

// The postgres binary of the running postmaster: /proc/<pid>/exe, or the
// first word of postmaster.opts (the command line pg_ctl restart reuses).
std::string PostgresBinary(pid_t postmaster, const std::string& data_dir) {
  char target[PATH_MAX];
  const std::string exe = absl::StrCat("/proc/", postmaster, "/exe");
  const ssize_t n = readlink(exe.c_str(), target, sizeof(target) - 1);
  if (n > 0) return std::string(target, static_cast<size_t>(n));
  std::string opts = ReadFile(data_dir + "/postmaster.opts");
  opts = opts.substr(0, opts.find_first_of(" \n"));
  opts.erase(std::remove(opts.begin(), opts.end(), '"'), opts.end());
  return opts;
}

}  // namespace

bool PostgresServer::IsRunning(pid_t pid) {
  pid_t parent = 0;
  char state = 0;
  if (!ReadStat(pid, &parent, &state)) return false;
  return state != 'Z' && state != 'X';
}

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Locate(
    TestDatabase& db) {
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  try {
    server->data_directory_ =
        db.Query("SHOW data_directory")[0][0].as<std::string>();
  } catch (const std::exception& e) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot read the server's data_directory (superuser needed): ",
        e.what()));
  }
  struct stat info {};
  if (stat(server->data_directory_.c_str(), &info) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("data directory ", server->data_directory_,
                     " is not accessible here; the server must run on this "
                     "machine and this test as root or as its owner"));
  }
  server->owner_uid_ = info.st_uid;
  server->owner_gid_ = info.st_gid;
  if (geteuid() != 0 && geteuid() != info.st_uid) {
    return absl::FailedPreconditionError(
        absl::StrCat("run as root or as uid ", info.st_uid, " (owner of ",
                     server->data_directory_, ")"));
  }
  absl::StatusOr<pid_t> postmaster = server->PostmasterPid();
  if (!postmaster.ok()) return postmaster.status();
  const std::string postgres =
      PostgresBinary(*postmaster, server->data_directory_);
  server->pg_ctl_ = absl::StrCat(
      postgres.substr(0, postgres.find_last_of('/') + 1), "pg_ctl");
  if (access(server->pg_ctl_.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("no pg_ctl beside the server binary '", postgres, "'"));
  }
  // scripts/lib.sh logs to postgres.log beside the data directory; keep the
  // restarted server's output there, or else in a file of this test.
  const std::string parent = server->data_directory_.substr(
      0, server->data_directory_.find_last_of('/'));
  server->log_file_ = parent + "/postgres.log";
  if (stat(server->log_file_.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    static std::atomic<int> counter{0};
    server->log_file_ = absl::StrCat(::testing::TempDir(), "/postgres-",
                                     getpid(), "-", counter++, ".log");
    const int fd = open(server->log_file_.c_str(),
                        O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0 || fchown(fd, server->owner_uid_, server->owner_gid_) != 0) {
      if (fd >= 0) close(fd);
      return absl::InternalError("cannot create " + server->log_file_);
    }
    close(fd);
  }
  return server;
}

PostgresServer::~PostgresServer() {
  if (!frozen_.empty()) (void)Thaw();
}

absl::StatusOr<pid_t> PostgresServer::PostmasterPid() const {
  const std::string path = data_directory_ + "/postmaster.pid";
  const std::string text = ReadFile(path);
  int pid = 0;
  if (!absl::SimpleAtoi(text.substr(0, text.find('\n')), &pid) || pid <= 0) {
    return absl::UnavailableError(absl::StrCat("no running server: ", path));
  }
  return static_cast<pid_t>(pid);
}

absl::StatusOr<std::vector<pid_t>> PostgresServer::Processes() const {
  absl::StatusOr<pid_t> postmaster = PostmasterPid();
  if (!postmaster.ok()) return postmaster.status();
  std::multimap<pid_t, pid_t> children;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return absl::InternalError("cannot read /proc");
  while (dirent* entry = readdir(proc)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid)) continue;
    pid_t parent = 0;
    char state = 0;
    if (ReadStat(pid, &parent, &state)) children.emplace(parent, pid);
  }
  closedir(proc);
  std::vector<pid_t> all = {*postmaster};
  for (size_t i = 0; i < all.size(); ++i) {
    auto [begin, end] = children.equal_range(all[i]);
    for (auto it = begin; it != end; ++it) all.push_back(it->second);
  }
  return all;
}

absl::StatusOr<int> PostgresServer::Freeze() {
  if (!frozen_.empty()) return absl::FailedPreconditionError("already frozen");
  absl::StatusOr<pid_t> postmaster = PostmasterPid();
  if (!postmaster.ok()) return postmaster.status();
  // The postmaster first: once it is stopped it forks nothing new, so one
  // more scan finds every child.
  if (kill(*postmaster, SIGSTOP) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot stop postmaster ", *postmaster));
  }
  frozen_.push_back(*postmaster);
  if (absl::Status s = WaitUntilStopped(frozen_, absl::Seconds(5)); !s.ok()) {
    return s;
  }
  for (int round = 0; round < 3; ++round) {
    absl::StatusOr<std::vector<pid_t>> all = Processes();
    if (!all.ok()) return all.status();
    bool added = false;
    for (pid_t pid : *all) {
      if (std::find(frozen_.begin(), frozen_.end(), pid) != frozen_.end()) {
        continue;
      }
      if (kill(pid, SIGSTOP) == 0) {
        frozen_.push_back(pid);
        added = true;
      }
    }
    if (!added) break;
  }
  if (absl::Status s = WaitUntilStopped(frozen_, absl::Seconds(5)); !s.ok()) {
    return s;
  }
  return static_cast<int>(frozen_.size());
}

absl::Status PostgresServer::Thaw() {
  std::vector<pid_t> failed;
  for (pid_t pid : frozen_) {
    if (kill(pid, SIGCONT) != 0 && errno != ESRCH) failed.push_back(pid);
  }
  frozen_.clear();
  if (!failed.empty()) {
    return absl::InternalError(
        absl::StrCat("cannot continue ", absl::StrJoin(failed, ", ")));
  }
  return absl::OkStatus();
}

absl::Status PostgresServer::Restart(std::string_view mode,
                                     absl::Duration timeout) {
  static std::atomic<int> counter{0};
  const std::string output_path =
      absl::StrCat(::testing::TempDir(), "/pg_ctl-", getpid(), "-",
                   counter.fetch_add(1), ".out");
  std::vector<std::string> args = {
      pg_ctl_,
      "restart",
      "-D",
      data_directory_,
      "-m",
      std::string(mode),
      "-w",
      "-t",
      absl::StrCat(std::max<int64_t>(1, absl::ToInt64Seconds(timeout))),
      "-l",
      log_file_};
  // Everything the child needs is prepared before fork(): only
  // async-signal-safe calls happen between fork and exec.
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const bool become_owner = geteuid() == 0 && owner_uid_ != 0;
  const uid_t uid = owner_uid_;
  const gid_t gid = owner_gid_;
  const int output =
      open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int null_input = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (output < 0 || null_input < 0) {
    if (output >= 0) close(output);
    if (null_input >= 0) close(null_input);
    return absl::InternalError("cannot open pg_ctl's output file");
  }
  const pid_t child = fork();
  if (child == 0) {
    dup2(null_input, STDIN_FILENO);
    dup2(output, STDOUT_FILENO);
    dup2(output, STDERR_FILENO);
    // The server pg_ctl starts must hold none of this process's files (a
    // test runner waits for its pipes to close).
    close_range(3, ~0U, 0);
    if (chdir("/") != 0) _exit(126);
    if (become_owner &&
        (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0)) {
      _exit(126);
    }
    execve(argv[0], argv.data(), environ);
    _exit(127);
  }
  close(output);
  close(null_input);
  if (child < 0) return absl::InternalError("fork failed");
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(
      "pg_ctl ", absl::StrJoin(args.begin() + 1, args.end(), " "),
      " failed (wait status ", status, "):\n", ReadFile(output_path)));
}

}  // namespace analytics::testing
