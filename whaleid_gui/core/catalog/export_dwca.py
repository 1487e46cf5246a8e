"""Darwin Core Archive (zip) for OBIS and GBIF: occurrence core, Simple Multimedia extension,
meta.xml and an EML stub filled from the project settings.

One occurrence per encounter of an identified individual (its sightings with the same date,
place, position, survey, observer and confirmer; usually one photo). occurrenceID is
`<dataset_id>:<individual>:<first 16 hex of the smallest photo SHA-1>`, so it stays the same from one
export to the next. Photos are not in the archive: associatedMedia and the multimedia rows name
their exported file names (after media_base_url when the project sets one). Photos that show no
identified individual are skipped and named in the report.
"""

from __future__ import annotations

import io
import mimetypes
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Sequence

from whaleid_gui.core.errors import BadInputError

from .encounters import Encounter, clean, date_parts, file_names, group, identified, unidentified
from .export_common import ExportReport, refuse_existing, write_bytes, zip_bytes
from .sharing_settings import Sharing, sharing_settings

DWC = "http://rs.tdwg.org/dwc/terms/"
DC = "http://purl.org/dc/terms/"
OCCURRENCE_TERMS = [  # (column, term URI)
    ("occurrenceID", DWC + "occurrenceID"),
    ("basisOfRecord", DWC + "basisOfRecord"),
    ("occurrenceStatus", DWC + "occurrenceStatus"),
    ("individualCount", DWC + "individualCount"),
    ("eventDate", DWC + "eventDate"),
    ("eventID", DWC + "eventID"),
    ("decimalLatitude", DWC + "decimalLatitude"),
    ("decimalLongitude", DWC + "decimalLongitude"),
    ("geodeticDatum", DWC + "geodeticDatum"),
    ("locality", DWC + "locality"),
    ("locationID", DWC + "locationID"),
    ("scientificName", DWC + "scientificName"),
    ("scientificNameID", DWC + "scientificNameID"),
    ("kingdom", DWC + "kingdom"),
    ("taxonRank", DWC + "taxonRank"),
    ("organismID", DWC + "organismID"),
    ("organismName", DWC + "organismName"),
    ("recordedBy", DWC + "recordedBy"),
    ("identifiedBy", DWC + "identifiedBy"),
    ("identificationVerificationStatus", DWC + "identificationVerificationStatus"),
    ("associatedMedia", DWC + "associatedMedia"),
    ("datasetID", DWC + "datasetID"),
    ("license", DC + "license"),
]
MULTIMEDIA_TERMS = [
    ("coreid", None),
    ("type", DC + "type"),
    ("format", DC + "format"),
    ("identifier", DC + "identifier"),
    ("title", DC + "title"),
    ("created", DC + "created"),
    ("creator", DC + "creator"),
    ("license", DC + "license"),
]
OCCURRENCE = DWC + "Occurrence"
MULTIMEDIA = "http://rs.gbif.org/terms/1.0/Multimedia"


def occurrence_id(e: Encounter, sharing: Sharing) -> str:
    return f"{sharing.dataset_id}:{e.code}:{min(s.sha1 for s in e.sightings)[:16]}"


def media_identifier(name: str, sharing: Sharing) -> str:
    base = sharing.media_base_url
    return f"{base.rstrip('/')}/{name}" if base else name


def tables(store, report: ExportReport) -> tuple[list[dict], list[dict], Sharing, list[Encounter]]:
    """(occurrence rows, multimedia rows, settings, encounters); fills report.skipped."""
    sharing = sharing_settings(store)
    records = identified(store)
    report.skipped += [(str(p), "shows no identified individual") for p in unidentified(store)]
    names = file_names(records)
    encounters = group(records)
    occurrences, media = [], []
    for e in encounters:
        oid = occurrence_id(e, sharing)
        ids = [media_identifier(names[s.sha1], sharing) for s in e.sightings]
        occurrences.append({
            "occurrenceID": oid, "basisOfRecord": "HumanObservation", "occurrenceStatus": "present",
            "individualCount": 1, "eventDate": e.date, "eventID": e.survey,
            "decimalLatitude": e.lat, "decimalLongitude": e.lon,
            "geodeticDatum": "EPSG:4326" if e.lat is not None and e.lon is not None else None,
            "locality": e.place, "locationID": sharing.location_code(e.place),
            "scientificName": sharing.scientific_name, "scientificNameID": sharing.scientific_name_id,
            "kingdom": "Animalia", "taxonRank": "species", "organismID": e.code, "organismName": e.name,
            "recordedBy": e.observer, "identifiedBy": e.confirmed_by,
            "identificationVerificationStatus": "verified" if e.verified else "unverified",
            "associatedMedia": " | ".join(ids), "datasetID": sharing.dataset_id, "license": sharing.license,
        })
        for s, identifier in zip(e.sightings, ids):
            media.append({
                "coreid": oid, "type": "StillImage", "format": mimetypes.guess_type(names[s.sha1])[0] or "",
                "identifier": identifier, "title": names[s.sha1], "created": s.taken_at, "creator": e.observer,
                "license": sharing.license,
            })
    undated = sum(1 for e in encounters if date_parts(e.date) is None)
    if undated:
        report.notes.append(f"{undated} occurrences have no eventDate (OBIS and GBIF ask for one)")
    return occurrences, media, sharing, encounters


def tab_text(terms: Sequence[tuple[str, str | None]], rows: list[dict]) -> bytes:
    """Tab-separated, one header line, no quoting (values kept on one line without tabs)."""
    lines = ["\t".join(name for name, _ in terms)]
    lines += ["\t".join(_value(row.get(name)) for name, _ in terms) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return clean(v)


def meta_xml() -> bytes:
    archive = ET.Element("archive", {"xmlns": "http://rs.tdwg.org/dwc/text/", "metadata": "eml.xml"})
    for tag, row_type, location, terms in (
        ("core", OCCURRENCE, "occurrence.txt", OCCURRENCE_TERMS),
        ("extension", MULTIMEDIA, "multimedia.txt", MULTIMEDIA_TERMS),
    ):
        part = ET.SubElement(archive, tag, {
            "encoding": "UTF-8", "fieldsTerminatedBy": "\\t", "linesTerminatedBy": "\\n", "fieldsEnclosedBy": "",
            "ignoreHeaderLines": "1", "rowType": row_type,
        })
        ET.SubElement(ET.SubElement(part, "files"), "location").text = location
        ET.SubElement(part, "id" if tag == "core" else "coreid", {"index": "0"})
        for index, (_, term) in enumerate(terms):
            if term is not None:
                ET.SubElement(part, "field", {"index": str(index), "term": term})
    return _xml(archive)


def eml_xml(sharing: Sharing, encounters: list[Encounter]) -> bytes:
    """An EML 2.1.1 stub: title, creator and contact, licence, taxonomic, temporal and
    geographic coverage of the exported occurrences. No date of writing (the same catalog gives
    the same file)."""
    root = ET.Element("eml:eml", {
        "xmlns:eml": "eml://ecoinformatics.org/eml-2.1.1", "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
        "xsi:schemaLocation": "eml://ecoinformatics.org/eml-2.1.1 http://rs.gbif.org/schema/eml-gbif-profile/1.1/eml.xsd",
        "packageId": sharing.dataset_id, "system": "WhaleID", "xml:lang": "eng",
    })
    ds = ET.SubElement(root, "dataset")
    ET.SubElement(ds, "title").text = sharing.dataset_title
    _party(ds, "creator", sharing)
    ET.SubElement(ds, "language").text = "eng"
    ET.SubElement(ET.SubElement(ds, "abstract"), "para").text = (
        f"Photo-identification sightings of individually identified {sharing.scientific_name} "
        f"({len({e.code for e in encounters})} individuals, {len(encounters)} occurrences), exported by WhaleID "
        f"from the project {sharing.project_name}.")
    ET.SubElement(ET.SubElement(ds, "intellectualRights"), "para").text = sharing.license
    coverage = ET.SubElement(ds, "coverage")
    lats = [e.lat for e in encounters if e.lat is not None and e.lon is not None]
    lons = [e.lon for e in encounters if e.lat is not None and e.lon is not None]
    if lats:
        geo = ET.SubElement(coverage, "geographicCoverage")
        places = sorted({e.place for e in encounters if e.place and e.lat is not None and e.lon is not None})
        ET.SubElement(geo, "geographicDescription").text = ", ".join(places) or "positions of the sightings"
        box = ET.SubElement(geo, "boundingCoordinates")
        for tag, value in (("westBoundingCoordinate", min(lons)), ("eastBoundingCoordinate", max(lons)),
                           ("northBoundingCoordinate", max(lats)), ("southBoundingCoordinate", min(lats))):
            ET.SubElement(box, tag).text = repr(value)
    dates = sorted(e.date[:10] for e in encounters if e.date and date_parts(e.date) and len(e.date) >= 10)
    if dates:
        span = ET.SubElement(ET.SubElement(coverage, "temporalCoverage"), "rangeOfDates")
        ET.SubElement(ET.SubElement(span, "beginDate"), "calendarDate").text = dates[0]
        ET.SubElement(ET.SubElement(span, "endDate"), "calendarDate").text = dates[-1]
    taxon = ET.SubElement(ET.SubElement(coverage, "taxonomicCoverage"), "taxonomicClassification")
    ET.SubElement(taxon, "taxonRankName").text = "species"
    ET.SubElement(taxon, "taxonRankValue").text = sharing.scientific_name
    _party(ds, "contact", sharing)
    return _xml(root)


def _party(parent, tag: str, sharing: Sharing) -> None:
    party = ET.SubElement(parent, tag)
    if sharing.contact_name:
        ET.SubElement(ET.SubElement(party, "individualName"), "surName").text = sharing.contact_name
    ET.SubElement(party, "organizationName").text = sharing.organization or sharing.project_name
    if sharing.contact_email:
        ET.SubElement(party, "electronicMailAddress").text = sharing.contact_email


def _xml(root) -> bytes:
    ET.indent(root)
    buffer = io.BytesIO()
    ET.ElementTree(root).write(buffer, encoding="UTF-8", xml_declaration=True)
    return buffer.getvalue() + b"\n"


def export_dwca(store, out, overwrite: bool = False) -> ExportReport:
    out = Path(out).expanduser().absolute()
    if out.suffix.lower() != ".zip":
        raise BadInputError(out, "give a .zip file name for the Darwin Core Archive")
    refuse_existing([out], overwrite)
    report = ExportReport(out, what="occurrences")
    occurrences, media, sharing, encounters = tables(store, report)
    data = zip_bytes([
        ("meta.xml", meta_xml()),
        ("eml.xml", eml_xml(sharing, encounters)),
        ("occurrence.txt", tab_text(OCCURRENCE_TERMS, occurrences)),
        ("multimedia.txt", tab_text(MULTIMEDIA_TERMS, media)),
    ])
    write_bytes(out, data, overwrite)
    report.rows = len(occurrences)
    report.notes.append(f"{len(media)} photos listed in multimedia.txt (the photo files are not in the archive)")
    return report
