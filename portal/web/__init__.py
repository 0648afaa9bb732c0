"""Web plumbing every area shares: htmx rendering, headers, request log, navigation, URLs, templating, forms."""
