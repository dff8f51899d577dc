"""Template helpers of the billing pages."""
