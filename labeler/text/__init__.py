"""Pure text code: no Flask, no database."""
