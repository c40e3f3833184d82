"""The data pipeline: each source's importer, the manifest of sources, entity resolution (``link``),
the build of ``data/facilities.csv``, the maintainers' corrections as a source, refreshing from
FindTreatment.gov and the diff between two builds.
"""
