"""smartbranch: branch intelligence for retail banks."""
