"""AI extensions on top of the media library: the registry, providers, runs and units."""
