"""The teller's counter panel (柜面)."""
