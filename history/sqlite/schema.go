package sqlite

import "github.com/hostwatch/hostwatch/history/migrate"

// applicationID marks the file as a hostwatch history (PRAGMA
// application_id, bytes 68–71 of the header): "hstw".
const applicationID = 0x68737477

// schema returns the schema steps in order (migrate numbers, orders and
// checks them). The version reached is kept in PRAGMA user_version (bytes
// 60–63 of the file header) and, for people reading the file, in
// meta.schema_version. Every table and column is described in SCHEMA.md.
func schema() migrate.Schema {
	return migrate.Schema{
		{Version: 1, Why: "the first schema", SQL: `
CREATE TABLE meta (
	key   TEXT NOT NULL PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE datasets (
	id      INTEGER PRIMARY KEY,
	name    TEXT NOT NULL,
	version TEXT NOT NULL,
	license TEXT NOT NULL,
	details TEXT NOT NULL UNIQUE
);

CREATE TABLE runs (
	id           INTEGER PRIMARY KEY,
	started_at   TEXT NOT NULL,
	finished_at  TEXT,
	tool_version TEXT NOT NULL,
	datasets     TEXT NOT NULL,
	resolvers    TEXT NOT NULL,
	vantage      TEXT NOT NULL,
	targets      INTEGER NOT NULL
);

CREATE TABLE domains (
	id      INTEGER PRIMARY KEY,
	name    TEXT NOT NULL UNIQUE,
	unicode TEXT NOT NULL
);

CREATE TABLE answers (
	id          INTEGER PRIMARY KEY,
	fingerprint TEXT NOT NULL UNIQUE,
	status      TEXT NOT NULL,
	cname_chain TEXT NOT NULL
);

CREATE TABLE addresses (
	answer_id   INTEGER NOT NULL REFERENCES answers(id),
	ip          TEXT NOT NULL,
	version     INTEGER NOT NULL,
	asn         INTEGER,
	as_org      TEXT,
	prefix      TEXT,
	country     TEXT,
	special_use TEXT,
	sources     TEXT NOT NULL,
	PRIMARY KEY (answer_id, ip)
) WITHOUT ROWID;

CREATE TABLE observations (
	id           INTEGER PRIMARY KEY,
	domain_id    INTEGER NOT NULL REFERENCES domains(id),
	answer_id    INTEGER NOT NULL REFERENCES answers(id),
	first_run_id INTEGER NOT NULL REFERENCES runs(id),
	last_run_id  INTEGER NOT NULL REFERENCES runs(id),
	first_seen   TEXT NOT NULL,
	last_seen    TEXT NOT NULL,
	seen_count   INTEGER NOT NULL,
	status       TEXT NOT NULL,
	error        TEXT
);
CREATE INDEX observations_domain_last_seen ON observations(domain_id, last_seen);

CREATE VIEW hosting AS
SELECT d.name AS domain, o.first_seen, o.last_seen, o.seen_count, o.status,
       a.ip, a.asn, a.as_org, a.prefix, a.country, a.special_use,
       o.first_run_id, o.last_run_id, o.id AS observation_id, o.answer_id
FROM observations o
JOIN domains d ON d.id = o.domain_id
LEFT JOIN addresses a ON a.answer_id = o.answer_id;

CREATE VIEW run_datasets AS
SELECT r.id AS run_id, d.name, d.version, d.license, d.id AS dataset_id
FROM runs r, json_each(r.datasets) j
JOIN datasets d ON d.id = j.value;
`},
		// Who runs each address, and where its holder is registered.
		{Version: 2, Why: "providers and registered countries", SQL: `
ALTER TABLE addresses ADD COLUMN registered_country TEXT;
ALTER TABLE addresses ADD COLUMN provider TEXT;
ALTER TABLE addresses ADD COLUMN provider_kind TEXT;
ALTER TABLE addresses ADD COLUMN region TEXT;
ALTER TABLE addresses ADD COLUMN cdn INTEGER NOT NULL DEFAULT 0;
ALTER TABLE addresses ADD COLUMN cdn_name TEXT;
`},
		// Many vantages and views in one file, errors by kind, spans
		// within a UTC day, the confirm each run used, and the indexes plain
		// SQL needs. Spans written before keep their vantage and view: those
		// of the run that started them (one vantage per file was enforced).
		{Version: 3, Why: "vantages, views and error kinds", SQL: `
CREATE TABLE views (
	id        INTEGER PRIMARY KEY,
	resolvers TEXT NOT NULL,
	subnets   TEXT NOT NULL,
	UNIQUE (resolvers, subnets)
);
INSERT OR IGNORE INTO views (resolvers, subnets) SELECT DISTINCT resolvers, '[]' FROM runs;
ALTER TABLE runs ADD COLUMN view_id INTEGER REFERENCES views(id);
ALTER TABLE runs ADD COLUMN subnets TEXT NOT NULL DEFAULT '[]';
ALTER TABLE runs ADD COLUMN confirm INTEGER NOT NULL DEFAULT 1;
UPDATE runs SET view_id = (SELECT v.id FROM views v WHERE v.resolvers = runs.resolvers AND v.subnets = '[]');
CREATE INDEX runs_vantage ON runs(vantage, id);

ALTER TABLE observations ADD COLUMN vantage TEXT NOT NULL DEFAULT '';
ALTER TABLE observations ADD COLUMN view_id INTEGER REFERENCES views(id);
ALTER TABLE observations ADD COLUMN error_kind TEXT;
ALTER TABLE observations ADD COLUMN resume_run INTEGER;
UPDATE observations SET
	vantage = (SELECT r.vantage FROM runs r WHERE r.id = observations.first_run_id),
	view_id = (SELECT r.view_id FROM runs r WHERE r.id = observations.first_run_id),
	error_kind = CASE
		WHEN status <> 'error' THEN NULL
		WHEN error LIKE '%CNAME loop%' THEN 'cname_loop'
		WHEN error LIKE '%CNAME chain too long%' THEN 'cname_chain_too_long'
		WHEN error LIKE '%unexpected rcode%' THEN 'unexpected_rcode'
		WHEN error LIKE '%connection refused%' THEN 'connection_refused'
		WHEN error LIKE '%timeout%' THEN 'timeout'
		ELSE 'other' END;
DROP INDEX observations_domain_last_seen;
CREATE INDEX observations_domain_vantage ON observations(domain_id, vantage);
CREATE INDEX observations_first_seen ON observations(first_seen);

CREATE TABLE tips (
	domain_id INTEGER NOT NULL REFERENCES domains(id),
	vantage   TEXT NOT NULL,
	span_id   INTEGER NOT NULL,
	confirm   INTEGER NOT NULL,
	tip       TEXT,
	PRIMARY KEY (domain_id, vantage)
) WITHOUT ROWID;
CREATE INDEX addresses_ip ON addresses(ip);
CREATE INDEX addresses_country ON addresses(country);

DROP VIEW hosting;
CREATE VIEW hosting AS
SELECT d.name AS domain, o.vantage, o.first_seen, o.last_seen, o.seen_count, o.status, o.error_kind,
       a.ip, a.asn, a.as_org, a.prefix, a.country, a.registered_country,
       a.provider, a.provider_kind, a.region, a.cdn, a.cdn_name, a.special_use,
       v.resolvers, v.subnets,
       o.first_run_id, o.last_run_id, o.id AS observation_id, o.answer_id
FROM observations o
JOIN domains d ON d.id = o.domain_id
LEFT JOIN views v ON v.id = o.view_id
LEFT JOIN addresses a ON a.answer_id = o.answer_id;
`},
		// Each attribution stored once, answers' addresses referring to
		// it (the addresses view reads as the table did); whether a
		// timeline is settled kept with its latest span, tips only for
		// round-robin periods; room for a span's counters to grow into on
		// its first extension.
		{Version: 4, Why: "attributions stored once", SQL: `
CREATE TABLE attributions (
	id                 INTEGER PRIMARY KEY,
	asn                INTEGER,
	as_org             TEXT,
	prefix             TEXT,
	country            TEXT,
	registered_country TEXT,
	provider           TEXT,
	provider_kind      TEXT,
	region             TEXT,
	cdn                INTEGER NOT NULL,
	cdn_name           TEXT,
	special_use        TEXT,
	sources            TEXT NOT NULL
);
CREATE UNIQUE INDEX attributions_facts ON attributions(ifnull(asn, 0), ifnull(as_org, ''), ifnull(prefix, ''), ifnull(country, ''),
	ifnull(registered_country, ''), ifnull(provider, ''), ifnull(provider_kind, ''), ifnull(region, ''), cdn, ifnull(cdn_name, ''),
	ifnull(special_use, ''), sources);
INSERT OR IGNORE INTO attributions (asn, as_org, prefix, country, registered_country, provider, provider_kind, region, cdn, cdn_name, special_use, sources)
SELECT asn, as_org, prefix, country, registered_country, provider, provider_kind, region, cdn, cdn_name, special_use, sources
FROM addresses ORDER BY answer_id, ip;

CREATE TABLE answer_addresses (
	answer_id      INTEGER NOT NULL REFERENCES answers(id),
	ip             TEXT NOT NULL,
	attribution_id INTEGER NOT NULL REFERENCES attributions(id),
	PRIMARY KEY (answer_id, ip)
) WITHOUT ROWID;
INSERT INTO answer_addresses (answer_id, ip, attribution_id)
SELECT a.answer_id, a.ip, t.id FROM addresses a JOIN attributions t ON
	ifnull(t.asn, 0) = ifnull(a.asn, 0) AND ifnull(t.as_org, '') = ifnull(a.as_org, '') AND ifnull(t.prefix, '') = ifnull(a.prefix, '')
	AND ifnull(t.country, '') = ifnull(a.country, '') AND ifnull(t.registered_country, '') = ifnull(a.registered_country, '')
	AND ifnull(t.provider, '') = ifnull(a.provider, '') AND ifnull(t.provider_kind, '') = ifnull(a.provider_kind, '')
	AND ifnull(t.region, '') = ifnull(a.region, '') AND t.cdn = a.cdn AND ifnull(t.cdn_name, '') = ifnull(a.cdn_name, '')
	AND ifnull(t.special_use, '') = ifnull(a.special_use, '') AND t.sources = a.sources;

DROP VIEW hosting;
DROP TABLE addresses;
CREATE INDEX answer_addresses_ip ON answer_addresses(ip);
CREATE INDEX attributions_country ON attributions(country);

CREATE VIEW addresses AS
SELECT aa.answer_id, aa.ip, CASE WHEN instr(aa.ip, ':') > 0 THEN 6 ELSE 4 END AS version,
       t.asn, t.as_org, t.prefix, t.country, t.special_use, t.sources,
       t.registered_country, t.provider, t.provider_kind, t.region, t.cdn, t.cdn_name, aa.attribution_id
FROM answer_addresses aa
JOIN attributions t ON t.id = aa.attribution_id;

CREATE VIEW hosting AS
SELECT d.name AS domain, o.vantage, o.first_seen, o.last_seen, o.seen_count, o.status, o.error_kind,
       aa.ip, t.asn, t.as_org, t.prefix, t.country, t.registered_country,
       t.provider, t.provider_kind, t.region, t.cdn, t.cdn_name, t.special_use,
       v.resolvers, v.subnets,
       o.first_run_id, o.last_run_id, o.id AS observation_id, o.answer_id
FROM observations o
JOIN domains d ON d.id = o.domain_id
LEFT JOIN views v ON v.id = o.view_id
LEFT JOIN answer_addresses aa ON aa.answer_id = o.answer_id
LEFT JOIN attributions t ON t.id = aa.attribution_id;

ALTER TABLE observations ADD COLUMN settled INTEGER;
UPDATE observations SET settled = (SELECT t.confirm FROM tips t
	WHERE t.domain_id = observations.domain_id AND t.vantage = observations.vantage AND t.span_id = observations.id);
DELETE FROM tips WHERE tip IS NULL;
ALTER TABLE observations ADD COLUMN room BLOB;
`},
		// Round trips measured to addresses (check --rtt), every sample
		// kept, with the vantage's location, for history --bounds. A table
		// of its own: earlier runs keep everything they had.
		{Version: 5, Why: "round trips", SQL: `
CREATE TABLE rtt_measurements (
	id              INTEGER PRIMARY KEY,
	run_id          INTEGER NOT NULL REFERENCES runs(id),
	domain_id       INTEGER NOT NULL REFERENCES domains(id),
	vantage         TEXT NOT NULL,
	ip              TEXT NOT NULL,
	vantage_lat     REAL,
	vantage_lon     REAL,
	claimed_country TEXT,
	method          TEXT NOT NULL,
	min_ns          INTEGER NOT NULL,
	samples         TEXT NOT NULL,
	measured_at     TEXT NOT NULL
);
CREATE INDEX rtt_measurements_ip ON rtt_measurements(ip);
`},
		// Run groups (check --run-group): the shards of one scheduled run,
		// a domain observed once per group from a vantage. Earlier runs
		// are in no group.
		{Version: 6, Why: "run groups", SQL: `
ALTER TABLE runs ADD COLUMN run_group TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_group ON runs(run_group) WHERE run_group <> '';
`},
		// Spans by answer: a watchdog's query by address through the
		// hosting view (WHERE ip = ...) goes from the IP index to the
		// answers holding it and from there to their spans, instead of
		// reading every span.
		{Version: 7, Why: "spans by answer", SQL: `
CREATE INDEX observations_answer ON observations(answer_id);
`},
	}
}
