"""Files a person downloads: CSV, XLSX, GeoJSON, the printable list and the API's JSON bodies."""
