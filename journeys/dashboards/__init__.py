"""Executive dashboards, read-only, one module per read model.

- ``window`` — the time window a request asks for, its previous window, the day helpers.
- ``health`` — a journey's health score (the formula shown on the pages) and the targets.
- ``portfolio`` — one health row per journey the user may see, filtered and sorted.
- ``journey`` — one journey's dashboard (also what a dashboard share link shows).

Both reads cost a constant number of queries whatever the number of journeys or the size of a
map; callers import from the module they need.
"""
