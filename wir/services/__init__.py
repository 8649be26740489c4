"""Domain rules as plain functions: no request, no templates."""
