-- Visitor spans: the overview's visitor sketches pre-merged over long blocks.
--
-- Distinct visitors of a range union one sketch per rollup row in it, and a
-- dense sketch (a site with more than 2560 visitors a day) costs tens of
-- microseconds to union: 90 days of day rows made GetOverview ~6 ms. A
-- visitor span holds the union of the overview's (dimension 0) day sketches
-- of one block of `days` UTC days, 4, 16, 64 or 256, whose first day is a
-- multiple of `days` days after 1970-01-01 (visitor_span_start()). Blocks of
-- one length never overlap, and a block of each length is either inside a
-- longer one or disjoint from it, so a range of whole days is covered by a
-- few blocks and at most 3 single days at each end (PlanRange, reducer
-- range_plan.cc, which must agree with visitor_span_start()).
--
-- Writers keep span = union of the day sketches of its block:
-- - the reducer adds a pass's visitor ids to the day rows and, in the same
--   transaction, to their spans (upsert_visitor_spans.sql), after the rollup
--   rows, in key order, so concurrent reducers cannot deadlock;
-- - RebuildRollups rewrites the spans of the blocks it touched from the
--   rebuilt day rows;
-- - day rollups are never expired, so neither are spans; purging a site
--   removes them.
-- Only sketches live here: every counter still comes from the day rows.
-- Breakdown keys have no spans (they would multiply the reducer's sketch
-- writes by five for every key).

-- The block lengths in days, for every statement that writes spans; the
-- planner's list is kVisitorSpanDays (reducer-service range_plan.h).
CREATE FUNCTION visitor_span_lengths()
RETURNS SETOF integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ VALUES (4), (16), (64), (256) $$;

CREATE FUNCTION visitor_span_start(day timestamptz, days integer)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT timestamptz 'epoch'
         + (floor(extract(epoch FROM day) / (86400 * days)) * days)::bigint
           * interval '1 day'
$$;

CREATE TABLE visitor_spans (
  site_id bigint NOT NULL,
  days smallint NOT NULL CHECK (days IN (4, 16, 64, 256)),
  span_start timestamptz NOT NULL,
  visitors_hll hll NOT NULL,
  PRIMARY KEY (site_id, days, span_start)
);

-- What site `site`'s spans of the blocks holding a day of [from_time,
-- to_time) should be: the union of the overview's day sketches of each
-- block (the whole block, also outside the range). Blocks with no sketch
-- have no row. VerifyRollups compares, RebuildRollups writes them.
CREATE FUNCTION visitor_spans_of_days(site bigint, from_time timestamptz,
                                      to_time timestamptz)
RETURNS TABLE (days smallint, span_start timestamptz, visitors_hll hll)
LANGUAGE sql STABLE
AS $$
  SELECT l.days::smallint, visitor_span_start(r.bucket_start, l.days),
         hll_union_agg(r.visitors_hll)
  FROM visitor_span_lengths() AS l(days)
  JOIN rollups r
    ON r.site_id = site AND r.granularity = 1 AND r.dimension = 0
   AND r.key = '' AND r.visitors_hll IS NOT NULL
   AND r.bucket_start >= visitor_span_start(from_time, l.days)
   AND r.bucket_start < visitor_span_start(to_time - interval '1 microsecond',
                                           l.days) + l.days * interval '1 day'
  WHERE from_time < to_time
  GROUP BY 1, 2
$$;

-- The spans of the day rows reduced before this migration.
INSERT INTO visitor_spans (site_id, days, span_start, visitors_hll)
SELECT r.site_id, l.days, visitor_span_start(r.bucket_start, l.days),
       hll_union_agg(r.visitors_hll)
FROM rollups r
CROSS JOIN visitor_span_lengths() AS l(days)
WHERE r.granularity = 1 AND r.dimension = 0 AND r.key = ''
  AND r.visitors_hll IS NOT NULL
GROUP BY 1, 2, 3;
