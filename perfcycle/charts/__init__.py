"""Server-side SVG charts: no JavaScript, no CDN. See ``svg.py``."""
