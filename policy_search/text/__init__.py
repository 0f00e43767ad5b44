"""Text: folding, the Chinese analyzer, 文号, dates, cleaning, administrative divisions."""
