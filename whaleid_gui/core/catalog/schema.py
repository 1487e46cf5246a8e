"""The current database schema (version 3) as SQLAlchemy Core tables.

Portable Core types only, so that the same tables live on PostgreSQL for a multi-user lab
(db_postgres.py); boolean defaults are false()/true(), which SQLite writes as 0/1. Times are
ISO 8601 text (sortable, exported as is). Older versions are upgraded by migrations.py;
tests/data/schema_v1.sql keeps a frozen copy of version 1.

Version history:
  1  first schema
  2  photos.quality and photos.comment (per-photo quality flag and comment of the review screen)
  3  several reviewers at once: photos.decision_version (optimistic check of decisions),
     decisions.photo_version and decisions.conflict_with (a refused decision stays in the audit),
     photo_claims ("being reviewed by"), catalog_changes (one counter the apps poll to refresh)
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)

SCHEMA_VERSION = 4

metadata = MetaData()

# key/value facts about the project file itself (schema_version, created_at, ...)
meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

individuals = Table(
    "individuals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(128), nullable=False, unique=True),
    Column("name", Text),
    Column("notes", Text),
    Column("created_at", String(40), nullable=False),
    # a merged-away individual keeps its row (and code) and points at the one that absorbed it
    Column("merged_into", Integer, ForeignKey("individuals.id")),
)

# history of renames, merges, note edits: "renamed and merged individuals keep their history"
individual_events = Table(
    "individual_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("individual_id", Integer, ForeignKey("individuals.id"), nullable=False, index=True),
    Column("event", String(32), nullable=False),
    Column("detail", Text),  # JSON
    Column("who", Text),
    Column("at", String(40), nullable=False),
)

photos = Table(
    "photos",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("path", Text, nullable=False, unique=True),
    Column("sha1", String(40), nullable=False, index=True),
    Column("phash", BigInteger),  # stored signed (two's complement) to fit a 64-bit INTEGER
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("taken_at", String(40), index=True),
    Column("lat", Float),
    Column("lon", Float),
    Column("camera", Text),
    Column("survey", Text, index=True),
    Column("imported_at", String(40), nullable=False),
    Column("near_duplicate_of", Integer, ForeignKey("photos.id")),
    Column("quality", String(16)),  # v2
    Column("comment", Text),  # v2
    # v3: +1 for every decision on the photo and every undo of one; a decision names the version it
    # was made on, and one made on an older version (someone else decided meanwhile) is refused
    Column("decision_version", Integer, nullable=False, server_default=text("0")),
)

boxes = Table(
    "boxes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("photo_id", Integer, ForeignKey("photos.id"), nullable=False),
    Column("x0", Float, nullable=False),
    Column("y0", Float, nullable=False),
    Column("x1", Float, nullable=False),
    Column("y1", Float, nullable=False),
    Column("rotation", Integer, nullable=False, server_default=text("0")),
    Column("flip", Boolean, nullable=False, server_default=false()),
    Column("source", String(16), nullable=False),
    Column("author", Text),
    Column("created_at", String(40), nullable=False),
    # old boxes stay (inactive) as history; exactly one active box per photo at most
    Column("active", Boolean, nullable=False, server_default=true()),
    CheckConstraint("rotation IN (0, 180)", name="ck_boxes_rotation"),
    CheckConstraint("source IN ('manual', 'proposed', 'imported')", name="ck_boxes_source"),
    CheckConstraint("x1 > x0 AND y1 > y0", name="ck_boxes_order"),
)
Index(
    "ux_boxes_active_photo",
    boxes.c.photo_id,
    unique=True,
    sqlite_where=boxes.c.active == True,  # noqa: E712 (SQL expression)
    postgresql_where=boxes.c.active == True,  # noqa: E712
)
Index("ix_boxes_photo", boxes.c.photo_id)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("photo_id", Integer, ForeignKey("photos.id"), nullable=False, index=True),
    Column("individual_id", Integer, ForeignKey("individuals.id"), index=True),
    Column("individual_code", String(128)),  # code at decision time, survives deletion of an undone new individual
    Column("decision", String(16), nullable=False),
    Column("score", Float),
    Column("rank", Integer),
    Column("weights_id", Text),
    Column("who", Text),
    Column("at", String(40), nullable=False),
    Column("undone", Boolean, nullable=False, server_default=false()),
    Column("undone_at", String(40), index=True),  # index v3: an app's poll asks for the recent undos
    Column("created_individual", Boolean, nullable=False, server_default=false()),
    # v3: the photo's decision_version this decision produced (refused: the version it was made on)
    Column("photo_version", Integer),
    # v3: a decision refused because another one (this id) was made on the photo first; it is kept
    # for the audit with undone = true (never in force) and had no effect
    Column("conflict_with", Integer, ForeignKey("decisions.id")),
    CheckConstraint(
        "decision IN ('confirmed', 'rejected', 'new_individual', 'skipped')", name="ck_decisions_decision"
    ),
)

sightings = Table(
    "sightings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("photo_id", Integer, ForeignKey("photos.id"), nullable=False),
    Column("individual_id", Integer, ForeignKey("individuals.id"), nullable=False, index=True),
    Column("date", String(40)),
    Column("place", Text),
    Column("lat", Float),
    Column("lon", Float),
    Column("survey", Text),
    Column("observer", Text),
    Column("confirmed_by", Text),
    Column("created_at", String(40), nullable=False),
    Column("decision_id", Integer, ForeignKey("decisions.id"), index=True),  # the decision that made it
    UniqueConstraint("photo_id", "individual_id", name="uq_sightings_photo_individual"),
)

# the ranked candidates of the last matching run for each query photo
candidates = Table(
    "candidates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("photo_id", Integer, ForeignKey("photos.id"), nullable=False, index=True),
    Column("individual_id", Integer, ForeignKey("individuals.id")),  # NULL = new_whale
    Column("score", Float, nullable=False),
    Column("rank", Integer, nullable=False),
    Column("weights_id", Text),
    Column("at", String(40), nullable=False),
)

# v3: who has a photo open for review right now (a hint for other reviewers, not a lock); a claim
# that was not refreshed for CLAIM_MINUTES (store_claims.py) is stale and ignored
photo_claims = Table(
    "photo_claims",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("photo_id", Integer, ForeignKey("photos.id"), nullable=False, index=True),
    Column("holder", Text, nullable=False),  # user@host (pid N): one running app or command
    Column("who", Text, nullable=False),
    Column("host", Text, nullable=False),
    Column("since", String(40), nullable=False),
    Column("refreshed_at", String(40), nullable=False),
    UniqueConstraint("photo_id", "holder", name="uq_photo_claims_photo_holder"),
)

# v3: one row whose counter every write transaction raises; an app polls it (one primary-key read)
# to learn that someone else changed the catalog and reloads its views
# the box model's proposals for photos without a box (schema 4; before: proposed_boxes.csv beside
# the database, which a shared catalog's other reviewers never saw). A proposal is not a box: the
# photo still needs one until the reviewer accepts it (a box with source "proposed").
box_proposals = Table(
    "box_proposals",
    metadata,
    Column("photo_id", Integer, ForeignKey("photos.id"), primary_key=True, autoincrement=False),
    Column("x0", Float, nullable=False),
    Column("y0", Float, nullable=False),
    Column("x1", Float, nullable=False),
    Column("y1", Float, nullable=False),
    Column("model", Text, nullable=False),  # the box model's weights id, or "demo"
    Column("at", String(40), nullable=False),
)

catalog_changes = Table(
    "catalog_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("counter", BigInteger, nullable=False),
)

model_runs = Table(
    "model_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("weights_id", Text, nullable=False),
    Column("kind", String(32), nullable=False),  # training | matching | evaluation
    Column("started_at", String(40), nullable=False),
    Column("finished_at", String(40)),
    Column("data_summary", Text),  # JSON
    Column("metrics", Text),  # JSON
)
