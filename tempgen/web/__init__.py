"""The explorer page (`tempgen serve`): a local web server whose API calls the library, as
the command line does, and a page (static/) that only renders what it returns."""
