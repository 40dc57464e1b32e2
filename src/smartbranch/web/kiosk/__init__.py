"""The queue kiosk (排队机): identify a customer at the door."""
