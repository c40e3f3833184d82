"""The HTTP front end: the locator API (``/v1``), the HSDA API (``/hsda``), their OpenAPI documents and
the offline API docs. A thin layer over the stores, the view models and the exports.
"""
