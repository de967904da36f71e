"""Old addresses: where an old ward, commune, town or district went on 1/7/2025, and where a
commune's one-stop office is."""
