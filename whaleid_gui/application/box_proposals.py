"""Proposed boxes of a project: where they are kept and the worker job that computes them.

A proposal is NOT a box in the store: the store counts any current box (whatever its source)
as "the photo has a box", so a proposal written there would move the photo from "needs a box"
to "needs a decision" and start matching on a box nobody looked at. Proposals live in the
catalog's own table (store.proposals / set_proposals, schema 4: model = the box model's weights
id, or "demo" for the demo's synthetic boxes), so every reviewer of a shared catalog sees them.
Projects from before kept them in `proposed_boxes.csv` beside the database: opening such a project
for writing moves them in (load_proposals) and renames the file `proposed_boxes.csv.migrated`.
Accepting a proposal (key A) writes it to the store as a box with source="proposed".

The app runs propose_missing in a worker (it reads the catalog, the GUI thread writes what it
yields); the demo builder writes its synthetic boxes with the store it builds.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Callable, Generator

from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.shipped_files import model_weights_dir

from .events import BoxProposed
from .steps import Step

PROPOSALS_CSV = "proposed_boxes.csv"
FIELDS = ["Image", "x0", "y0", "x1", "y1", "model"]

# Tests (and a lab with its own box model) can plug in another proposer: a callable returning an
# object with .propose(path) -> BoundingBox and .weights_id.
PROPOSER_FACTORY: Callable[[], Any] | None = None


def _default_weights() -> Path:
    # The shipped file's place (core.box_proposer.DEFAULT_WEIGHTS), without importing that module (torch).
    return model_weights_dir() / "box_proposer.pt"


def box_model_available() -> bool:
    return PROPOSER_FACTORY is not None or _default_weights().exists()


def read_csv(project: str | Path) -> dict[str, tuple[BoundingBox, str]]:
    """The proposals of a project from before schema 4 (resolved photo path -> (box, model id))."""
    path = Path(project) / PROPOSALS_CSV
    if not path.exists():
        return {}
    out: dict[str, tuple[BoundingBox, str]] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            try:
                box = BoundingBox(float(r["x0"]), float(r["y0"]), float(r["x1"]), float(r["y1"]))
            except (KeyError, TypeError, ValueError):
                continue
            out[str(Path(r["Image"]).resolve())] = (box, r.get("model") or "demo")
    return out


def migrate_csv(store: Any, project: str | Path) -> int:
    """Move a project's proposed_boxes.csv into its catalog (a store open for writing); the file is
    renamed *.migrated so it is read once. Returns how many proposals moved (photos the project no
    longer holds are left out)."""
    path = Path(project) / PROPOSALS_CSV
    if store is None or getattr(store, "read_only", True) or not path.exists():
        return 0
    ids = {str(Path(p.path).resolve()): p.id for p in store.photos()}
    moved = store.set_proposals({ids[image]: value for image, value in read_csv(project).items() if image in ids})
    path.replace(path.with_name(PROPOSALS_CSV + ".migrated"))
    return moved


def load(store: Any) -> dict[str, tuple[BoundingBox, str]]:
    """resolved photo path -> (proposed box, model id) of the catalog's proposals."""
    table = store.proposals()
    if not table:
        return {}
    # the photos that have a proposal, not every photo: this runs on the GUI thread when a project
    # opens, and reading a 1,000-photo project's rows took 35-40 ms of it (issue 15)
    return {str(Path(p.path).resolve()): table[p.id] for p in store.photos_by_id(table)}


def load_proposals(store: Any, project: str | Path | None = None) -> dict[str, BoundingBox]:
    """Proposed boxes (resolved photo path -> box); a CSV of an older project moves in first."""
    if project is not None:
        migrate_csv(store, project)
    return {k: b for k, (b, _model) in load(store).items()}


def save(store: Any, proposals: dict[str, tuple[BoundingBox, str]]) -> int:
    """Keep proposals given by resolved photo path (the demo's synthetic boxes) in the catalog."""
    ids = {str(Path(p.path).resolve()): p.id for p in store.photos()}
    return store.set_proposals({ids[k]: v for k, v in proposals.items() if k in ids})


_PLUGGED: Any = object()  # propose_missing's default: whatever PROPOSER_FACTORY is where it runs


def _proposer(factory: Callable[[], Any] | None = None):
    if factory is _PLUGGED:
        factory = PROPOSER_FACTORY
    if factory is not None:
        return factory()
    from whaleid_gui.core.box_proposer import BoxProposer

    return BoxProposer.load(None)


def propose_missing(project: str | Path, photos: list[tuple[int, str]],
                    factory: Callable[[], Any] | None = _PLUGGED) -> Generator[Step | BoxProposed, None, int]:
    """Worker job: a proposal for each (photo id, path) that has none from the box model yet.

    Yields a BoxProposed per photo as soon as it is known (the editor shows it at once; the GUI
    thread keeps it in the catalog) and Step progress; returns the count. Reads the catalog's
    proposals through a read-only connection of its own. factory: the plugged-in proposer
    (PROPOSER_FACTORY), passed by the caller because the job may run in the engine process, which
    has none of the app's plug-ins; None: the shipped box model; by default this process's plug-in."""
    from whaleid_gui.core.catalog.store import ProjectStore

    project = Path(project)
    proposer = _proposer(factory)
    model_id = str(getattr(proposer, "weights_id", "") or "box-model")
    store = ProjectStore.open(project, read_only=True)
    try:
        table = store.proposals()
    finally:
        store.close()
    todo = [(pid, str(Path(p).resolve())) for pid, p in photos if table.get(pid, (None, ""))[1] != model_id]
    done = 0
    for n, (pid, path) in enumerate(todo):
        yield Step(n, len(todo), "Proposing boxes")
        try:
            box = proposer.propose(path)
        except Exception as exc:  # an unreadable photo gets no proposal; the queue says why elsewhere
            print(f"box proposal skipped: {exc}")
            continue
        done += 1
        yield BoxProposed(pid, path, box, model_id)
    yield Step(len(todo), len(todo), "Boxes proposed")
    return done
