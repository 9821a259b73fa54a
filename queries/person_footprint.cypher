// name: person_footprint
// title: A person's devices, addresses and accounts
// description: Everything the graph ties to a person: employer, devices, addresses, own accounts, and accounts that used the person's devices or addresses.
// param: person_id string "person-004" The person
// tags: person
MATCH (p:Person {person_id: $person_id})
OPTIONAL MATCH (p)-[:WORKS_FOR]->(o:Organisation)
OPTIONAL MATCH (p)-[:USES_DEVICE]->(d:Device)
OPTIONAL MATCH (p)-[:USES_IP]->(i:IPAddress)
OPTIONAL MATCH (p)<-[:OWNED_BY]-(own:Account)
WITH p, o, collect(DISTINCT d) AS devices, collect(DISTINCT i) AS ips, collect(DISTINCT own.account_id) AS own_accounts
OPTIONAL MATCH (a:Account)-[:USED_DEVICE]->(dev) WHERE dev IN devices
OPTIONAL MATCH (b:Account)-[:LOGGED_IN_FROM|REQUESTED_FROM|SIGNED_UP_FROM]->(addr) WHERE addr IN ips
RETURN p.person_id AS person_id, p.name AS name, p.role AS role, o.name AS employer,
       [x IN devices | x.device_id] AS devices, [x IN ips | x.ip] AS addresses, own_accounts,
       count(DISTINCT a) AS accounts_on_devices, count(DISTINCT b) AS accounts_on_addresses
