"""The demo data set and the stories that seed_demo tells through the services to fill every staff queue."""
