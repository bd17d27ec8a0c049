-- Takes the shared reduction lock of every site in the pass ($1: bigint
-- array literal of db::SiteReductionLockKey values) until the transaction
-- ends, in key order. RebuildRollups holds it exclusively while it rewrites
-- a site's rollups; passes of other sites never wait.
SELECT count(pg_advisory_xact_lock_shared(k))
FROM (SELECT DISTINCT k FROM unnest($1::bigint[]) AS k ORDER BY k) ordered
