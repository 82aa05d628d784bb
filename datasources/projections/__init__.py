"""Read models kept in step with the system of record by domain events."""
