"""Ingestion from the Hugging Face Hub: the client resource, the scope, the archive format, raw snapshot partitions and their asset, jobs and schedule."""
