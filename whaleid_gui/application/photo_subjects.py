"""What a project's photos show, chosen when the project is made, and the ranking default that
follows from it (the project's "rerank" setting, changed later with Review > "Keypoint re-ranking"
and "Also match the trailing edge", or `whaleid project model DIR --rerank`).

Chosen on real photos (benchmarks/eval_real.py, RESULTS.md "The fins' trailing edge"): dorsal
fins rank best with the trailing edge fused in (fins 0.631 MAP@5 against 0.577-0.583 with keypoints);
flanks have no such edge and lose with it (nyala fold 0: 0.492 against 0.513). No real fluke set
with repeat sightings exists here, so flukes keep the general default (keypoints)."""

from __future__ import annotations

from dataclasses import dataclass

from whaleid_gui.application.project_engine import FIN_EDGES


@dataclass(frozen=True)
class PhotoSubject:
    key: str  # the project setting "subject" and the CLI's --subject value
    label: str  # what the New project dialog shows
    rerank: str  # the re-ranking a new project of this kind starts with


SUBJECTS = (
    PhotoSubject("flukes", "Humpback flukes (the underside of the tail)", "keypoints"),
    PhotoSubject("dorsal-fins", "Dorsal fins (dolphins, sharks): the trailing edge's notches are matched too",
                 FIN_EDGES),
    PhotoSubject("other", "Other markings (flanks, heads, ...)", "keypoints"),
)
SUBJECT_KEYS = tuple(s.key for s in SUBJECTS)
DEFAULT_SUBJECT = "flukes"


def subject(key: str) -> PhotoSubject:
    for s in SUBJECTS:
        if s.key == key:
            return s
    raise ValueError(f"{key!r} is not a kind of photo WhaleID knows: {', '.join(SUBJECT_KEYS)}")


def subject_settings(key: str) -> dict:
    """The settings a new project of this kind starts with."""
    s = subject(key)
    return {"subject": s.key, "rerank": s.rerank}
