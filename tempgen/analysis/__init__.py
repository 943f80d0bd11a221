"""Analysis: scores, sweep statistics, next-token distributions and calibration, as library
functions that return plain data for the views, the command line and a web page."""
