"""Tables in and out of files: Parquet streaming (needs pyarrow, the ``parquet`` extra)."""
