-- Adds a pass's visitor ids to the visitor spans (migration 0009) of the
-- overview's day rows they joined ($1: JSON array of {site_id, bucket_start,
-- visitor_ids}, the day rows of dimension 0 with ids). Runs after the
-- rollup rows are written; rows are inserted or locked in key order, so
-- concurrent reducers take span locks in the same order. A day's ids are
-- hashed into one sketch, which then joins the span of every length.
WITH day_sketches AS (
  SELECT x.site_id, x.bucket_start,
         hll_add_agg(hll_hash_text(v), 15, 5, -1, 1) AS visitors_hll
  FROM jsonb_to_recordset($1::jsonb) AS x(site_id bigint,
                                          bucket_start timestamptz,
                                          visitor_ids jsonb)
  CROSS JOIN LATERAL jsonb_array_elements_text(x.visitor_ids) AS v
  GROUP BY 1, 2
)
INSERT INTO visitor_spans AS s (site_id, days, span_start, visitors_hll)
SELECT d.site_id, l.days, visitor_span_start(d.bucket_start, l.days),
       hll_union_agg(d.visitors_hll)
FROM day_sketches d
CROSS JOIN visitor_span_lengths() AS l(days)
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
ON CONFLICT (site_id, days, span_start) DO UPDATE SET
  visitors_hll = hll_union(s.visitors_hll, excluded.visitors_hll)
