"""A guide to public services: the catalogue of content/services.yml and finding a service by the
name a citizen types."""
