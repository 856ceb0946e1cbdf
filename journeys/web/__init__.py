"""HTML pages: the journey list, the editor, dashboards and share-link pages."""
