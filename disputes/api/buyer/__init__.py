"""The buyer's side of the API: their own one-click help requests."""
