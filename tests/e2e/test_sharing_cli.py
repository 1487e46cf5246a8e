"""`whaleid export wildbook|dwca|capture-history` and `whaleid import wildbook`, as a lab would
script them: an Excel-made catalog in, Flukebook / OBIS / MARK files out, and a Flukebook
spreadsheet back into an empty project."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from whaleid_gui.cli import main


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def sightings_without_paths(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return sorted(({k: v for k, v in r.items() if k not in ("photo", "confirmed_at")} | {"file": Path(r["photo"]).name}
                   for r in rows), key=lambda r: (r["file"], r["individual"]))


@pytest.fixture
def project(tmp_path, capsys) -> Path:
    photos = tmp_path / "field" / "photos"
    photos.mkdir(parents=True)
    for i in range(5):
        low = np.random.default_rng(i).integers(0, 256, (4, 6, 3), dtype=np.uint8)
        Image.fromarray(low).resize((48, 32), Image.Resampling.BICUBIC).save(photos / f"p{i}.jpg")
    catalog = tmp_path / "field" / "catalog.csv"  # Excel "Unicode text" in a comma-decimal locale
    catalog.write_bytes("Image;Id\nphotos/p0.jpg;HW-0001\nphotos/p1.jpg;HW-0001\nphotos/p2.jpg;HW-0002\n"
                        "photos/p3.jpg;HW-0002\n".encode("utf-16"))
    sightings = tmp_path / "field" / "sightings.csv"
    sightings.write_bytes(b"\xef\xbb\xbf" + (
        "Image;date;place;lat;lon;survey;observer\n"
        "photos/p0.jpg;2021-02-01;Bay;-21,05;55,2;S1;Ana\n"
        "photos/p1.jpg;2021-03-01T09:30:00;Cape;;;S2;Ana\n"
        "photos/p2.jpg;2021-02-02;Bay;-21,06;55,21;S1;Rui\n"
        "photos/p3.jpg;2021-03-02;Cape;;;S2;Rui\n").encode())
    folder = tmp_path / "proj"
    for argv in (("project", "create", folder), ("import", "catalog", catalog, "--project", folder),
                 ("import", "sightings", sightings, "--project", folder),
                 ("import", "photos", photos, "--project", folder),
                 ("project", "settings", folder, "location_ids=Bay=RUN-BAY;Cape=RUN-CAPE",
                  "dataset_title=Humpbacks of La Réunion")):
        code, _, err = run(capsys, *argv)
        assert code == 0, (argv, err)
    return folder


def test_flukebook_round_trip_obis_and_mark_from_the_command_line(project, tmp_path, capsys):
    out = tmp_path / "share"
    out.mkdir()
    code, stdout, err = run(capsys, "export", "wildbook", out / "flukebook.xlsx", "--project", project)
    assert code == 0, err
    assert f"skipped: {tmp_path / 'field' / 'photos' / 'p4.jpg'}: shows no identified individual" in stdout
    assert "4 encounters" in stdout and sorted(p.name for p in (out / "flukebook_photos").iterdir()) == [
        "p0.jpg", "p1.jpg", "p2.jpg", "p3.jpg"]

    code, _, err = run(capsys, "export", "wildbook", out / "flukebook.xlsx", "--project", project)
    assert code == 2 and "file exists" in err and "--force" in err
    assert run(capsys, "export", "wildbook", out / "flukebook.xlsx", "--project", project, "--force")[0] == 0

    other = tmp_path / "other"
    assert run(capsys, "project", "create", other)[0] == 0
    assert run(capsys, "project", "settings", other, "location_ids=Bay=RUN-BAY;Cape=RUN-CAPE")[0] == 0
    code, stdout, err = run(capsys, "import", "wildbook", out / "flukebook.xlsx", "--project", other)
    assert code == 0, err
    assert "4 photos added, 2 individuals added, 4 sightings added" in stdout
    for folder, name in ((project, "a.csv"), (other, "b.csv")):
        assert run(capsys, "export", "sightings", tmp_path / name, "--project", folder)[0] == 0
    assert sightings_without_paths(tmp_path / "a.csv") == sightings_without_paths(tmp_path / "b.csv")

    code, stdout, err = run(capsys, "export", "dwca", out / "obis.zip", "--project", project)
    assert code == 0, err
    from dwca.read import DwCAReader

    with DwCAReader(str(out / "obis.zip")) as archive:
        rows = sorted((r.data["http://rs.tdwg.org/dwc/terms/organismID"],
                       r.data["http://rs.tdwg.org/dwc/terms/locationID"]) for r in archive)
        assert archive.metadata.find("dataset/title").text == "Humpbacks of La Réunion"
    assert rows == [("HW-0001", "RUN-BAY"), ("HW-0001", "RUN-CAPE"), ("HW-0002", "RUN-BAY"), ("HW-0002", "RUN-CAPE")]

    code, stdout, err = run(capsys, "export", "capture-history", out / "ch.inp", "--project", project)
    assert code == 0, err
    assert "note: left out: 1 photo not identified" in stdout
    assert (out / "ch.inp").read_text().splitlines()[-2:] == ["/* HW-0001 */ 11 1;", "/* HW-0002 */ 11 1;"]
    code, _, err = run(capsys, "export", "capture-history", out / "ch.csv", "--project", project, "--days", "60")
    assert code == 0, err
    assert (out / "ch.csv").read_text() == "individual,2021-02-01..2021-04-01\nHW-0001,1\nHW-0002,1\n"


def test_export_options_of_another_kind_and_bad_settings_are_refused(project, tmp_path, capsys):
    code, _, err = run(capsys, "export", "dwca", tmp_path / "x.zip", "--project", project, "--photos", "link")
    assert code == 2 and "--photos does not apply to the dwca export" in err
    code, _, err = run(capsys, "export", "capture-history", tmp_path / "c.inp", "--project", project,
                       "--occasions", "days")
    assert code == 2 and "needs --days" in err
    code, _, err = run(capsys, "export", "dwca", tmp_path / "x.csv", "--project", project)
    assert code == 2 and "give a .zip file name" in err and not (tmp_path / "x.csv").exists()
    code, _, err = run(capsys, "project", "settings", project, "genus=Megaptera")
    assert code == 2 and "unknown setting 'genus'" in err
    code, stdout, _ = run(capsys, "project", "settings", project)
    assert "location_ids = Bay=RUN-BAY;Cape=RUN-CAPE" in stdout and "species_genus = Megaptera" in stdout
    code, stdout, _ = run(capsys, "project", "settings", project, "species_genus=Eubalaena")
    assert code == 0 and "species_genus = Eubalaena" in stdout
    code, stdout, _ = run(capsys, "project", "settings", project, "species_genus=")  # the default again, not ''
    assert code == 0 and "species_genus = Megaptera" in stdout
    bad = tmp_path / "fb.csv"
    bad.write_text("Encounter.mediaAsset0,MarkedIndividual.individualID,Encounter.year\nnope.jpg,HW-9,20x1\n")
    code, stdout, err = run(capsys, "import", "wildbook", bad, "--project", project)
    assert code == 0 and f"not imported: {bad} row 2: year '20x1' is not a number; row skipped" in err


def test_a_fin_catalog_names_its_species_before_it_is_shared(project, tmp_path, capsys):
    fins = tmp_path / "fins"
    for argv in (("project", "create", fins, "--subject", "dorsal-fins"),
                 ("import", "catalog", tmp_path / "field" / "catalog.csv", "--project", fins)):
        code, _, err = run(capsys, *argv)
        assert code == 0, (argv, err)
    out = tmp_path / "fins.zip"
    code, _, err = run(capsys, "export", "dwca", out, "--project", fins)
    assert code != 0 and not out.exists()  # never a dolphin catalog filed as humpback whales
    assert "settings.json" in err and "dorsal-fins photos" in err and "species_genus" in err
    code, stdout, _ = run(capsys, "project", "settings", fins)  # still shown, so that it can be set
    assert code == 0 and "species_genus = Megaptera" in stdout
    code, _, err = run(capsys, "project", "settings", fins, "species_genus=Tursiops", "species_epithet=truncatus",
                       "scientific_name=Tursiops truncatus",
                       "scientific_name_id=urn:lsid:marinespecies.org:taxname:137111")
    assert code == 0, err
    code, _, err = run(capsys, "export", "dwca", out, "--project", fins)
    assert code == 0, err
    import zipfile
    with zipfile.ZipFile(out) as z:
        records = z.read("occurrence.txt").decode()
        eml = z.read("eml.xml").decode()
    assert "Tursiops truncatus" in records and "Megaptera" not in records
    assert "Tursiops truncatus photo-identification" in eml
    # the humpback project of the fixture shares as before, without naming its species
    code, _, err = run(capsys, "export", "dwca", tmp_path / "hw.zip", "--project", project)
    assert code == 0, err
