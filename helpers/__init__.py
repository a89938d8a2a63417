"""Helpers for the Salesforce OAuth 2.0 web server flow tutorial.

``localorg`` runs the local stand-in for two Salesforce orgs; the other
modules are the client side of the flow that the notebooks use.
"""
