"""Shared test helpers: tenant builders, the simulator handle, findings pickers, settings.

Test modules import helpers from here, never from a conftest file or another test module;
conftest files hold fixtures only.
"""
