"""Public pages: the home page, the templates and "check your reader data file"."""
