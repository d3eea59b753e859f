"""The merchant's and service provider's side of the API: the help requests they must answer."""
