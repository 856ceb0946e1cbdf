"""JSON for the API and the editor: thin DRF views onto the action table and selectors."""
