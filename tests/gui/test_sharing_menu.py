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


def fin_project(root):
    """A dorsal-fin project with two identified photos (its species not named yet)."""
    from whaleid_gui.application.new_project import create_project

    store, _note = create_project(root / "fins", "dorsal-fins", user="tester")
    with store:
        for i, code in enumerate(("TT-1", "TT-2")):
            path = root / f"fin{i}.jpg"
            Image.fromarray(np.random.default_rng(i).integers(0, 256, (32, 48, 3), dtype=np.uint8)).save(path)
            photo = store.add_photo(path)
            store.add_sighting(photo.id, store.create_individual(code).id, date="2021-02-01", place="Bay")
    return root / "fins"


def fill_sharing_form(qtbot, window, texts: dict, button: str = "save"):
    """Fill the modal form once it is open, then press Save (or Cancel)."""
    from PySide6.QtCore import QTimer

    tries = [250]  # 5 s: a form that never opens fails the test's own assertions, not later tests

    def act():
        dialog = getattr(window, "_sharing_dialog", None)
        if dialog is None or not dialog.isVisible():
            tries[0] -= 1
            if tries[0] > 0:
                QTimer.singleShot(20, act)
            return
        for key, text in texts.items():
            dialog.fields[key].setText(text)
        if button == "save":
            dialog.save_button.click()
            if dialog.isVisible():  # refused: what it said, then cancel
                window._sharing_refusal = dialog.error.text()
                dialog.reject()
        else:
            dialog.reject()
    QTimer.singleShot(0, act)


def test_a_fin_catalog_is_asked_its_species_in_the_window_before_it_is_shared(qtbot, window, tmp_path,
                                                                             monkeypatch):
    assert window.open_project(str(fin_project(tmp_path)))
    saved = []
    monkeypatch.setattr(window_sharing.QFileDialog, "getSaveFileName", staticmethod(
        lambda *a: saved.append(a) or (str(tmp_path / "fins.zip"), "")))
    fill_sharing_form(qtbot, window, {"species_genus": "Tursiops"}, button="cancel")
    window.export_actions["dwca"].trigger()  # the form opens first; cancelled: no file asked, nothing saved
    assert not saved and "species_genus" not in window.store.settings

    species = {"species_genus": "Tursiops", "species_epithet": "truncatus", "scientific_name": "Tursiops truncatus",
               "scientific_name_id": "urn:lsid:marinespecies.org:taxname:137111"}
    fill_sharing_form(qtbot, window, {**species, "location_ids": "Bay"})  # one bad field: nothing saved
    assert not window.species_named("why")
    assert "location_ids" in window._sharing_refusal and "place=CODE" in window._sharing_refusal
    assert "species_genus" not in window.store.settings

    fill_sharing_form(qtbot, window, {"species_genus": "Tursiops"})  # saved without the rest: said, no export
    window.export_actions["dwca"].trigger()
    assert not saved and window.store.settings["species_genus"] == "Tursiops"
    assert "dorsal-fin photos" in window.last_error and "name the species" in window.last_error
    window.last_error = None

    fill_sharing_form(qtbot, window, {**species, "location_ids": "Bay=NZ-BAY"})
    window.last_export = None
    window.export_actions["dwca"].trigger()  # named now: the export goes on to its file
    qtbot.waitUntil(lambda: window.last_export is not None, timeout=30_000)
    assert len(saved) == 1 and window.last_error is None
    with zipfile.ZipFile(tmp_path / "fins.zip") as z:
        records = z.read("occurrence.txt").decode()
    assert "Tursiops truncatus" in records and "Megaptera" not in records and "NZ-BAY" in records
    assert window.store.settings["location_ids"] == {"Bay": "NZ-BAY"}
    assert window.close_project()  # no project: the Wildbook import says so (no form, no crash)
    monkeypatch.setattr(window_sharing.QFileDialog, "getOpenFileName", staticmethod(lambda *a: (str(tmp_path / "x.xlsx"), "")))
    window.act_import_wildbook.trigger()
    assert "Open a project" in window.last_error


def test_the_sharing_form_shows_what_is_set_and_an_emptied_field_takes_its_default_again(qtbot, window, tmp_path):
    from whaleid_gui.core.catalog.sharing_settings import sharing_settings

    assert window.open_project(str(small_project(tmp_path)))
    fill_sharing_form(qtbot, window, {"dataset_title": "Bay humpbacks 2021", "location_ids": "Bay=B1; Cape=C2"})
    assert window.sharing_settings_dialog()
    assert sharing_settings(window.store).dataset_title == "Bay humpbacks 2021"
    from whaleid_gui.gui.sharing_settings_dialog import SharingSettingsDialog

    dialog = SharingSettingsDialog(window.store, window)
    qtbot.addWidget(dialog)
    assert dialog.fields["location_ids"].text() == "Bay=B1;Cape=C2"
    assert dialog.fields["species_genus"].text() == "" and dialog.fields["species_genus"].placeholderText() == "Megaptera"
    dialog.fields["dataset_title"].setText("  ")
    dialog.save_button.click()
    assert dialog.result() == SharingSettingsDialog.DialogCode.Accepted and window.store.settings["dataset_title"] is None
    assert sharing_settings(window.store).dataset_title == "proj: humpback whale photo-identification"
