"""Building blocks of the offline providers: weights reading, graph building, images.

Nothing here imports Django, so the pieces can be exercised and built without settings;
`extensions.offline_models` places the built files and caches the sessions.
"""
