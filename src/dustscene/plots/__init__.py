"""Figures: read data products (HDF5/JSON), never live objects; one module per figure family."""
