-- Before a site may receive events from $2 ms back (CreateSite, or
-- UpdateSite growing its raw retention): makes sure `events` has a partition
-- for every month from then to next month (migration 0008), so an accepted
-- late event always has one. $1: db::PartitionMaintenanceLockKey. The
-- retention pass keeps the months ahead.
WITH serialised AS MATERIALIZED (SELECT pg_advisory_xact_lock($1))
SELECT ensure_event_partitions(now() - $2 * interval '1 millisecond',
                               now() + interval '1 month')
FROM serialised
