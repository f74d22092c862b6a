"""PDF layouts: shared building blocks (pdfbase) and the reports built on them."""
