-- Claims up to $1 ready queue entries fairly across sites, skipping entries
-- another reducer holds, and returns their events with what reduction needs
-- of the site. Locks last until the reducing transaction ends. A NULL event
-- column means the event row is gone (its site was deleted).
--
-- Fairness: a site's backlog must not hold back another site's fresh events.
-- Two rounds, so a pass still fills its batch (a short batch tells the worker
-- the queue is drained, and it would wait for a poll):
--   1. Every site with ready entries gets an equal share, ceil($1 / sites),
--      of its own oldest entries. Sites are served longest-waiting first, so
--      when there are more sites than $1 the ones left out this pass are the
--      ones that waited least, and they come first next time.
--   2. Whatever round 1 left of $1 (sites with fewer entries than their
--      share, or entries held by other reducers) goes oldest-first over all
--      sites, as before: to the backlogs.
-- So a site's ready entries are claimed within one pass (a few, if there are
-- more sites with ready work than $1), whatever other sites have queued.
--
-- Nothing here scans the queue: pending_sites steps through the distinct
-- site_ids with one probe of event_queue_site_ready each (a loose index scan,
-- recursive), each site's entries are read from the same index in claim
-- order, and round 2 reads event_queue_ready in order. Locks are taken only
-- on rows returned: the LIMITs sit above the locking scans.
WITH RECURSIVE pending_sites (site_id) AS (
  (SELECT site_id FROM event_queue
   WHERE state = 'pending'
   ORDER BY site_id
   LIMIT 1)
  UNION ALL
  SELECT (SELECT q.site_id FROM event_queue q
          WHERE q.state = 'pending' AND q.site_id > p.site_id
          ORDER BY q.site_id
          LIMIT 1)
  FROM pending_sites p
  WHERE p.site_id IS NOT NULL
), ready_sites AS MATERIALIZED (
  -- Sites with an entry due now (entries backing off do not count), with
  -- their longest-waiting entry's due time. Plain reads: a site whose due
  -- entries other reducers hold still counts, and round 2 uses its share.
  SELECT p.site_id, r.next_attempt_at AS oldest
  FROM pending_sites p
  CROSS JOIN LATERAL (
    SELECT q.next_attempt_at FROM event_queue q
    WHERE q.site_id = p.site_id AND q.state = 'pending'
      AND q.next_attempt_at <= now()
    ORDER BY q.next_attempt_at
    LIMIT 1) r
), first_round AS MATERIALIZED (
  SELECT q.site_id, q.event_id, q.attempts, q.occurred_at
  FROM (SELECT site_id FROM ready_sites ORDER BY oldest, site_id) s
  CROSS JOIN LATERAL (
    SELECT q.site_id, q.event_id, q.attempts, q.occurred_at
    FROM event_queue q
    WHERE q.site_id = s.site_id AND q.state = 'pending'
      AND q.next_attempt_at <= now()
    ORDER BY q.next_attempt_at, q.event_id
    LIMIT (SELECT ($1::integer + count(*) - 1) / greatest(count(*), 1)
           FROM ready_sites)
    FOR UPDATE SKIP LOCKED) q
  LIMIT $1::integer
), second_round AS (
  -- SKIP LOCKED does not skip this transaction's own locks, hence the NOT
  -- IN; as a hashed filter (unlike NOT EXISTS, an anti join) it keeps this
  -- an ordered scan of event_queue_ready even in a generic plan.
  SELECT q.site_id, q.event_id, q.attempts, q.occurred_at
  FROM event_queue q
  WHERE q.state = 'pending' AND q.next_attempt_at <= now()
    AND (q.site_id, q.event_id) NOT IN (SELECT site_id, event_id
                                        FROM first_round)
  ORDER BY q.next_attempt_at, q.site_id, q.event_id
  LIMIT $1::integer
  FOR UPDATE SKIP LOCKED
), claimed AS (
  -- Reads (and so locks) second_round only until $1 rows are out.
  SELECT * FROM first_round
  UNION ALL
  SELECT * FROM second_round
  LIMIT $1::integer
)
SELECT c.site_id, c.event_id, c.attempts, e.type, e.name,
       (extract(epoch FROM e.occurred_at) * 1000000)::bigint,
       e.visitor_id, e.session_id, e.user_id, e.path, e.referrer,
       e.properties::text, e.utm_source, e.utm_medium, e.utm_campaign,
       e.device, e.browser, e.os, e.country, s.session_timeout_ms, e.bot
FROM claimed c
-- One primary key probe per entry, in the one partition of its occurred_at
-- (run-time pruning). As a plain join the planner, which cannot count on
-- pruning, may prefer hashing every partition of `events`; LIMIT 1 keeps
-- the subquery a per-row probe.
LEFT JOIN LATERAL (
  SELECT * FROM events x
  WHERE x.site_id = c.site_id AND x.id = c.event_id
    AND x.occurred_at = c.occurred_at
  LIMIT 1) e ON true
LEFT JOIN sites s ON s.site_id = c.site_id
