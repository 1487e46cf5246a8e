"""The project's sharing settings as a form (species, place codes, dataset metadata): what the
window's File > Sharing settings shows and saves. `whaleid project settings DIR KEY=VALUE` is the
same for the command line; both read and parse through core/catalog/sharing_settings.py."""

from __future__ import annotations

from whaleid_gui.core.catalog.sharing_settings import (DEFAULTS, FLUKES, HELP, location_ids_text, missing_species,
                                                       parse_setting)

KEYS = tuple(DEFAULTS)


def as_text(value) -> str:
    """A stored value as the form shows it (place codes as place=CODE;place=CODE)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return location_ids_text(value)
    return str(value)


def form_texts(store) -> dict[str, str]:
    """What the project's settings say for each key ('' where the default applies)."""
    return {key: as_text(store.settings.get(key)) for key in KEYS}


def default_texts() -> dict[str, str]:
    """What an empty field means (shown greyed in it)."""
    return {key: as_text(DEFAULTS[key]) or HELP[key] for key in KEYS}


def species_required(store) -> bool:
    """Whether the catalog holds other photos than flukes: its species has no default."""
    return missing_species(store)[1] not in (None, FLUKES)


def species_missing(store) -> bool:
    """Whether the catalog holds other photos than flukes and has not named their species."""
    return bool(missing_species(store)[0])


def species_note(store) -> str:
    """Why the species must be named before sharing, or '' when the defaults (humpback) apply."""
    missing, subject = missing_species(store)
    if not missing:
        return ""
    what = {"dorsal-fins": "dorsal-fin photos", "other": "photos of other markings"}.get(str(subject), f"{subject} photos")
    return (f"This catalog holds {what}, so the humpback whale is not assumed: "
            "name the species (genus, epithet, scientific name and its WoRMS LSID) before exporting to "
            "Wildbook or Darwin Core, or importing a Wildbook spreadsheet.")


def save_form(store, texts: dict[str, str]) -> list[str]:
    """Save the changed fields in one write; returns the keys changed. Every field is read before
    anything is saved, so one bad field (CatalogError naming it) saves nothing."""
    current = form_texts(store)
    values = {}
    for key, text in texts.items():
        if key in current and text.strip() == current[key].strip():
            continue
        values[key] = parse_setting(key, text)  # an unknown key: CatalogError
    if values:
        store.update_settings(**values)
    return sorted(values)
