// Uniqueness constraints (each also gives an index) and lookup indexes.
// Run by graph.db.ensure_schema before every load; every statement is idempotent.
CREATE CONSTRAINT organisation_id IF NOT EXISTS FOR (n:Organisation) REQUIRE n.org_id IS UNIQUE;
CREATE CONSTRAINT person_id IF NOT EXISTS FOR (n:Person) REQUIRE n.person_id IS UNIQUE;
CREATE CONSTRAINT account_id IF NOT EXISTS FOR (n:Account) REQUIRE n.account_id IS UNIQUE;
CREATE CONSTRAINT ip_address IF NOT EXISTS FOR (n:IPAddress) REQUIRE n.ip IS UNIQUE;
CREATE CONSTRAINT proxy_id IF NOT EXISTS FOR (n:Proxy) REQUIRE n.proxy_id IS UNIQUE;
CREATE CONSTRAINT card_fingerprint IF NOT EXISTS FOR (n:PaymentCard) REQUIRE n.card_fingerprint IS UNIQUE;
CREATE CONSTRAINT device_id IF NOT EXISTS FOR (n:Device) REQUIRE n.device_id IS UNIQUE;
CREATE CONSTRAINT api_key_id IF NOT EXISTS FOR (n:APIKey) REQUIRE n.api_key_id IS UNIQUE;
CREATE CONSTRAINT email_domain IF NOT EXISTS FOR (n:EmailDomain) REQUIRE n.domain IS UNIQUE;
CREATE CONSTRAINT prompt_template IF NOT EXISTS FOR (n:PromptTemplate) REQUIRE n.prompt_fingerprint IS UNIQUE;
CREATE CONSTRAINT model_name IF NOT EXISTS FOR (n:Model) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT event_id IF NOT EXISTS FOR (n:Event) REQUIRE n.event_id IS UNIQUE;
CREATE CONSTRAINT load_run_id IF NOT EXISTS FOR (n:LoadRun) REQUIRE n.run_id IS UNIQUE;
CREATE CONSTRAINT detection_run_id IF NOT EXISTS FOR (n:DetectionRun) REQUIRE n.run_id IS UNIQUE;
CREATE CONSTRAINT cluster_id IF NOT EXISTS FOR (n:Cluster) REQUIRE n.cluster_id IS UNIQUE;
CREATE CONSTRAINT campaign_id IF NOT EXISTS FOR (n:Campaign) REQUIRE n.campaign_id IS UNIQUE;
CREATE CONSTRAINT case_id IF NOT EXISTS FOR (n:Case) REQUIRE n.case_id IS UNIQUE;
CREATE CONSTRAINT identifier_id IF NOT EXISTS FOR (n:Identifier) REQUIRE n.identifier_id IS UNIQUE;
CREATE CONSTRAINT note_id IF NOT EXISTS FOR (n:Note) REQUIRE n.note_id IS UNIQUE;
CREATE CONSTRAINT similarity_search_id IF NOT EXISTS FOR (n:SimilaritySearch) REQUIRE n.search_id IS UNIQUE;
CREATE INDEX account_email IF NOT EXISTS FOR (n:Account) ON (n.email);
CREATE INDEX account_created IF NOT EXISTS FOR (n:Account) ON (n.created_at);
CREATE INDEX ip_asn IF NOT EXISTS FOR (n:IPAddress) ON (n.asn);
CREATE INDEX person_name IF NOT EXISTS FOR (n:Person) ON (n.name);
CREATE INDEX person_name_key IF NOT EXISTS FOR (n:Person) ON (n.name_key);
CREATE INDEX card_billing_name_key IF NOT EXISTS FOR (n:PaymentCard) ON (n.billing_name_key);
CREATE INDEX organisation_name IF NOT EXISTS FOR (n:Organisation) ON (n.name);
CREATE INDEX cluster_run IF NOT EXISTS FOR (n:Cluster) ON (n.run_id);
CREATE INDEX campaign_run IF NOT EXISTS FOR (n:Campaign) ON (n.run_id);
CREATE INDEX account_decision IF NOT EXISTS FOR (n:Account) ON (n.decision);
CREATE INDEX case_status IF NOT EXISTS FOR (n:Case) ON (n.status);
CREATE INDEX identifier_value IF NOT EXISTS FOR (n:Identifier) ON (n.value);
CREATE CONSTRAINT alert_id IF NOT EXISTS FOR (n:Alert) REQUIRE n.alert_id IS UNIQUE;
// A report is kept under its sender and id (intel/reports.py): two senders may use one report id.
DROP CONSTRAINT intel_report_id IF EXISTS;
// (reports imported before that carry no key: they are kept as sent by nobody known)
MATCH (r:IntelReport) WHERE r.report_key IS NULL SET r.report_key = 'anonymous|' + r.report_id;
CREATE CONSTRAINT intel_report_key IF NOT EXISTS FOR (n:IntelReport) REQUIRE n.report_key IS UNIQUE;
CREATE INDEX intel_report_id_lookup IF NOT EXISTS FOR (n:IntelReport) ON (n.report_id);
CREATE CONSTRAINT indicator_id IF NOT EXISTS FOR (n:Indicator) REQUIRE n.indicator_id IS UNIQUE;
CREATE CONSTRAINT intel_feed_id IF NOT EXISTS FOR (n:IntelFeed) REQUIRE n.feed_id IS UNIQUE;
CREATE INDEX alert_case IF NOT EXISTS FOR (n:Alert) ON (n.case_id);
