"""What the Siamese model relies on in a branch, whichever branch it is (see siamese.make_branch)."""

from __future__ import annotations

from torch import nn


class Branch(nn.Module):
    """Maps (N, 1, S, S) grayscale crops in [0, 1] to (N, feature_size) features.

    Declared here rather than read off the concrete class: nn.Module answers any unknown
    attribute with "a tensor or a module", so without this a type checker cannot see that a
    branch has a feature size."""

    name: str
    feature_size: int
