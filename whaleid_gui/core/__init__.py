"""The science and the data of WhaleID. Nothing in this package imports Qt."""
