"""CDN adapters (CloudFront invalidations)."""
