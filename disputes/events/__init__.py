"""The event log: what is written with each change (record), the one pass that publishes committed events in order
(publish), and the catalogue of event types (catalogue). docs/events.md is the reader's description."""
