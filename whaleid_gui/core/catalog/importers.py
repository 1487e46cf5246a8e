"""All imports in one place (each lives in its own module)."""

from .import_boxes import import_boxes, import_coco
from .import_photos import import_folder, iter_import_folder
from .import_tables import import_catalog, import_sightings, iter_import_catalog

__all__ = [
    "import_boxes", "import_coco", "import_folder", "iter_import_folder", "import_catalog",
    "iter_import_catalog", "import_sightings",
]
