#!/usr/bin/env python3
"""Fails if service code hands libpqxx SQL that is not a string literal.

The rule (common/db/statement.h): every statement is a named, prepared one,
declared in a repository's Statements() from a file under sql/ and run with
`exec_prepared*`. What is left outside it are a few fixed statements written
as literals (session settings, the migration lock). So in every C++ file
under common/, ingest-service/ and reducer-service/ (tests beside the code
included), the SQL argument of a libpqxx call that takes SQL text must be
one string literal, or adjacent ones: never a variable, a concatenation, a
StrCat or a std::string built at run time. ALLOWED lists the exceptions,
each with its reason.

    python3 tests/lint/check_sql.py --repo .

Exit status 0: clean; 1: a finding (file:line: call and argument printed).
"""

import argparse
import os
import re
import sys

ROOTS = ("common", "ingest-service", "reducer-service")
EXTENSIONS = (".cc", ".h", ".cpp", ".hpp", ".cxx")

# libpqxx members whose first argument is SQL text (6.4, and 7.x names so an
# upgrade does not open a hole). exec_prepared* take a statement name and are
# the rule itself, so they are not listed.
SQL_FIRST = (
    "exec", "exec0", "exec1", "exec_params", "exec_params0", "exec_params1",
    "parameterized", "query", "query01", "query1", "query_value",
    "for_each", "for_query", "stream", "for_stream",
)
# The SQL is the second argument: prepare(name, sql), exec_n(rows, sql),
# and pqxx::stream_from::query(tx, sql).
SQL_SECOND = ("prepare", "exec_n", "exec_params_n", "query_n")

# (path, method, argument text with blanks squeezed): reason.
ALLOWED = {
    ("common/db/migrator.cc", "exec", "std::string(migration.sql)"):
        "migration files under common/db/migrations/, embedded at build time",
    ("common/db/connection_pool.cc", "prepare", "std::string(statement.sql)"):
        "the pool prepares every registered Statement; this is where "
        "named statements come from",
}

CALL = re.compile(
    r"(?:(?:\.|->)\s*(" + "|".join(SQL_FIRST + SQL_SECOND) +
    r")|\bstream_from\s*::\s*(query))\s*(?:<[^;(){}]*>)?\s*\(")
# pqxx::stream_from{tx, pqxx::from_query, sql}: the argument after the tag.
FROM_QUERY = re.compile(r"\bfrom_query\s*,")


def lex(text):
    """Returns (mask, literals) for C++ source `text`.

    mask: `text` with comments and the contents of string and character
    literals replaced by spaces (newlines kept), so searches and bracket
    matching see code only. literals: (start, end) of every string literal,
    prefix and quotes included.
    """
    out = list(text)
    literals = []
    i, n = 0, len(text)

    def blank(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            blank(i, j)
            i = j
        elif c == '"':
            # Prefix (u8, u, U, L, and R for raw) directly before the quote.
            start = i
            while start > 0 and text[start - 1] in "u8ULR":
                start -= 1
            if start < i and (text[start - 1:start].isalnum() or
                              text[start - 1:start] == "_"):
                start = i  # part of an identifier, not a prefix
            prefix = text[start:i]
            if "R" in prefix:
                m = re.match(r'"([^()\\\s]{0,16})\(', text[i:])
                if not m:
                    raise ValueError(f"bad raw string at offset {i}")
                close = ")" + m.group(1) + '"'
                j = text.find(close, i + m.end())
                j = n if j < 0 else j + len(close)
            else:
                j = i + 1
                while j < n and text[j] != '"':
                    if text[j] == "\\":
                        j += 1
                    elif text[j] == "\n":
                        raise ValueError(f"unterminated string at offset {i}")
                    j += 1
                j += 1
            blank(i + 1, j - 1)
            literals.append((start, j))
            i = j
        elif c == "'":
            # A digit separator (1'000'000) or a character literal.
            k = i
            while k > 0 and (text[k - 1].isalnum() or text[k - 1] in "_'."):
                k -= 1
            if k < i and text[k].isdigit():
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != "'":
                j += 2 if text[j] == "\\" else 1
            blank(i + 1, j)
            i = j + 1
        else:
            i += 1
    return "".join(out), literals


def arguments(mask, open_paren, count):
    """(start, end) of the first `count` arguments of the call whose '(' is
    at `open_paren`, split at top-level commas (in `mask`)."""
    return arguments_from(mask, open_paren + 1, count)


def arguments_from(mask, begin, count):
    """Like arguments(), for the argument list continuing at `begin`."""
    spans = []
    depth, start = 0, begin
    closing = {")": "(", "]": "[", "}": "{"}
    for k in range(begin, len(mask)):
        ch = mask[k]
        if ch in "([{":
            depth += 1
        elif ch in closing:
            if depth == 0:
                spans.append((start, k))
                return spans[:count]
            depth -= 1
        elif ch == "," and depth == 0:
            spans.append((start, k))
            if len(spans) == count:
                return spans
            start = k + 1
    return spans[:count]


def is_literal(text, mask, literals, span):
    """True if `span` holds only string literals and blanks (comments)."""
    a, b = span
    covered = [False] * (b - a)
    for s, e in literals:
        for k in range(max(s, a), min(e, b)):
            covered[k - a] = True
    saw_literal = any(covered)
    for k in range(a, b):
        if not covered[k - a] and not mask[k].isspace():
            return False
    return saw_literal


def check_file(repo, rel):
    with open(os.path.join(repo, rel), encoding="utf-8") as f:
        text = f.read()
    mask, literals = lex(text)
    calls = []
    for m in CALL.finditer(mask):
        if m.group(1):
            method = m.group(1)
            index = 1 if method in SQL_SECOND else 0
        else:
            method, index = "stream_from::query", 1
        spans = arguments(mask, m.end() - 1, index + 1)
        if len(spans) > index:
            calls.append((m.start(), method, spans[index]))
    for m in FROM_QUERY.finditer(mask):
        calls.append((m.start(), "from_query", arguments_from(
            mask, m.end(), 1)[0]))
    findings = []
    for start, method, span in sorted(calls):
        line = text.count("\n", 0, start) + 1
        if not mask[slice(*span)].strip():
            # prepare("name") alone, or exec(): nothing to check.
            continue
        if is_literal(text, mask, literals, span):
            continue
        arg = " ".join(text[span[0]:span[1]].split())
        if (rel, method, arg) in ALLOWED:
            continue
        findings.append(f"{rel}:{line}: {method}() with SQL that is not a "
                        f"string literal: {arg}")
    return findings


def source_files(repo):
    for root in ROOTS:
        for directory, dirs, files in os.walk(os.path.join(repo, root)):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(EXTENSIONS):
                    yield os.path.relpath(os.path.join(directory, name), repo)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True)
    args = parser.parse_args(argv)
    files = list(source_files(args.repo))
    if not files:
        print(f"no C++ sources under {', '.join(ROOTS)} in {args.repo}")
        return 1
    findings = []
    for rel in files:
        try:
            findings += check_file(args.repo, rel)
        except ValueError as e:
            findings.append(f"{rel}: cannot read: {e}")
    for finding in findings:
        print(finding)
    if findings:
        print(f"{len(findings)} call(s) hand libpqxx SQL built at run time; "
              "declare a db::Statement (common/db/statement.h) and use "
              "exec_prepared")
        return 1
    print(f"{len(files)} files: every SQL argument is a literal or a "
          "prepared statement name")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
