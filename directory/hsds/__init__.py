"""Open Referral: the one mapping of a site onto HSDS 3.0 tables, the HSDS package export and the
HSDA document and selection the API serves.
"""
