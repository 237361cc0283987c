"""Screens: one module per feature, each turning a request into replies on a ``Turn``."""
