// SiteRepository on libpqxx; exceptions stop here.
#include "common/sites/site_repository.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/auth/keys.h"
#include "common/db/locks.h"
#include "common/json/json_writer.h"
#include "common/sites/sql_queries.h"
#include "common/status/status_mapping.h"

namespace analytics {

std::vector<db::Statement> SiteRepository::Statements() {
  std::vector<db::Statement> statements;
  for (const auto& q : sites_sql::kAll) statements.push_back({q.name, q.sql});
  return statements;
}

namespace {

// A text[] column as the site queries return it: array_to_string(.., '\n')
// (validation keeps newlines out of its elements).
std::vector<std::string> Lines(const std::string& joined) {
  if (joined.empty()) return {};
  return absl::StrSplit(joined, '\n');
}

// Columns in the order every site query returns them.
SiteRecord ToSite(const pqxx::row& row) {
  SiteRecord site;
  site.site_id = row[0].as<int64_t>();
  site.slug = row[1].as<std::string>();
  site.name = row[2].as<std::string>();
  site.allowed_origins = Lines(row[3].as<std::string>());
  site.session_timeout = absl::Milliseconds(row[4].as<int64_t>());
  site.time_zone = row[5].as<std::string>();
  site.raw_retention = absl::Milliseconds(row[6].as<int64_t>());
  site.disabled = row[7].as<bool>();
  site.created_at = absl::FromUnixMicros(row[8].as<int64_t>());
  site.property_allowlist = Lines(row[9].as<std::string>());
  site.property_denylist = Lines(row[10].as<std::string>());
  site.deleted = row[11].as<bool>();
  return site;
}

std::string JsonList(const std::vector<std::string>& values) {
  JsonWriter json;
  json.BeginArray();
  for (const auto& v : values) json.String(v);
  json.EndArray();
  return json.Release();
}

// Raw events of a site keeping them for `raw_retention` need a partition
// of `events` for every month from that far back (migration 0008).
void EnsurePartitions(pqxx::transaction_base& tx,
                      absl::Duration raw_retention) {
  tx.exec_prepared1("ensure_site_partitions", db::PartitionMaintenanceLockKey(),
                    absl::ToInt64Milliseconds(raw_retention));
}

absl::StatusOr<SiteRecord> OneSite(const pqxx::result& result,
                                   std::string_view what) {
  if (result.empty()) {
    return absl::NotFoundError(absl::StrCat("no site ", std::string(what)));
  }
  return ToSite(result[0]);
}

}  // namespace

absl::StatusOr<SiteRecord> SiteRepository::Create(
    const SiteRecord& site, const std::string& write_key_hash,
    const std::string& read_key_hash) {
  const std::string origins = JsonList(site.allowed_origins);
  auto created = pool_->RunTransaction(
      "create_site",
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<SiteRecord> {
        SiteRecord stored = ToSite(tx.exec_prepared1(
            "insert_site", site.slug, site.name, origins,
            absl::ToInt64Milliseconds(site.session_timeout), site.time_zone,
            absl::ToInt64Milliseconds(site.raw_retention)));
        tx.exec_prepared0("insert_site_key", stored.site_id, write_key_hash,
                          KeyKindName(KeyKind::kWrite));
        tx.exec_prepared0("insert_site_key", stored.site_id, read_key_hash,
                          KeyKindName(KeyKind::kRead));
        EnsurePartitions(tx, stored.raw_retention);
        return stored;
      });
  if (created.status().code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError(
        absl::StrCat("slug: a site with slug '", site.slug, "' exists"));
  }
  return created;
}

absl::Status SiteRepository::RotateKey(int64_t site_id, KeyKind kind,
                                       const std::string& new_key_hash,
                                       absl::Duration grace) {
  absl::StatusOr<SiteRecord> site = GetById(site_id);
  if (!site.ok()) return site.status();
  if (site->deleted) {
    return absl::NotFoundError(absl::StrCat("site ", site_id, " is deleted"));
  }
  return pool_->RunTransaction("rotate_key", [&](pqxx::transaction_base& tx) {
    tx.exec_prepared1("expire_site_keys", site_id, KeyKindName(kind),
                      absl::ToInt64Milliseconds(grace));
    tx.exec_prepared0("insert_site_key", site_id, new_key_hash,
                      KeyKindName(kind));
    return absl::OkStatus();
  });
}

absl::StatusOr<SiteRecord> SiteRepository::GetById(int64_t site_id) {
  return pool_->RunTransaction("get_site", [&](pqxx::transaction_base& tx) {
    return OneSite(tx.exec_prepared("select_site_by_id", site_id),
                   absl::StrCat("with id ", site_id));
  });
}

absl::StatusOr<SiteRecord> SiteRepository::GetBySlug(const std::string& slug) {
  return pool_->RunTransaction("get_site", [&](pqxx::transaction_base& tx) {
    return OneSite(tx.exec_prepared("select_site_by_slug", slug),
                   absl::StrCat("with slug '", slug, "'"));
  });
}

absl::StatusOr<std::vector<SiteRecord>> SiteRepository::List() {
  return pool_->RunTransaction(
      "list_sites",
      [&](pqxx::transaction_base& tx)
          -> absl::StatusOr<std::vector<SiteRecord>> {
        std::vector<SiteRecord> sites;
        for (const auto& row : tx.exec_prepared("select_sites")) {
          sites.push_back(ToSite(row));
        }
        return sites;
      });
}

absl::StatusOr<SiteRecord> SiteRepository::FindByKeyHash(
    KeyKind kind, const std::string& key_hash) {
  return pool_->RunTransaction(
      "find_site_by_key", [&](pqxx::transaction_base& tx) {
        return OneSite(
            tx.exec_prepared("select_site_by_key", key_hash, KeyKindName(kind)),
            "for this key");
      });
}

absl::StatusOr<SiteRecord> SiteRepository::Update(
    int64_t site_id, const std::function<absl::Status(SiteRecord&)>& change) {
  return pool_->RunTransaction(
      "update_site",
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<SiteRecord> {
        absl::StatusOr<SiteRecord> site =
            OneSite(tx.exec_prepared("select_site_for_update", site_id),
                    absl::StrCat("with id ", site_id));
        if (!site.ok()) return site.status();
        if (site->deleted) {
          return absl::NotFoundError(
              absl::StrCat("site ", site_id, " is deleted"));
        }
        SiteRecord changed = *site;
        if (absl::Status s = change(changed); !s.ok()) return s;
        changed.slug = site->slug;
        if (absl::Status s = ValidateSite(changed); !s.ok()) return s;
        if (changed.raw_retention > site->raw_retention) {
          EnsurePartitions(tx, changed.raw_retention);
        }
        return ToSite(tx.exec_prepared1(
            "update_site", site_id, changed.name,
            JsonList(changed.allowed_origins),
            absl::ToInt64Milliseconds(changed.session_timeout),
            changed.time_zone, absl::ToInt64Milliseconds(changed.raw_retention),
            JsonList(changed.property_allowlist),
            JsonList(changed.property_denylist)));
      });
}

absl::StatusOr<SiteRecord> SiteRepository::SetDisabled(int64_t site_id,
                                                       bool disabled) {
  return pool_->RunTransaction(
      "set_site_disabled", [&](pqxx::transaction_base& tx) {
        return OneSite(
            tx.exec_prepared("set_site_disabled", site_id, disabled),
            absl::StrCat("with id ", site_id, " (or it is deleted)"));
      });
}

absl::Status SiteRepository::MarkDeleted(int64_t site_id) {
  return pool_->RunTransaction(
      "mark_site_deleted", [&](pqxx::transaction_base& tx) -> absl::Status {
        if (tx.exec_prepared("mark_site_deleted", site_id).empty()) {
          return absl::NotFoundError(absl::StrCat("no site with id ", site_id));
        }
        return absl::OkStatus();
      });
}

absl::Status SiteRepository::Remove(int64_t site_id) {
  return pool_->RunTransaction(
      "delete_site", [&](pqxx::transaction_base& tx) -> absl::Status {
        if (tx.exec_prepared("delete_site", site_id).affected_rows() == 0) {
          return absl::NotFoundError(
              absl::StrCat("no deleted site with id ", site_id));
        }
        return absl::OkStatus();
      });
}

absl::StatusOr<SiteRecord> SiteKeyCache::Lookup(KeyKind kind,
                                                std::string_view secret) {
  // The cache is keyed by hash, so secrets are not kept in memory.
  std::string hash = HashKey(secret);
  std::string cache_key = absl::StrCat(KeyKindName(kind), ":", hash);
  const absl::Time now = clock_->Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(cache_key);
    if (it != entries_.end() && now - it->second.fetched_at < ttl_) {
      return it->second.site;
    }
  }
  absl::StatusOr<SiteRecord> site = sites_->FindByKeyHash(kind, hash);
  if (site.status().code() == absl::StatusCode::kNotFound) {
    site = absl::UnauthenticatedError(
        absl::StrCat("unknown or expired ", KeyKindName(kind), " key"));
  } else if (!site.ok()) {
    return site.status();
  }
  absl::MutexLock lock(&mu_);
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_[cache_key] = Entry{site, now};
  return site;
}

}  // namespace analytics
