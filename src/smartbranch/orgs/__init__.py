"""Organisation: head office → branches → outlets, staff and roles."""
