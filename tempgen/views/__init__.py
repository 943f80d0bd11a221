"""Views: rich renderables and exports of analysis results. They lay results out and never
compute them."""
