"""Proposed boxes of a project: where they are kept and the worker job that computes them.

A proposal is NOT a box in the store: the store counts any current box (whatever its source)
as "the photo has a box", so a proposal written there would move the photo from "needs a box"
to "needs a decision" and start matching on a box nobody looked at. Proposals therefore live
in the project's own small table `proposed_boxes.csv` (Image = absolute photo path, x0, y0, x1,
y1, model = the box model's weights id, or "demo" for the demo's synthetic boxes). Accepting a
proposal (key A) writes it to the store as a box with source="proposed".

The app runs propose_missing in a worker; the demo builder writes its synthetic boxes here.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Callable, Generator

from whaleid_gui.core.atomic_write import atomic_write
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


def load(project: str | Path) -> dict[str, tuple[BoundingBox, str]]:
    """resolved photo path -> (proposed box, model id); empty when there are none."""
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


def load_proposals(project: str | Path) -> dict[str, BoundingBox]:
    """Proposed boxes of a project (resolved photo path -> box); empty when there are none."""
    return {k: b for k, (b, _model) in load(project).items()}


def save(project: str | Path, proposals: dict[str, tuple[BoundingBox, str]]) -> None:
    """Write the whole table (never half a file)."""
    with atomic_write(Path(project) / PROPOSALS_CSV, "w", newline="", encoding="utf-8",
                      make_parents=False) as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        w.writeheader()
        for image, (b, model) in sorted(proposals.items()):
            w.writerow({"Image": image, "x0": f"{b.x0:.2f}", "y0": f"{b.y0:.2f}", "x1": f"{b.x1:.2f}",
                        "y1": f"{b.y1:.2f}", "model": model})


def _proposer():
    if PROPOSER_FACTORY is not None:
        return PROPOSER_FACTORY()
    from whaleid_gui.core.box_proposer import BoxProposer

    return BoxProposer.load(None)


def propose_missing(project: str | Path, photos: list[tuple[int, str]]) -> Generator[Step | BoxProposed, None, int]:
    """Worker job: a proposal for each (photo id, path) that has none from the box model yet.

    Yields a BoxProposed per photo as soon as it is known (the editor
    shows it at once) and Step progress; saves the table every few photos; returns the count."""
    project = Path(project)
    proposer = _proposer()
    model_id = str(getattr(proposer, "weights_id", "") or "box-model")
    table = load(project)
    todo = [(pid, str(Path(p).resolve())) for pid, p in photos
            if table.get(str(Path(p).resolve()), (None, ""))[1] != model_id]
    done = 0
    for n, (pid, path) in enumerate(todo):
        yield Step(n, len(todo), "Proposing boxes")
        try:
            box = proposer.propose(path)
        except Exception as exc:  # an unreadable photo gets no proposal; the queue says why elsewhere
            print(f"box proposal skipped: {exc}")
            continue
        table[path] = (box, model_id)
        done += 1
        yield BoxProposed(pid, path, box)
        if done % 20 == 0:
            save(project, table)
    if done:
        save(project, table)
    yield Step(len(todo), len(todo), "Boxes proposed")
    return done
