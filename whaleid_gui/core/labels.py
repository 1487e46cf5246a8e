"""Labels with a meaning of their own, shared by the matcher, the store and the tables."""

# "None of the known individuals": the reference data's label for a fluke seen for the first time.
# The matcher ranks it like an individual (at the new-whale threshold); the store and the
# catalog tables use it for photos of no known individual.
NEW_WHALE = "new_whale"
