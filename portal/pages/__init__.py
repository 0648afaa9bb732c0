"""The public pages (privacy, terms, accessibility, contact, home) and the site's branding."""
