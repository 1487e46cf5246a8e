"""The project settings that the sharing formats need (species, location codes, dataset metadata).

They live in the project's settings.json next to the other settings (flat keys, one JSON object);
a key that is absent takes its default, so projects made before these settings need no upgrade.
`whaleid project settings DIR KEY=VALUE` sets them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

from .errors import CatalogError
from .store import SUBJECT_FACT

# WoRMS: Megaptera novaeangliae (Borowski, 1781), AphiaID 137092
DEFAULTS = {
    "species_genus": "Megaptera",
    "species_epithet": "novaeangliae",
    "scientific_name": "Megaptera novaeangliae",
    "scientific_name_id": "urn:lsid:marinespecies.org:taxname:137092",
    "location_id": "",  # Wildbook Encounter.locationID of a sighting whose place is not in location_ids
    "location_ids": {},  # sighting place -> Wildbook Encounter.locationID
    "wildbook_submitter_id": "",  # the lab's Wildbook user name (Encounter.submitterID)
    "dataset_id": "",  # Darwin Core datasetID and occurrenceID prefix; default: the project folder name
    "dataset_title": "",
    "organization": "",
    "contact_name": "",
    "contact_email": "",
    "license": "http://creativecommons.org/licenses/by/4.0/legalcode",
    "media_base_url": "",  # where the photos will be online (Darwin Core associatedMedia), if anywhere
}
HELP = {
    "species_genus": "Encounter.genus (Wildbook)",
    "species_epithet": "Encounter.specificEpithet (Wildbook)",
    "scientific_name": "scientificName (Darwin Core)",
    "scientific_name_id": "scientificNameID (Darwin Core; a WoRMS LSID for OBIS)",
    "location_id": "Encounter.locationID of sightings whose place has no code in location_ids",
    "location_ids": "place=CODE;place=CODE (or a JSON object): Wildbook location codes of sighting places",
    "wildbook_submitter_id": "Encounter.submitterID: your Wildbook user name (default: who confirmed)",
    "dataset_id": "datasetID and occurrenceID prefix (default: the project folder name)",
    "dataset_title": "EML title (default: the project name)",
    "organization": "EML creator organisation",
    "contact_name": "EML creator and contact",
    "contact_email": "EML contact e-mail",
    "license": "licence of the records and photos (URL)",
    "media_base_url": "URL the exported photo file names are appended to (associatedMedia)",
}


@dataclass(frozen=True)
class Sharing:
    species_genus: str
    species_epithet: str
    scientific_name: str
    scientific_name_id: str
    location_id: str
    location_ids: dict = field(hash=False)
    wildbook_submitter_id: str = ""
    dataset_id: str = ""
    dataset_title: str = ""
    organization: str = ""
    contact_name: str = ""
    contact_email: str = ""
    license: str = ""
    media_base_url: str = ""
    project_name: str = ""

    def location_code(self, place: str | None) -> str:
        return self.location_ids.get(place or "", "") or self.location_id

    def place_of(self, code: str) -> str | None:
        """The sighting place whose location code is `code`, when exactly one place has it."""
        places = [p for p, c in self.location_ids.items() if c == code]
        return places[0] if len(places) == 1 else None


SPECIES_KEYS = ("species_genus", "species_epithet", "scientific_name", "scientific_name_id")
FLUKES = "flukes"  # the catalog's "subject" fact (application/photo_subjects.py) the defaults are for


def sharing_settings(store, check_species: bool = True) -> Sharing:
    """The sharing settings of a project (defaults for what settings.json does not say).

    check_species: a catalog made for another kind of photo (dorsal fins, flanks) must name its
    species; the humpback defaults would put the wrong species into Wildbook or GBIF records.
    """
    data = store.settings
    if check_species:
        missing, subject = missing_species(store)
        if missing:
            raise CatalogError(
                f"{store.folder / 'settings.json'}: this catalog holds {subject} photos, "
                f"so the humpback whale is not assumed: set {', '.join(missing)} first "
                "(whaleid project settings DIR species_genus=Tursiops species_epithet=truncatus "
                "scientific_name='Tursiops truncatus' scientific_name_id=urn:lsid:marinespecies.org:taxname:APHIA_ID)")
    values: dict[str, Any] = {}  # Sharing's fields: text, and location_ids a dict
    for key, default in DEFAULTS.items():
        value = data.get(key, default)
        if value is None:
            value = default
        if key == "location_ids":
            if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
                raise CatalogError(f"{store.folder / 'settings.json'}: location_ids must map place names to codes")
        elif not isinstance(value, str):
            raise CatalogError(f"{store.folder / 'settings.json'}: {key} must be text, not {value!r}")
        values[key] = value.strip() if isinstance(value, str) else dict(value)
    name = str(data.get("name") or store.folder.name)
    values["dataset_id"] = values["dataset_id"] or store.folder.name
    what = ("humpback whale" if values["scientific_name"] == DEFAULTS["scientific_name"]
            else values["scientific_name"])
    values["dataset_title"] = values["dataset_title"] or f"{name}: {what} photo-identification"
    return Sharing(**values, project_name=name)


def missing_species(store) -> tuple[list[str], str | None]:
    """The species settings a catalog of other photos than flukes still lacks, and what it holds."""
    subject = store.catalog_fact(SUBJECT_FACT)
    if subject in (None, FLUKES):
        return [], subject
    return [k for k in SPECIES_KEYS if not str(store.settings.get(k) or "").strip()], subject


def parse_setting(key: str, text: str):
    """The value of `KEY=VALUE` from the command line or the settings form; raises CatalogError for
    an unknown key. An empty value is None: the setting goes back to its default (an empty species
    would otherwise be written into every exported record)."""
    if key not in DEFAULTS:
        raise CatalogError(f"unknown setting {key!r}; known: {', '.join(DEFAULTS)}")
    if not text.strip():
        return None
    if key != "location_ids":
        return text.strip()
    text = text.strip()
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError as err:
            raise CatalogError(f"location_ids: not a JSON object ({err})") from None
        if not isinstance(value, dict):
            raise CatalogError("location_ids: give a JSON object {\"place\": \"CODE\"} or place=CODE;place=CODE")
        return {str(k): str(v) for k, v in value.items()}
    mapping = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        place, sep, code = part.partition("=")
        if not sep or not place.strip() or not code.strip():
            raise CatalogError(f"location_ids: {part!r} is not place=CODE")
        mapping[place.strip()] = code.strip()
    return mapping


def location_ids_text(mapping: dict) -> str:
    """Place codes as parse_setting reads them back: place=CODE;place=CODE, or a JSON object when a
    place or a code holds ';' or '=' (the short form would split it), or a place starts with '{'."""
    if any(";" in f"{k}{v}" or "=" in f"{k}{v}" for k, v in mapping.items()) or \
            any(str(k).lstrip().startswith("{") for k in mapping):
        return json.dumps(mapping, ensure_ascii=False, sort_keys=True)
    return ";".join(f"{k}={v}" for k, v in sorted(mapping.items()))


def describe(sharing: Sharing) -> list[str]:
    """One line per setting: key = value  (what it is for)."""
    lines = []
    for f in fields(Sharing):
        if f.name not in DEFAULTS:
            continue
        value = getattr(sharing, f.name)
        if isinstance(value, dict):
            value = location_ids_text(value)
        lines.append(f"{f.name} = {value}    ({HELP[f.name]})")
    return lines
