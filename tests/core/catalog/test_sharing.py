"""Sharing formats: Wildbook/Flukebook spreadsheets both ways, the Darwin Core Archive read back
with python-dwca-reader, capture histories; each export deterministic and never overwriting."""

from __future__ import annotations

import zipfile

import pytest
from catalog_helpers import make_image

from whaleid_gui.core.catalog import ExportExistsError, ProjectStore
from whaleid_gui.core.catalog.capture_history import capture_history, export_capture_history
from whaleid_gui.core.catalog.encounters import to_minute
from whaleid_gui.core.catalog.export_dwca import export_dwca
from whaleid_gui.core.catalog.export_wildbook import export_wildbook, photos_folder
from whaleid_gui.core.catalog.import_wildbook import import_wildbook
from whaleid_gui.core.catalog.sharing_settings import parse_setting, sharing_settings
from whaleid_gui.core.errors import BadInputError


@pytest.fixture
def study(filled):
    """filled + surveys, positions, an observer, a confirmed decision, a merge, an unusable photo.

    img_00, img_01: HW-001 "Alpha" (S1); img_02: HW-002 (S1); img_03: HW-002 by a decision (S2);
    img_04: HW-003 merged into HW-001 (S2, no date); img_05: not identified."""
    s = filled
    ph = s.photos(sort="path")
    a, b = s.individual_by_code("HW-001"), s.individual_by_code("HW-002")
    s.add_sighting(ph[0].id, a.id, survey="S1", lat=-20.5, lon=57.25, observer="Ana Lima")
    s.add_sighting(ph[1].id, a.id, survey="S1", date="2019-07-01T10:11:40")
    s.add_sighting(ph[2].id, b.id, survey="S1")
    s.decide(ph[3].id, "confirmed", individual_id=b.id)
    s.add_sighting(ph[3].id, b.id, date="2019-07-03T08:00:59", place="Bay", survey="S2", lat=-20.75, lon=57.5)
    c = s.create_individual("HW-003", name="Bérénice")
    s.add_sighting(ph[4].id, c.id, survey="S2")
    s.merge_individuals(a.id, c.id)
    s.set_quality(ph[1].id, "unusable")
    return s


def catalog_of(store) -> tuple[dict, set, set]:
    """({code: name}, {(photo sha1, code, date to the minute, place, lat, lon, survey, observer,
    confirmed_by)}, {sha1 of identified photos}) of the current individuals."""
    individuals = {i.code: i.name for i in store.individuals()}
    sightings = set()
    for ind in store.individuals():
        for s in store.sightings(individual_id=ind.id):
            sha1 = store.photo(s.photo_id).sha1
            sightings.add((sha1, ind.code, to_minute(s.date), s.place, s.lat, s.lon, s.survey, s.observer,
                           s.confirmed_by))
    return individuals, sightings, {row[0] for row in sightings}


# ------------------------------------------------------------------------------------------- Wildbook
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_wildbook_round_trip_into_an_empty_project(study, tmp_path, suffix):
    out = tmp_path / "share" / f"flukebook{suffix}"
    out.parent.mkdir()
    report = export_wildbook(study, out)
    assert report.skipped == [(str(tmp_path / "survey" / "img_05.jpg"), "shows no identified individual")]
    assert report.rows == 5 and sorted(p.name for p in photos_folder(out).iterdir()) == [
        f"img_0{i}.jpg" for i in range(5)]
    with ProjectStore.create(tmp_path / "other", user="lab") as other:
        r = import_wildbook(other, out)
        assert r.errors == [] and (r.added, r.individuals_added, r.sightings_added) == (5, 2, 5)
        assert catalog_of(other) == catalog_of(study)
        again = import_wildbook(other, out)
        assert (again.added, again.individuals_added, again.sightings_added, again.already_present) == (0, 0, 0, 5)


def test_wildbook_columns_follow_the_project_settings(study, tmp_path):
    from openpyxl import load_workbook

    study.update_settings(species_genus="Megaptera", species_epithet="novaeangliae", location_id="MU",
                          location_ids={"Bay": "MU-BAY"}, wildbook_submitter_id="lab_account")
    out = export_wildbook(study, tmp_path / "wb.xlsx", photos="link").out
    ws = load_workbook(out).worksheets[0]
    rows = [dict(zip([c.value for c in ws[1]], [c.value for c in r])) for r in ws.iter_rows(min_row=2)]
    assert [r["MarkedIndividual.individualID"] for r in rows] == ["HW-002", "HW-001", "HW-001", "HW-002", "HW-001"]
    bay = rows[3]  # img_03: 2019-07-03T08:00:59 at Bay, confirmed in the review
    assert (bay["Encounter.year"], bay["Encounter.month"], bay["Encounter.day"], bay["Encounter.hour"],
            bay["Encounter.minutes"]) == (2019, 7, 3, 8, 0)
    assert (bay["Encounter.locationID"], bay["Encounter.verbatimLocality"]) == ("MU-BAY", "Bay")
    assert bay["Encounter.decimalLatitude"] == -20.75 and bay["Encounter.submitterID"] == "lab_account"
    assert bay["Occurrence.occurrenceID"] == "S2_20190703_Bay" and bay["Encounter.genus"] == "Megaptera"
    assert rows[0]["Encounter.locationID"] == "MU"  # Reef has no code of its own
    assert rows[0]["MarkedIndividual.nickname"] is None and rows[4]["MarkedIndividual.nickname"] == "Alpha"
    linked = photos_folder(out) / "img_00.jpg"
    assert linked.is_symlink() and linked.resolve() == (tmp_path / "survey" / "img_00.jpg").resolve()


def test_an_encounter_groups_dated_photos_seen_together_never_undated_ones(filled, tmp_path):
    ph = filled.photos(sort="path")
    a, b = filled.individual_by_code("HW-001"), filled.individual_by_code("HW-002")
    filled.add_sighting(ph[1].id, a.id, date="2019-07-01", place="Bay")  # as img_00: seen together
    for p in ph[3:5]:
        filled.add_sighting(p.id, b.id)  # no date: nothing says these were taken together
    export_wildbook(filled, tmp_path / "wb.csv")
    lines = (tmp_path / "wb.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[:2] for line in lines[1:]] == [
        ["img_02.jpg", ""], ["img_00.jpg", "img_01.jpg"], ["img_03.jpg", ""], ["img_04.jpg", ""]]


def test_exported_photo_names_are_wildbook_safe_and_unique(store, tmp_path):
    from whaleid_gui.core.catalog.encounters import file_names, identified

    paths = [tmp_path / "a" / "Baleine été (2).JPG", tmp_path / "b" / "fluke.jpg", tmp_path / "c" / "FLUKE.jpg"]
    ind = store.create_individual("HW-1")
    for seed, path in enumerate(paths):
        store.add_sighting(store.add_photo(make_image(path, seed=400 + seed)).id, ind.id)
    names = file_names(identified(store))
    sha1 = {p: store.photo_by_path(p).sha1 for p in paths}
    assert names[sha1[paths[0]]] == "Baleine ete _2_.jpg"
    assert names[sha1[paths[1]]] == f"fluke_{sha1[paths[1]][:10]}.jpg"
    assert names[sha1[paths[2]]] == f"FLUKE_{sha1[paths[2]][:10]}.jpg"


def test_wildbook_import_of_a_flukebook_file_with_bad_rows(store, tmp_path):
    """The rest of the batch goes on; each bad row is named; what the project holds stays as it is."""
    photos = tmp_path / "flukebook" / "photos"
    for i in range(6):
        make_image(photos / f"f{i}.jpg", seed=300 + i)
    kept = store.add_photo(photos / "f0.jpg")
    old = store.create_individual("MN-1", name="Known")
    store.add_sighting(kept.id, old.id, place="Recorded before", date="2015-02-03")
    store.update_settings(location_ids={"Reunion West": "RUN-W"})
    sheet = tmp_path / "flukebook" / "export.csv"
    sheet.write_bytes((
        "Encounter.mediaAsset0;Encounter.mediaAsset0.filePath;Name0.label;Name0.value;Encounter.genus;"
        "Encounter.specificEpithet;Encounter.year;Encounter.month;Encounter.day;Encounter.locationID;"
        "Encounter.decimalLatitude;Encounter.recordedBy\n"
        "f0.jpg;/srv/x/f0.jpg;Default;MN-1;Megaptera;novaeangliae;2016;3;4;RUN-W;-21,1;Zoé\n"
        "f1.jpg;;Default;MN-2;Megaptera;novaeangliae;2016;13;4;;;\n"
        "f2.jpg;;Default;BM-7;Balaenoptera;musculus;2016;3;4;;;\n"
        "missing.jpg;;Default;MN-3;Megaptera;novaeangliae;2016;3;4;;;\n"
        "f3.jpg;;;;Megaptera;novaeangliae;2016;3;5;;95;\n"
        "f4.jpg;;;;Megaptera;novaeangliae;2016;3;5;;;\n"
        ";;Default;MN-4;Megaptera;novaeangliae;2016;3;5;;;\n"
        "f5.jpg;;Default;new_whale;Megaptera;novaeangliae;2016;3;5;;;\n"
        f"f5.jpg;;Default;{'X' * 129};Megaptera;novaeangliae;2016;3;5;;;\n"
    ).encode("utf-16"))
    r = import_wildbook(store, sheet, images_dir=photos)
    reasons = dict(r.errors)
    assert "month '13' is not a whole number in 1..12" in reasons[f"{sheet} row 3"]
    assert "Balaenoptera musculus is not the project's Megaptera novaeangliae" in reasons[f"{sheet} row 4"]
    assert "photo file not found" in reasons[f"{sheet} row 5: missing.jpg"]
    assert "latitude '95' is outside" in reasons[f"{sheet} row 6"]
    assert "no photo" in reasons[f"{sheet} row 8"]
    assert "individual ID of 129 characters" in reasons[f"{sheet} row 10"]
    assert any("UTF-16, semicolon-separated" in n for n in r.notes)
    assert (r.added, r.already_present, r.individuals_added, r.sightings_added) == (2, 1, 0, 0)
    for name in ("f4.jpg", "f5.jpg"):  # imported unidentified
        assert store.photo_by_path(photos / name).status == "needs_box"
    (s,) = store.sightings(photo_id=kept.id)
    assert (s.place, s.date) == ("Recorded before", "2015-02-03")  # not replaced by the file's row
    assert store.individual(old.id).name == "Known"
    fresh = ProjectStore.create(tmp_path / "fresh")
    try:
        fresh.update_settings(location_ids={"Reunion West": "RUN-W"})
        import_wildbook(fresh, sheet, images_dir=photos)
        (s,) = fresh.sightings()
        assert (s.place, s.date, s.lat, s.observer) == ("Reunion West", "2016-03-04", -21.1, "Zoé")
        assert [i.code for i in fresh.individuals()] == ["MN-1"]
    finally:
        fresh.close()


def test_wildbook_import_refuses_a_file_without_photo_columns(store, tmp_path):
    sheet = tmp_path / "not_wildbook.csv"
    sheet.write_text("Image,Id\na.jpg,HW-1\n", encoding="utf-8")
    with pytest.raises(BadInputError, match=r"no Encounter.mediaAsset0 column.*found Image, Id") as err:
        import_wildbook(store, sheet)
    assert str(sheet) in str(err.value) and store.count_photos() == 0
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK not really a workbook")
    with pytest.raises(BadInputError, match="not a readable Excel workbook"):
        import_wildbook(store, bad)


# ------------------------------------------------------------------------------------- Darwin Core
def test_darwin_core_archive_reads_back_as_the_catalog(study, tmp_path):
    from dwca.read import DwCAReader

    study.update_settings(dataset_title="Humpbacks of the West Coast", contact_name="Ana Lima",
                          media_base_url="https://photos.example.org/hw/")
    report = export_dwca(study, tmp_path / "obis.zip")
    assert report.skipped == [(str(tmp_path / "survey" / "img_05.jpg"), "shows no identified individual")]
    dwc = "http://rs.tdwg.org/dwc/terms/"
    _, sightings, _ = catalog_of(study)
    sha1_of = {p.path.name: p.sha1 for p in study.photos()}
    with DwCAReader(str(tmp_path / "obis.zip")) as archive:
        assert archive.descriptor.core.type == dwc + "Occurrence"
        assert archive.metadata.find("dataset/title").text == "Humpbacks of the West Coast"
        seen = set()
        for row in archive:
            d = row.data
            (media,) = row.extensions
            name = media.data["http://purl.org/dc/terms/title"]
            assert d[dwc + "associatedMedia"] == media.data["http://purl.org/dc/terms/identifier"] == \
                "https://photos.example.org/hw/" + name
            lat = float(d[dwc + "decimalLatitude"]) if d[dwc + "decimalLatitude"] else None
            lon = float(d[dwc + "decimalLongitude"]) if d[dwc + "decimalLongitude"] else None
            seen.add((sha1_of[name], d[dwc + "organismID"], to_minute(d[dwc + "eventDate"] or None),
                      d[dwc + "locality"] or None, lat, lon, d[dwc + "eventID"] or None, d[dwc + "recordedBy"] or None,
                      d[dwc + "identifiedBy"] or None))
            assert row.id == d[dwc + "occurrenceID"] and row.id.startswith("proj:" + d[dwc + "organismID"] + ":")
            assert d[dwc + "scientificName"] == "Megaptera novaeangliae" and d[dwc + "basisOfRecord"] == "HumanObservation"
            verified = d[dwc + "identificationVerificationStatus"]
            assert verified == ("verified" if name == "img_03.jpg" else "unverified")
        assert seen == sightings
        ids = [row.id for row in archive]
    assert len(set(ids)) == len(ids) == 5


# ------------------------------------------------------------------------------------ capture history
def test_capture_history_by_survey_and_by_days(study, tmp_path):
    lone = study.create_individual("HW-004")  # seen only on the unusable photo
    study.add_sighting(study.photo_by_path(tmp_path / "survey" / "img_01.jpg").id, lone.id, survey="S1")
    by_survey = capture_history(study)
    assert [o.label for o in by_survey.occasions] == ["S1", "S2"]  # S1 first seen 2018-01-05
    assert dict(zip(by_survey.individuals, map("".join, (map(str, r) for r in by_survey.matrix)))) == {
        "HW-001": "11", "HW-002": "11"}
    assert dict(by_survey.counts) == {"unidentified": 1, "unusable": 1, "no sighting": 1}
    out = export_capture_history(study, tmp_path / "ch.inp").out
    text = out.read_text(encoding="utf-8")
    assert "/* HW-001 */ 11 1;\n/* HW-002 */ 11 1;\n" in text
    assert "/* left out: 1 photo not identified, 1 photo marked unusable, 1 individual without a usable " \
           "sighting */" in text
    by_week = export_capture_history(study, tmp_path / "ch.csv", occasions="days", days=7)
    assert (tmp_path / "ch.csv").read_text(encoding="utf-8") == (
        "individual,2018-01-05..2018-01-11,2019-06-28..2019-07-04\n"
        "HW-001,0,1\n"
        "HW-002,1,1\n")
    assert ("HW-004", "individual without a usable sighting") in by_week.skipped
    assert any("sighting without a date to the day" == why for _, why in by_week.skipped)
    assert any("bins of 7 days without any sighting left out: 2018-01-12..2019-06-27" in n for n in by_week.notes)


# ------------------------------------------------------------------------------- every export alike
EXPORTS = [
    ("wildbook.xlsx", export_wildbook),
    ("wildbook.csv", export_wildbook),
    ("dwca.zip", export_dwca),
    ("ch.inp", export_capture_history),
    ("ch.csv", export_capture_history),
]


@pytest.mark.parametrize("name, export", EXPORTS)
def test_exports_are_deterministic_and_never_overwrite(study, tmp_path, name, export):
    first, second = tmp_path / "a" / name, tmp_path / "b" / name
    first.parent.mkdir()
    second.parent.mkdir()
    export(study, first)
    export(study, second)
    assert first.read_bytes() == second.read_bytes()
    if name.endswith(".zip") or name.endswith(".xlsx"):
        assert {i.date_time for i in zipfile.ZipFile(first).infolist()} == {(1980, 1, 1, 0, 0, 0)}
    if name.endswith(".xlsx"):  # no clock in the workbook's own properties either
        core = zipfile.ZipFile(first).read("docProps/core.xml").decode()
        assert core.count("1980-01-01T00:00:00Z") == 2, core
    first.write_bytes(b"precious")
    with pytest.raises(ExportExistsError, match="overwrite"):
        export(study, first)
    assert first.read_bytes() == b"precious"
    export(study, first, overwrite=True)
    assert first.read_bytes() == second.read_bytes()
    assert [p.name for p in first.parent.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_wildbook_export_refuses_an_existing_photo_folder(study, tmp_path):
    out = tmp_path / "wb.csv"
    photos_folder(out).mkdir()
    (photos_folder(out) / "mine.jpg").write_bytes(b"keep me")
    with pytest.raises(ExportExistsError, match="wb_photos"):
        export_wildbook(study, out)
    assert not out.exists() and (photos_folder(out) / "mine.jpg").read_bytes() == b"keep me"
    export_wildbook(study, out, overwrite=True)
    assert not (photos_folder(out) / "mine.jpg").exists() and (photos_folder(out) / "img_00.jpg").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_missing_photo_file_is_named_and_the_rest_exported(study, tmp_path):
    (tmp_path / "survey" / "img_02.jpg").unlink()
    report = export_wildbook(study, tmp_path / "wb.csv")
    assert (str(tmp_path / "survey" / "img_02.jpg"), "photo file not found (sighting of HW-002 not exported)") \
        in report.skipped
    assert report.rows == 4 and "img_02.jpg" not in (tmp_path / "wb.csv").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------------------- settings
def test_sharing_settings_defaults_and_command_line_values(store):
    s = sharing_settings(store)
    assert (s.species_genus, s.species_epithet, s.scientific_name) == ("Megaptera", "novaeangliae",
                                                                       "Megaptera novaeangliae")
    assert s.dataset_id == "proj" and s.location_code("Bay") == ""
    assert parse_setting("location_ids", "Bay=NZ-1; Cape = NZ-2") == {"Bay": "NZ-1", "Cape": "NZ-2"}
    assert parse_setting("location_ids", '{"Bay": "NZ-1"}') == {"Bay": "NZ-1"}
    store.update_settings(location_ids={"Bay": "NZ-1"}, location_id="NZ")
    s = sharing_settings(store)
    assert (s.location_code("Bay"), s.location_code("Cape"), s.place_of("NZ-1")) == ("NZ-1", "NZ", "Bay")
    with pytest.raises(Exception, match="unknown setting 'genus'"):
        parse_setting("genus", "Megaptera")
    store.update_settings(location_ids=["Bay"])
    with pytest.raises(Exception, match="location_ids must map place names to codes"):
        sharing_settings(store)


@pytest.mark.parametrize("mapping", [
    {"Bay": "NZ-1", "Cape": "NZ-2"},
    {"Bay; north": "NZ-1", "Cape": "NZ-2"},  # ';' in a place: the short form would cut it in two
    {"Reef=7": "R7", "Bay": "A;B"},  # '=' in a place, ';' in a code
    {"{odd} cove": "C"},  # a place the reader would take for the start of a JSON object
])
def test_place_codes_shown_in_the_form_and_by_the_command_line_read_back_the_same(mapping):
    from whaleid_gui.application.sharing_form import as_text
    from whaleid_gui.core.catalog.sharing_settings import location_ids_text

    assert parse_setting("location_ids", location_ids_text(mapping)) == mapping
    assert parse_setting("location_ids", as_text(mapping)) == mapping
