"""File > Export: Wildbook, Darwin Core and capture histories from the menu (with their options);
File > Import: the Wildbook spreadsheet back into an empty project."""

from __future__ import annotations

import zipfile

import numpy as np
from PIL import Image

from whaleid_gui.core.catalog import ProjectStore
from whaleid_gui.gui import window_sharing


def small_project(root):
    """Three identified photos of two individuals in two surveys (nothing left to review)."""
    folder = root / "proj"
    with ProjectStore.create(folder, user="tester") as store:
        for i, (code, date, survey) in enumerate([("HW-1", "2021-02-01", "S1"), ("HW-1", "2021-03-01", "S2"),
                                                   ("HW-2", "2021-02-02", "S1")]):
            path = root / "photos" / f"p{i}.jpg"
            path.parent.mkdir(exist_ok=True)
            low = np.random.default_rng(i).integers(0, 256, (4, 6, 3), dtype=np.uint8)
            Image.fromarray(low).resize((48, 32), Image.Resampling.BICUBIC).save(path)
            photo = store.add_photo(path)
            ind = store.individual_by_code(code) or store.create_individual(code)
            store.add_sighting(photo.id, ind.id, date=date, survey=survey, place="Bay")
    return folder


def test_sharing_exports_and_the_wildbook_import_from_the_file_menu(qtbot, window, tmp_path, monkeypatch):
    assert window.open_project(str(small_project(tmp_path)))
    answer = {}
    filters = []
    monkeypatch.setattr(window_sharing.QFileDialog, "getSaveFileName", staticmethod(
        lambda parent, title, start, filt: filters.append(filt) or (answer["file"], answer.pop("chosen", ""))))
    monkeypatch.setattr(window_sharing.QInputDialog, "getItem", staticmethod(
        lambda parent, title, label, items, current, editable: (items[answer["item"]], True)))
    monkeypatch.setattr(window_sharing.QInputDialog, "getInt", staticmethod(lambda *a: (answer["days"], True)))
    out = tmp_path / "share"
    out.mkdir()

    def export(kind, file, written=None, **more):
        answer.update(file=str(out / file), **more)
        window.last_export = None
        window.export_actions[kind].trigger()
        # the report reaches the window after the job's thread may already have ended
        qtbot.waitUntil(lambda: (out / (written or file)).exists() and window.last_export is not None,
                        timeout=30_000)
        assert window.last_error is None
        return window.last_export

    report = export("wildbook", "flukebook", "flukebook.xlsx", item=1)  # no suffix typed; photos linked
    assert report.rows == 3 and (out / "flukebook.xlsx").is_file()
    assert (out / "flukebook_photos" / "p0.jpg").is_symlink()
    report = export("dwca", "obis.zip")
    assert report.rows == 3 and "occurrence.txt" in zipfile.ZipFile(out / "obis.zip").namelist()
    report = export("capture-history", "ch.inp", item=1, days=14)
    assert (out / "ch.inp").read_text().splitlines()[-2:] == ["/* HW-1 */ 11 1;", "/* HW-2 */ 10 1;"]
    assert "bins of 14 days" in report.summary()
    export("capture-history", "by_survey", "by_survey.csv", item=0, chosen="CSV (*.csv)")  # the filter's suffix
    assert (out / "by_survey.csv").read_text() == "individual,S1,S2\nHW-1,1,1\nHW-2,1,0\n"
    assert filters[:3] == ["Excel workbook (*.xlsx);;CSV (*.csv)", "Zip archive (*.zip)",
                           "MARK input (*.inp);;CSV (*.csv)"]

    assert window.new_project(str(tmp_path / "other"))
    monkeypatch.setattr(window_sharing.QFileDialog, "getOpenFileName", staticmethod(
        lambda *a: (str(out / "flukebook.xlsx"), "")))
    window.act_import_wildbook.trigger()
    qtbot.waitUntil(lambda: len(window.store.individuals()) == 2 and not window.pool.running("import-wildbook"),
                    timeout=30_000)
    assert window.last_error is None
    assert sorted((i.code, i.n_photos) for i in window.store.individuals()) == [("HW-1", 2), ("HW-2", 1)]
    assert "3 photos added" in window.statusBar().currentMessage()
