"""The pure core: counter maths, rates, flags. No I/O here, and nothing from the outer rings."""
