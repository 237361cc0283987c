"""The demo catalog (``storefront catalog import --demo``) and its teaser clips."""
