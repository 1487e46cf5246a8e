"""What the review shows and records about the photo itself, beside its matching: the strip of
photos from the same encounter, and the quality flag and comment saved at once.

A mixin of ReviewController (it uses the controller's queue, review panel, store and signals).
"""

from __future__ import annotations

from pathlib import Path

from whaleid_gui.application.review_session import ENCOUNTER_HOURS, encounter_siblings, taken_at
from whaleid_gui.gui.compare_controller import photo_caption


class PhotoReviewInfo:
    """The same-encounter strip, quality and comment of ReviewController (see the module's docstring)."""

    # ------------------------------------------------------------------ same encounter
    def _show_siblings(self, photo) -> None:
        sibs = encounter_siblings(photo, self.queue.all_photos())
        items = []
        for p in sibs:
            t = (p.taken_at or "")[11:16]
            mark = {"done": "\u2713 ", "needs_decision": "\u25a3 "}.get(p.status, "")
            items.append((p.id, mark + (t or Path(p.path).stem[:9]),
                          f"{photo_caption(p)} \u00b7 {p.status}" + (f" \u00b7 {p.quality}" if p.quality else "")))
        what = (f" (\u00b1{ENCOUNTER_HOURS:g} h)" if taken_at(photo) is not None
                else f" (survey {photo.survey}, no time)" if photo.survey else " (needs a date or a survey)")
        self.review.set_siblings(items, what)
        for p in sibs:
            pm = self.queue.thumbnail(p.id)
            if pm is not None:
                self.review.set_sibling_thumbnail(p.id, pm)

    def open_photo(self, photo_id: int) -> None:
        """Jump to a photo (a sibling clicked); clears the queue's filters if they hide it."""
        if photo_id != self.photo_id and not self.queue.reveal(photo_id):
            self.status_message.emit("That photo is no longer in the project")

    # ------------------------------------------------------------------ quality and comment
    def set_quality(self, photo_id: int, quality: str | None) -> None:
        """The photo's quality flag, saved at once (its own transaction)."""
        self._save_note(lambda: self.store.set_quality(photo_id, quality), "The quality flag",
                        lambda name: f"{name}: quality {quality or 'unset'}")

    def set_comment(self, photo_id: int, comment: str) -> None:
        """The photo's comment, saved at once (its own transaction); empty clears it."""
        self._save_note(lambda: self.store.set_comment(photo_id, comment), "The comment",
                        lambda name: f"{name}: comment saved" if comment else f"{name}: comment cleared")

    def _save_note(self, save, what: str, said) -> None:
        """Save one note on a photo; the queue row shows it, the status bar says so (or why not)."""
        if self.store is None or self.read_only:
            return
        try:
            row = save()
        except Exception as exc:
            self._fail(f"{what} could not be saved: {exc}")
            return
        self.queue.update_photos([row])
        self.status_message.emit(said(row.path.name))
