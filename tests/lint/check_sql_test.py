#!/usr/bin/env python3
"""Proves check_sql.py fails where it should (ctest -R SqlLint).

Writes C++ snippets into a scratch repository: every GOOD one together must
pass; each BAD one alone must fail, reporting its file and the line of the
call. Run with the checker beside it:

    python3 tests/lint/check_sql_test.py
"""

import contextlib
import io
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
import check_sql  # noqa: E402

# Calls that follow the rule, or look like a call only to a naive grep.
GOOD = r'''
void Good(pqxx::work& tx, pqxx::connection& c, const std::string& name) {
  tx.exec("SELECT 1");
  tx.exec0("SELECT 1");
  tx.exec1("SELECT 1")[0][0].as<int>();
  tx.exec_params("SELECT set_config('a', $1, true)", value);
  tx.exec_params1(
      "SELECT a"
      " FROM b WHERE c = $1",  // adjacent literals are one literal
      1'000'000);
  tx.exec(R"sql(SELECT "quoted", ')' FROM t)sql");
  tx.exec(/* a comment */ "SELECT 2");
  tx.exec(u8"SELECT 3");
  pointer->exec("SELECT 4");
  tx.stream<int, std::string>("SELECT a, b FROM t");
  tx.exec_prepared(kStatement.name, 1, 2);
  tx.exec_prepared1(name, x + y);
  tx.exec_prepared0(std::string(statement.name));
  c.prepare("named", "SELECT $1");
  c.prepare("named");
  tx.exec_n(1, "SELECT 1");
  tx.exec_params_n(2, "SELECT $1", rows);
  auto rows = pqxx::stream_from::query(tx, "SELECT a FROM t");
  pqxx::stream_from s{tx, pqxx::from_query, "SELECT a FROM t"};
  // tx.exec("SELECT " + x);  in a comment
  /* tx.exec(sql); */
  const char* s = "tx.exec(sql + x)";
  char quote = '"';
  url.query();
  tx.exec("SELECT ')'", 'x');
}
'''

# (snippet, line of the call within it, text of the report).
BAD = [
    ('tx.exec("SELECT " + x);', 1, '"SELECT " + x'),
    ('tx.exec(sql);', 1, "sql"),
    ('tx.exec0(absl::StrCat("DELETE FROM ", table));', 1, "absl::StrCat"),
    ('tx.exec1(std::string("SELECT 1"));', 1, 'std::string("SELECT 1")'),
    ('tx.exec_params(\n    "SELECT a FROM t WHERE b = " + b,\n    1);', 1,
     '"SELECT a FROM t WHERE b = " + b'),
    ('tx.exec_params0(query, 1);', 1, "query"),
    ('tx.exec_params1(kSql, 1);', 1, "kSql"),
    ('tx.exec_params_n(2, sql, 1);', 1, "exec_params_n() with SQL that is "
     "not a string literal: sql"),
    ('tx.exec_n(1, sql);', 1, "exec_n() with SQL that is not a string "
     "literal: sql"),
    ('auto s = pqxx::stream_from::query(tx, "SELECT " + x);', 1,
     '"SELECT " + x'),
    ('pqxx::stream_from s{tx, pqxx::from_query, sql};', 1,
     "from_query() with SQL that is not a string literal: sql"),
    ('\n\nptr->exec(fmt::format("SELECT {}", x));', 3, "fmt::format"),
    ('tx.stream<int>("SELECT " + columns);', 1, '"SELECT " + columns'),
    ('tx.query<int>(sql);', 1, "sql"),
    ('tx.query_value<int>(std::string(s));', 1, "std::string(s)"),
    ('tx.exec("SELECT 1" + std::string(" FROM t"));', 1, '" FROM t"'),
    ('tx.exec(("SELECT 1"));', 1, '("SELECT 1")'),
    ('tx.exec("SELECT 1"_sql);', 1, "_sql"),
    ('c.prepare("n", "SELECT " + x);', 1, '"SELECT " + x'),
    ('c.prepare(std::string(s.name), std::string(s.sql));', 1,
     "std::string(s.sql)"),  # allowed only in connection_pool.cc
    ('tx.parameterized(sql)(1).exec();', 1, "parameterized"),
    ('tx.exec(std::string(migration.sql));', 1,
     "migration.sql"),  # allowed only in migrator.cc
    ('tx.exec(R"(SELECT )" + x);', 1, "+ x"),
]


def run(repo):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = check_sql.main(["--repo", repo])
    return code, out.getvalue()


def write(repo, rel, text):
    path = os.path.join(repo, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    failures = []
    with tempfile.TemporaryDirectory() as repo:
        write(repo, "common/db/good.cc", GOOD)
        write(repo, "reducer-service/src/good.h", GOOD)
        code, out = run(repo)
        if code != 0:
            failures.append(f"good snippets refused:\n{out}")
        for n, (snippet, line, fragment) in enumerate(BAD):
            rel = f"ingest-service/src/bad_{n}.cc"
            # Two lines of context before, so the line number is checked.
            write(repo, rel, "// bad\nvoid F() {\n" + snippet + "\n}\n")
            code, out = run(repo)
            want = f"{rel}:{line + 2}: "
            if code != 1 or want not in out or fragment not in out:
                failures.append(f"not caught as {want}...{fragment}: "
                                f"{snippet!r} (exit {code}):\n{out}")
            os.remove(os.path.join(repo, rel))
        # The exceptions hold only where they are listed.
        write(repo, "common/db/migrator.cc",
              "tx.exec(std::string(migration.sql));\n")
        write(repo, "common/db/connection_pool.cc",
              "c->prepare(std::string(s.name), std::string(statement.sql));\n")
        code, out = run(repo)
        if code != 0:
            failures.append(f"listed exceptions refused:\n{out}")
        # An empty tree is an error, not a pass.
    with tempfile.TemporaryDirectory() as empty:
        code, out = run(empty)
        if code != 1:
            failures.append(f"an empty tree passed:\n{out}")
    for failure in failures:
        print("FAIL:", failure)
    print(f"{len(BAD)} bad snippets, {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
