"""Portfolio exports (CSV, XLSX) made by a background job."""
