"""WhaleID: photo-identification workbench for humpback whale flukes."""

__version__ = "0.1.0"
