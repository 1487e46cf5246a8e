"""The numbers behind the study plots, worked out by hand on tests/study_project.py's ten photos."""

from __future__ import annotations

from pathlib import Path

import pytest
from study_project import make_study_project

from whaleid_gui.core.catalog.study_stats import NO_SURVEY, figure_tables, study_stats, study_stats_of


@pytest.fixture
def study(tmp_path, catalog_url):
    store = make_study_project(tmp_path, catalog_url)
    yield store
    store.close()


def test_unidentified_unusable_and_undated_photos_are_left_out_and_counted(study):
    stats = study_stats(study)
    assert stats.photos_total == 10
    assert stats.unusable_photos == 2  # img_07 (identified as HW-D) and img_08
    assert stats.unidentified_photos == 1  # img_06 (img_08 is counted as unusable)
    assert stats.identified_photos == 7  # img_00-05 and img_09
    assert stats.undated_photos == 2  # img_05, img_09
    assert stats.individuals_without_sightings == 1  # HW-D: its only photo is unusable
    assert stats.individuals == ("HW-A", "HW-B", "HW-C")
    assert [(Path(s.photo).name, s.individual) for s in stats.sightings] == [
        ("img_00.jpg", "HW-A"), ("img_01.jpg", "HW-B"), ("img_02.jpg", "HW-A"), ("img_03.jpg", "HW-A"),
        ("img_03.jpg", "HW-C"), ("img_04.jpg", "HW-B"), ("img_05.jpg", "HW-C"), ("img_09.jpg", "HW-B")]
    assert stats.left_out() == [
        "1 unidentified photo", "2 unusable photos",
        "2 identified photos without a date (not on the discovery curve)",
        "4 sightings without coordinates (not on the map)", "1 individual without a usable photo"]


def test_discovery_curve_by_photo_and_by_survey_day(study):
    stats = study_stats(study)
    # img_00 A, img_01 B, img_02 A again, img_03 A + C (one photo, two individuals), img_04 B again
    assert [(p.x, p.individuals) for p in stats.discovery("photos")] == [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3)]
    assert [Path(p.photo).name for p in stats.discovery("photos")] == [
        "img_00.jpg", "img_01.jpg", "img_02.jpg", "img_03.jpg", "img_04.jpg"]
    # 07-01: A, B; 07-03: A, C; 07-05: B
    assert [(p.x, p.date, p.individuals) for p in stats.discovery("days")] == [
        (1, "2021-07-01", 2), (2, "2021-07-03", 3), (3, "2021-07-05", 3)]
    with pytest.raises(ValueError):
        stats.discovery("weeks")


def test_resighting_frequency_counts_distinct_days_else_survey_else_photo(study):
    stats = study_stats(study)
    # A: 07-01, 07-03 (img_02 and img_03 are one day) -> 2; B: 07-01, 07-05, undated img_09 -> 3;
    # C: 07-03, undated img_05 of survey S3 -> 2
    assert stats.times_seen == (("HW-A", 2), ("HW-B", 3), ("HW-C", 2))
    assert stats.resighting == ((1, 0), (2, 2), (3, 1))


def test_sightings_per_survey_in_date_order_with_new_and_resighted(study):
    stats = study_stats(study)
    rows = [(s.survey, s.first_date, s.photos, s.individuals, s.new, s.resighted) for s in stats.surveys]
    assert rows == [
        ("S1", "2021-07-01T09:00", 2, 2, 2, 0),  # A, B new (HW-D's photo is unusable)
        ("S2", "2021-07-03", 2, 2, 1, 1),  # C new, A again
        ("S3", None, 1, 1, 0, 1),  # undated survey: after the dated ones
        (NO_SURVEY, "2021-07-05", 2, 1, 0, 1),  # B's photos without a survey: last
    ]


def test_map_points_of_everyone_or_one_individual(study):
    stats = study_stats(study)
    assert [(s.individual, s.lat, s.lon) for s in stats.map_points()] == [
        ("HW-A", 10.0, -60.0), ("HW-B", 10.1, -60.1), ("HW-A", 10.2, -60.2), ("HW-B", 10.3, -60.3)]
    assert stats.without_coordinates() == 4
    assert [s.day for s in stats.map_points("HW-A")] == ["2021-07-01", "2021-07-03"]
    assert stats.without_coordinates("HW-A") == 1  # img_03
    assert stats.map_points("HW-D") == ()  # unusable photo: not on the map either


def test_tables_are_the_figures_numbers_and_the_same_on_every_read(study, tmp_path):
    stats = study_stats(study)
    tables = figure_tables(stats, individual="HW-B")
    columns, rows = tables["discovery_curve"]
    assert columns == ["photos", "survey_days", "date", "photo", "individuals"]
    assert [(r[0], r[1], r[4]) for r in rows] == [(1, 1, 1), (2, 1, 2), (3, 2, 2), (4, 2, 3), (5, 3, 3)]
    assert tables["resighting_frequency"][1] == [[1, 0], [2, 2], [3, 1]]
    assert [r[0] for r in tables["sightings_per_survey"][1]] == ["S1", "S2", "S3", NO_SURVEY]
    assert [(r[0], r[1]) for r in tables["sightings_map"][1]] == [("HW-B", "2021-07-01T10:00"), ("HW-B", "2021-07-05")]
    # a read-only worker's read gives the same numbers
    assert study_stats_of(study.folder) == stats


def test_a_merge_moves_the_sightings_into_the_kept_individual(study):
    a, c = study.individual_by_code("HW-A"), study.individual_by_code("HW-C")
    study.merge_individuals(a.id, c.id)
    stats = study_stats(study)
    assert stats.individuals == ("HW-A", "HW-B")
    # img_03 showed both: one sighting left; A is now also seen on S3's undated photo
    assert stats.times_seen == (("HW-A", 3), ("HW-B", 3))
    assert [(p.x, p.individuals) for p in stats.discovery("photos")] == [(1, 1), (2, 2), (3, 2), (4, 2), (5, 2)]


def test_an_empty_project_has_no_points(store):
    stats = study_stats(store)
    assert (stats.photos_total, stats.sightings, stats.resighting, stats.surveys) == (0, (), (), ())
    assert stats.discovery("days") == () and stats.left_out() == []
