// SiteRepository on libpqxx; exceptions stop here.
#include "common/sites/site_repository.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/auth/keys.h"
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

// Columns in the order every site query returns them.
SiteRecord ToSite(const pqxx::row& row) {
  SiteRecord site;
  site.site_id = row[0].as<int64_t>();
  site.slug = row[1].as<std::string>();
  site.name = row[2].as<std::string>();
  std::string origins = row[3].as<std::string>();
  if (!origins.empty()) {
    site.allowed_origins = absl::StrSplit(origins, '\n');
  }
  site.session_timeout = absl::Milliseconds(row[4].as<int64_t>());
  site.time_zone = row[5].as<std::string>();
  site.raw_retention = absl::Milliseconds(row[6].as<int64_t>());
  site.disabled = row[7].as<bool>();
  site.created_at = absl::FromUnixMicros(row[8].as<int64_t>());
  return site;
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
  JsonWriter origins;
  origins.BeginArray();
  for (const auto& origin : site.allowed_origins) origins.String(origin);
  origins.EndArray();
  auto created = pool_->RunTransaction(
      "create_site",
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<SiteRecord> {
        SiteRecord stored = ToSite(tx.exec_prepared1(
            "insert_site", site.slug, site.name, origins.str(),
            absl::ToInt64Milliseconds(site.session_timeout), site.time_zone,
            absl::ToInt64Milliseconds(site.raw_retention)));
        tx.exec_prepared0("insert_site_key", stored.site_id, write_key_hash,
                          KeyKindName(KeyKind::kWrite));
        tx.exec_prepared0("insert_site_key", stored.site_id, read_key_hash,
                          KeyKindName(KeyKind::kRead));
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
  if (absl::Status s = GetById(site_id).status(); !s.ok()) return s;
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
