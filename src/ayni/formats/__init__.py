"""Number formats as Peru writes them (FORMAT_MODULE_PATH): Django's Spanish formats are Spain's
(1.443.540,50); Peru writes S/ 1,443,540.50 — a comma for thousands and a point for decimals."""
