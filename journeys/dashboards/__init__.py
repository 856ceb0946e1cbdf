"""Executive dashboards, read-only: the portfolio of journeys and one journey's dashboard."""
