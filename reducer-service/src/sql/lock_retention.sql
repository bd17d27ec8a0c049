-- Every retention transaction starts here: tries the partition maintenance
-- lock $1 (db::PartitionMaintenanceLockKey; false: another replica's pass is
-- at work, so this one skips its turn) and caps lock waits at $2 for the
-- rest of the transaction, so DDL on `events` never queues ingest behind a
-- long query for longer than that.
SELECT pg_try_advisory_xact_lock($1), set_config('lock_timeout', $2, true)
