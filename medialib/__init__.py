"""The media library (the lower layer): files, versions, folders, tags, AI tags, API keys."""
