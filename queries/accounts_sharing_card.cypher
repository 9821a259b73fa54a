// name: accounts_sharing_card
// title: Accounts sharing a payment card with an account
// description: The accounts that pay with any card the given account pays with, with the shared cards.
// param: account_id string "acc-00004844" The account to start from
// param: limit int 200 Most rows returned
// tags: card, sharing, account
MATCH (a:Account {account_id: $account_id})-[:PAID_WITH]->(c:PaymentCard)<-[:PAID_WITH]-(other:Account)
WHERE other <> a
RETURN other.account_id AS account_id, other.email AS email, other.created_at AS created_at,
       collect(DISTINCT c.card_fingerprint) AS shared_cards
ORDER BY size(shared_cards) DESC, account_id LIMIT $limit
