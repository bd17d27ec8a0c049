-- Pauses reduction of one site for the rest of the transaction ($1:
-- db::SiteReductionLockKey): waits for its in-flight passes, which hold the
-- lock shared (reducer-service lock_sites.sql), and keeps new ones waiting.
-- Also lifts the statement timeout for this transaction: an audit of many
-- days reads every raw event of them.
SELECT pg_advisory_xact_lock($1),
       set_config('statement_timeout', $2, true)
