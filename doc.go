// Package actord holds the domain types of actord, a self-hosted server that
// speaks the Apify API v2: users, storages (datasets, key-value stores,
// request queues), IDs and the Apify error type. It imports only the standard
// library and is imported by every other package.
package actord
