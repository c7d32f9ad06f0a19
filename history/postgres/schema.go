package postgres

import "github.com/hostwatch/hostwatch/history/migrate"

// schema returns the schema steps in order (migrate numbers, orders and
// checks them); the version reached is kept in meta.schema_version. Every
// table is described in history/SCHEMA.md ("PostgreSQL").
//
// Times are text, RFC 3339 in UTC with a fixed nine-digit fraction, as in
// the SQLite file: exact to the nanosecond (timestamptz keeps microseconds),
// so that a history copied between the backends reads back the same, and
// text order is time order.
func schema() migrate.Schema {
	return migrate.Schema{
		// What SQLite's first four steps reached, with run groups.
		{Version: 1, Why: "the first schema", SQL: `
CREATE TABLE meta (
	key   text PRIMARY KEY,
	value text NOT NULL
);

CREATE TABLE datasets (
	id      bigserial PRIMARY KEY,
	name    text NOT NULL,
	version text NOT NULL,
	license text NOT NULL,
	details text NOT NULL UNIQUE
);

CREATE TABLE views (
	id        bigserial PRIMARY KEY,
	resolvers jsonb NOT NULL,
	subnets   jsonb NOT NULL,
	key       text NOT NULL UNIQUE
);

-- Run IDs are taken when a run holds the locks of all its timelines, so that
-- two runs sharing a timeline are numbered in the order they commit.
CREATE SEQUENCE run_ids;

CREATE TABLE runs (
	id           bigint PRIMARY KEY,
	started_at   text NOT NULL,
	finished_at  text,
	tool_version text NOT NULL,
	datasets     bigint[] NOT NULL,
	view_id      bigint NOT NULL REFERENCES views(id),
	vantage      text NOT NULL,
	run_group    text NOT NULL,
	targets      integer NOT NULL,
	confirm      integer NOT NULL
);
CREATE INDEX runs_vantage ON runs (vantage, id);
CREATE INDEX runs_group ON runs (run_group) WHERE run_group <> '';

CREATE TABLE domains (
	id      bigserial PRIMARY KEY,
	name    text NOT NULL UNIQUE,
	unicode text NOT NULL
);

CREATE TABLE answers (
	id          bigserial PRIMARY KEY,
	fingerprint text NOT NULL UNIQUE,
	status      text NOT NULL,
	cname_chain jsonb NOT NULL,
	addresses   jsonb NOT NULL
);

-- One row per (domain, vantage): the row a run locks (SELECT … FOR UPDATE)
-- before it compares an observation with what is committed, and where the
-- timeline stands, so that an unchanged observation is written without
-- reading its spans back: the latest span, its answer, view and last_seen;
-- settled when nothing is pending and the latest observation resolved
-- (read with settled_confirm); resume_run, the run from which the spans are
-- read back when an observation must be replayed (history.Position); and
-- the run group of the latest observation.
CREATE TABLE timelines (
	id              bigserial PRIMARY KEY,
	domain_id       bigint NOT NULL REFERENCES domains(id),
	vantage         text NOT NULL,
	latest_span     bigint,
	latest_answer   bigint,
	latest_view     bigint,
	latest_seen     text,
	settled         boolean NOT NULL DEFAULT false,
	settled_confirm integer NOT NULL DEFAULT 0,
	resume_run      bigint NOT NULL DEFAULT 0,
	last_group      text NOT NULL DEFAULT '',
	UNIQUE (domain_id, vantage)
);

CREATE TABLE observations (
	id           bigserial PRIMARY KEY,
	timeline_id  bigint NOT NULL REFERENCES timelines(id),
	domain_id    bigint NOT NULL REFERENCES domains(id),
	vantage      text NOT NULL,
	view_id      bigint NOT NULL REFERENCES views(id),
	answer_id    bigint NOT NULL REFERENCES answers(id),
	first_run_id bigint NOT NULL REFERENCES runs(id),
	last_run_id  bigint NOT NULL REFERENCES runs(id),
	first_seen   text NOT NULL,
	last_seen    text NOT NULL,
	seen_count   integer NOT NULL,
	status       text NOT NULL,
	error        text,
	error_kind   text
);
-- Spans are found through their timeline (a domain's through timelines'
-- unique (domain_id, vantage)); nothing else is indexed, so that adding a
-- span costs two index entries.
CREATE INDEX observations_timeline ON observations (timeline_id, first_run_id);

-- The addresses of each answer, one row each, with what is known of them.
CREATE VIEW addresses AS
SELECT ans.id AS answer_id, a.ip, CASE WHEN position(':' in a.ip) > 0 THEN 6 ELSE 4 END AS version,
	a.asn, a.as_org, a.prefix, a.country, a.registered_country, a.provider, a.provider_kind,
	a.region, a.cdn, a.cdn_name, a.special_use, a.sources
FROM answers ans, jsonb_to_recordset(ans.addresses) AS a(ip text, asn bigint, as_org text, prefix text, country text,
	registered_country text, provider text, provider_kind text, region text, cdn boolean, cdn_name text,
	special_use text, sources jsonb);

-- One row per span and address, as in the SQLite file.
CREATE VIEW hosting AS
SELECT d.name AS domain, o.vantage, o.first_seen, o.last_seen, o.seen_count, o.status, o.error_kind,
	a.ip, a.asn, a.as_org, a.prefix, a.country, a.registered_country, a.provider, a.provider_kind, a.region,
	a.cdn, a.cdn_name, a.special_use, v.resolvers, v.subnets, o.first_run_id, o.last_run_id,
	o.id AS observation_id, o.answer_id
FROM observations o
JOIN domains d ON d.id = o.domain_id
JOIN views v ON v.id = o.view_id
LEFT JOIN addresses a ON a.answer_id = o.answer_id;
`},
		// Round trips measured to addresses (check --rtt), every sample
		// kept, with the vantage's location, for history --bounds. A table
		// of its own: earlier runs keep everything they had.
		{Version: 2, Why: "round trips", SQL: `
CREATE TABLE rtt_measurements (
	id              bigserial PRIMARY KEY,
	run_id          bigint NOT NULL REFERENCES runs(id),
	domain_id       bigint NOT NULL REFERENCES domains(id),
	vantage         text NOT NULL,
	ip              text NOT NULL,
	vantage_lat     double precision,
	vantage_lon     double precision,
	claimed_country text,
	method          text NOT NULL,
	min_ns          bigint NOT NULL,
	samples         jsonb NOT NULL,
	measured_at     text NOT NULL
);
CREATE INDEX rtt_measurements_ip ON rtt_measurements (ip);
`},
		// history without a domain pages the names in byte order
		// (DomainsAfter: name COLLATE "C"); the unique index on name
		// follows the database's collation, which need not be C, so
		// each page would scan and sort the whole table.
		{Version: 3, Why: "domain names in byte order", SQL: `
CREATE INDEX domains_name_bytes ON domains (name COLLATE "C");
`},
	}
}
