"""Reports: markdown and figures drawn from the tables of an archive (they take tables, return text
or write figures; no model runs here)."""
