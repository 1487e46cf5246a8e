"""The demo's photos carry what a real season's carry: survey photos with EXIF dates and positions,
one survey a day, each whale's photos one encounter; the catalog's individuals with earlier
sightings (date and place), so "last seen" says something."""

from __future__ import annotations

import csv
from pathlib import Path

from whaleid_gui.application.demo_field_data import ENCOUNTER_SLOTS, survey_schedule
from whaleid_gui.application.demo_project import create_demo_project
from whaleid_gui.application.review_session import encounter_siblings
from whaleid_gui.core.catalog.store import ProjectStore
from whaleid_gui.core.progress import drive


def test_the_schedule_makes_one_encounter_per_whale_hours_apart():
    photos = [(Path(f"q{i}.jpg"), label) for i, label in
              enumerate(["HW-1", "HW-2", "HW-1", "new_whale", "new_whale", "HW-1", "HW-3", "HW-2", "HW-4"])]
    records = {r.path.name: r for r in survey_schedule(photos)}
    assert len(records) == len(photos)
    hw1 = sorted(records[f"q{i}.jpg"].taken_at for i in (0, 2, 5))
    assert (hw1[-1] - hw1[0]).total_seconds() < 15 * 60  # minutes apart
    assert len({records[f"q{i}.jpg"].survey for i in (0, 2, 5)}) == 1
    # photos of different whales (the two new_whale photos too: nothing says they are one whale)
    # are never within the 2-hour same-encounter window of one survey
    for i, (pa, la) in enumerate(photos):
        for pb, lb in photos[i + 1:]:
            a, b = records[pa.name], records[pb.name]
            if la != lb or la == "new_whale":
                assert a.survey != b.survey or abs((a.taken_at - b.taken_at).total_seconds()) > 2 * 3600
    assert len(ENCOUNTER_SLOTS) == 4


def test_the_demo_project_has_dated_placed_surveys_and_sighted_individuals(tmp_path):
    project = drive(create_demo_project(tmp_path, small=True))
    store = ProjectStore.open(project, read_only=True)
    try:
        survey = [p for p in store.photos() if p.status != "done"]
        assert survey and all(p.taken_at and p.survey and p.lat and p.lon for p in survey)
        assert all(p.survey.startswith("Samana Bay 2023-") for p in survey)
        with open(tmp_path / "demo_photos" / "queries.csv", newline="", encoding="utf-8") as handle:
            truth = {Path(r["Image"]).name: r["Id"] for r in csv.DictReader(handle)}
        for p in survey:  # the same-encounter strip groups the photos of one whale, nothing else
            siblings = {truth[s.path.name] for s in encounter_siblings(p, survey)}
            assert siblings <= {truth[p.path.name]} and "new_whale" not in siblings
        individuals = store.individuals()
        assert individuals and all(i.last_seen and i.last_place == "Samana Bay" for i in individuals)
    finally:
        store.close()
