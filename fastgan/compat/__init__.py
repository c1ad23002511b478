"""Drop-in replacements for established libraries; thin layers over fastgan.metrics."""
