// name: person_footprint
// title: A person's devices, addresses and accounts
// description: Everything the graph ties to a person: employer, devices, addresses, own accounts, and accounts that used the person's devices or addresses.
// param: person_id string "person-004" The person
// tags: person
MATCH (p:Person {person_id: $person_id})
OPTIONAL MATCH (p)-[:WORKS_FOR]->(o:Organisation)
WITH p, o, [(p)-[:USES_DEVICE]->(d:Device) | d] AS devices, [(p)-[:USES_IP]->(i:IPAddress) | i] AS ips,
     [(p)<-[:OWNED_BY]-(own:Account) | own.account_id] AS own_accounts
CALL (devices) {
  UNWIND devices AS d
  MATCH (a:Account)-[:USED_DEVICE]->(d)
  RETURN count(DISTINCT a) AS accounts_on_devices
}
CALL (ips) {
  UNWIND ips AS i
  MATCH (b:Account)-[:LOGGED_IN_FROM|REQUESTED_FROM|SIGNED_UP_FROM]->(i)
  RETURN count(DISTINCT b) AS accounts_on_addresses
}
RETURN p.person_id AS person_id, p.name AS name, p.role AS role, o.name AS employer,
       [x IN devices | x.device_id] AS devices, [x IN ips | x.ip] AS addresses, own_accounts,
       accounts_on_devices, accounts_on_addresses
