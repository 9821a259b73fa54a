// name: person_employer
// title: Where people work
// description: The organisations the given people work for.
// param: person_ids list ["person-004", "person-000"] Person ids
// tags: person, organisation
MATCH (p:Person)-[:WORKS_FOR]->(o:Organisation) WHERE p.person_id IN $person_ids
RETURN p.person_id AS person_id, o.org_id AS org_id, o.name AS org_name, o.kind AS org_kind
