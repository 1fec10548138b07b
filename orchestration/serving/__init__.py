"""The read-only copy of the marts that BI tools and the dashboard read: publishing, its asset and job."""
