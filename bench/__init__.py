"""Speed figures, printed with their sizes. Run all with ``make bench`` (``python -m bench``)."""
