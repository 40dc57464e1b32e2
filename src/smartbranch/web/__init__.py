"""The channels' HTML pages: kiosk first; templates, static assets, translations."""
