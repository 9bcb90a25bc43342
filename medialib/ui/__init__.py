"""The browser UI of the library: views, the reads behind its pages, and its links.

An HTTP layer: it may use extensions and webhooks; the library's domain modules
never import it.
"""
