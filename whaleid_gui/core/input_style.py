"""How a photo becomes the network's input: the model card names its style.

- gray-fluke: grayscale, the box region widened to 2.15:1 and squashed into the square (the
  reference algorithm's fluke crop; the synthetic-trained weights expect it).
- rgb-square: colour, the box region (or whole photo) squared around its centre so nothing is
  distorted; the part outside the photo is filled with the photo's mean colour. ImageNet weights
  expect colour, and on the real photo sets (benchmarks/RESULTS.md, eval_real.py) keeping the
  shape and the colour ranked better than the fluke crop (nyala 0.44 vs 0.36 MAP@5).
"""

from __future__ import annotations

from dataclasses import dataclass

from .augment import ANISOTROPY


@dataclass(frozen=True)
class InputStyle:
    name: str
    colour: bool  # True: 3 channels RGB; False: 1 channel gray
    aspect: float  # width / height of the photo region that fills the square crop

    @property
    def channels(self) -> int:
        return 3 if self.colour else 1


FLUKE = InputStyle("gray-fluke", colour=False, aspect=ANISOTROPY)
PHOTO = InputStyle("rgb-square", colour=True, aspect=1.0)
STYLES = {s.name: s for s in (FLUKE, PHOTO)}


def input_style(name: str | None) -> InputStyle:
    """The style of a model card's `input_style` (None: the fluke crop of older weights files)."""
    if name is None:
        return FLUKE
    try:
        return STYLES[name]
    except KeyError:
        raise ValueError(f"unknown input style {name!r}; known: {', '.join(STYLES)}") from None
