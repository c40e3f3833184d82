"""Live state overlaid on the built directory without a rebuild, read by every store and replica:
providers' availability reports (:mod:`.availability`) and the private links they report with
(:mod:`.links`). Append-only evidence, each item with its time and who sent it.
"""
