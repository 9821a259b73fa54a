// name: campaign_attribution
// title: Who is behind a campaign
// description: Organisations and people ranked for a whole campaign, with the clusters each is linked through.
// param: campaign_id campaign "" The campaign (full id or k0001; empty: top campaign of the latest run)
// tags: campaign, attribution
MATCH (k:Campaign {campaign_id: $campaign_id})-[r:ATTRIBUTED_TO]->(t)
RETURN r.target_kind AS target_kind, r.rank AS rank, coalesce(t.org_id, t.person_id) AS target_id, t.name AS name,
       r.confidence AS confidence, r.clusters AS clusters, r.evidence AS evidence
ORDER BY target_kind, rank
