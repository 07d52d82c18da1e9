"""What the app stands on: the database and its migrations, the request's clock and
policy (runtime), error pages and route converters (web), sign-in and headers (security),
translations (i18n, catalogs), backup and restore, ID-number encryption (crypto)."""
