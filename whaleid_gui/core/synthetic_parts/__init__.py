"""Pieces of the procedural fluke-photo generator (see whaleid_gui/core/synthetic.py).

shape: silhouette and trailing edge; pigment: the underside pattern and scars;
scene: sky, sea, light and camera effects; noise: smooth random fields.
"""
