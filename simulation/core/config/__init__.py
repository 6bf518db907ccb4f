"""The model's own config sections, one module per topic (run, economy, people), and the raw-data
helpers behind ``--set`` (overrides). ``simulation.config`` assembles them with the environment's
and the levers' sections into one ``Config``.
"""
