"""The record and its vocabulary: the typed facility, the schema of facilities.csv, the SAMHSA code
book and its groups, the filter registry, names and places normalised, errors, paths and languages.

The bottom layer: it imports nothing else of ``directory``.
"""
