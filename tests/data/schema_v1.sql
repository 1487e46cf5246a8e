-- Frozen DDL of WhaleID project schema version 1 (SQLite). Never edit: tests open a file
-- made from it and check that migrations upgrade it in place keeping its data.
PRAGMA foreign_keys = ON;
CREATE TABLE individuals (
	id INTEGER NOT NULL, 
	code VARCHAR(128) NOT NULL, 
	name TEXT, 
	notes TEXT, 
	created_at VARCHAR(40) NOT NULL, 
	merged_into INTEGER, 
	PRIMARY KEY (id), 
	UNIQUE (code), 
	FOREIGN KEY(merged_into) REFERENCES individuals (id)
);
CREATE TABLE meta (
	"key" VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY ("key")
);
CREATE TABLE model_runs (
	id INTEGER NOT NULL, 
	weights_id TEXT NOT NULL, 
	kind VARCHAR(32) NOT NULL, 
	started_at VARCHAR(40) NOT NULL, 
	finished_at VARCHAR(40), 
	data_summary TEXT, 
	metrics TEXT, 
	PRIMARY KEY (id)
);
CREATE TABLE photos (
	id INTEGER NOT NULL, 
	path TEXT NOT NULL, 
	sha1 VARCHAR(40) NOT NULL, 
	phash BIGINT, 
	width INTEGER NOT NULL, 
	height INTEGER NOT NULL, 
	taken_at VARCHAR(40), 
	lat FLOAT, 
	lon FLOAT, 
	camera TEXT, 
	survey TEXT, 
	imported_at VARCHAR(40) NOT NULL, 
	near_duplicate_of INTEGER, 
	PRIMARY KEY (id), 
	UNIQUE (path), 
	FOREIGN KEY(near_duplicate_of) REFERENCES photos (id)
);
CREATE INDEX ix_photos_sha1 ON photos (sha1);
CREATE INDEX ix_photos_survey ON photos (survey);
CREATE INDEX ix_photos_taken_at ON photos (taken_at);
CREATE TABLE boxes (
	id INTEGER NOT NULL, 
	photo_id INTEGER NOT NULL, 
	x0 FLOAT NOT NULL, 
	y0 FLOAT NOT NULL, 
	x1 FLOAT NOT NULL, 
	y1 FLOAT NOT NULL, 
	rotation INTEGER DEFAULT 0 NOT NULL, 
	flip BOOLEAN DEFAULT 0 NOT NULL, 
	source VARCHAR(16) NOT NULL, 
	author TEXT, 
	created_at VARCHAR(40) NOT NULL, 
	active BOOLEAN DEFAULT 1 NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT ck_boxes_rotation CHECK (rotation IN (0, 180)), 
	CONSTRAINT ck_boxes_source CHECK (source IN ('manual', 'proposed', 'imported')), 
	CONSTRAINT ck_boxes_order CHECK (x1 > x0 AND y1 > y0), 
	FOREIGN KEY(photo_id) REFERENCES photos (id)
);
CREATE INDEX ix_boxes_photo ON boxes (photo_id);
CREATE UNIQUE INDEX ux_boxes_active_photo ON boxes (photo_id) WHERE active = 1;
CREATE TABLE candidates (
	id INTEGER NOT NULL, 
	photo_id INTEGER NOT NULL, 
	individual_id INTEGER, 
	score FLOAT NOT NULL, 
	rank INTEGER NOT NULL, 
	weights_id TEXT, 
	at VARCHAR(40) NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(photo_id) REFERENCES photos (id), 
	FOREIGN KEY(individual_id) REFERENCES individuals (id)
);
CREATE INDEX ix_candidates_photo_id ON candidates (photo_id);
CREATE TABLE decisions (
	id INTEGER NOT NULL, 
	photo_id INTEGER NOT NULL, 
	individual_id INTEGER, 
	individual_code VARCHAR(128), 
	decision VARCHAR(16) NOT NULL, 
	score FLOAT, 
	rank INTEGER, 
	weights_id TEXT, 
	who TEXT, 
	at VARCHAR(40) NOT NULL, 
	undone BOOLEAN DEFAULT 0 NOT NULL, 
	undone_at VARCHAR(40), 
	created_individual BOOLEAN DEFAULT 0 NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT ck_decisions_decision CHECK (decision IN ('confirmed', 'rejected', 'new_individual', 'skipped')), 
	FOREIGN KEY(photo_id) REFERENCES photos (id), 
	FOREIGN KEY(individual_id) REFERENCES individuals (id)
);
CREATE INDEX ix_decisions_individual_id ON decisions (individual_id);
CREATE INDEX ix_decisions_photo_id ON decisions (photo_id);
CREATE TABLE individual_events (
	id INTEGER NOT NULL, 
	individual_id INTEGER NOT NULL, 
	event VARCHAR(32) NOT NULL, 
	detail TEXT, 
	who TEXT, 
	at VARCHAR(40) NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(individual_id) REFERENCES individuals (id)
);
CREATE INDEX ix_individual_events_individual_id ON individual_events (individual_id);
CREATE TABLE sightings (
	id INTEGER NOT NULL, 
	photo_id INTEGER NOT NULL, 
	individual_id INTEGER NOT NULL, 
	date VARCHAR(40), 
	place TEXT, 
	lat FLOAT, 
	lon FLOAT, 
	survey TEXT, 
	observer TEXT, 
	confirmed_by TEXT, 
	created_at VARCHAR(40) NOT NULL, 
	decision_id INTEGER, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_sightings_photo_individual UNIQUE (photo_id, individual_id), 
	FOREIGN KEY(photo_id) REFERENCES photos (id), 
	FOREIGN KEY(individual_id) REFERENCES individuals (id), 
	FOREIGN KEY(decision_id) REFERENCES decisions (id)
);
CREATE INDEX ix_sightings_decision_id ON sightings (decision_id);
CREATE INDEX ix_sightings_individual_id ON sightings (individual_id);
INSERT INTO meta ("key", value) VALUES ('schema_version', '1');
