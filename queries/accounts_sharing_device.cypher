// name: accounts_sharing_device
// title: Accounts sharing a device with an account
// description: The accounts that logged in with any device the given account used, with the shared devices.
// param: account_id string "acc-00004844" The account to start from
// param: limit int 200 Most rows returned
// tags: device, sharing, account
MATCH (a:Account {account_id: $account_id})-[:USED_DEVICE]->(d:Device)<-[:USED_DEVICE]-(other:Account)
WHERE other <> a
RETURN other.account_id AS account_id, other.email AS email, collect(DISTINCT d.device_id) AS shared_devices
ORDER BY size(shared_devices) DESC, account_id LIMIT $limit
