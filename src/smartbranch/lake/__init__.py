"""The lake: the Parquet folder that stands for the bank's warehouse, and the loader that
brings its master data into the serving database."""
